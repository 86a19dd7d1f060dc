package org.optin4j.feed;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A webhook signing secret in the Standard Webhooks form: {@code whsec_} followed by the base64 of 24 to 64 random
 * bytes (Standard Webhooks, "Signature scheme", symmetric: HMAC-SHA256, secret between 192 and 512 bits).
 *
 * <p>The sender signs every message with each active secret of an endpoint ({@link Webhooks#addSecret}); the receiver
 * verifies with the ones it holds ({@link WebhookVerifier}). {@link #toString()} never prints the secret, only its
 * {@link #id()}; {@link #encoded()} is the one way out, for handing it to the receiver once. The id is a short
 * one-way fingerprint, so an operator can name a secret (to retire it) without seeing it.
 *
 * <p>Immutable and thread-safe.
 */
public final class WebhookSecret {
  /** The prefix of the string form. */
  public static final String PREFIX = "whsec_";

  /** The fewest key bytes: 24 (192 bits). */
  public static final int MIN_BYTES = 24;

  /** The most key bytes: 64 (512 bits). */
  public static final int MAX_BYTES = 64;

  private final byte[] key;
  private final String id;

  private WebhookSecret(byte[] key) {
    this.key = key;
    this.id = fingerprint(key);
  }

  /**
   * Generates a new secret of 32 random bytes.
   *
   * @param random the source of randomness
   * @return the secret
   */
  public static WebhookSecret generate(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    byte[] key = new byte[32];
    random.nextBytes(key);
    return new WebhookSecret(key);
  }

  /**
   * Reads a secret from its string form, {@code whsec_} and standard base64 (padding optional).
   *
   * @param text the string form
   * @return the secret
   * @throws IllegalArgumentException if the prefix is missing, the rest is not base64, or the key is not 24 to 64
   *     bytes; the message never contains the text
   */
  public static WebhookSecret parse(String text) {
    Objects.requireNonNull(text, "text");
    if (!text.startsWith(PREFIX)) {
      throw new IllegalArgumentException("a webhook secret starts with " + PREFIX);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      // No cause: the decoder's message may quote a character of the secret.
      throw new IllegalArgumentException("a webhook secret is " + PREFIX + " and base64");
    }
    return ofKey(key);
  }

  /**
   * Makes a secret of raw key bytes (copied).
   *
   * @param key 24 to 64 bytes
   * @return the secret
   * @throws IllegalArgumentException if the key is too short or too long
   */
  public static WebhookSecret ofKey(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
      throw new IllegalArgumentException(
          "a webhook secret has " + MIN_BYTES + " to " + MAX_BYTES + " bytes, was " + key.length);
    }
    return new WebhookSecret(key.clone());
  }

  /**
   * Returns the secret's id: {@code whk_} and 16 hex digits of a SHA-256 of the key. Safe to show and log.
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * Returns the string form, {@code whsec_} and base64, to hand to the receiver. Treat it as a password.
   *
   * @return the string form
   */
  public String encoded() {
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /**
   * Returns a copy of the key bytes, for the HMAC.
   *
   * @return the key
   */
  public byte[] key() {
    return key.clone();
  }

  /**
   * Signs a message as Standard Webhooks does: HMAC-SHA256, keyed by this secret, of {@code <id>.<timestamp>.<body>}
   * (the body's UTF-8 bytes as sent), in the header form {@code v1,<base64>}.
   *
   * @param id the message id ({@code webhook-id})
   * @param timestampSeconds the attempt's time in seconds since the epoch ({@code webhook-timestamp})
   * @param body the exact body sent
   * @return one signature of the {@code webhook-signature} header
   */
  public String sign(String id, long timestampSeconds, byte[] body) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(body, "body");
    return "v1," + Base64.getEncoder().encodeToString(mac(id, timestampSeconds, body));
  }

  /** The raw HMAC of a message under this secret. */
  byte[] mac(String id, long timestampSeconds, byte[] body) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /** Constant-time comparison of the keys. */
  @Override
  public boolean equals(Object o) {
    return o instanceof WebhookSecret other && MessageDigest.isEqual(key, other.key);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** Names the secret by its id only. */
  @Override
  public String toString() {
    return "WebhookSecret[" + id + "]";
  }

  private static String fingerprint(byte[] key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update("optin4j webhook secret id\0".getBytes(StandardCharsets.US_ASCII));
      byte[] digest = sha.digest(key);
      String hex = HexFormat.of().formatHex(Arrays.copyOf(digest, 8));
      return "whk_" + hex;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }
}
