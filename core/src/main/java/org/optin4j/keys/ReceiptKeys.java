package org.optin4j.keys;

import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.optin4j.ConfigurationException;
import org.optin4j.internal.jose.ReceiptCrypto;
import org.optin4j.rights.SubjectRights;

/**
 * The EC P-256 keys that sign consent receipts (ES256, RFC 7518 section 3.4): one active key pair that signs, and
 * verify-only public keys of earlier key pairs, each with its key id ({@code kid}). All public keys are published as
 * a JWK set ({@link SubjectRights#receiptJwks()}, served by the servlet adapter at
 * {@code /.well-known/jwks.json}), so that anyone holding a receipt can check it, years later too: keep retired
 * public keys in the set for as long as their receipts matter.
 *
 * <p>Unlike {@link SigningKeys} (HMAC, secret, for links only the app checks) these keys are asymmetric: the app
 * alone can sign, everyone can verify. Load the active key from a secret store in production; {@link #generate}
 * keys vanish with the process, and receipts signed with them can no longer be checked once the key set is gone.
 *
 * <p>Immutable and thread-safe. {@link #toString()} names the key ids only, never key material.
 */
public final class ReceiptKeys {
  private static final Pattern KID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private final ReceiptCrypto.Key active;
  private final List<ReceiptCrypto.Key> previous;

  private ReceiptKeys(ReceiptCrypto.Key active, List<ReceiptCrypto.Key> previous) {
    this.active = active;
    this.previous = List.copyOf(previous);
  }

  /**
   * Generates a fresh P-256 key pair, for tests and demos (or to create a key once and store
   * {@link #activePrivateJwk()}).
   *
   * @param kid the key id, {@code [A-Za-z0-9._-]{1,64}}
   * @return the keys
   * @throws ConfigurationException if the kid is invalid
   */
  public static ReceiptKeys generate(String kid) {
    return new ReceiptKeys(ReceiptCrypto.generate(checkKid(kid)), List.of());
  }

  /**
   * Loads the active key pair from a private EC P-256 JWK (RFC 7517) that carries its {@code kid}.
   *
   * @param privateJwk the JWK JSON with {@code d}
   * @return the keys
   * @throws ConfigurationException if it is not such a key (the message names no key material)
   */
  public static ReceiptKeys fromJwk(String privateJwk) {
    ReceiptCrypto.Key key =
        ReceiptCrypto.parseJwk(Objects.requireNonNull(privateJwk, "privateJwk"), true);
    checkKid(key.kid());
    ReceiptCrypto.check(key);
    return new ReceiptKeys(key, List.of());
  }

  /**
   * Loads the active key pair from PEM text: the private key as PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}, as
   * {@code openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256} writes it) and the public key as
   * SubjectPublicKeyInfo ({@code -----BEGIN PUBLIC KEY-----}, {@code openssl pkey -pubout}). Both are needed because
   * the JDK cannot derive an EC public key from the private one; the pair is checked to belong together.
   *
   * @param kid the key id
   * @param privateKeyPem the PKCS#8 PEM
   * @param publicKeyPem the public key PEM
   * @return the keys
   * @throws ConfigurationException if a key is unreadable, not on P-256, or the two do not belong together
   */
  public static ReceiptKeys fromPem(String kid, String privateKeyPem, String publicKeyPem) {
    checkKid(kid);
    try {
      KeyFactory ec = KeyFactory.getInstance("EC");
      ECPrivateKey priv =
          (ECPrivateKey)
              ec.generatePrivate(new PKCS8EncodedKeySpec(pem(privateKeyPem, "PRIVATE KEY")));
      ECPublicKey pub =
          (ECPublicKey) ec.generatePublic(new X509EncodedKeySpec(pem(publicKeyPem, "PUBLIC KEY")));
      ReceiptCrypto.Key key = new ReceiptCrypto.Key(kid, pub, priv);
      ReceiptCrypto.check(key);
      return new ReceiptKeys(key, List.of());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("EC is required of every Java platform", e);
    } catch (InvalidKeySpecException | ClassCastException e) {
      throw new ConfigurationException(
          "receipt keys: key \"" + kid + "\" is not a readable EC key");
    }
  }

  /**
   * Returns these keys plus a verify-only public key of an earlier key pair, published in the JWK set so that
   * receipts it signed still verify.
   *
   * @param publicJwk the earlier key as EC P-256 JWK with its {@code kid} (a private part is ignored)
   * @return new keys
   * @throws ConfigurationException if the JWK is invalid or its kid is taken
   */
  public ReceiptKeys withPrevious(String publicJwk) {
    ReceiptCrypto.Key parsed =
        ReceiptCrypto.parseJwk(Objects.requireNonNull(publicJwk, "publicJwk"), false);
    checkKid(parsed.kid());
    ReceiptCrypto.Key key = new ReceiptCrypto.Key(parsed.kid(), parsed.publicKey(), null);
    ReceiptCrypto.check(key);
    if (kids().contains(key.kid())) {
      throw new ConfigurationException("receipt keys: kid \"" + key.kid() + "\" is used twice");
    }
    List<ReceiptCrypto.Key> more = new ArrayList<>(previous);
    more.add(key);
    return new ReceiptKeys(active, more);
  }

  /** Returns the id of the key that signs. */
  public String activeKid() {
    return active.kid();
  }

  /** Returns the ids of all keys, the active one first. */
  public List<String> kids() {
    List<String> kids = new ArrayList<>();
    kids.add(active.kid());
    previous.forEach(k -> kids.add(k.kid()));
    return List.copyOf(kids);
  }

  /**
   * Returns the active key pair as private JWK JSON, to keep a {@link #generate generated} key in a secret store.
   * The result is secret: never log or publish it.
   *
   * @return the JWK with its private part
   */
  public String activePrivateJwk() {
    return ReceiptCrypto.jwk(active, true);
  }

  /**
   * Returns the active public key as JWK JSON, to pass to {@link #withPrevious} after the next rotation.
   *
   * @return the public JWK
   */
  public String activePublicJwk() {
    return ReceiptCrypto.jwk(active, false);
  }

  /**
   * Returns every public key as a JWK set (RFC 7517 section 5), the active one first.
   *
   * @return the JSON, without any private part
   */
  public String publicJwks() {
    List<ReceiptCrypto.Key> all = new ArrayList<>();
    all.add(active);
    all.addAll(previous);
    return ReceiptCrypto.jwks(all);
  }

  @Override
  public String toString() {
    return "ReceiptKeys[active=" + active.kid() + ", kids=" + kids() + "]";
  }

  private static String checkKid(String kid) {
    Objects.requireNonNull(kid, "kid");
    if (!KID.matcher(kid).matches()) {
      throw new ConfigurationException("receipt keys: invalid kid (expected [A-Za-z0-9._-]{1,64})");
    }
    return kid;
  }

  private static byte[] pem(String text, String label) {
    Objects.requireNonNull(text, label);
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    if (from < 0 || to < from) {
      throw new ConfigurationException("receipt keys: expected a PEM block " + begin);
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(
          "receipt keys: the PEM block " + begin + " is not valid base64");
    }
  }
}
