package org.optin4j.rights;

import java.util.Locale;
import java.util.Optional;
import org.optin4j.Channel;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentReceipt;
import org.optin4j.proof.ConsentReceipts;

/**
 * The data subject's rights (GDPR Art. 15-21) run on the subject's behalf: access and portability through a
 * machine-readable export (Art. 15, 20), rectification of the address (Art. 16), erasure with a suppression list
 * (Art. 17), restriction (Art. 18), and signed consent receipts (Art. 7(1), 15). Withdrawal and objection to mail
 * stay on {@link OptIn#withdraw} and {@link OptIn#unsubscribe} (Art. 7(3), 21(3)). For the preference center, the
 * app's own authenticated pages and operators; requests that reach the controller by other ways go through the
 * {@link OptIn#rightsDesk() rights desk}, which calls this. Obtain it from {@link OptIn#rights()}.
 *
 * <p>Preferences links get forwarded (newsletters are), so what a person asks through one is weighed by what it can
 * do: withdrawal, restriction, a receipt or an export mailed to the address on file happen at once; a change of
 * address and an erasure (one hands the subscription to another address, the other cannot be undone) wait for a
 * short-lived, single-use step-up link mailed to the address on file ({@link #stepUpAddressChange},
 * {@link #stepUpErasure}, {@link #confirmStepUp}). Every link carries the subject's address generation, so a link
 * sent to an address the subject no longer has is answered like any invalid link.
 *
 * <p>Immutable and thread-safe.
 */
public interface SubjectRights {

  /**
   * Erases a subject (GDPR Art. 17): deletes its address, consents, requests and queued mails; keeps a keyed hash of
   * the address on the suppression list so it is never mailed or re-imported without a fresh double opt-in; keeps a
   * de-identified stub of the history (no address, no evidence) if the proof policy says so
   * ({@link OptIn.Builder#erasureKeepsHistory(boolean)}). Listeners are told, with the address, so a CRM can erase too.
   *
   * @param subjectId the subject
   * @param channel who asked: the person ({@link Channel#PREFERENCE_CENTER}) or an operator
   * @return {@code true} if the subject existed and is now erased
   */
  boolean erase(SubjectId subjectId, Channel channel);

  /**
   * Tells whether an address is on the suppression list (it was erased and has not come back through a fresh double
   * opt-in since). Such an address is never mailed except for a new confirmation request it asked for itself.
   *
   * @param email the address, as typed or normalised
   * @return whether it is suppressed; {@code false} for an invalid address
   */
  boolean isSuppressed(String email);

  /**
   * Restricts, or lifts the restriction of, processing for one confirmed purpose (GDPR Art. 18): while restricted,
   * {@link OptIn#mayMail} answers {@code false} but the consent and its proof stay.
   *
   * @param subjectId the subject
   * @param purpose the purpose
   * @param restrict {@code true} to restrict, {@code false} to lift
   * @param channel who asked
   * @return {@code true} if the flag changed; {@code false} if the consent is not confirmed or already so
   */
  boolean restrict(SubjectId subjectId, PurposeId purpose, boolean restrict, Channel channel);

  /**
   * Returns a freshly signed consent receipt (GDPR Art. 7(1)) for every purpose the subject has confirmed: a compact
   * JWS (ES256) whose payload is the receipt JSON described by {@link ConsentReceipt}, verifiable by anyone with
   * {@link #receiptJwks()} through {@link ConsentReceipts#verify}. For the app's own authenticated pages and
   * operators; a person holding only a link gets it by mail ({@link #mailReceipt}).
   *
   * @param subjectId the subject
   * @return the receipt; empty if no {@link OptIn.Builder#receiptKeys receipt keys} are configured, there is no such
   *     subject, or nothing is confirmed
   */
  Optional<String> receipt(SubjectId subjectId);

  /**
   * Mails the subject a receipt of everything they have confirmed to the address on file (the preference center's
   * "mail me my consent receipt"), with the signed receipt attached as {@code consent-receipt.jws} if receipt keys
   * are configured. At most 3 a day per subject.
   *
   * @param subjectId the subject
   * @return {@code true} if queued; {@code false} if there is no such subject, nothing is confirmed, or the daily cap
   *     is reached
   */
  boolean mailReceipt(SubjectId subjectId);

  /**
   * Returns the public keys that verify consent receipts as a JWK set (RFC 7517 section 5), for publishing at
   * {@code /.well-known/jwks.json}; {@code {"keys":[]}} if receipts are not signed.
   *
   * @return the JWK set JSON, public parts only
   */
  String receiptJwks();

  /**
   * Returns the machine-readable export of everything held about a subject (GDPR Art. 15, 20), as JSON following the
   * published schema {@code docs/export-schema.json}. For operators and the app's own authenticated pages; a person
   * holding only a link gets it by mail instead ({@link #requestDataExport}).
   *
   * @param subjectId the subject
   * @return the JSON, or empty if there is no such subject
   */
  Optional<String> exportJson(SubjectId subjectId);

