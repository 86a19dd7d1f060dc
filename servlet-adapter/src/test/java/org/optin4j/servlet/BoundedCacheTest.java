package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedCacheTest {

  @Test
  void getWhenKeyKeptThenComputesOnce() {
    BoundedCache<String, String> cache = new BoundedCache<>(4);
    AtomicInteger computed = new AtomicInteger();

    String first = cache.get("en", k -> new String("page " + computed.incrementAndGet()));
    String second = cache.get("en", k -> new String("page " + computed.incrementAndGet()));

    assertSame(first, second);
    assertEquals(1, computed.get());
  }

  @Test
  void getWhenFullThenComputesEveryTimeAndKeepsNoMore() {
    BoundedCache<Integer, Integer> cache = new BoundedCache<>(2);
    AtomicInteger computed = new AtomicInteger();
    for (int i = 0; i < 5; i++) {
      int key = i;
      assertEquals(
          key * 10,
          cache.get(
              key,
              k -> {
                computed.incrementAndGet();
                return k * 10;
              }));
    }
    assertEquals(
        40,
        cache.get(
            4,
            k -> {
              computed.incrementAndGet();
              return k * 10;
            }));

    assertEquals(2, cache.size(), "bounded: keys past the limit are not kept");
    assertEquals(6, computed.get(), "a key past the limit is computed on every call");
  }

  @Test
  void constructorWhenLimitNotPositiveThenNamesIt() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new BoundedCache<>(0));
    assertEquals("limit must be positive, was 0", e.getMessage());
  }
}
