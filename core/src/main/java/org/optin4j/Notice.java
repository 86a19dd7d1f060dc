package org.optin4j;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The exact text a person was shown for one or more purposes in one language: controller, per purpose which data,
 * why, how long, and the right to withdraw (GDPR Art. 7(2), 12(1), 13).
 *
 * <p>A notice without purposes is the text of an {@link InformationPage}: the full information about the whole
 * catalog that notices link to (their text names its hash). It is stored and versioned by the same store under its
 * own key ({@code en:*}), so the proof can show which full information a person could open from the notice they
 * consented under ({@link #isInformationPage()}, {@link OptIn#linkedInformationPage(Notice)}).
 *
 * <p>Every distinct text gets a version (counted per language and set of purposes, starting at 1) and its SHA-256
 * hash; the store keeps every version's text forever, so that a consent can be shown years later with the words it was
 * given under. A consent points to its notice by {@link Consent.NoticeRef}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param version the version, 1 or more
 * @param hash the SHA-256 of {@code text} in UTF-8, lowercase hex
 * @param locale the language
 * @param purposes the purposes it covers, sorted, each once; empty for an information page
 * @param text the exact text
 * @param createdAt when this version was first shown
 */
public record Notice(
    int version,
    String hash,
    Locale locale,
    List<PurposeId> purposes,
    String text,
    Instant createdAt) {

  /** Validates the components and that the hash matches the text. */
  public Notice {
    if (version < 1) {
      throw new IllegalArgumentException("notice version must be 1 or more");
    }
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(locale, "locale");
    purposes = List.copyOf(purposes).stream().distinct().sorted().toList();
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(createdAt, "createdAt");
    if (!hash.equals(sha256(text))) {
      throw new IllegalArgumentException("notice hash does not match its text");
    }
  }

  /**
   * Returns this notice under the version a store assigned it: the core hands a store a notice with a placeholder
   * version, and the store numbers the versions of each {@link #key()} ({@link org.optin4j.spi.NoticeStore#saveNotice}).
   *
   * @param assigned the version, 1 or more
   * @return the same text, hash, language, purposes and creation time under that version
   */
  public Notice withVersion(int assigned) {
    return new Notice(assigned, hash, locale, purposes, text, createdAt);
  }

  /**
   * Tells whether this is the text of an {@link InformationPage} (no purposes) rather than a notice shown at a choice.
   *
   * @return whether it covers no purpose
   */
  public boolean isInformationPage() {
    return purposes.isEmpty();
  }

  /** Returns the pointer a consent keeps to this notice. */
  public Consent.NoticeRef ref() {
    return new Consent.NoticeRef(version, hash, locale);
  }

  /**
   * Returns the key under which versions are counted: language and purposes, for example {@code en:newsletter+offers},
   * or {@code en:*} for the information page ({@code *} is not a character of purpose ids).
   */
  public String key() {
    return key(locale, purposes);
  }

  /**
   * Returns the version key for a language and set of purposes.
   *
   * @param locale the language
   * @param purposes the purposes
   * @return the key
   */
  public static String key(Locale locale, List<PurposeId> purposes) {
    StringBuilder b = new StringBuilder(locale.toLanguageTag()).append(':');
    if (purposes.isEmpty()) {
      return b.append('*').toString();
    }
    purposes.stream().distinct().sorted().forEach(p -> b.append(p.value()).append('+'));
    b.setLength(b.length() - 1);
    return b.toString();
  }

  /**
   * Returns the SHA-256 of a text in UTF-8 as lowercase hex.
   *
   * @param text the text
   * @return the hash
   */
  public static String sha256(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
