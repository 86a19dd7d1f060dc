package org.optin4j.lists;

import java.util.List;
import java.util.Map;
import org.optin4j.spi.ReportStore;

/**
 * Bounce and complaint handling (issue 15): takes a report as received, a delivery status notification (RFC 3464,
 * permanent {@code 5.x.x} or temporary {@code 4.x.x}, and the non-standard plain-text bounces some servers send) or an
 * abuse report (RFC 5965 ARF), finds the outbox mail it is about by the VERP address the mail was sent from (see
 * {@code OptIn.Builder#bounceAddress}), and acts: a permanent bounce marks the address undeliverable, temporary ones
 * are counted ({@link BounceSettings}), a complaint withdraws every purpose (an objection, GDPR Art. 21) with the
 * report as evidence. A report that cannot be read or whose VERP tag does not verify is set aside with the reason,
 * never dropped and never an exception. See {@code docs/bounces.md}. Obtained from {@code OptIn#bounces()};
 * thread-safe.
 */
public interface Bounces {

  /**
   * Handles one report.
   *
   * @param message the raw RFC 5322 message as received (at most a few MB are read)
   * @return what it did
   * @throws org.optin4j.StoreException if the store fails (the report should be kept and tried again)
   */
  ReportOutcome report(byte[] message);

  /**
   * Handles one Amazon SNS message carrying an Amazon SES bounce or complaint notification, as POSTed to your endpoint:
   * the topic must be accepted and the signature must verify (SignatureVersion 1 or 2, the signing certificate from
   * {@code https://sns.<region>.amazonaws.com/...pem}), else it is {@link ReportOutcome.Refused} and nothing is kept.
   * The notification is then handled like a mail report, matched by its {@code mail.source} (the VERP envelope
   * sender). A subscription confirmation is verified and answered {@link ReportOutcome.NothingToDo}: confirm the
   * subscription yourself (console, or its {@code SubscribeURL}).
   *
   * @param body the HTTP request body (JSON)
   * @param settings the accepted topics and the certificate source
   * @return what it did
   */
  ReportOutcome sns(String body, SnsSettings settings);

  /**
   * Handles one report in the generic JSON shape (see {@code docs/bounces.md}, "Generic JSON": {@code type} bounce or
   * complaint, {@code returnPath} the VERP address of the mail, {@code permanent}, {@code status}, {@code diagnostic},
   * {@code feedbackType}, {@code time}), posted by any relay that holds the shared secret and signs as Standard
   * Webhooks does ({@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature}: HMAC-SHA256 of {@code
   * id.timestamp.body}). A message whose signature does not verify or whose timestamp is more than the verifier's
   * tolerance away is {@link ReportOutcome.Refused} and nothing is kept or changed; a verified body that is not of the
   * shape is {@link ReportOutcome.SetAside}; the rest is handled like a mail report, matched by its verified VERP tag.
   *
   * @param body the request body as received (UTF-8), verified before it is parsed
   * @param headers the request's headers by name (any case); only the three signature headers are read
   * @param verifier the shared secrets (during a rotation, new and old) and the clock
   * @return what it did
   * @throws org.optin4j.StoreException if the store fails (the relay should retry)
   */
  ReportOutcome relayed(
      String body, Map<String, String> headers, org.optin4j.feed.WebhookVerifier verifier);

  /**
   * Returns the reports set aside, newest first, for the operator.
   *
   * @param limit at most this many (1 to 1000)
   * @return the reports
   */
  List<ReportStore.AsideReport> setAside(int limit);

  /**
   * Deletes reports set aside past their retention and temporary bounces past the counting window.
   *
   * @return how many rows were deleted
   */
  int purge();
}
