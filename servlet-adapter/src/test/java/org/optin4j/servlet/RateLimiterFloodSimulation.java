package org.optin4j.servlet;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Random;
import org.optin4j.testing.TestClock;

/**
 * A simulation, not a timed test: attackers and legitimate clients send requests to one {@link RateLimiter} within one
 * window, in a random order from a fixed seed, and it counts the legitimate requests refused (none of them is over its
 * limit) and the attackers' requests accepted beyond their limit. {@code RateLimiterTest} asserts the normal case;
 * {@link #main} prints the flood cases:
 *
 * <pre>
 * java -cp servlet-adapter/target/test-classes:servlet-adapter/target/classes \
 *     org.optin4j.servlet.RateLimiterFloodSimulation
 * </pre>
 */
final class RateLimiterFloodSimulation {
  static final int LIMIT = 30;

  /** What one run counted. */
  record Result(
      int slots,
      int prefill,
      int attackers,
      int perAttacker,
      int legit,
      int perLegit,
      boolean bursts,
      long legitRefused,
      long legitKeysRefused,
      long attackAccepted) {

    long attackExcess() {
      return attackAccepted - (long) attackers * Math.min(perAttacker, LIMIT);
    }

    @Override
    public String toString() {
      return String.format(
          Locale.ROOT,
          "slots %,d; %s%,d attacker keys x %d, %,d legit keys x %d, %s: legit requests "
              + "refused %,d of %,d (%.4f %%), legit keys refused at least once %,d (%.4f %%); attacker requests accepted "
              + "%,d, %,d over their limit",
          slots,
          prefill == 0 ? "" : String.format(Locale.ROOT, "after %,d one-request keys, ", prefill),
          attackers,
          perAttacker,
          legit,
          perLegit,
          bursts ? "each attacker's requests in one burst" : "all requests shuffled",
          legitRefused,
          (long) legit * perLegit,
          100.0 * legitRefused / ((long) legit * perLegit),
          legitKeysRefused,
          100.0 * legitKeysRefused / legit,
          attackAccepted,
          attackExcess());
    }
  }

  private RateLimiterFloodSimulation() {}

  /**
   * Keys {@code 0 .. attackers-1} are attackers (IPv4 keys), the rest legitimate (IPv6 /64 keys). With
   * {@code bursts}, each attacker sends all its requests back to back (legitimate requests fall between the bursts);
   * otherwise every request is shuffled with every other.
   */
  static Result run(
      int slots,
      int attackers,
      int perAttacker,
      int legit,
      int perLegit,
      boolean bursts,
      long seed) {
    return run(slots, 0, attackers, perAttacker, legit, perLegit, bursts, seed);
  }

  /**
   * As {@link #run(int, int, int, int, int, boolean, long)}, after {@code prefill} other keys sent one request each
   * (IPv4 keys in 10.64/10), spread over the window's first four minutes; the flood then comes at minute five.
   */
  static Result run(
      int slots,
      int prefill,
      int attackers,
      int perAttacker,
      int legit,
      int perLegit,
      boolean bursts,
      long seed) {
    Random random = new Random(seed);
    byte[] hashKey = new byte[24];
    random.nextBytes(hashKey);
    long start = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    TestClock clock = TestClock.at(Instant.ofEpochMilli(start));
    RateLimiter limiter = new RateLimiter(LIMIT, Duration.ofMinutes(10), slots, clock, hashKey);
    for (int k = 0; k < prefill; k++) {
      clock.set(Instant.ofEpochMilli(start + 240_000L * k / prefill));
      limiter.acquire(
          ClientAddress.limitKey(
              "10." + (64 + (k >>> 16 & 0x3f)) + '.' + (k >>> 8 & 0xff) + '.' + (k & 0xff)));
    }
    clock.set(Instant.ofEpochMilli(start + 300_000));
    int keys = attackers + legit;
    // Blocks of requests: an attacker's burst is one block of perAttacker; otherwise one block per
    // request.
    int blocks = bursts ? attackers + legit * perLegit : attackers * perAttacker + legit * perLegit;
    int[] owner = new int[blocks];
    int n = 0;
    for (int k = 0; k < attackers; k++) {
      for (int r = 0; r < (bursts ? 1 : perAttacker); r++) {
        owner[n++] = k;
      }
    }
    for (int k = attackers; k < keys; k++) {
      for (int r = 0; r < perLegit; r++) {
        owner[n++] = k;
      }
    }
    for (int i = blocks - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = owner[i];
      owner[i] = owner[j];
      owner[j] = t;
    }
    String[] names = new String[keys];
    for (int k = 0; k < keys; k++) {
      names[k] =
          k < attackers
              ? ClientAddress.limitKey(
                  "10." + (k >>> 16 & 0xff) + '.' + (k >>> 8 & 0xff) + '.' + (k & 0xff))
              : ClientAddress.limitKey(
                  String.format(Locale.ROOT, "2001:db8:%x:%x::1", k >>> 16, k & 0xffff));
    }
    boolean[] refusedOnce = new boolean[keys];
    long legitRefused = 0;
    long legitKeysRefused = 0;
    long attackAccepted = 0;
    for (int b = 0; b < blocks; b++) {
      int k = owner[b];
      int times = bursts && k < attackers ? perAttacker : 1;
      for (int t = 0; t < times; t++) {
        boolean ok = limiter.acquire(names[k]) == 0;
        if (k < attackers) {
          attackAccepted += ok ? 1 : 0;
        } else if (!ok) {
          legitRefused++;
          if (!refusedOnce[k]) {
            refusedOnce[k] = true;
            legitKeysRefused++;
          }
        }
      }
    }
    return new Result(
        slots,
        prefill,
        attackers,
        perAttacker,
        legit,
        perLegit,
        bursts,
        legitRefused,
        legitKeysRefused,
        attackAccepted);
  }

  public static void main(String[] args) {
    long seed = args.length > 0 ? Long.parseLong(args[0]) : 20_260_101L;
    System.out.println(run(65_536, 500, 1000, 10_000, 5, true, seed));
    System.out.println(run(65_536, 500, 1000, 10_000, 5, false, seed));
    // As in SignupFlood's last phase: the table 80 % full of keys from an earlier flood, and 90 %.
    for (int prefill : new int[] {52_000, 59_000}) {
      System.out.println(run(65_536, prefill, 500, 1000, 1000, 5, true, seed));
      System.out.println(run(65_536, prefill, 500, 1000, 1000, 5, false, seed));
    }
    for (int slots : new int[] {65_536, 1_048_576}) {
      for (int attackers : new int[] {100_000, 300_000, 1_000_000}) {
        for (boolean bursts : new boolean[] {true, false}) {
          System.out.println(run(slots, attackers, LIMIT + 1, 10_000, 5, bursts, seed));
        }
      }
    }
  }
}
