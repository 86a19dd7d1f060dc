package org.optin4j;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * The full information GDPR Art. 13(1) and (2) asks for, about every purpose of the catalog, in one language: the
 * controller and its contact, the data protection officer, per purpose what is done, why, on which legal basis, with
 * which data, for whom (recipients, transfers outside the EEA and their safeguard), whether automated decisions or
 * profiling are involved, and for how long, the rights of the person, withdrawal, the supervisory authority, that
 * consent is not obligatory, and the privacy policy. Generated from the catalog and the controller by {@link
 * OptIn#informationPage(Locale)}: the hosted page {@code {prefix}/privacy-info} shows it, and an app can render it into
 * its own privacy page.
 *
 * <p>Versioned, hashed and stored like a {@link Notice} (GDPR Art. 7(1), 5(2)): each distinct text is stored once, with
 * a version counted per language, and every notice names in its text the hash of the information page it links to,
 * so the proof of a consent shows the full information the person could open ({@link
 * OptIn#linkedInformationPage(Notice)}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param version the version the store assigned, counted per language, 1 or more
 * @param hash the SHA-256 of {@code text} in UTF-8, lowercase hex
 * @param locale the language
 * @param text the exact text: paragraphs separated by a blank line; purpose details indented by three spaces
 * @param createdAt when this version was first stored
 */
public record InformationPage(
    int version, String hash, Locale locale, String text, Instant createdAt) {

  /** Validates the components and that the hash matches the text. */
  public InformationPage {
    if (version < 1) {
      throw new IllegalArgumentException("information page version must be 1 or more");
    }
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(locale, "locale");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(createdAt, "createdAt");
    if (!hash.equals(Notice.sha256(text))) {
      throw new IllegalArgumentException("information page hash does not match its text");
    }
  }

  /**
   * Returns the information page a stored notice without purposes holds.
   *
   * @param stored a notice for which {@link Notice#isInformationPage()} holds
   * @return the page, with the stored version
   * @throws IllegalArgumentException if the notice covers purposes
   */
  public static InformationPage of(Notice stored) {
    if (!stored.isInformationPage()) {
      throw new IllegalArgumentException("notice " + stored.key() + " is not an information page");
    }
    return new InformationPage(
        stored.version(), stored.hash(), stored.locale(), stored.text(), stored.createdAt());
  }

  /** Returns the first 12 hex digits of the hash: a short label to show on the page next to the version. */
  public String shortHash() {
    return hash.substring(0, 12);
  }
}
