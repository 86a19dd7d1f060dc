package org.optin4j;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The opaque identifier of a data subject: 128 random bits, base64url without padding (22 characters). It carries no
 * personal data, so it may appear in tokens, URLs and logs (GDPR Art. 4(5), RFC 8725 section 3.10 on claims in tokens).
 *
 * @param value the identifier
 */
public record SubjectId(String value) {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{22}");

  /** Validates the format. */
  public SubjectId {
    Objects.requireNonNull(value, "subject id");
    if (!VALID.matcher(value).matches()) {
      throw new IllegalArgumentException("invalid subject id");
    }
  }

  /**
   * Reads an id from outside (a token claim, a URL), answering empty instead of throwing if it is not one.
   *
   * @param value the text, may be {@code null}
   * @return the id, or empty
   */
  public static Optional<SubjectId> tryParse(String value) {
    return value != null && VALID.matcher(value).matches()
        ? Optional.of(new SubjectId(value))
        : Optional.empty();
  }

  /**
   * Creates a fresh random id.
   *
   * @param random the source of randomness
   * @return the id
   */
  public static SubjectId random(SecureRandom random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return new SubjectId(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
  }

  @Override
  public String toString() {
    return value;
  }
}
