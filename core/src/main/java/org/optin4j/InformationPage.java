package org.optin4j;

import java.util.Locale;
import java.util.Objects;

/**
 * The full information GDPR Art. 13(1) and (2) asks for, about every purpose of the catalog, in one language: the
 * controller and its contact, the data protection officer, per purpose what is done, why, on which legal basis, with
 * which data, for whom (recipients, transfers outside the EEA and their safeguard) and for how long, the rights of the
 * person, withdrawal, the supervisory authority, that consent is not obligatory, and the privacy policy. Generated
 * from the catalog and the controller by {@link OptIn#informationPage(Locale)}: the hosted page {@code
 * {prefix}/privacy-info} shows it, and an app can render it into its own privacy page.
 *
 * <p>Like a {@link Notice}, the text is deterministic and carries its SHA-256, so a page can show which version of the
 * information it displays and a record can say which one was current.
 *
 * <p>Immutable and thread-safe.
 *
 * @param locale the language
 * @param text the exact text: paragraphs separated by a blank line; purpose details indented by three spaces
 * @param hash the SHA-256 of {@code text} in UTF-8, lowercase hex
 */
public record InformationPage(Locale locale, String text, String hash) {

  /** Validates the components and that the hash matches the text. */
  public InformationPage {
    Objects.requireNonNull(locale, "locale");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(hash, "hash");
    if (!hash.equals(Notice.sha256(text))) {
      throw new IllegalArgumentException("information page hash does not match its text");
    }
  }

  /**
   * Creates the page for a text, hashing it.
   *
   * @param locale the language
   * @param text the exact text
   * @return the page
   */
  public static InformationPage of(Locale locale, String text) {
    return new InformationPage(locale, text, Notice.sha256(text));
  }

  /** Returns the first 12 hex digits of the hash: a short version label to show on the page. */
  public String version() {
    return hash.substring(0, 12);
  }
}
