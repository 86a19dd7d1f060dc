package org.optin4j;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The stable identifier of a processing purpose, for example {@code newsletter}: lowercase ASCII letters, digits and
 * hyphens, starting with a letter, at most 63 characters. It appears in URLs, form fields, mail headers and exports,
 * so it never changes once consents refer to it.
 *
 * @param value the identifier
 */
public record PurposeId(String value) implements Comparable<PurposeId> {
  private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  /** Validates the identifier. */
  public PurposeId {
    Objects.requireNonNull(value, "purpose id");
    if (!VALID.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "invalid purpose id (expected [a-z][a-z0-9-]{0,62}): " + abbreviate(value));
    }
  }

  /**
   * Returns the identifier for a string.
   *
   * @param value the identifier
   * @return the purpose id
   */
  public static PurposeId of(String value) {
    return new PurposeId(value);
  }

  /**
   * Reads an identifier from outside (a form field, a URL), answering empty instead of throwing if it is not one.
   *
   * @param value the text, may be {@code null}
   * @return the purpose id, or empty; whether the catalog has such a purpose is not checked
   */
  public static Optional<PurposeId> tryParse(String value) {
    return value != null && VALID.matcher(value).matches()
        ? Optional.of(new PurposeId(value))
        : Optional.empty();
  }

  private static String abbreviate(String s) {
    return s.length() <= 70 ? '"' + s + '"' : '"' + s.substring(0, 70) + "\"...";
  }

  @Override
  public int compareTo(PurposeId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
