package org.optin4j.testing.store;

import org.optin4j.spi.ConsentStore;

/**
 * Makes the store that one test of the store contract runs on.
 *
 * <p>Called once per test, from the thread that runs the test; it must return a new, empty store each time (a
 * database store may share one database between tests if each store gets its own tables).
 */
@FunctionalInterface
public interface StoreUnderTest {

  /**
   * Returns a new, empty store.
   *
   * @return the store
   */
  ConsentStore newStore();
}
