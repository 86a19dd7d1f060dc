package org.optin4j.internal;

import java.time.Instant;
import java.util.List;
import org.optin4j.PurposeId;
import org.optin4j.Retention;
import org.optin4j.proof.ConsentEvent;

/**
 * Replays a subject's history to answer "was consent for this purpose valid at that instant?" (GDPR Art. 7(1): the
 * controller must be able to show that consent was given when processing happened). Stateless and thread-safe.
 */
public final class ConsentTimeline {
  private ConsentTimeline() {}

  /**
   * Tells whether consent for a purpose was valid at an instant: the last of the purpose's events at or before it
   * left the consent confirmed and unrestricted (a confirmation, or the lifting of a restriction after one), and a
   * fixed retention period counted from that confirmation had not run out.
   *
   * @param events the subject's history, oldest first
   * @param purpose the purpose
   * @param retention the purpose's retention, or {@code null} if it is no longer in the catalog
   * @param at the instant; an event at exactly this instant counts as having happened
   * @return whether consent was valid then
   */
  public static boolean validAt(
      List<ConsentEvent> events, PurposeId purpose, Retention retention, Instant at) {
    boolean confirmed = false;
    boolean restricted = false;
    Instant confirmedAt = null;
    for (ConsentEvent e : events) {
      if (!e.purpose().equals(purpose) || e.at().isAfter(at)) {
        continue;
      }
      switch (e.type()) {
        case CONFIRMED -> {
          confirmed = true;
          restricted = false;
          confirmedAt = e.at();
        }
        case REQUESTED -> {
          // A new request of a confirmed purpose (a re-confirmation) leaves the confirmed consent
          // in force.
          if (!confirmed) {
            restricted = false;
          }
        }
        case WITHDRAWN, EXPIRED, ERASED, UNDELIVERABLE -> {
          confirmed = false;
          restricted = false;
        }
        case RESTRICTED -> restricted = true;
        case RESTRICTION_LIFTED -> restricted = false;
        case ADDRESS_CHANGED -> {
          // the consent moves with the subject; validity is unchanged
        }
        default -> throw new IllegalStateException("unknown event type " + e.type());
      }
    }
    if (!confirmed || restricted) {
      return false;
    }
    if (retention instanceof Retention.Fixed f) {
      return at.isBefore(confirmedAt.plus(f.period()));
    }
    return true;
  }
}
