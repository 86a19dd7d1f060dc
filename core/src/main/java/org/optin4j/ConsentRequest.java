package org.optin4j;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A person's request to consent to one or more purposes, as a form submits it: the address, the ticked purposes, the
 * language they were shown, where the form was, the request evidence, and the notice the form displayed.
 *
 * <p>The address arrives parsed: a form checks what the person typed once, with {@link EmailAddress#check(String)},
 * shows the reason if it is refused, and passes the {@link EmailAddress} on; {@link OptIn#request(ConsentRequest)}
 * does not parse it again. The shown notice arrives as the {@link Notice} value the form displayed (from
 * {@link OptIn#notice} or {@link OptIn#noticeByHash}), so that {@code request} checks it against what it renders
 * today without looking it up in the store again.
 *
 * <p>Immutable and thread-safe.
 *
 * @param email the address, parsed and normalised
 * @param purposes the ticked purposes, at least one
 * @param locale the language the notice was shown in
 * @param source the form id or page URL, or {@code null}
 * @param evidence IP and user agent as received (the evidence policy is applied before storing)
 * @param shownNotice the notice the form displayed, or {@code null} to record the current notice of exactly the
 *     requested purposes; if given, it must be current, in the request's language and cover every requested purpose,
 *     else the request is answered {@link RequestResult.StaleNotice} so that nobody consents to a text they did not see
 *     (GDPR Art. 7(1))
 */
public record ConsentRequest(
    EmailAddress email,
    Set<PurposeId> purposes,
    Locale locale,
    String source,
    Evidence evidence,
    Notice shownNotice) {

  /** Validates the components. */
  public ConsentRequest {
    Objects.requireNonNull(email, "email");
    purposes = Set.copyOf(new TreeSet<>(Objects.requireNonNull(purposes, "purposes")));
    if (purposes.isEmpty()) {
      throw new IllegalArgumentException("a consent request needs at least one purpose");
    }
    Objects.requireNonNull(locale, "locale");
    if (source != null && source.length() > 512) {
      source = source.substring(0, 512);
    }
    evidence = evidence == null ? Evidence.NONE : evidence;
  }

  /**
   * Returns a request with no source, no evidence and the current notice.
   *
   * @param email the address
   * @param locale the language
   * @param purposes the purposes
   * @return the request
   */
  public static ConsentRequest of(EmailAddress email, Locale locale, PurposeId... purposes) {
    return new ConsentRequest(email, Set.of(purposes), locale, null, Evidence.NONE, null);
  }

  /**
   * Returns a request for an address the program knows to be valid (an import, a test), with no source, no evidence
   * and the current notice. For what a person typed, use {@link EmailAddress#check(String)} and
   * {@link #of(EmailAddress, Locale, PurposeId...)}.
   *
   * @param email the address, parsed with {@link EmailAddress#parse(String)}
   * @param locale the language
   * @param purposes the purposes
   * @return the request
   * @throws IllegalArgumentException if the address is not valid
   */
  public static ConsentRequest of(String email, Locale locale, PurposeId... purposes) {
    return of(EmailAddress.parse(email), locale, purposes);
  }

  /**
   * Returns this request with a source.
   *
   * @param newSource the form id or URL
   * @return the request
   */
  public ConsentRequest withSource(String newSource) {
    return new ConsentRequest(email, purposes, locale, newSource, evidence, shownNotice);
  }

  /**
   * Returns this request with evidence.
   *
   * @param newEvidence the evidence
   * @return the request
   */
  public ConsentRequest withEvidence(Evidence newEvidence) {
    return new ConsentRequest(email, purposes, locale, source, newEvidence, shownNotice);
  }

  /**
   * Returns this request bound to the notice the form showed.
   *
   * @param notice the shown notice
   * @return the request
   */
  public ConsentRequest withShownNotice(Notice notice) {
    return new ConsentRequest(email, purposes, locale, source, evidence, notice);
  }

  @Override
  public String toString() {
    return "ConsentRequest[purposes="
        + purposes
        + ", locale="
        + locale
        + ", source="
        + source
        + "]";
  }
}
