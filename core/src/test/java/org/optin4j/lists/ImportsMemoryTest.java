package org.optin4j.lists;

import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;

/** Imports on the in-memory store. */
class ImportsMemoryTest extends ImportsContract {
  @Override
  protected ConsentStore newStore() {
    return InMemoryConsentStore.create();
  }
}
