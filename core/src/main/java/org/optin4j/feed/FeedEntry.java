package org.optin4j.feed;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.Channel;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;

/**
 * One consent change in the {@link Feed}: one event of a subject's history (requested, confirmed, withdrawn, expired,
 * restricted, address changed, erased, ...), written in the same transaction as the change.
 *
 * <p>It names the subject by id and never carries the address, the evidence or the form: erasure removes those from
 * the history, and the feed must not keep what erasure removes (GDPR Art. 17). A consumer that needs the address looks
 * the subject up while it is on file.
 *
 * <p>Immutable and thread-safe.
 *
 * @param position the entry's place in the feed, assigned by the store in commit order; 0 before it is stored
 * @param subjectId whose consent
 * @param purpose the purpose concerned
 * @param type what happened
 * @param at when (UTC)
 * @param channel how the change reached us
 */
public record FeedEntry(
    long position,
    SubjectId subjectId,
    PurposeId purpose,
    ConsentEvent.Type type,
    Instant at,
    Channel channel) {

  /** Validates the components. */
  public FeedEntry {
    if (position < 0) {
      throw new IllegalArgumentException("a feed position is not negative, was " + position);
    }
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(channel, "channel");
  }

  /**
   * Returns the entry of a history event, not yet stored (position 0).
   *
   * @param event the event
   * @return the entry
   */
  public static FeedEntry of(ConsentEvent event) {
    return new FeedEntry(
        0, event.subjectId(), event.purpose(), event.type(), event.at(), event.channel());
  }

  /**
   * Returns this entry with the position the store assigned.
   *
   * @param assigned the position, above 0
   * @return the stored entry
   */
  public FeedEntry at(long assigned) {
    if (assigned <= 0) {
      throw new IllegalArgumentException("a stored entry's position is above 0, was " + assigned);
    }
    return new FeedEntry(assigned, subjectId, purpose, type, at, channel);
  }

  /**
   * Returns the cursor just after this entry.
   *
   * @return the cursor a reader carries on from
   */
  public FeedCursor cursor() {
    return new FeedCursor(position);
  }
}
