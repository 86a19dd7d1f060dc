package org.optin4j;

import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Someone the data of a purpose is disclosed to, named as a person is told in the notice (GDPR Art. 13(1)(e)), with
 * the country it processes the data in and, when that country is outside the European Economic Area, the safeguard
 * that makes the transfer lawful (Art. 13(1)(f), Chapter V).
 *
 * <p>A purpose lists its recipients, or none ({@link Purpose.Builder#noRecipients()}); the catalog refuses a consent
 * purpose that says neither, and a transfer outside the EEA without a safeguard.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the recipient or its category, for example "Brevo SAS (mail delivery)"
 * @param country where it processes the data, ISO 3166-1 alpha-2, upper case, for example {@code FR}
 * @param safeguard the basis of a transfer outside the EEA, or {@code null} inside it
 */
public record Recipient(String name, String country, Safeguard safeguard) {

  /** The EU member states, Iceland, Liechtenstein and Norway (Art. 13(1)(f) speaks of "third countries"). */
  private static final Set<String> EEA =
      Set.of(
          "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
          "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO");

  private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

  /** What makes a transfer to a country outside the EEA lawful (GDPR Chapter V). */
  public enum Safeguard {
    /** An adequacy decision of the European Commission (Art. 45). */
    ADEQUACY_DECISION,
    /** Standard data protection clauses adopted by the Commission (Art. 46(2)(c)). */
    STANDARD_CONTRACTUAL_CLAUSES,
    /** Binding corporate rules (Art. 46(2)(b), Art. 47). */
    BINDING_CORPORATE_RULES,
    /** The person's explicit consent to the transfer after being told its risks (Art. 49(1)(a)). */
    EXPLICIT_CONSENT
  }

  /** Validates the components: a name, a known country, and a safeguard exactly when outside the EEA. */
  public Recipient {
    Objects.requireNonNull(name, "recipient name");
    name = name.strip();
    if (name.isEmpty()) {
      throw new IllegalArgumentException("recipient name must not be blank");
    }
    Objects.requireNonNull(country, "recipient " + name + ": country");
    if (!COUNTRIES.contains(country)) {
      throw new IllegalArgumentException(
          "recipient " + name + ": country must be an ISO 3166-1 alpha-2 code, was " + country);
    }
    if (safeguard == null && !EEA.contains(country)) {
      throw new IllegalArgumentException(
          "recipient "
              + name
              + ": safeguard is required for a transfer outside the EEA, to "
              + country
              + " (GDPR Art. 13(1)(f))");
    }
    if (safeguard != null && EEA.contains(country)) {
      throw new IllegalArgumentException(
          "recipient "
              + name
              + ": safeguard is for transfers outside the EEA; "
              + country
              + " is in it");
    }
  }

  /**
   * Creates a recipient inside the EEA.
   *
   * @param name the recipient or its category
   * @param country an EEA country, ISO 3166-1 alpha-2
   * @return the recipient
   */
  public static Recipient inEea(String name, String country) {
    return new Recipient(name, country, null);
  }

  /**
   * Creates a recipient outside the EEA.
   *
   * @param name the recipient or its category
   * @param country a country outside the EEA, ISO 3166-1 alpha-2
   * @param safeguard what makes the transfer lawful
   * @return the recipient
   */
  public static Recipient transfer(String name, String country, Safeguard safeguard) {
    return new Recipient(name, country, Objects.requireNonNull(safeguard, "safeguard"));
  }

  /** Returns whether the data leaves the EEA to this recipient (a transfer under Chapter V). */
  public boolean outsideEea() {
    return safeguard != null;
  }
}
