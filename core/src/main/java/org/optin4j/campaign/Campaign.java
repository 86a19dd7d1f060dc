package org.optin4j.campaign;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.PurposeId;

/**
 * One mailing of the app's own content for one purpose (a newsletter issue), as stored with its outbox mails: the
 * rendered content lives here once, not once per recipient. Sent through {@link Campaigns#send} or
 * {@link Campaigns#sendToAllConfirmed}; each recipient's mail checks the consent again when it goes out.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the campaign id (random, opaque)
 * @param purpose the purpose the mail is sent for
 * @param subject the subject line
 * @param text the plain-text body
 * @param html the HTML body, or {@code null} for one derived from the text
 * @param createdAt when it was queued
 */
public record Campaign(
    String id, PurposeId purpose, String subject, String text, String html, Instant createdAt) {
  /** Validates the components. */
  public Campaign {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(subject, "subject");
    if (subject.isBlank()
        || subject.length() > 200
        || subject.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("the subject is one line of 1 to 200 characters");
    }
    Objects.requireNonNull(text, "text");
    if (text.isBlank()) {
      throw new IllegalArgumentException("the text must not be blank");
    }
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
