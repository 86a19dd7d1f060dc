package org.optin4j.servlet;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A fixed-window rate limiter in fixed memory: a table of counters indexed by a keyed hash (HMAC with a random key
 * made at start) of the key. No map keyed by attacker input, so memory never grows; two keys that share a counter are
 * limited together (rare with the default 65536 counters), and nobody can choose keys that land on someone else's
 * counter because the hash key is secret.
 *
 * <p>Each counter is one {@code long}: the window number in the high 40 bits and the count in the low 24. Lock-free
 * and thread-safe.
 */
final class RateLimiter {
  private static final int COUNT_BITS = 24;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;

  private final int max;
  private final long windowMillis;
  private final Clock clock;
  private final AtomicLongArray slots;
  private final SecretKeySpec key;

  RateLimiter(int max, Duration window, int slots, Clock clock) {
    this.max = max;
    this.windowMillis = window.toMillis();
    this.clock = clock;
    this.slots = new AtomicLongArray(slots);
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    this.key = new SecretKeySpec(k, "HmacSHA256");
  }

  /**
   * Counts one event for the key.
   *
   * @return 0 if allowed, else the seconds until the window ends (for {@code Retry-After})
   */
  long acquire(String k) {
    int index = index(k);
    long nowMs = clock.millis();
    long window = nowMs / windowMillis;
    while (true) {
      long cur = slots.get(index);
      long curWindow = cur >>> COUNT_BITS;
      long count = cur & COUNT_MASK;
      long next;
      if (curWindow != window) {
        next = window << COUNT_BITS | 1;
      } else if (count >= max) {
        long end = (window + 1) * windowMillis;
        return Math.max(1, (end - nowMs + 999) / 1000);
      } else {
        next = cur + 1;
      }
      if (slots.compareAndSet(index, cur, next)) {
        return 0;
      }
    }
  }

  private int index(String k) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      byte[] h = mac.doFinal(k.getBytes(StandardCharsets.UTF_8));
      return Math.floorMod(ByteBuffer.wrap(h).getInt(), slots.length());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }
}
