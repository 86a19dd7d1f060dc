package org.optin4j;

import java.net.IDN;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised email address: the key under which a person's consents, caps and suppression are kept.
 *
 * <p>Normalisation, applied by {@link #parse(String)}:
 *
 * <ol>
 *   <li>surrounding white space is removed; any control character (CR, LF, NUL, ...) anywhere is refused, so an
 *       address can never inject a mail header (RFC 5322 section 2.2);
 *   <li>the domain is converted to lowercase ASCII, internationalised domains to their A-label ({@code bücher.example}
 *       becomes {@code xn--bcher-kva.example}, RFC 5890/5891 via {@link IDN#toASCII(String, int)}); a trailing dot is
 *       removed;
 *   <li>the local part is lowercased. RFC 5321 lets a server treat it case-sensitively, but no mainstream mailbox
 *       provider does, and treating {@code Ann@x} and {@code ann@x} as two people would let one person hold two
 *       consent records and bypass the per-address caps;
 *   <li>nothing else: dots and {@code +tags} are kept, because their meaning is provider-specific.
 * </ol>
 *
 * <p>Accepted syntax is the RFC 5322 dot-atom local part in ASCII (no quoted strings, no comments, no IP-literal
 * domains), at most 64 characters, and a domain of at least two labels, at most 253 characters. Non-ASCII local parts
 * (RFC 6531 SMTPUTF8) are refused because many relays still reject them.
 *
 * <p>{@link #toString()} masks the address so that it never lands in a log by accident; {@link #value()} gives the
 * address itself. Immutable and thread-safe.
 *
 * @param value the normalised address
 */
public record EmailAddress(String value) {
  private static final Pattern LOCAL =
      Pattern.compile("[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

  /** Checks that the value is already in normal form; use {@link #parse(String)} for user input. */
  public EmailAddress {
    Objects.requireNonNull(value, "email address");
    String reason = problem(value);
    if (reason != null) {
      throw new IllegalArgumentException("invalid email address: " + reason);
    }
    if (!normalise(value).equals(value)) {
      throw new IllegalArgumentException("email address is not normalised; use EmailAddress.parse");
    }
  }

  /**
   * Parses and normalises user input.
   *
   * @param input what the person typed
   * @return the normalised address
   * @throws IllegalArgumentException with a reason free of the input itself if it is not a valid address
   */
  public static EmailAddress parse(String input) {
    Objects.requireNonNull(input, "email address");
    String normal = normalise(input);
    String reason = problem(normal);
    if (reason != null) {
      throw new IllegalArgumentException("invalid email address: " + reason);
    }
    return new EmailAddress(normal);
  }

  /**
   * Parses user input, answering empty instead of throwing.
   *
   * @param input what the person typed, may be {@code null}
   * @return the normalised address, or empty if invalid
   */
  public static Optional<EmailAddress> tryParse(String input) {
    if (input == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(input));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Returns the domain part, in ASCII. */
  public String domain() {
    return value.substring(value.lastIndexOf('@') + 1);
  }

  /** Returns the local part. */
  public String localPart() {
    return value.substring(0, value.lastIndexOf('@'));
  }

  private static String normalise(String input) {
    // Checked before strip(): CR and LF are white space too, and must be refused, not trimmed away.
    for (int i = 0; i < input.length(); i++) {
      if (Character.isISOControl(input.charAt(i))) {
        return "\u0000";
      }
    }
    String s = input.strip();
    int at = s.lastIndexOf('@');
    if (at <= 0 || at == s.length() - 1) {
      return s;
    }
    String local = lowerAscii(s.substring(0, at));
    String domain = s.substring(at + 1);
    if (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    try {
      domain = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return local + "@\u0000";
    }
    return local + '@' + domain;
  }

  /**
   * Lowercases A-Z only. {@code String.toLowerCase} would fold some non-ASCII letters into ASCII (KELVIN SIGN U+212A
   * becomes {@code k}), letting a non-ASCII local part pass as another person's address.
   */
  private static String lowerAscii(String s) {
    char[] chars = s.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] >= 'A' && chars[i] <= 'Z') {
        chars[i] = (char) (chars[i] + ('a' - 'A'));
      }
    }
    return new String(chars);
  }

  private static String problem(String s) {
    if (s.indexOf('\u0000') >= 0) {
      return "contains a control character or an invalid domain";
    }
    if (s.length() > 254) {
      return "longer than 254 characters";
    }
    int at = s.lastIndexOf('@');
    if (at < 0) {
      return "no @";
    }
    String local = s.substring(0, at);
    String domain = s.substring(at + 1);
    if (local.isEmpty() || local.length() > 64) {
      return "local part must have 1 to 64 characters";
    }
    if (!LOCAL.matcher(local).matches()) {
      return "local part has characters outside the RFC 5322 dot-atom";
    }
    if (domain.isEmpty() || domain.length() > 253) {
      return "domain must have 1 to 253 characters";
    }
    String[] labels = domain.split("\\.", -1);
    if (labels.length < 2) {
      return "domain needs at least two labels";
    }
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return "domain has an invalid label";
      }
    }
    if (labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
      return "top-level domain cannot be numeric";
    }
    return null;
  }

  /** Returns a masked form such as {@code a***@example.org}, safe for logs. */
  @Override
  public String toString() {
    return value.charAt(0) + "***@" + domain();
  }
}
