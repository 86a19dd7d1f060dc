package org.optin4j;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A normalised email address: the key under which a person's consents, caps and suppression are kept.
 *
 * <p>Normalisation, applied by {@link #check(String)} (and {@link #parse(String)}, which throws instead):
 *
 * <ol>
 *   <li>surrounding white space is removed; any control character (CR, LF, NUL, ...) anywhere is refused, so an
 *       address can never inject a mail header (RFC 5322 section 2.2);
 *   <li>text that reads as UTF-8 decoded with ISO-8859-1 or windows-1252 ({@code bÃ¼cher} for {@code bücher}) is
 *       refused: a form read with the wrong character set must not mail a look-alike domain;
 *   <li>the domain is converted to lowercase ASCII, internationalised domains to their A-label ({@code bücher.example}
 *       becomes {@code xn--bcher-kva.example}) per IDNA 2008 with the nontransitional mapping of UTS 46, so
 *       {@code straße.de} becomes {@code xn--strae-oqa.de}; a label that mixes scripts, is not valid IDNA 2008, or does
 *       not survive a round trip A-label to U-label to A-label is refused; a trailing dot is removed;
 *   <li>the local part is lowercased: A-Z, and non-ASCII letters whose lowercase is not ASCII (so {@code ZOË} becomes
 *       {@code zoë}, but KELVIN SIGN U+212A never becomes {@code k}). RFC 5321 lets a server treat it case-sensitively,
 *       but no mainstream mailbox provider does, and treating {@code Ann@x} and {@code ann@x} as two people would let
 *       one person hold two consent records and bypass the per-address caps;
 *   <li>nothing else: dots and {@code +tags} are kept, because their meaning is provider-specific.
 * </ol>
 *
 * <p>Accepted syntax is the RFC 5322 dot-atom local part (no quoted strings, no comments, no IP-literal domains), at
 * most 64 octets, and a domain of at least two labels, at most 253 characters; at most 254 octets in all. The local
 * part may hold non-ASCII letters, marks and digits (RFC 6531/6532, "SMTPUTF8"): in one script, in Unicode
 * normalisation form NFKC (compatibility forms such as full-width letters are refused, never rewritten). Mail to such
 * an address needs a mail server that offers SMTPUTF8 ({@link #needsSmtpUtf8()}); {@code OptIn} refuses it at signup
 * when its mailer cannot send it.
 *
 * <p>{@link #value()} is the one canonical form (A-label domain): what stores key on, what the suppression hash is
 * computed from, so {@code idn@bücher.example} and {@code idn@xn--bcher-kva.example} are one person. It is unchanged
 * from earlier versions for ASCII addresses. {@link #unicode()} is the address as a person writes it (U-label domain),
 * for mail headers where SMTPUTF8 allows it, pages and the data export.
 *
 * <p>{@link #toString()} masks the address so that it never lands in a log by accident; {@link #value()} gives the
 * address itself. Immutable and thread-safe.
 *
 * @param value the normalised address, in its canonical form
 */
public record EmailAddress(String value) {
  private static final String ATEXT = "a-z0-9!#$%&'*+/=?^_`{|}~-";

  /** Dot-atom; non-ASCII code points are let through here and checked one by one in {@link #problem}. */
  private static final Pattern LOCAL =
      Pattern.compile("[[^\\x00-\\x7F]" + ATEXT + "]+(\\.[[^\\x00-\\x7F]" + ATEXT + "]+)*");

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

  /** Checks that the value is already in normal form; use {@link #parse(String)} for user input. */
  public EmailAddress {
    Objects.requireNonNull(value, "email address");
    AddressCheck.Refused refused = problem(value);
    if (refused != null) {
      throw new IllegalArgumentException(refused.message());
    }
    // Stored values are checked for syntax and normal form only, not converted again: a domain
    // stored as an A-label
    // stays readable even where a stricter parse would now refuse its U-label.
    int at = value.lastIndexOf('@');
    if (!lowerLocal(value.substring(0, at)).equals(value.substring(0, at))) {
      throw new IllegalArgumentException("email address is not normalised; use EmailAddress.parse");
    }
  }

  /**
   * Checks and normalises what a person typed, answering why it is refused as a value: the one parse of a form's
   * address, whose result is then passed on as an {@link EmailAddress} (for example in a {@link ConsentRequest}).
   *
   * @param input what the person typed, may be {@code null} (refused as {@link AddressCheck.Reason#MISSING})
   * @return the normalised address, or the reason and a message free of the input itself
   */
  public static AddressCheck check(String input) {
    if (input == null) {
      return refused(AddressCheck.Reason.MISSING, "missing");
    }
    Normalised n = normalise(input);
    AddressCheck.Refused refused = n.problem() != null ? n.problem() : problem(n.value());
    return refused != null ? refused : new AddressCheck.Valid(new EmailAddress(n.value()));
  }

  /**
   * Parses and normalises an address the program knows to be valid (configuration, imports, tests). For what a person
   * typed, use {@link #check(String)}: a refusal there is an answer, not an exception.
   *
   * @param input the address
   * @return the normalised address
   * @throws IllegalArgumentException with {@link AddressCheck.Refused#message()} if it is not a valid address
   */
  public static EmailAddress parse(String input) {
    Objects.requireNonNull(input, "email address");
    AddressCheck checked = check(input);
    if (checked instanceof AddressCheck.Refused refused) {
      throw new IllegalArgumentException(refused.message());
    }
    return ((AddressCheck.Valid) checked).address();
  }

  /**
   * Parses user input, answering empty instead of throwing, where the reason does not matter.
   *
   * @param input what the person typed, may be {@code null}
   * @return the normalised address, or empty if invalid
   */
  public static Optional<EmailAddress> tryParse(String input) {
    return check(input) instanceof AddressCheck.Valid valid
        ? Optional.of(valid.address())
        : Optional.empty();
  }

  /** Returns the domain part, in ASCII (A-labels). */
  public String domain() {
    return value.substring(value.lastIndexOf('@') + 1);
  }

  /** Returns the local part. */
  public String localPart() {
    return value.substring(0, value.lastIndexOf('@'));
  }

  /**
   * Returns the address as a person writes it: the local part, and the domain with its A-labels shown as U-labels
   * ({@code idn@bücher.example} for {@code idn@xn--bcher-kva.example}). Equal to {@link #value()} for a plain ASCII
   * domain. For display, the data export and, where the mail server offers SMTPUTF8, the {@code To} header; never a
   * key.
   *
   * @return the address with a Unicode domain
   */
  public String unicode() {
    return localPart() + '@' + DomainName.toUnicode(domain());
  }

  /**
   * Whether the local part has non-ASCII characters, so that a mail to this address can only go through a server that
   * offers SMTPUTF8 (RFC 6531). A non-ASCII domain alone does not need it: the envelope carries the A-label.
   *
   * @return true if the local part is not ASCII
   */
  public boolean needsSmtpUtf8() {
    return !DomainName.isAscii(localPart());
  }

  /** The normalised text, or why there is none. */
  private record Normalised(String value, AddressCheck.Refused problem) {}

  private static AddressCheck.Refused refused(AddressCheck.Reason reason, String why) {
    return new AddressCheck.Refused(reason, "invalid email address: " + why);
  }

  private static Normalised normalise(String input) {
    // Checked before strip(): CR and LF are white space too, and must be refused, not trimmed away.
    for (int i = 0; i < input.length(); i++) {
      if (Character.isISOControl(input.charAt(i))) {
        return new Normalised(
            null,
            refused(
                AddressCheck.Reason.CONTROL_CHARACTER,
                "contains a control character or an invalid domain"));
      }
    }
    String s = input.strip();
    if (s.length()
        > 1024) { // before any Unicode work: Punycode's cost grows with the square of a label's
      // length
      return new Normalised(
          null, refused(AddressCheck.Reason.TOO_LONG, "longer than 254 characters"));
    }
    if (!DomainName.isAscii(s) && misdecoded(s)) {
      return new Normalised(
          null,
          refused(
              AddressCheck.Reason.WRONG_CHARACTER_SET,
              "looks like UTF-8 text decoded with the wrong character set"));
    }
    int at = s.lastIndexOf('@');
    if (at <= 0 || at == s.length() - 1) {
      return new Normalised(s, null);
    }
    String local = lowerLocal(s.substring(0, at));
    String domain = s.substring(at + 1);
    if (domain.endsWith(".")) {
      domain = domain.substring(0, domain.length() - 1);
    }
    DomainName.Conversion ascii = DomainName.toAscii(domain);
    if (ascii.problem() != null) {
      return new Normalised(null, refused(AddressCheck.Reason.DOMAIN_IDNA, ascii.problem()));
    }
    return new Normalised(local + '@' + ascii.ascii(), null);
  }

  /**
   * Lowercases A-Z, and non-ASCII letters whose lowercase is not ASCII. {@code String.toLowerCase} would fold some
   * non-ASCII letters into ASCII (KELVIN SIGN U+212A becomes {@code k}, U+0130 {@code i}), letting a non-ASCII local
   * part pass as another person's address; those stay as typed (and KELVIN SIGN is then refused as not NFKC).
   */
  private static String lowerLocal(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints()
        .forEach(
            cp -> {
              int lower = Character.toLowerCase(cp);
              b.appendCodePoint(cp < 0x80 || lower >= 0x80 ? lower : cp);
            });
    return b.toString();
  }

  /**
   * Whether non-ASCII text is, byte for byte, UTF-8 that was decoded as ISO-8859-1 or windows-1252: {@code Ã¼} is the
   * two bytes of {@code ü}. Real text almost never reads so: it would need a letter such as Ã followed by C1 controls
   * or symbols such as ¼.
   */
  private static boolean misdecoded(String s) {
    for (Charset single : new Charset[] {StandardCharsets.ISO_8859_1, WINDOWS_1252}) {
      if (!single.newEncoder().canEncode(s)) {
        continue;
      }
      byte[] bytes = s.getBytes(single);
      CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
      CharBuffer out = CharBuffer.allocate(bytes.length);
      if (!utf8.decode(ByteBuffer.wrap(bytes), out, true).isError() && !utf8.flush(out).isError()) {
        return true;
      }
    }
    return false;
  }

  /** The length in UTF-8 octets, which RFC 5321 limits, without encoding (parsing is on the path of every lookup). */
  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      n +=
          c < 0x80
              ? 1
              : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a surrogate pair: 4 octets
    }
    return n;
  }

  private static AddressCheck.Refused problem(String s) {
    if (utf8Length(s) > 254) {
      return refused(AddressCheck.Reason.TOO_LONG, "longer than 254 characters");
    }
    int at = s.lastIndexOf('@');
    if (at < 0) {
      return refused(AddressCheck.Reason.NO_AT, "no @");
    }
    String local = s.substring(0, at);
    String domain = s.substring(at + 1);
    if (local.isEmpty() || utf8Length(local) > 64) {
      return refused(
          AddressCheck.Reason.LOCAL_PART_LENGTH, "local part must have 1 to 64 characters");
    }
    if (!LOCAL.matcher(local).matches()) {
      return refused(
          AddressCheck.Reason.LOCAL_PART_SYNTAX,
          "local part has characters outside the RFC 5322 dot-atom");
    }
    if (!DomainName.isAscii(local)) {
      AddressCheck.Refused reason = unicodeLocalProblem(local);
      if (reason != null) {
        return reason;
      }
    }
    if (domain.isEmpty() || domain.length() > 253) {
      return refused(AddressCheck.Reason.DOMAIN_LENGTH, "domain must have 1 to 253 characters");
    }
    String[] labels = domain.split("\\.", -1);
    if (labels.length < 2) {
      return refused(AddressCheck.Reason.DOMAIN_SYNTAX, "domain needs at least two labels");
    }
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return refused(AddressCheck.Reason.DOMAIN_SYNTAX, "domain has an invalid label");
      }
    }
    if (labels[labels.length - 1].chars().allMatch(Character::isDigit)) {
      return refused(AddressCheck.Reason.DOMAIN_SYNTAX, "top-level domain cannot be numeric");
    }
    return null;
  }

  /** RFC 6531 local part: letters, marks and digits beyond ASCII, NFKC, one script. */
  private static AddressCheck.Refused unicodeLocalProblem(String local) {
    boolean lettersOnly =
        local.codePoints().filter(cp -> cp >= 0x80).allMatch(EmailAddress::isLetterMarkOrDigit);
    if (!lettersOnly) {
      return refused(
          AddressCheck.Reason.LOCAL_PART_SYNTAX,
          "local part has characters outside the RFC 5322 dot-atom");
    }
    if (!Normalizer.isNormalized(local, Normalizer.Form.NFKC)) {
      return refused(
          AddressCheck.Reason.LOCAL_PART_UNICODE,
          "local part has Unicode compatibility characters or is not in normal form NFKC");
    }
    if (!DomainName.singleScript(local)) {
      return refused(AddressCheck.Reason.LOCAL_PART_UNICODE, "local part mixes scripts");
    }
    return null;
  }

  /** What a domain label may hold beyond ASCII, and upper- and titlecase letters, which a local part keeps. */
  private static boolean isLetterMarkOrDigit(int cp) {
    int type = Character.getType(cp);
    return type == Character.UPPERCASE_LETTER
        || type == Character.TITLECASE_LETTER
        || DomainName.isLowercaseLetterMarkOrDigit(cp);
  }

  /** Returns a masked form such as {@code a***@example.org}, safe for logs. */
  @Override
  public String toString() {
    return Character.toString(value.codePointAt(0)) + "***@" + domain();
  }
}
