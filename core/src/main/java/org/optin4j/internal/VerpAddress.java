package org.optin4j.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;

/**
 * The VERP envelope sender of an outbox mail (variable envelope return path): {@code <local>+<tag>@<domain>}, where
 * the tag is the subject id (128 bits, 26 base32 characters), a fingerprint of the outbox mail id (6 characters, 30
 * bits, which picks the mail among the subject's few) and a short MAC over both (10 base32 characters, 50 bits) under a
 * key derived from the installation's pepper. A bounce goes to the envelope sender (RFC 5321 section
 * 4.5.5), so its recipient names the mail even when the report mangles the original; the MAC makes a forged report
 * for another mail cost about 2<sup>49</sup> tries, each a mail to the bounce address. The tag is lower case
 * (RFC 4648 base32) because mail systems may fold the case of a local part. Immutable and thread-safe.
 */
public final class VerpAddress {
  /** The most characters the fixed local part may have: the tag takes 43 of the 64 (RFC 5321 section 4.5.3.1.1). */
  public static final int MAX_LOCAL_PART = 16;

  private static final Pattern LOCAL = Pattern.compile("[a-z0-9][a-z0-9._-]{0,15}");
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
  private static final int ID = 26;
  private static final int TAG = 10;
  private static final int FINGERPRINT = 6;

  private final String localPart;
  private final String domain;
  private final SecretKey pepper;
  private final Pattern tagged;

  /**
   * Creates the VERP scheme.
   *
   * @param localPart the fixed local part, e.g. {@code bounces}: lower-case letters, digits, dot, hyphen, underscore,
   *     at most {@value #MAX_LOCAL_PART}
   * @param domain the bounce domain (checked as an address's domain; kept in its ASCII form)
   * @param pepper the installation's secret pepper (the MAC key is derived from it with a label)
   * @throws IllegalArgumentException if the local part does not fit or the domain is not one
   */
  public VerpAddress(String localPart, String domain, SecretKey pepper) {
    Objects.requireNonNull(localPart, "localPart");
    if (!LOCAL.matcher(localPart).matches()) {
      throw new IllegalArgumentException(
          "bounce local part must be 1 to "
              + MAX_LOCAL_PART
              + " lower-case letters, digits, '.', '-' or '_', starting with a letter or digit");
    }
    this.localPart = localPart;
    this.domain =
        EmailAddress.parse(localPart + "@" + Objects.requireNonNull(domain, "domain")).domain();
    this.pepper = Objects.requireNonNull(pepper, "pepper");
    this.tagged =
        Pattern.compile(
            Pattern.quote(localPart)
                + "\\+(["
                + ALPHABET
                + "]{"
                + ID
                + "})(["
                + ALPHABET
                + "]{"
                + FINGERPRINT
                + "})(["
                + ALPHABET
                + "]{"
                + TAG
                + "})@"
                + Pattern.quote(this.domain));
  }

  /**
   * Returns the envelope sender of one mail, or empty for a subject id that is not 16 bytes in base64url (the form
   * the library gives every subject).
   *
   * @param subject the mail's subject
   * @param mailId the outbox mail id
   * @return the address
   */
  public Optional<EmailAddress> of(SubjectId subject, String mailId) {
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(subject.value());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length != 16) {
      return Optional.empty();
    }
    String tag = base32(raw, ID) + fingerprint(mailId);
    return Optional.of(EmailAddress.parse(localPart + "+" + tag + mac(tag) + "@" + domain));
  }

  /**
   * Reads the mail a bounce was addressed for, if {@code address} is one of this scheme's addresses with a MAC that
   * verifies; a forged or mangled tag gives empty.
   *
   * @param address an address from a report ({@code To}, {@code Delivered-To}, {@code X-Original-To}), case ignored
   * @return the subject and the mail's fingerprint
   */
  public Optional<Tagged> read(String address) {
    if (address == null) {
      return Optional.empty();
    }
    Matcher m = tagged.matcher(address.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return Optional.empty();
    }
    byte[] expected = mac(m.group(1) + m.group(2)).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, m.group(3).getBytes(StandardCharsets.US_ASCII))) {
      return Optional.empty();
    }
    String subject = Base64.getUrlEncoder().withoutPadding().encodeToString(unbase32(m.group(1)));
    return SubjectId.tryParse(subject).map(id -> new Tagged(id, m.group(2)));
  }

  /**
   * Tells whether an address is on this scheme's bounce mailbox at all (tag valid or not).
   *
   * @param address an address
   * @return whether its local part starts with the fixed part and a plus, and its domain is the bounce domain
   */
  public boolean isOurs(String address) {
    if (address == null) {
      return false;
    }
    String a = address.trim().toLowerCase(Locale.ROOT);
    return a.startsWith(localPart + "+") && a.endsWith("@" + domain);
  }

  private String fingerprint(String mailId) {
    return base32(digest("optin4j verp mail\0", mailId), FINGERPRINT);
  }

  private String mac(String tag) {
    return base32(digest("optin4j verp\0", tag), TAG);
  }

  private byte[] digest(String label, String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(pepper);
      mac.update(label.getBytes(StandardCharsets.US_ASCII));
      return mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /** The first {@code chars} base32 characters of {@code bytes} (RFC 4648 section 6, lower case, no padding). */
  private static String base32(byte[] bytes, int chars) {
    StringBuilder b = new StringBuilder(chars);
    for (int i = 0; i < chars; i++) {
      int bit = i * 5;
      int value = 0;
      for (int k = 0; k < 5; k++) {
        int at = bit + k;
        int byteIndex = at / 8;
        int v = byteIndex < bytes.length ? (bytes[byteIndex] >> (7 - at % 8)) & 1 : 0;
        value = (value << 1) | v;
      }
      b.append(ALPHABET.charAt(value));
    }
    return b.toString();
  }

  /** The 16 bytes that 26 base32 characters hold (the last two bits are padding). */
  private static byte[] unbase32(String s) {
    byte[] out = new byte[16];
    for (int i = 0; i < s.length(); i++) {
      int value = ALPHABET.indexOf(s.charAt(i));
      for (int k = 0; k < 5; k++) {
        int at = i * 5 + k;
        if (at / 8 < out.length && ((value >> (4 - k)) & 1) == 1) {
          out[at / 8] |= (byte) (1 << (7 - at % 8));
        }
      }
    }
    return out;
  }

  /**
   * The mail a verified VERP address names: its subject, and a fingerprint that picks the mail among the subject's.
   *
   * @param subject the subject
   * @param fingerprint the mail id's fingerprint
   */
  public record Tagged(SubjectId subject, String fingerprint) {}

  /**
   * Tells whether a verified tag names this outbox mail.
   *
   * @param tagged the tag read from a report
   * @param mailId an outbox mail id of the tag's subject
   * @return whether the fingerprints agree
   */
  public boolean names(Tagged tagged, String mailId) {
    return tagged.fingerprint().equals(fingerprint(mailId));
  }
}
