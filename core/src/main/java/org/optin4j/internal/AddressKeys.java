package org.optin4j.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.optin4j.EmailAddress;

/**
 * The suppression list's key of an address: HMAC-SHA256 of its normalised form under the pepper (a plain hash of an
 * address is easily reversed). Thread-safe: each call works on its own {@link Mac}.
 */
public final class AddressKeys {
  private final SecretKeySpec pepper;
  private final Mac prototype;

  /**
   * Keys addresses under the pepper.
   *
   * @param pepper the HMAC key
   */
  public AddressKeys(SecretKeySpec pepper) {
    this.pepper = Objects.requireNonNull(pepper, "pepper");
    this.prototype = prototype(pepper);
  }

  /**
   * Returns the key of an address.
   *
   * @param email the address
   * @return the lower-case hex HMAC of its normalised form
   */
  public String of(EmailAddress email) {
    try {
      return HexFormat.of()
          .formatHex(newMac().doFinal(email.value().getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /**
   * A fresh Mac with the pepper, cloned from one set up at construction: {@code Mac.getInstance} and {@code init} on
   * each call (a provider lookup, the key schedule) showed in the signup's and confirmation's profiles. A Mac is not
   * thread-safe, so each call gets its own.
   */
  private Mac newMac() throws GeneralSecurityException {
    if (prototype != null) {
      try {
        return (Mac) prototype.clone();
      } catch (CloneNotSupportedException e) {
        // a provider without clone: fall through
      }
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(pepper);
    return mac;
  }

  private static Mac prototype(SecretKeySpec pepper) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(pepper);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }
}
