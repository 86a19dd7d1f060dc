package org.optin4j;

import java.util.Objects;

/**
 * The identity and contact details of the controller, named in every notice (GDPR Art. 13(1)(a)), its data protection
 * officer where it has one (Art. 13(1)(b), Art. 37) and the supervisory authority a person can complain to (Art.
 * 13(2)(d), Art. 77).
 *
 * <p>{@link OptIn.Builder#build()} refuses a controller without a supervisory authority: every notice and the
 * information page name it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the legal name, for example "Bakkerij de Gouden Korst B.V."
 * @param address the postal address, one line
 * @param contactEmail where data subjects reach the controller
 * @param privacyPolicyUrl the full privacy policy, or {@code null}
 * @param dpoContact how to reach the data protection officer (an address, mail address or both, one line), or
 *     {@code null} if the controller has none
 * @param supervisoryAuthority the competent supervisory authority, or {@code null} while not yet set
 */
public record Controller(
    String name,
    String address,
    String contactEmail,
    String privacyPolicyUrl,
    String dpoContact,
    SupervisoryAuthority supervisoryAuthority) {

  /**
   * The supervisory authority competent for the controller (GDPR Art. 51, 56), named so that a person knows where to
   * lodge a complaint (Art. 13(2)(d), Art. 77).
   *
   * @param name the authority's name, for example "Autoriteit Persoonsgegevens"
   * @param url its web site, http(s)
   */
  public record SupervisoryAuthority(String name, String url) {
    /** Validates the components. */
    public SupervisoryAuthority {
      name = required(name, "supervisory authority name");
      url = httpUrl(required(url, "supervisory authority url"), "supervisory authority url");
    }
  }

  /** Validates the components. */
  public Controller {
    name = required(name, "controller name");
    address = required(address, "controller address");
    contactEmail =
        EmailAddress.parse(Objects.requireNonNull(contactEmail, "controller contact email"))
            .value();
    if (privacyPolicyUrl != null) {
      httpUrl(privacyPolicyUrl, "controller privacy policy URL");
    }
    if (dpoContact != null) {
      dpoContact = required(dpoContact, "controller dpoContact");
      if (dpoContact.contains("\n") || dpoContact.contains("\r")) {
        throw new IllegalArgumentException("controller dpoContact must be one line");
      }
    }
  }

  /**
   * Creates a controller without a data protection officer and without a supervisory authority yet: add them with
   * {@link #withDpoContact} and {@link #withSupervisoryAuthority}.
   *
   * @param name the legal name
   * @param address the postal address, one line
   * @param contactEmail where data subjects reach the controller
   * @param privacyPolicyUrl the full privacy policy, or {@code null}
   */
  public Controller(String name, String address, String contactEmail, String privacyPolicyUrl) {
    this(name, address, contactEmail, privacyPolicyUrl, null, null);
  }

  /**
   * Returns this controller with a data protection officer's contact.
   *
   * @param contact how to reach the officer, one line
   * @return the new controller
   */
  public Controller withDpoContact(String contact) {
    return new Controller(
        name,
        address,
        contactEmail,
        privacyPolicyUrl,
        Objects.requireNonNull(contact, "dpoContact"),
        supervisoryAuthority);
  }

  /**
   * Returns this controller with its supervisory authority.
   *
   * @param authorityName the authority's name
   * @param url its web site
   * @return the new controller
   */
  public Controller withSupervisoryAuthority(String authorityName, String url) {
    return new Controller(
        name,
        address,
        contactEmail,
        privacyPolicyUrl,
        dpoContact,
        new SupervisoryAuthority(authorityName, url));
  }

  private static String required(String s, String name) {
    Objects.requireNonNull(s, name);
    if (s.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return s.strip();
  }

  private static String httpUrl(String url, String name) {
    if (!url.startsWith("https://") && !url.startsWith("http://")) {
      throw new IllegalArgumentException(name + " must be http(s)");
    }
    return url;
  }
}
