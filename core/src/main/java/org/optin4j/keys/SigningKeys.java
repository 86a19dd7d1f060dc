package org.optin4j.keys;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.optin4j.ConfigurationException;

/**
 * The HMAC keys that sign and verify the library's link tokens (confirm, preferences, unsubscribe, data request):
 * one active key that signs, and verify-only previous keys, each selected by its key id ({@code kid}) so that keys
 * can be rotated without breaking links already sent (RFC 8725 section 3.1, RFC 7515 section 4.1.4).
 *
 * <p>Keys must be at least 256 bits (RFC 7518 section 3.2); shorter ones are refused at once. Keys come only from
 * here: token headers such as {@code jku}, {@code x5u} or {@code jwk} are never followed, and a token with an unknown
 * {@code kid} is refused.
 *
 * <p>Immutable and thread-safe. {@link #toString()} names the key ids only, never key material.
 */
public final class SigningKeys {
  private static final Pattern KID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final int MIN_BYTES = 32;

  private final String activeKid;
  private final Map<String, byte[]> keys;

  private SigningKeys(String activeKid, Map<String, byte[]> keys) {
    this.activeKid = activeKid;
    this.keys = keys;
  }

  /**
   * Returns a key ring with one freshly generated 256-bit key, for tests and demos; links signed with it stop working
   * when the process ends.
   *
   * @param kid the key id
   * @return the key ring
   */
  public static SigningKeys generate(String kid) {
    byte[] secret = new byte[MIN_BYTES];
    new SecureRandom().nextBytes(secret);
    return builder().active(kid, secret).build();
  }

  /**
   * Starts a builder.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the id of the key that signs. */
  public String activeKid() {
    return activeKid;
  }

  /**
   * Returns a copy of the secret of a key, for the token implementation.
   *
   * @param kid the key id
   * @return the secret, or {@code null} if there is no such key
   */
  public byte[] secret(String kid) {
    byte[] s = keys.get(kid);
    return s == null ? null : s.clone();
  }

  /** Returns the ids of all keys, the active one first. */
  public java.util.Set<String> kids() {
    return keys.keySet();
  }

  @Override
  public String toString() {
    return "SigningKeys[active=" + activeKid + ", kids=" + keys.keySet() + "]";
  }

  /** Builds {@link SigningKeys}. Not thread-safe. */
  public static final class Builder {
    private String activeKid;
    private byte[] active;
    private final Map<String, byte[]> previous = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the active signing key.
     *
     * @param kid its id
     * @param secret at least 32 random bytes
     * @return this builder
     */
    public Builder active(String kid, byte[] secret) {
      this.activeKid = checkKid(kid);
      this.active = checkSecret(kid, secret);
      return this;
    }

    /**
     * Sets the active signing key from base64 or base64url text, as kept in an environment variable or file.
     *
     * @param kid its id
     * @param base64 the secret, encoded
     * @return this builder
     */
    public Builder active(String kid, String base64) {
      return active(kid, decode(kid, base64));
    }

    /**
     * Adds a verify-only previous key.
     *
     * @param kid its id
     * @param secret at least 32 bytes
     * @return this builder
     */
    public Builder previous(String kid, byte[] secret) {
      if (previous.putIfAbsent(checkKid(kid), checkSecret(kid, secret)) != null) {
        throw new ConfigurationException("signing keys: kid \"" + kid + "\" is used twice");
      }
      return this;
    }

    /**
     * Adds a verify-only previous key from base64 or base64url text.
     *
     * @param kid its id
     * @param base64 the secret, encoded
     * @return this builder
     */
    public Builder previous(String kid, String base64) {
      return previous(kid, decode(kid, base64));
    }

    /**
     * Builds the key ring.
     *
     * @return the keys
     * @throws ConfigurationException if no active key is set or a kid is used twice
     */
    public SigningKeys build() {
      if (active == null) {
        throw new ConfigurationException("signing keys: an active key is required");
      }
      if (previous.containsKey(activeKid)) {
        throw new ConfigurationException("signing keys: kid \"" + activeKid + "\" is used twice");
      }
      Map<String, byte[]> all = new LinkedHashMap<>();
      all.put(activeKid, active.clone());
      previous.forEach((k, v) -> all.put(k, v.clone()));
      return new SigningKeys(activeKid, Collections.unmodifiableMap(all));
    }

    private static String checkKid(String kid) {
      Objects.requireNonNull(kid, "kid");
      if (!KID.matcher(kid).matches()) {
        throw new ConfigurationException(
            "signing keys: invalid kid (expected [A-Za-z0-9._-]{1,64})");
      }
      return kid;
    }

    private static byte[] checkSecret(String kid, byte[] secret) {
      Objects.requireNonNull(secret, "secret");
      if (secret.length < MIN_BYTES) {
        throw new ConfigurationException(
            "signing keys: key \""
                + kid
                + "\" has "
                + secret.length * 8
                + " bits; at least 256 are required");
      }
      if (allSame(secret)) {
        throw new ConfigurationException("signing keys: key \"" + kid + "\" is not random");
      }
      return secret.clone();
    }

    private static boolean allSame(byte[] b) {
      byte[] first = new byte[b.length];
      Arrays.fill(first, b[0]);
      return Arrays.equals(first, b);
    }

    private static byte[] decode(String kid, String base64) {
      Objects.requireNonNull(base64, "secret");
      String s = base64.strip();
      try {
        return s.indexOf('-') >= 0 || s.indexOf('_') >= 0
            ? Base64.getUrlDecoder().decode(s)
            : Base64.getDecoder().decode(s);
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException("signing keys: key \"" + kid + "\" is not valid base64");
      }
    }
  }
}
