package org.optin4j;

import java.util.Objects;

/**
 * The outcome of {@link EmailAddress#check(String)}: the normalised address, or why what a person typed is not one.
 *
 * <p>A refused address is an expected outcome of every form, so it is a value here, not an exception: a form switches
 * over the result and shows the reason; {@link EmailAddress#parse(String)} is the throwing form, for addresses a
 * program knows to be valid. Immutable and thread-safe.
 */
public sealed interface AddressCheck {

  /**
   * The input is a valid address.
   *
   * @param address the normalised address
   */
  record Valid(EmailAddress address) implements AddressCheck {
    /** Checks the component. */
    public Valid {
      Objects.requireNonNull(address, "address");
    }
  }

  /**
   * The input is not a valid address.
   *
   * @param reason why, as a stable code an app may key its own texts on
   * @param message why, in English and free of the input itself (it may be logged), for example
   *     {@code invalid email address: no @}; the text may be reworded between versions, the code is not
   */
  record Refused(Reason reason, String message) implements AddressCheck {
    /** Checks the components. */
    public Refused {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * Why an address is refused. The constants are stable: new ones may be added, none is renamed or removed. The rules
   * behind them are described on {@link EmailAddress}.
   */
  enum Reason {
    /** There was no input at all (a form field that was not sent). */
    MISSING,
    /** A control character (CR, LF, NUL, ...) anywhere: it could inject a mail header (RFC 5322 section 2.2). */
    CONTROL_CHARACTER,
    /** Longer than RFC 5321 allows: 254 octets in all. */
    TOO_LONG,
    /** UTF-8 text that was decoded with ISO-8859-1 or windows-1252 ({@code bÃ¼cher}): a form read wrongly. */
    WRONG_CHARACTER_SET,
    /** No {@code @}. */
    NO_AT,
    /** A local part that is empty or longer than 64 octets. */
    LOCAL_PART_LENGTH,
    /** A local part outside the RFC 5322 dot-atom (quoted strings, comments, double dots, symbols). */
    LOCAL_PART_SYNTAX,
    /** A non-ASCII local part (RFC 6531) that is not in normal form NFKC or mixes scripts. */
    LOCAL_PART_UNICODE,
    /** A domain that is empty or longer than 253 characters. */
    DOMAIN_LENGTH,
    /** A domain with fewer than two labels, an invalid label or a numeric top-level domain. */
    DOMAIN_SYNTAX,
    /** An internationalised domain that IDNA 2008 or UTS 46 does not allow (mixed scripts, Bidi, bad Punycode). */
    DOMAIN_IDNA
  }
}
