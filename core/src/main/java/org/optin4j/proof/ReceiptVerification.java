package org.optin4j.proof;

import java.util.Objects;

/**
 * The outcome of {@link ConsentReceipts#verify}: a receipt whose signature verifies against the given key set, with
 * its fields, or why it was refused.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface ReceiptVerification {

  /**
   * The signature verifies and the payload is a well-formed receipt.
   *
   * @param kid the id of the key that signed it
   * @param receipt the receipt's fields
   */
  record Valid(String kid, ConsentReceipt receipt) implements ReceiptVerification {
    /** Validates the components. */
    public Valid {
      Objects.requireNonNull(kid, "kid");
      Objects.requireNonNull(receipt, "receipt");
    }
  }

  /**
   * Refused: not ES256, wrong type or header, unknown key, bad signature, or a malformed payload.
   *
   * @param reason why, for logs and support; free of key material
   */
  record Invalid(String reason) implements ReceiptVerification {
    /** Validates the components. */
    public Invalid {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
