package org.optin4j.internal;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Objects;
import org.optin4j.EmailAddress;

/**
 * The suppression list's key of an address: HMAC-SHA256 of its normalised form under the pepper (a plain hash of an
 * address is easily reversed). Thread-safe: each call works on its own copy of the keyed {@link KeyedHmac} prototype,
 * so no provider lookup or key setup happens per address.
 */
public final class AddressKeys {
  private static final byte[] NO_PREFIX = new byte[0];

  private final KeyedHmac pepper;

  /**
   * Keys addresses under the pepper.
   *
   * @param pepper the HMAC under the pepper
   */
  public AddressKeys(KeyedHmac pepper) {
    this.pepper = Objects.requireNonNull(pepper, "pepper");
  }

  /**
   * Returns the key of an address.
   *
   * @param email the address
   * @return the lower-case hex HMAC
   */
  public String of(EmailAddress email) {
    return HexFormat.of()
        .formatHex(pepper.digest(NO_PREFIX, email.value().getBytes(StandardCharsets.UTF_8)));
  }
}
