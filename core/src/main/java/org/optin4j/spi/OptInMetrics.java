package org.optin4j.spi;

import java.time.Duration;
import java.util.Set;
import org.optin4j.Channel;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;

/**
 * Told what optin4j did, for metrics (Micrometer, Prometheus, OpenTelemetry, ...); set it with {@code
 * OptIn.Builder.metrics}. Every method has a no-op default, so an implementation overrides only what it records;
 * {@link #NONE} records nothing and is the default.
 *
 * <p>Calls come after the store committed the unit of work they report (a signup rolled back is not counted; inside
 * an application's own transaction, "committed" means the store's unit returned), on the thread that did the work:
 * a request thread, or the library's dispatcher and retention threads. Implementations must be thread-safe and fast
 * (no I/O: increment a counter). One that throws does not break the flow it reports: the failure is logged once and
 * the call is dropped.
 *
 * <p>Arguments carry no personal data, and meters made of them must not either: purposes, channels, mail kinds and
 * outcomes are bounded sets and fit as tags; never tag with an address or a subject id (a {@link RequestResult}
 * carries the subject id).
 */
public interface OptInMetrics {

  /** Records nothing; the default. */
  OptInMetrics NONE = new OptInMetrics() {};

  /** {@link #purged} result: unconfirmed requests whose link ran out, now expired. */
  String PURGE_EXPIRED_REQUESTS = "expired-requests";

  /** {@link #purged} result: confirmed consents whose fixed retention period ran out, now expired. */
  String PURGE_EXPIRED_CONSENTS = "expired-consents";

  /** {@link #purged} result: subjects deleted because nothing needs their data any more. */
  String PURGE_SUBJECTS = "purged-subjects";

  /** {@link #purged} result: used-token records deleted. */
  String PURGE_TOKENS = "deleted-tokens";

  /** {@link #purged} result: finished outbox mails deleted. */
  String PURGE_MAILS = "deleted-mails";

  /**
   * A signup ({@code OptIn.request}) ended, whatever its outcome: once per call that returned. Map the outcome to a
   * tag by its type ({@link RequestResult.Accepted}, {@link RequestResult.Throttled}, ...), never by its content.
   *
   * @param outcome what the signup answered
   */
  default void signup(RequestResult outcome) {}

  /**
   * Purposes were confirmed: through a confirmation link, or at once at signup for purposes without double opt-in.
   * Once per confirmation, with all the purposes it confirmed.
   *
   * @param purposes the purposes confirmed, at least one
   * @param channel how ({@link Channel#CONFIRMATION_LINK} or {@link Channel#FORM})
   */
  default void confirmed(Set<PurposeId> purposes, Channel channel) {}

  /**
   * Purposes offered in a confirmation link were declined (unticked, or the whole request declined). Once per
   * confirmation or decline that declined any.
   *
   * @param purposes the purposes declined, at least one
   */
  default void declined(Set<PurposeId> purposes) {}

  /**
   * Consents were withdrawn (GDPR Art. 7(3)), through any channel, an unsubscribe included. Once per withdrawal that
   * withdrew any.
   *
   * @param purposes the purposes withdrawn, at least one
   * @param channel how the withdrawal reached the app
   */
  default void withdrawn(Set<PurposeId> purposes, Channel channel) {}

  /**
   * An unsubscribe link or one-click unsubscribe (RFC 8058) was honoured; once per valid unsubscribe, also when the
   * subject had nothing left to withdraw. The consents it withdrew are reported to {@link #withdrawn} as well.
   *
   * @param channel {@link Channel#ONE_CLICK_UNSUBSCRIBE} or the page the button was on
   */
  default void unsubscribed(Channel channel) {}

  /**
   * A subject was erased (GDPR Art. 17).
   *
   * @param channel how the erasure reached the app
   */
  default void erased(Channel channel) {}

  /**
   * A mail was queued in the outbox.
   *
   * @param kind what mail
   */
  default void mailQueued(MailKind kind) {}

  /**
   * The mail server accepted a mail.
   *
   * @param kind what mail
   * @param latency from queueing to acceptance, retries included: how long the recipient waited
   */
  default void mailSent(MailKind kind, Duration latency) {}

  /**
   * A mail failed: for now (it is retried with backoff) or for good (it is marked failed: a permanent refusal, the
   * last attempt, or a mail that could not be rendered).
   *
   * @param kind what mail
   * @param permanent whether for good
   */
  default void mailFailed(MailKind kind, boolean permanent) {}

  /**
   * A retention run ({@code Operations.purge()} or the scheduled job) ended: once per run and result, also with a
   * count of zero.
   *
   * @param result one of {@link #PURGE_EXPIRED_REQUESTS}, {@link #PURGE_EXPIRED_CONSENTS}, {@link #PURGE_SUBJECTS},
   *     {@link #PURGE_TOKENS}, {@link #PURGE_MAILS}
   * @param count how many, 0 or more
   */
  default void purged(String result, int count) {}
}
