package org.optin4j.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.optin4j.StoreException;
import org.optin4j.feed.WebhookSecret;

/**
 * Seals webhook secrets for the store: AES-256-GCM under a key derived from the installation's pepper
 * (HMAC-SHA256 of a label), with the endpoint id and the secret's id as associated data, so that a copy of the
 * database alone gives no secret away, and a sealed secret moved to another endpoint's row does not open. The sealed
 * form is {@code <secret id>:<base64url(nonce | ciphertext | tag)>}. Immutable and thread-safe.
 */
public final class WebhookSecretSeal {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKey key;
  private final SecureRandom random;

  /**
   * Derives the sealing key from the pepper.
   *
   * @param pepper the installation's pepper (an HmacSHA256 key)
   * @param random nonces
   */
  public WebhookSecretSeal(SecretKey pepper, SecureRandom random) {
    this.random = random;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(pepper);
      byte[] derived =
          mac.doFinal("optin4j webhook secret seal\0".getBytes(StandardCharsets.US_ASCII));
      this.key = new SecretKeySpec(derived, "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /**
   * Seals a secret of an endpoint.
   *
   * @param endpointId the endpoint
   * @param secret the secret
   * @return the sealed form
   */
  public String seal(String endpointId, WebhookSecret secret) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] plain = secret.key();
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(aad(endpointId, secret.id()));
      byte[] boxed = c.doFinal(plain);
      byte[] out = new byte[NONCE_BYTES + boxed.length];
      System.arraycopy(nonce, 0, out, 0, NONCE_BYTES);
      System.arraycopy(boxed, 0, out, NONCE_BYTES, boxed.length);
      return secret.id() + ":" + Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM is required of every Java platform", e);
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }

  /**
   * Opens a sealed secret of an endpoint.
   *
   * @param endpointId the endpoint whose row held it
   * @param sealed the sealed form
   * @return the secret
   * @throws StoreException if it does not open (another pepper, another endpoint, tampered)
   */
  public WebhookSecret open(String endpointId, String boxed) {
    int colon = boxed.indexOf(':');
    if (colon < 0) {
      throw new StoreException("a sealed webhook secret is malformed");
    }
    String id = boxed.substring(0, colon);
    try {
      byte[] in = Base64.getUrlDecoder().decode(boxed.substring(colon + 1));
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      c.updateAAD(aad(endpointId, id));
      byte[] plain = c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES);
      try {
        return WebhookSecret.ofKey(plain);
      } finally {
        Arrays.fill(plain, (byte) 0);
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // No cause: nothing of the secret may travel in the exception.
      throw new StoreException(
          "a webhook secret of endpoint "
              + endpointId
              + " does not open: sealed under another pepper, or altered");
    }
  }

  /**
   * Returns the secret id of a sealed secret.
   *
   * @param sealed the sealed form
   * @return the id
   */
  public static String idOf(String boxed) {
    int colon = boxed.indexOf(':');
    return colon < 0 ? boxed : boxed.substring(0, colon);
  }

  private static byte[] aad(String endpointId, String secretId) {
    return (endpointId + "\0" + secretId).getBytes(StandardCharsets.UTF_8);
  }
}
