package org.optin4j.servlet;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A rate limiter in fixed memory that counts each key exactly while the keys active in the last two windows fit in
 * its table's buckets, and that errs toward admitting, never toward refusing bystanders, when they do not. Buckets
 * start to overflow well before the table is full: with keys at a quarter of the slots, about 1 bucket in 4,000
 * holds more than {@value #WAYS}; at half, 1 in 50; at 80 %, 1 in 5 (Poisson); an overflowing bucket forgets its
 * least-counted key.
 *
 * <p><b>Counting.</b> A key is hashed with SipHash-2-4 under a 128-bit key drawn from {@link SecureRandom} when the
 * limiter is made, so nobody can choose keys that land on someone else's entry. The hash picks a bucket of
 * {@value #WAYS} entries in {@link #slots} and a fingerprint; the entry holding that fingerprint in that bucket is the
 * key's, and it counts the key's events in the current and the previous fixed window. An event is allowed if
 * {@code current + previous * (time left in the current window / window) + 1 <= max}: the usual two-window
 * approximation of a sliding window, so that a client cannot spend its whole allowance at the end of one window and
 * again at the start of the next (a fixed window allows {@code 2 * max} within moments). Over any span of one window
 * a key still gets at most about {@code 2 * max}, but never in a burst: right after a boundary, a key that used its
 * whole allowance gets one more event per {@code window / max}. Two keys share an entry only if they share the bucket
 * and the fingerprint (for 65,536 slots and a limit of 30, 43 bits of hash: about one pair in 10<sup>13</sup>).
 *
 * <p><b>When a bucket is full.</b> A key not in its bucket takes a free entry, or one unused for two windows, or else
 * the entry with the smallest current estimate. An evicted entry below the limit is simply forgotten: that key is
 * counted afresh when it returns (it can get up to {@code max} more than its limit; it is never refused for it). An
 * evicted entry at its limit is recorded in {@link #spill}, a Bloom filter of refused keys for the current window
 * ({@value #SPILL_PROBES} bits per key), and such a key stays refused until the window ends. So a bystander is
 * refused only when its fingerprint matches a refused key in its bucket (at most {@value #WAYS} in
 * 2<sup>fingerprint bits</sup>) or when the Bloom filter answers a false positive, which needs far more refused keys
 * in one window than the table has slots. The filter takes no more keys once a quarter of its bits are set, so its
 * false positives stay under about 0.4 % however large the flood; past that point refused keys pushed out of the
 * table are forgotten, and get a fresh allowance if they return in the same window. In
 * {@code RateLimiterFloodSimulation}, with 65,536 slots and a limit of 30, 100,000 keys sending 31 each refused
 * none of 10,000 bystanders, and 1,000,000 keys refused 0.4 % of them. Keys evicted below their limit, and refused
 * keys after their window, lose their carry-over into the next window.
 *
 * <p><b>Memory</b> is fixed when the limiter is made and independent of its input: {@code slots} longs for the
 * entries plus {@code slots / 2} longs for the Bloom filter, 12 bytes per slot. Nothing is ever allocated per key
 * but the key's UTF-8 bytes while hashing.
 *
 * <p><b>Window numbers</b> are kept modulo 2<sup>tag bits</sup> (2<sup>24</sup> windows for a limit up to 63,
 * 2<sup>15</sup> for the largest limits) in the entries and modulo 2<sup>16</sup> in the Bloom filter: an entry or
 * filter word left untouched for exactly a multiple of that many windows reads as current again.
 *
 * <p>Lock-free and thread-safe: every change is one compare-and-set of one {@code long}. Two different keys racing
 * for the same entry of a full bucket can, rarely, leave one of them counted in two entries.
 */
final class RateLimiter {
  /** Entries per bucket. */
  static final int WAYS = 8;
  /** Bits set per refused key in the Bloom filter. */
  static final int SPILL_PROBES = 4;
  private static final int SPILL_TAG_SHIFT = 48;

  private final int max;
  private final long windowMillis;
  private final Clock clock;
  /** The entries: {@code fingerprint | window tag | previous count | current count}, 0 if free. */
  private final AtomicLongArray slots;
  /** The Bloom filter of keys refused in the current window: {@code 16-bit window tag | 48 bits}. */
  private final AtomicLongArray spill;
  /** Bits set in {@link #spill} this window: {@code 16-bit window tag | count}. */
  private final AtomicLong spillFill = new AtomicLong();
  /** The filter takes no more refused keys past this many bits set (a quarter: false positives up to 0.4 %). */
  private final long spillCap;
  private final int buckets;
  private final long k0;
  private final long k1;
  private final long spillSalt;

  private final int countBits;
  private final long countMask;
  private final int tagShift;
  private final long tagMask;
  private final int fpShift;
  private final long fpMask;

  RateLimiter(int max, Duration window, int slots, Clock clock) {
    this(max, window, slots, clock, randomKey());
  }

  /** With a given 24-byte hash key (tests and simulations only: a known key lets anyone aim collisions). */
  RateLimiter(int max, Duration window, int slots, Clock clock, byte[] hashKey) {
    if (max < 1 || max > 131_071) {
      throw new IllegalArgumentException("rate limit max must be 1 to 131071, was " + max);
    }
    if (slots < WAYS * 2) {
      throw new IllegalArgumentException("rate limiter slots must be at least " + WAYS * 2 + ", was " + slots);
    }
    if (hashKey.length != 24) {
      throw new IllegalArgumentException("rate limiter hash key must have 24 bytes, had " + hashKey.length);
    }
    this.max = max;
    this.windowMillis = window.toMillis();
    this.clock = clock;
    this.buckets = slots / WAYS;
    this.slots = new AtomicLongArray(buckets * WAYS);
    this.spill = new AtomicLongArray(Math.max(1, slots / 2));
    this.spillCap = (long) spill.length() * SPILL_TAG_SHIFT / 4;
    this.k0 = le64(hashKey, 0);
    this.k1 = le64(hashKey, 8);
    this.spillSalt = le64(hashKey, 16);
    // Counts never exceed max (a refused event is not counted), so they need only as many bits as max has.
    this.countBits = 64 - Long.numberOfLeadingZeros(max);
    this.countMask = (1L << countBits) - 1;
    int rest = 64 - 2 * countBits;
    int tagBits = Math.min(24, rest / 2);
    this.tagShift = 2 * countBits;
    this.tagMask = (1L << tagBits) - 1;
    this.fpShift = tagShift + tagBits;
    this.fpMask = (1L << (64 - fpShift)) - 1;
  }

  private static byte[] randomKey() {
    byte[] k = new byte[24];
    new SecureRandom().nextBytes(k);
    return k;
  }

  /**
   * Counts one event for the key, unless that would put the key over its limit.
   *
   * @return 0 if allowed (and counted), else the seconds until one more event would be allowed (for
   *     {@code Retry-After}), at least 1
   */
  long acquire(String key) {
    long h = SipHash.hash(k0, k1, key.getBytes(StandardCharsets.UTF_8));
    long fp = (h >>> fpShift) & fpMask;
    if (fp == 0) {
      fp = 1; // 0 marks a free entry
    }
    int base = (int) (((h & 0xffff_ffffL) * buckets) >>> 32) * WAYS;
    long now = clock.millis();
    long window = Math.floorDiv(now, windowMillis);
    long elapsed = now - window * windowMillis;
    long tag = window & tagMask;
    long fullWeight = (long) max * windowMillis;
    while (true) {
      int victim = -1;
      long victimEntry = 0;
      long victimWeight = Long.MAX_VALUE;
      int found = -1;
      long foundEntry = 0;
      for (int i = 0; i < WAYS; i++) {
        long e = slots.get(base + i);
        long age = e == 0 ? 2 : (tag - ((e >>> tagShift) & tagMask)) & tagMask;
        if (e != 0 && age <= 1 && (e >>> fpShift) == fp) {
          found = base + i;
          foundEntry = e;
          break;
        }
        // Weight: the entry's current estimate times the window; -1 for a free or stale entry.
        long weight = age > 1 ? -1 : weight(e, age, elapsed);
        if (weight < victimWeight) {
          victim = base + i;
          victimEntry = e;
          victimWeight = weight;
        }
      }
      if (found >= 0) {
        long e = foundEntry;
        long age = (tag - ((e >>> tagShift) & tagMask)) & tagMask;
        long cur = age == 0 ? e & countMask : 0;
        long prev = age == 0 ? (e >>> countBits) & countMask : e & countMask;
        if ((cur + 1) * windowMillis + prev * (windowMillis - elapsed) > fullWeight) {
          return retryAfter(cur, prev, elapsed);
        }
        long next = fp << fpShift | tag << tagShift | prev << countBits | (cur + 1);
        if (slots.compareAndSet(found, e, next)) {
          return 0;
        }
        continue;
      }
      if (spilled(base, fp, window)) {
        return retryAfter(max, 0, elapsed);
      }
      if (victimWeight + windowMillis > fullWeight) {
        // Every entry of the bucket is a key refused now: the one we push out stays refused through the filter.
        spill(base, victimEntry >>> fpShift, window);
      }
      long fresh = fp << fpShift | tag << tagShift | 1;
      if (slots.compareAndSet(victim, victimEntry, fresh)) {
        return 0;
      }
    }
  }

  private long weight(long e, long age, long elapsed) {
    long cur = e & countMask;
    if (age == 1) {
      return cur * (windowMillis - elapsed);
    }
    long prev = (e >>> countBits) & countMask;
    return cur * windowMillis + prev * (windowMillis - elapsed);
  }

  /** Seconds until {@code cur + 1 + prev * (left / window) <= max}, with no further events; at least 1. */
  private long retryAfter(long cur, long prev, long elapsed) {
    long waitMs;
    if (cur + 1 <= max) {
      // Later in this window, once the previous window's share has shrunk enough.
      long need = windowMillis - Math.floorDiv((max - cur - 1) * windowMillis, prev);
      waitMs = need - elapsed;
    } else {
      // In the next window, where this window's count is the previous one.
      long need = windowMillis - Math.floorDiv((max - 1) * windowMillis, cur);
      waitMs = windowMillis - elapsed + need;
    }
    return Math.max(1, (waitMs + 999) / 1000);
  }

  private boolean spilled(int base, long fp, long window) {
    long id = mix(fp + spillSalt) + base;
    long wtag = window & 0xffff;
    for (int i = 0; i < SPILL_PROBES; i++) {
      long x = mix(id + (i + 1) * 0x9E37_79B9_7F4A_7C15L);
      long w = spill.get(spillIndex(x));
      if ((w >>> SPILL_TAG_SHIFT) != wtag || (w & spillBit(x)) == 0) {
        return false;
      }
    }
    return true;
  }

  private void spill(int base, long fp, long window) {
    long id = mix(fp + spillSalt) + base;
    long wtag = window & 0xffff;
    long fill = spillFill.get();
    if ((fill >>> 32) == wtag && (fill & 0xffff_ffffL) >= spillCap) {
      return; // full: forget this refused key rather than refuse bystanders
    }
    int added = 0;
    for (int i = 0; i < SPILL_PROBES; i++) {
      long x = mix(id + (i + 1) * 0x9E37_79B9_7F4A_7C15L);
      int index = spillIndex(x);
      long bit = spillBit(x);
      while (true) {
        long w = spill.get(index);
        long next = (w >>> SPILL_TAG_SHIFT) == wtag ? w | bit : wtag << SPILL_TAG_SHIFT | bit;
        if (next == w) {
          break;
        }
        if (spill.compareAndSet(index, w, next)) {
          added++;
          break;
        }
      }
    }
    if (added > 0) {
      int a = added;
      spillFill.updateAndGet(f -> (f >>> 32) == wtag ? f + a : wtag << 32 | a);
    }
  }

  /** SplitMix64's finaliser: spreads the (already secret) entry identity over the filter. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return z ^ (z >>> 31);
  }

  private int spillIndex(long x) {
    return (int) (((x >>> 32) * spill.length()) >>> 32);
  }

  private static long spillBit(long x) {
    return 1L << ((x & 0xffff) % SPILL_TAG_SHIFT);
  }

  private static long le64(byte[] b, int off) {
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (b[off + i] & 0xff);
    }
    return v;
  }

  /** SipHash-2-4 (Aumasson and Bernstein, 2012), 64-bit output. */
  static final class SipHash {
    private SipHash() {}

    static long hash(long k0, long k1, byte[] m) {
      long v0 = 0x736f6d6570736575L ^ k0;
      long v1 = 0x646f72616e646f6dL ^ k1;
      long v2 = 0x6c7967656e657261L ^ k0;
      long v3 = 0x7465646279746573L ^ k1;
      int end = m.length - (m.length & 7);
      for (int off = 0; off < end; off += 8) {
        long mi = le64(m, off);
        v3 ^= mi;
        for (int r = 0; r < 2; r++) {
          v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
          v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
          v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
          v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= mi;
      }
      long last = (long) (m.length & 0xff) << 56;
      for (int i = m.length - 1; i >= end; i--) {
        last |= (long) (m[i] & 0xff) << (8 * (i - end));
      }
      v3 ^= last;
      for (int r = 0; r < 2; r++) {
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= last;
      v2 ^= 0xff;
      for (int r = 0; r < 4; r++) {
        v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
      }
      return v0 ^ v1 ^ v2 ^ v3;
    }
  }
}
