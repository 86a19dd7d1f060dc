package org.optin4j;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A person's request to consent to one or more purposes, as a form submits it: the raw address, the ticked purposes,
 * the language they were shown, where the form was, and the request evidence.
 *
 * <p>Immutable and thread-safe. The address is parsed and normalised by {@link OptIn#request(ConsentRequest)}, which
 * answers an invalid one with {@link RequestResult.InvalidAddress}.
 *
 * @param email the address as typed
 * @param purposes the ticked purposes, at least one
 * @param locale the language the notice was shown in
 * @param source the form id or page URL, or {@code null}
 * @param evidence IP and user agent as received (the evidence policy is applied before storing)
 * @param shownNoticeHash the hash of the notice the form displayed (from {@link OptIn#notice}), or {@code null} to
 *     record the current notice of exactly the requested purposes; if given, it must be current, in the request's
 *     language and cover every requested purpose, else the request is refused so that nobody consents to a text they
 *     did not see
 */
public record ConsentRequest(
    String email, Set<PurposeId> purposes, Locale locale, String source, Evidence evidence, String shownNoticeHash) {

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
   * @param email the address as typed
   * @param locale the language
   * @param purposes the purposes
   * @return the request
   */
  public static ConsentRequest of(String email, Locale locale, PurposeId... purposes) {
    return new ConsentRequest(email, Set.of(purposes), locale, null, Evidence.NONE, null);
  }

  /**
   * Returns this request with a source.
   *
   * @param newSource the form id or URL
   * @return the request
   */
  public ConsentRequest withSource(String newSource) {
    return new ConsentRequest(email, purposes, locale, newSource, evidence, shownNoticeHash);
  }

  /**
   * Returns this request with evidence.
   *
   * @param newEvidence the evidence
   * @return the request
   */
  public ConsentRequest withEvidence(Evidence newEvidence) {
    return new ConsentRequest(email, purposes, locale, source, newEvidence, shownNoticeHash);
  }

  /**
   * Returns this request bound to the notice the form showed.
   *
   * @param noticeHash the hash of the shown notice
   * @return the request
   */
  public ConsentRequest withShownNotice(String noticeHash) {
    return new ConsentRequest(email, purposes, locale, source, evidence, noticeHash);
  }

  @Override
  public String toString() {
    return "ConsentRequest[purposes=" + purposes + ", locale=" + locale + ", source=" + source + "]";
  }
}