  /**
   * Mails the subject's data export as a JSON attachment to the address on file, never to whoever asked (security
   * rule 18: preference links get forwarded). At most 3 a day per subject.
   *
   * @param subjectId the subject
   * @return {@code true} if queued; {@code false} if there is no such subject or the daily cap is reached
   */
  boolean requestDataExport(SubjectId subjectId);

  /**
   * Starts a change of address (GDPR Art. 16): the new address gets its own double opt-in, and the old address keeps
   * working until the new one is confirmed through {@link OptIn#confirm}. The consents, their proof and their history
   * stay with the subject; an {@code ADDRESS_CHANGED} event per purpose records the move. Once the change is
   * confirmed, every link sent to the old address stops working, and the old address gets a notice with a "this was
   * not me" link ({@link #restoreAddress}) that undoes the change for 14 days.
   *
   * <p>For the app's own authenticated pages and operators, who know who asks. Where the caller acts on a preferences
   * link (which may have been forwarded), use {@link #stepUpAddressChange} instead.
   *
   * @param subjectId the subject
   * @param newEmail the new address as typed
   * @param locale the language for the confirmation mail
   * @param evidence the request evidence as received
   * @return {@link RequestResult.Accepted} with the purposes that will move, or {@link RequestResult.InvalidAddress},
   *     {@link RequestResult.Throttled}; {@link RequestResult.AlreadyConfirmed} if the address is already the
   *     subject's
   * @throws IllegalArgumentException if there is no such subject
   */
  RequestResult requestAddressChange(
      SubjectId subjectId, String newEmail, Locale locale, Evidence evidence);

  /**
   * Asks, on behalf of whoever holds a preferences link, to change the subject's address (GDPR Art. 16). Nothing
   * changes and the new address gets no mail yet: a step-up link, valid for {@link OptIn.Builder#stepUpTtl} (default
   * 1 hour) and usable once, goes to the address on file. Only once it is used ({@link #confirmStepUp}) does the new
   * address get its double opt-in, as {@link #requestAddressChange} starts it.
   *
   * @param preferencesToken the token of the preferences link the request came through
   * @param newEmail the new address as typed
   * @param locale the language of the mails
   * @param evidence the request evidence as received (the evidence policy is applied)
   * @return {@link StepUpResult.Sent}; {@link StepUpResult.Unchanged}, {@link StepUpResult.Throttled},
   *     {@link StepUpResult.InvalidAddress} or {@link StepUpResult.InvalidLink}
   */
  StepUpResult stepUpAddressChange(
      String preferencesToken, String newEmail, Locale locale, Evidence evidence);

  /**
   * Asks, on behalf of whoever holds a preferences link, to erase the subject (GDPR Art. 17). Nothing is erased: a
   * step-up link, valid for {@link OptIn.Builder#stepUpTtl} (default 1 hour) and usable once, goes to the address on
   * file, and only its use ({@link #confirmStepUp}) erases, as {@link #erase} does.
   *
   * @param preferencesToken the token of the preferences link the request came through
   * @param locale the language of the mail
   * @return {@link StepUpResult.Sent}, {@link StepUpResult.Throttled} or {@link StepUpResult.InvalidLink}
   */
  StepUpResult stepUpErasure(String preferencesToken, Locale locale);

  /**
   * Shows what a step-up link would allow, without changing anything (mail scanners open links: security rule 6).
   *
   * @param stepUpToken the token of the step-up link
   * @return what to show
   */
  StepUpPreview previewStepUp(String stepUpToken);

  /**
   * Uses a step-up link: lets the change of address it was mailed for go on (the new address's confirmation mail is
   * queued), or erases the subject. Single use; a link sent before a change of address is refused.
   *
   * @param stepUpToken the token of the step-up link
   * @return the outcome
   */
  StepUpConfirmation confirmStepUp(String stepUpToken);

  /**
   * Returns the subject a "this was not me" link stands for, if the link can still undo its change of address: for
   * the page that shows the button (a GET that changes nothing).
   *
   * @param notMeToken the token of the link mailed to the old address
   * @return the subject, or empty
   */
  Optional<SubjectId> verifyNotMeToken(String notMeToken);

  /**
   * Undoes a change of address through the "this was not me" link mailed to the old address (valid 14 days, single
   * use): the old address is the subject's again, one address generation on, so every link sent for the address
   * the change brought (preferences, unsubscribe, step-up) stops working; address changes still open are cancelled;
   * an {@code ADDRESS_CHANGED} event per purpose records the undoing; a receipt with fresh links goes to the
   * restored address.
   *
   * @param notMeToken the token of the link
   * @param evidence the evidence as received (the evidence policy is applied)
   * @return {@link AddressRestore.Restored}, or {@link AddressRestore.Invalid} with nothing changed
   */
  AddressRestore restoreAddress(String notMeToken, Evidence evidence);
}
