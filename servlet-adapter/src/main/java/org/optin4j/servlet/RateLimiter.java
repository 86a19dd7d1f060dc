package org.optin4j.servlet;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A rate limiter in fixed memory that counts each key exactly while the keys active in the last two windows fit in
 * its table, and that errs toward admitting, never toward refusing bystanders, when they do not.
 *
 * <p><b>Counting.</b> A key is hashed with SipHash-2-4 under a 128-bit key drawn from {@link SecureRandom} when the
 * limiter is made, so nobody can choose keys that land on someone else's entry. Disjoint bits of the hash give the
 * key a first bucket of {@value #WAYS} entries in {@link #slots} (the low 32 bits) and a fingerprint (the top bits);
 * the fingerprint gives the distance to its second bucket, 1 to {@code buckets - 1}, so the two buckets are never the
 * same. The entry holding the fingerprint, with a bit for which of the two buckets it is in, is the key's; it counts
 * the key's events in the current and the previous fixed window and records in which eighth of the window the key
 * was last counted. An event is allowed if {@code current + previous * (time left in the current window / window) +
 * 1 <= max}: the usual two-window approximation of a sliding window, so that a client cannot spend its whole
 * allowance at the end of one window and again at the start of the next (a fixed window allows {@code 2 * max} within
 * moments). Over any span of one window a key still gets at most about {@code 2 * max}, but never in a burst: right
 * after a boundary, a key that used its whole allowance gets one more event per {@code window / max}. Two keys share
 * an entry only if they share the first bucket and the fingerprint (for 65,536 slots and a limit of 30, 42 bits of
 * hash: about one pair in 4 &times; 10<sup>12</sup>).
 *
 * <p><b>When both buckets are full.</b> A key in neither bucket takes a free entry, or one unused for two windows, in
 * the bucket with fewer keys (choosing the emptier of two buckets keeps them far more even than one bucket per key
 * does). If neither has one, it evicts, of the 2 &times; {@value #WAYS} entries of both, the one with the smallest
 * current estimate, and of equal estimates the one counted longest ago: a key that came once, earlier, goes before one
 * that is counting up now. Of entries equal in both, it picks one afresh on each request (from the key's hash and the
 * time), so that two keys cannot go on taking one entry from each other, each counted afresh every time (with a fixed
 * choice, two keys sending 100 each into a full table of 16 slots were all admitted; now at most 62 over 200 hash
 * keys). Until the first pair of buckets is full no key is forgotten and every key is counted exactly: with distinct
 * keys sent once each into 65,536 slots that happened at 71 % to 78 % full (8 hash keys); at 80 % full 6 to 13 keys had
 * been forgotten, at 85 % 80 to 110, at 90 % about 400 (0.7 %), at 95 % about 1,250; a larger table overflows somewhat
 * earlier (1,048,576 slots: first at 65 % to 71 %, about 140 forgotten at 80 %). The keys forgotten are the least
 * counted and stalest ones, so a key that keeps sending is kept while its buckets hold such entries: in {@code
 * RateLimiterTest} and {@code RateLimiterFloodSimulation}, 500 keys sending 31 or 1,000 each after 58,000 or 59,000
 * one-request keys (90 % full) got exactly their limit, the one-request keys having come in earlier eighths of the
 * window; had they all come in the same eighth as those keys (a clock standing still, 57,000 or 59,000 of them, 8 hash
 * keys), 0 to 2 of the 500 got one more than their limit. An evicted entry below the limit is simply forgotten: that
 * key is counted afresh when it returns (it can get up to what it had been counted more than its limit, each time it is
 * forgotten; it is never refused for it). An evicted entry at its limit is recorded in {@link #spill}, a Bloom filter
 * of refused keys for the current window ({@value #SPILL_PROBES} bits per key), and such a key stays refused until the
 * window ends. So a bystander is refused only when its first bucket and fingerprint match a refused key's, or when the
 * Bloom filter answers a false positive, which needs far more refused keys in one window than the table has slots. The
 * filter takes no more keys once a quarter of its bits are set, so its false positives stay under about 0.4 % however
 * large the flood; past that point refused keys pushed out of the table are forgotten, and get a fresh allowance if
 * they return in the same window. In {@code RateLimiterFloodSimulation}, with 65,536 slots and a limit of 30, 100,000
 * keys sending 31 each refused none of 10,000 bystanders, and 1,000,000 keys refused 0.35 % of them (0.30 % of their
 * requests); such floods, far beyond the table, get the keys forgotten below their limit up to about 3 % more than
 * their limits in all (1,000,000 keys sending 31 in random order: 967,282 over 30,000,000). Keys evicted below their
 * limit, and refused keys after their window, lose their carry-over into the next window.
 *
 * <p><b>Memory</b> is fixed when the limiter is made and independent of its input: {@code slots} longs for the
 * entries plus {@code slots / 2} longs for the Bloom filter, 12 bytes per slot. Nothing is ever allocated per key
 * but the key's UTF-8 bytes while hashing.
 *
 * <p><b>Window numbers</b> are kept modulo 2<sup>tag bits</sup> (2<sup>21</sup> windows for a limit up to 511,
 * 2<sup>13</sup> for the largest limits) in the entries and modulo 2<sup>16</sup> in the Bloom filter: an entry or
 * filter word left untouched for exactly a multiple of that many windows reads as current again. The fingerprint
 * gets the bits that counts and window number leave: 29 for the default limit of 30, 20 for a limit of 512 to
 * 1,023, 13 for the largest limits (where keys sharing a first bucket share an entry about once in 8,000 pairs).
 *
 * <p>Lock-free and thread-safe: every change is one compare-and-set of one {@code long}. Two requests of a new key
 * racing can, rarely, leave it in two entries, each counting part of its events.
 */
final class RateLimiter {
  /** Entries per bucket. */
  static final int WAYS = 8;

  /** The highest limit a limiter counts (its counts share a {@code long} with the fingerprint and window). */
  static final int MAX_LIMIT = 131_071;

  /** Bits set per refused key in the Bloom filter. */
  static final int SPILL_PROBES = 4;

  private static final int SPILL_TAG_SHIFT = 48;

  /** An entry records in which eighth of the window it was last counted, to evict the stalest of equal entries. */
  private static final int SLICE_BITS = 3;

  private static final int SLICES = 1 << SLICE_BITS;

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
  private final int sliceShift;
  private final int tagShift;
  private final long tagMask;
  private final int fpShift;
  private final int fpBits;

  RateLimiter(int max, Duration window, int slots, Clock clock) {
    this(max, window, slots, clock, randomKey());
  }

  /** With a given 24-byte hash key (tests and simulations only: a known key lets anyone aim collisions). */
  RateLimiter(int max, Duration window, int slots, Clock clock, byte[] hashKey) {
    if (max < 1 || max > MAX_LIMIT) {
      throw new IllegalArgumentException(
          "rate limit max must be 1 to " + MAX_LIMIT + ", was " + max);
    }
    if (slots < WAYS * 2) {
      throw new IllegalArgumentException(
          "rate limiter slots must be at least " + WAYS * 2 + ", was " + slots);
    }
    if (hashKey.length != 24) {
      throw new IllegalArgumentException(
          "rate limiter hash key must have 24 bytes, had " + hashKey.length);
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
    // Counts never exceed max (a refused event is not counted), so they need only as many bits as
    // max has.
    this.countBits = 64 - Long.numberOfLeadingZeros(max);
    this.countMask = (1L << countBits) - 1;
    int rest = 64 - 2 * countBits;
    int tagBits = Math.min(21, (rest - SLICE_BITS) / 2);
    this.sliceShift = 2 * countBits;
    this.tagShift = sliceShift + SLICE_BITS;
    this.tagMask = (1L << tagBits) - 1;
    this.fpShift = tagShift + tagBits;
    // The entry's top field is the fingerprint and one bit for the side (which of the key's two
    // buckets it is in).
    this.fpBits = 64 - fpShift - 1;
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
    // Disjoint bits of the hash: the low 32 pick the first bucket, the top fpBits the fingerprint,
    // and the
    // fingerprint picks the second bucket's distance from the first (1 to buckets - 1, so the two
    // never coincide
    // and an entry's bucket, fingerprint and side name its key's first bucket: see firstBucket).
    long fp = h >>> (64 - fpBits);
    if (fp == 0) {
      fp = 1; // 0 marks a free entry
    }
    int first = (int) (((h & 0xffff_ffffL) * buckets) >>> 32);
    int second = first + offset(fp);
    if (second >= buckets) {
      second -= buckets;
    }
    long now = clock.millis();
    long window = Math.floorDiv(now, windowMillis);
    long elapsed = now - window * windowMillis;
    long tag = window & tagMask;
    long slice = elapsed * SLICES / windowMillis;
    long fullWeight = (long) max * windowMillis;
    int start = (int) (mix(h + now) >>> 60);
    while (true) {
      int found = -1;
      long foundEntry = 0;
      // Per bucket: entries in use, and the first free or stale entry.
      int used0 = 0;
      int used1 = 0;
      int free0 = -1;
      int free1 = -1;
      // The live entry with the smallest current estimate in either bucket.
      int victim = -1;
      long victimEntry = 0;
      long victimWeight = Long.MAX_VALUE;
      long victimIdle = -1;
      int victimRank = 0;
      for (int side = 0; side < 2 && found < 0; side++) {
        int base = (side == 0 ? first : second) * WAYS;
        long id = fp << 1 | side;
        for (int i = 0; i < WAYS; i++) {
          long e = slots.get(base + i);
          long age = e == 0 ? 2 : (tag - ((e >>> tagShift) & tagMask)) & tagMask;
          if (age > 1) {
            if (side == 0 && free0 < 0) {
              free0 = base + i;
            } else if (side == 1 && free1 < 0) {
              free1 = base + i;
            }
            continue;
          }
          if ((e >>> fpShift) == id) {
            found = base + i;
            foundEntry = e;
            break;
          }
          if (side == 0) {
            used0++;
          } else {
            used1++;
          }
          // Of equal estimates, the one counted longest ago (in eighths of a window) goes: a key
          // that has just been
          // counted is more likely to come back than one that came once, earlier.
          // Of entries equal in both, one chosen afresh per request (from the key's hash and the
          // time): were it always
          // the first, two keys could take that entry from each other in turn, each counted afresh
          // every time.
          long weight = weight(e, age, elapsed);
          long idle = age * SLICES + slice - ((e >>> sliceShift) & (SLICES - 1));
          int rank = (side * WAYS + i - start) & (2 * WAYS - 1);
          if (weight < victimWeight
              || (weight == victimWeight
                  && (idle > victimIdle || (idle == victimIdle && rank < victimRank)))) {
            victim = base + i;
            victimEntry = e;
            victimWeight = weight;
            victimIdle = idle;
            victimRank = rank;
          }
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
        long next =
            (e >>> fpShift) << fpShift
                | tag << tagShift
                | slice << sliceShift
                | prev << countBits
                | (cur + 1);
        if (slots.compareAndSet(found, e, next)) {
          return 0;
        }
        continue;
      }
      if (spilled(first, fp, window)) {
        return retryAfter(max, 0, elapsed);
      }
      // A free or stale entry in the less loaded bucket (the first on a tie), else in the other;
      // else evict.
      int target = used1 < used0 ? (free1 >= 0 ? free1 : free0) : (free0 >= 0 ? free0 : free1);
      long targetEntry;
      if (target >= 0) {
        targetEntry = slots.get(target);
        long age = targetEntry == 0 ? 2 : (tag - ((targetEntry >>> tagShift) & tagMask)) & tagMask;
        if (age <= 1) {
          continue; // taken meanwhile
        }
      } else {
        target = victim;
        targetEntry = victimEntry;
        if (victimWeight + windowMillis > fullWeight) {
          // Every entry of both buckets is a key refused now: the one we push out stays refused
          // through the filter.
          long vid = victimEntry >>> fpShift;
          spill(firstBucket(victim / WAYS, vid >>> 1, (int) (vid & 1)), vid >>> 1, window);
        }
      }
      long side = target / WAYS == first ? 0 : 1;
      long fresh = (fp << 1 | side) << fpShift | tag << tagShift | slice << sliceShift | 1;
      if (slots.compareAndSet(target, targetEntry, fresh)) {
        return 0;
      }
    }
  }

  /** The distance from a key's first bucket to its second, from its fingerprint: 1 to {@code buckets - 1}. */
  private int offset(long fp) {
    return 1 + (int) ((fp * (buckets - 1)) >>> fpBits);
  }

  /** The first bucket of the key whose entry sits in {@code bucket} with this fingerprint, on this side (0 or 1). */
  private int firstBucket(int bucket, long fp, int side) {
    if (side == 0) {
      return bucket;
    }
    int b = bucket - offset(fp);
    return b < 0 ? b + buckets : b;
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

  private boolean spilled(int bucket, long fp, long window) {
    long id = mix(fp + spillSalt) + bucket;
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

  private void spill(int bucket, long fp, long window) {
    long id = mix(fp + spillSalt) + bucket;
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
      long last = (long) (m.length & 0xff) << 56;
      for (int i = m.length - 1; i >= end; i--) {
        last |= (long) (m[i] & 0xff) << (8 * (i - end));
      }
      // One pass per 8-byte word, then one for the last word (length and tail), then finalisation:
      // the same round,
      // written once, 2 times per word (c = 2) and 4 times to finish (d = 4).
      for (int off = 0; off <= end + 8; off += 8) {
        boolean finish = off > end;
        long mi = finish ? 0 : off < end ? le64(m, off) : last;
        if (finish) {
          v2 ^= 0xff;
        } else {
          v3 ^= mi;
        }
        for (int r = finish ? 4 : 2; r > 0; r--) {
          v0 += v1;
          v1 = Long.rotateLeft(v1, 13);
          v1 ^= v0;
          v0 = Long.rotateLeft(v0, 32);
          v2 += v3;
          v3 = Long.rotateLeft(v3, 16);
          v3 ^= v2;
          v0 += v3;
          v3 = Long.rotateLeft(v3, 21);
          v3 ^= v0;
          v2 += v1;
          v1 = Long.rotateLeft(v1, 17);
          v1 ^= v2;
          v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= mi;
      }
      return v0 ^ v1 ^ v2 ^ v3;
    }
  }
}
