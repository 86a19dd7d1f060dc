package org.optin4j.servlet;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless CSRF tokens: {@code issuedAt.nonce.mac}, where the mac is HMAC-SHA256 over a purpose-bound context (the
 * form, or the hash of the signed link the page was opened with), the issue time and a random nonce. A token of one
 * form or link is refused by every other; tokens expire; the comparison is constant-time. No cookie and no session are
 * needed (OWASP CSRF Cheat Sheet, "HMAC based token"), which pairs with the Origin / Sec-Fetch-Site check.
 *
 * <p>Immutable and thread-safe.
 */
final class FormTokens {
  private static final int MAX_LENGTH = 200;
  private static final Duration SKEW = Duration.ofSeconds(60);

  private final SecretKeySpec key;
  private final Mac prototype;
  private final Clock clock;
  private final Duration ttl;
  private final SecureRandom random = new SecureRandom();
  private final MessageDigest sha256 = sha256Prototype();

  FormTokens(byte[] key, Clock clock, Duration ttl) {
    this.key = new SecretKeySpec(key, "HmacSHA256");
    this.prototype = prototype(this.key);
    this.clock = clock;
    this.ttl = ttl;
  }

  /** The context of the subscribe form, hosted or drop-in. */
  static String signupContext() {
    return "signup";
  }

  /** The context of forms on a page opened with a signed link: bound to that link. */
  String linkContext(String kind, String linkToken) {
    return kind + ":" + sha256(linkToken);
  }

  String issue(String context) {
    long at = clock.instant().getEpochSecond();
    byte[] n = new byte[18];
    random.nextBytes(n);
    String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
    return at + "." + nonce + "." + mac(context, at, nonce);
  }

  boolean verify(String context, String token) {
    if (token == null || token.length() > MAX_LENGTH) {
      return false;
    }
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3
        || !parts[0].matches("[0-9]{1,12}")
        || !parts[1].matches("[A-Za-z0-9_-]{24}")) {
      return false;
    }
    long at = Long.parseLong(parts[0]);
    String expected = mac(context, at, parts[1]);
    if (!MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII),
        parts[2].getBytes(StandardCharsets.US_ASCII))) {
      return false;
    }
    long now = clock.instant().getEpochSecond();
    return at <= now + SKEW.toSeconds() && now - at <= ttl.toSeconds();
  }

  private String mac(String context, long at, String nonce) {
    try {
      Mac mac = newMac();
      byte[] out =
          mac.doFinal(
              ("optin4j-form|" + context + "|" + at + "|" + nonce)
                  .getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /**
   * A fresh Mac with the key, cloned from one set up at construction: {@code Mac.getInstance} and {@code init} on each
   * call (provider lookup, key schedule) cost more than the HMAC of a form token itself. A Mac is not thread-safe, so
   * each call gets its own.
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
    mac.init(key);
    return mac;
  }

  private static Mac prototype(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /**
   * The SHA-256 of a string, base64url. The digest is cloned from one set up at construction, as the Mac is: every
   * page opened with a link and every POST from it binds its form token to the link's hash.
   */
  String sha256(String s) {
    MessageDigest digest;
    try {
      digest = (MessageDigest) sha256.clone();
    } catch (CloneNotSupportedException e) {
      digest = sha256Prototype();
    }
    byte[] d = digest.digest(s.getBytes(StandardCharsets.UTF_8));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
  }

  private static MessageDigest sha256Prototype() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
