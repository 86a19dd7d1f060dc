package org.optin4j.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.spi.CapKeyStrategy;
import org.optin4j.spi.ConsentStore;

/**
 * The one cap on confirmation mails: every mail to an address that has not confirmed it (a signup's confirmation, a
 * resend, a new address's confirmation, a re-confirmation, a step-up) asks {@link #slotFor} first and is enqueued
 * with the dedupe key it gets. At most {@code perDay} such mails per inbox and UTC day, and at least
 * {@code minInterval} between two; the inbox is named by the {@link CapKeyStrategy}, so {@code victim+1@gmail.com}
 * and {@code v.i.c.t.i.m@gmail.com} share one cap (security: the cap protects the people whose address others type
 * into a signup form, OWASP Forgot Password cheat sheet, "rate limit").
 *
 * <p>The cap is counted in the store, not in memory: slot {@code n} of an inbox on a day is the outbox dedupe key
 * {@code confirmation:<hash of the cap key>:<day>:<n>}. Slots are taken in order, each found by an exact lookup of its
 * unique key; two nodes that pick the same free slot at once cannot both enqueue (the loser's {@code enqueue}
 * answers {@code false}, {@link ServiceCore#enqueueOrThrottle} rolls its unit back, and it answers "throttled"). So
 * the cap holds across restarts and nodes, and costs one indexed lookup per signup of a new inbox.
 *
 * <p>Immutable and thread-safe.
 */
public final class ConfirmationMailCap {
  /** The highest daily cap the builder accepts; also how far {@link #slotFor} looks for taken slots. */
  public static final int MAX_PER_DAY = 20;

  private static final long DAY_SECONDS = 86_400;

  private final int perDay;
  private final Duration minInterval;
  private final CapKeyStrategy keys;

  public ConfirmationMailCap(int perDay, Duration minInterval, CapKeyStrategy keys) {
    if (perDay < 1 || perDay > MAX_PER_DAY) {
      throw new IllegalArgumentException(
          "confirmation mails per day must be 1 to " + MAX_PER_DAY + ", was " + perDay);
    }
    this.perDay = perDay;
    this.minInterval = Objects.requireNonNull(minInterval, "minInterval");
    this.keys = Objects.requireNonNull(keys, "capKeyStrategy");
  }

  /** The outcome of asking for a slot: a dedupe key to enqueue the mail with, or when to ask again. */
  public sealed interface Slot {
    /**
     * Returns the dedupe key to enqueue the mail with; only a {@link Free} slot has one (callers answer
     * {@link Full} first).
     *
     * @return the slot's dedupe key
     * @throws IllegalStateException for a full cap
     */
    String dedupeKey();

    /**
     * A slot is free: enqueue the mail with this dedupe key (through {@link ServiceCore#enqueueOrThrottle}, which
     * turns a concurrent taker into "throttled").
     *
     * @param dedupeKey the slot's dedupe key
     */
    public record Free(String dedupeKey) implements Slot {}

    /**
     * The inbox has had its mails for today, or its last one too recently.
     *
     * @param retryAfter the earliest instant a request may succeed
     */
    public record Full(Instant retryAfter) implements Slot {
      @Override
      public String dedupeKey() {
        throw new IllegalStateException(
            "the confirmation-mail cap is full until " + retryAfter + ": no slot");
      }
    }
  }

  /**
   * Finds the next free slot of the inbox an address delivers to, without taking it (the mail's enqueue takes it).
   *
   * @param tx the unit of work that will enqueue the mail
   * @param to the address the confirmation mail goes to
   * @param now the current instant
   * @return a free slot, or when the cap allows the next mail
   */
  public Slot slotFor(ConsentStore.Transaction tx, EmailAddress to, Instant now) {
    String key = keys.capKey(to);
    if (key == null || key.isEmpty()) {
      throw new IllegalStateException(
          "the CapKeyStrategy " + keys.getClass().getName() + " gave no cap key for an address");
    }
    String inbox = "confirmation:" + Notice.sha256(key).substring(0, 32) + ':';
    long day = Math.floorDiv(now.getEpochSecond(), DAY_SECONDS);
    Instant dayStart = Instant.ofEpochSecond(day * DAY_SECONDS);
    Taken today = taken(tx, inbox, day);
    if (today.count() >= perDay) {
      return new Slot.Full(dayStart.plusSeconds(DAY_SECONDS));
    }
    if (!minInterval.isZero()) {
      Instant last = today.last();
      if (last == null && now.minus(minInterval).isBefore(dayStart)) {
        // No mail today, and the interval reaches back into yesterday: yesterday's last mail counts
        // too.
        last = taken(tx, inbox, day - 1).last();
      }
      if (last != null && now.isBefore(last.plus(minInterval))) {
        return new Slot.Full(last.plus(minInterval));
      }
    }
    return new Slot.Free(inbox + day + ':' + (today.count() + 1));
  }

  /** When a request that lost a slot to a concurrent one may try again. */
  public Instant retryAfterRace(Instant now) {
    return now.plus(minInterval);
  }

  /** The slots of a day taken so far, in order up to the first free one, and when the latest was taken. */
  private record Taken(int count, Instant last) {}

  private static Taken taken(ConsentStore.Transaction tx, String inbox, long day) {
    int count = 0;
    Instant last = null;
    for (int slot = 1; slot <= MAX_PER_DAY; slot++) {
      Optional<Instant> at = tx.outbox().mailQueuedAt(inbox + day + ':' + slot);
      if (at.isEmpty()) {
        break;
      }
      count = slot;
      last = later(last, at.get());
    }
    return new Taken(count, last);
  }

  private static Instant later(Instant a, Instant b) {
    return a == null || b.isAfter(a) ? b : a;
  }
}
