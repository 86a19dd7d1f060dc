package org.optin4j.internal;

import java.security.GeneralSecurityException;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.SecretKey;

/**
 * HMAC-SHA256 (RFC 2104) under one key, set up once. Each digest clones the keyed prototype instead of looking the
 * algorithm up among the providers and initialising the key again, which the dispatcher did twice per mail (the
 * address key of the suppression check and the message key). Immutable and thread-safe: the prototype is only ever
 * cloned, never updated.
 */
public final class KeyedHmac {
  private final SecretKey key;
  private final Mac prototype;

  private KeyedHmac(SecretKey key, Mac prototype) {
    this.key = key;
    this.prototype = prototype;
  }

  /**
   * Returns the HMAC-SHA256 under {@code key}.
   *
   * @param key the key
   * @return the keyed HMAC
   */
  public static KeyedHmac of(SecretKey key) {
    Objects.requireNonNull(key, "key");
    return new KeyedHmac(key, newMac(key));
  }

  /**
   * Returns the HMAC of {@code prefix} followed by {@code data}.
   *
   * @param prefix bytes that come first (a label), possibly empty
   * @param data the data
   * @return the 32-byte digest
   */
  public byte[] digest(byte[] prefix, byte[] data) {
    Mac mac = copy();
    mac.update(prefix);
    return mac.doFinal(data);
  }

  private Mac copy() {
    try {
      return (Mac) prototype.clone();
    } catch (CloneNotSupportedException e) {
      // A provider whose Mac cannot be cloned: set one up per call, as before.
      return newMac(key);
    }
  }

  private static Mac newMac(SecretKey key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }
}
