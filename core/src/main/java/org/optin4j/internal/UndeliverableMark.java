package org.optin4j.internal;

import java.time.Instant;
import java.util.List;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.Subject;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OutboxMail;

/**
 * The one rule for addresses that cannot receive mail, shared by imports (a source's "cleaned" addresses) and bounce
 * handling: a consent marked undeliverable is {@link ConsentState#EXPIRED} with an {@link ConsentEvent.Type#UNDELIVERABLE}
 * event as its purpose's last event, so {@code mayMail} says no; only a new request the person confirms (which moves
 * the consent on to {@code PENDING} and {@code CONFIRMED}) lifts it. A mark never overrides a request or confirmation
 * made after it. Stateless and thread-safe.
 */
final class UndeliverableMark {
  private UndeliverableMark() {}

  /**
   * Tells whether a consent carries the mark: ended, and its purpose's last event in the history is the mark.
   *
   * @param c the consent
   * @param history the subject's events, oldest first
   * @return whether the consent is marked undeliverable
   */
  static boolean isMarked(Consent c, List<ConsentEvent> history) {
    if (c.state() != ConsentState.EXPIRED) {
      return false;
    }
    for (int i = history.size() - 1; i >= 0; i--) {
      ConsentEvent e = history.get(i);
      if (e.purpose().equals(c.purpose())) {
        return e.type() == ConsentEvent.Type.UNDELIVERABLE;
      }
    }
    return false;
  }

  /**
   * Tells whether a mark at {@code at} applies to a consent: it is pending or confirmed and was neither requested nor
   * confirmed after {@code at}, or it expired for another reason (the mark is then recorded so it outlives the
   * lapse).
   *
   * @param c the consent
   * @param at when the address was found undeliverable
   * @return whether {@link #mark} would change it
   */
  static boolean applies(Consent c, Instant at) {
    return switch (c.state()) {
      case PENDING -> !c.requestedAt().isAfter(at);
      case CONFIRMED -> !c.confirmedAt().isAfter(at) && !c.requestedAt().isAfter(at);
      case EXPIRED -> true;
      default -> false;
    };
  }

  /**
   * Marks one consent undeliverable under the subject's history lock, which the caller holds: ends it (expired at
   * {@code at}) unless it ended already, and appends the mark to the history.
   *
   * @param tx the unit of work
   * @param c the consent, for which {@link #applies} said yes
   * @param at when the address was found undeliverable
   * @param channel how the news reached the library ({@link Channel#IMPORT}, {@link Channel#SYSTEM} for a bounce)
   * @param source what found it (the import file, the bounce's reply), or {@code null}
   */
  static void mark(
      ConsentStore.Transaction tx, Consent c, Instant at, Channel channel, String source) {
    Consent ended = c.state() == ConsentState.EXPIRED ? c : c.expire(at);
    if (ended != c) {
      tx.subjects().saveConsent(ended);
    }
    HistoryChain.append(
        tx,
        new ConsentEvent(
            0,
            c.subjectId(),
            c.purpose(),
            ConsentEvent.Type.UNDELIVERABLE,
            at,
            c.requestId(),
            c.notice(),
            source,
            channel,
            Evidence.NONE,
            null));
  }

  /**
   * Marks the address an outbox mail went to undeliverable (an SMTP permanent failure, a permanent bounce report),
   * under the subject's history lock, which the caller holds: every consent of the subject to which the mark
   * {@link #applies} as of when the mail was sent. Nothing happens if the subject has moved to another address since
   * (the mark belongs to the address the mail went to).
   *
   * @param tx the unit of work
   * @param mail the mail that could not be delivered
   * @param now when the failure became known (the mark's time)
   * @param channel how the news reached the library
   * @param source what found it (the reply, the report), or {@code null}
   * @return how many consents were marked
   */
  static int markMail(
      ConsentStore.Transaction tx, OutboxMail mail, Instant now, Channel channel, String source) {
    java.util.Optional<Subject> subject = tx.subjects().subject(mail.subjectId());
    if (subject.isEmpty() || !subject.get().email().equals(mail.recipient())) {
      return 0;
    }
    Instant sent = mail.sentAt() != null ? mail.sentAt() : now;
    List<ConsentEvent> history = tx.history().events(mail.subjectId());
    int marked = 0;
    for (Consent c : tx.subjects().consents(mail.subjectId())) {
      if (applies(c, sent) && !isMarked(c, history)) {
        mark(tx, c, now, channel, source);
        marked++;
      }
    }
    return marked;
  }
}
