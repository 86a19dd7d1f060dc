package org.optin4j;

import java.util.Objects;

/**
 * The identity and contact details of the controller, named in every notice (GDPR Art. 13(1)(a)).
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the legal name, for example "Bakkerij de Gouden Korst B.V."
 * @param address the postal address, one line
 * @param contactEmail where data subjects reach the controller
 * @param privacyPolicyUrl the full privacy policy, or {@code null}
 */
public record Controller(
    String name, String address, String contactEmail, String privacyPolicyUrl) {
  /** Validates the components. */
  public Controller {
    name = required(name, "controller name");
    address = required(address, "controller address");
    contactEmail =
        EmailAddress.parse(Objects.requireNonNull(contactEmail, "controller contact email"))
            .value();
    if (privacyPolicyUrl != null
        && !privacyPolicyUrl.startsWith("https://")
        && !privacyPolicyUrl.startsWith("http://")) {
      throw new IllegalArgumentException("controller privacy policy URL must be http(s)");
    }
  }

  private static String required(String s, String name) {
    Objects.requireNonNull(s, name);
    if (s.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank");
    }
    return s.strip();
  }
}
