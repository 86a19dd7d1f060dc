package org.optin4j.servlet;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * What a page renders alike for every view, kept by the instance that renders it (never static): at most a fixed
 * number of entries, after which values are computed on every call as if there were no cache, so that keys an
 * attacker can vary (a site path, a set of ticked boxes) cost at most that many entries of memory. Entries are never
 * evicted: a key fixes its value (a notice, a language, a catalog that does not change while the service runs).
 *
 * <p>Thread-safe. Two threads may compute the same value at once; the first stored wins, both answer alike.
 *
 * @param <K> the key, a value type with equals and hashCode
 * @param <V> the value
 */
final class BoundedCache<K, V> {
  private final int limit;
  private final ConcurrentMap<K, V> entries = new ConcurrentHashMap<>();

  /**
   * An empty cache.
   *
   * @param limit how many entries it keeps at most
   */
  BoundedCache(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive, was " + limit);
    }
    this.limit = limit;
  }

  /** Returns the kept value of {@code key}, computing (and keeping, while there is room) it if there is none. */
  V get(K key, Function<? super K, ? extends V> compute) {
    V kept = entries.get(key);
    if (kept != null) {
      return kept;
    }
    V value = compute.apply(key);
    if (entries.size() < limit) {
      V first = entries.putIfAbsent(key, value);
      return first == null ? value : first;
    }
    return value;
  }

  /** How many entries are kept; for tests. */
  int size() {
    return entries.size();
  }
}
