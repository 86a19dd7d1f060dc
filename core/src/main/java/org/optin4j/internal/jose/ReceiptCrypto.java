package org.optin4j.internal.jose;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.optin4j.ConfigurationException;

/**
 * The JOSE side of consent receipts (Nimbus lives here and in {@link TokenService} only): EC P-256 keys as JWK,
 * ES256 compact JWS signing (RFC 7515, RFC 7518 section 3.4) and strict verification.
 *
 * <p>Verification follows RFC 8725: the algorithm is fixed to ES256 and only compared against the header
 * (section 3.1), the {@code typ} must be {@value #TYPE} (section 3.11), the key is chosen by {@code kid} among the
 * given JWK set only ({@code jku}, {@code jwk}, {@code x5u}, {@code x5c} and {@code crit} are refused: section 3.10),
 * and inputs over {@value #MAX_LENGTH} characters are refused before parsing. Stateless and thread-safe.
 */
public final class ReceiptCrypto {
  /** The JOSE {@code typ} of a consent receipt. */
  public static final String TYPE = "consent-receipt+jwt";

  /** The longest receipt or key set accepted for verification. */
  public static final int MAX_LENGTH = 65_536;

  private static final Set<String> HEADER_PARAMS = Set.of("alg", "typ", "kid");

  private ReceiptCrypto() {}

  /** An EC P-256 key with its id: private part present for the active key, absent for verify-only ones. */
  public record Key(String kid, ECPublicKey publicKey, ECPrivateKey privateKey) {}

  /**
   * Generates a P-256 key pair.
   *
   * @param kid the key id
   * @return the key
   */
  public static Key generate(String kid) {
    try {
      ECKey k = new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
      return new Key(kid, k.toECPublicKey(), k.toECPrivateKey());
    } catch (JOSEException e) {
      throw new IllegalStateException("EC P-256 is required of every Java platform", e);
    }
  }

  /**
   * Reads an EC P-256 JWK (RFC 7517) with a {@code kid}.
   *
   * @param json the JWK
   * @param needPrivate whether the private part ({@code d}) is required
   * @return the key
   * @throws ConfigurationException if it is not such a key; the message names no key material
   */
  public static Key parseJwk(String json, boolean needPrivate) {
    try {
      JWK jwk = JWK.parse(json);
      if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
        throw new ConfigurationException("receipt keys: the JWK must be an EC key on curve P-256");
      }
      if (ec.getKeyID() == null) {
        throw new ConfigurationException("receipt keys: the JWK needs a kid");
      }
      if (needPrivate && !ec.isPrivate()) {
        throw new ConfigurationException("receipt keys: the active JWK needs its private part (d)");
      }
      return new Key(
          ec.getKeyID(), ec.toECPublicKey(), ec.isPrivate() ? ec.toECPrivateKey() : null);
    } catch (ParseException | JOSEException e) {
      throw new ConfigurationException("receipt keys: not a valid EC JWK");
    }
  }

  /**
   * Checks that a public key is on P-256 and that a private key belongs to it (by signing and verifying).
   *
   * @param key the key
   * @throws ConfigurationException if not
   */
  public static void check(Key key) {
    try {
      if (!Curve.P_256.equals(Curve.forECParameterSpec(key.publicKey().getParams()))) {
        throw new ConfigurationException(
            "receipt keys: key \"" + key.kid() + "\" is not on curve P-256");
      }
      if (key.privateKey() != null) {
        JWSObject probe = new JWSObject(new JWSHeader(JWSAlgorithm.ES256), new Payload("probe"));
        probe.sign(new ECDSASigner(key.privateKey()));
        if (!probe.verify(new ECDSAVerifier(key.publicKey()))) {
          throw new ConfigurationException(
              "receipt keys: the private and public key of \""
                  + key.kid()
                  + "\" do not belong together");
        }
      }
    } catch (JOSEException e) {
      throw new ConfigurationException(
          "receipt keys: key \"" + key.kid() + "\" is not usable for ES256");
    }
  }

  /**
   * Returns a key as JWK JSON.
   *
   * @param key the key
   * @param includePrivate whether to include {@code d} (secret!)
   * @return the JWK
   */
  public static String jwk(Key key, boolean includePrivate) {
    ECKey k = ecKey(key);
    return includePrivate ? k.toJSONString() : k.toPublicJWK().toJSONString();
  }

  /**
   * Returns the public JWK set (RFC 7517 section 5) of keys.
   *
   * @param keys the keys
   * @return the JSON, public parts only
   */
  public static String jwks(List<Key> keys) {
    List<JWK> list = new ArrayList<>();
    for (Key k : keys) {
      list.add(ecKey(k).toPublicJWK());
    }
    return new JWKSet(list).toString(true);
  }

  private static ECKey ecKey(Key key) {
    ECKey.Builder b =
        new ECKey.Builder(Curve.P_256, key.publicKey())
            .keyID(key.kid())
            .keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.ES256);
    if (key.privateKey() != null) {
      b.privateKey(key.privateKey());
    }
    return b.build();
  }

  /**
   * Signs a receipt payload as compact JWS with ES256.
   *
   * @param key the active key (with its private part)
   * @param payload the receipt claims
   * @return the compact JWS
   */
  public static String sign(Key key, Map<String, Object> payload) {
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.ES256)
            .type(new JOSEObjectType(TYPE))
            .keyID(key.kid())
            .build();
    JWSObject jws = new JWSObject(header, new Payload(JSONObjectUtils.toJSONString(payload)));
    try {
      jws.sign(new ECDSASigner(key.privateKey()));
    } catch (JOSEException e) {
      throw new IllegalStateException(
          "signing a consent receipt failed: " + e.getClass().getName(), e);
    }
    return jws.serialize();
  }

  /** The outcome of {@link #verify}: the verified payload, or why it was refused. */
  public sealed interface Checked {
    /**
     * The signature verifies.
     *
     * @param kid the key that signed
     * @param payload the payload as parsed JSON
     * @param json the payload text
     */
    record Verified(String kid, Map<String, Object> payload, String json) implements Checked {}

    /**
     * Refused.
     *
     * @param reason why, free of key material
     */
    record Refused(String reason) implements Checked {}
  }

  /**
   * Verifies a receipt against a JWK set.
   *
   * @param jws the compact JWS
   * @param jwksJson the JWK set
   * @return verified payload, or the reason for refusal; never throws
   */
  public static Checked verify(String jws, String jwksJson) {
    if (jws == null || jws.isEmpty() || jws.length() > MAX_LENGTH) {
      return new Checked.Refused("receipt missing or longer than " + MAX_LENGTH + " characters");
    }
    if (jwksJson == null || jwksJson.length() > MAX_LENGTH) {
      return new Checked.Refused("key set missing or longer than " + MAX_LENGTH + " characters");
    }
    JWSObject object;
    try {
      object = JWSObject.parse(jws.strip());
    } catch (ParseException | RuntimeException e) {
      return new Checked.Refused("not a compact JWS with a JWS algorithm");
    }
    JWSHeader header = object.getHeader();
    if (!JWSAlgorithm.ES256.equals(header.getAlgorithm())) {
      return new Checked.Refused("algorithm must be ES256, was " + header.getAlgorithm());
    }
    if (header.getType() == null || !TYPE.equals(header.getType().getType())) {
      return new Checked.Refused("typ must be " + TYPE);
    }
    if (!HEADER_PARAMS.containsAll(header.getIncludedParams())
        || header.getCriticalParams() != null) {
      return new Checked.Refused("header may only carry alg, typ and kid");
    }
    String kid = header.getKeyID();
    if (kid == null) {
      return new Checked.Refused("kid missing");
    }
    JWKSet set;
    try {
      set = JWKSet.parse(jwksJson);
    } catch (ParseException | RuntimeException e) {
      return new Checked.Refused("key set is not a JWK set");
    }
    JWK jwk = set.getKeyByKeyId(kid);
    if (!(jwk instanceof ECKey ec) || !Curve.P_256.equals(ec.getCurve())) {
      return new Checked.Refused("no EC P-256 key with the receipt's kid in the key set");
    }
    try {
      if (!object.verify(new ECDSAVerifier(ec.toPublicJWK().toECPublicKey()))) {
        return new Checked.Refused("signature does not verify");
      }
    } catch (JOSEException | RuntimeException e) {
      return new Checked.Refused("signature does not verify");
    }
    String json = object.getPayload().toString();
    try {
      return new Checked.Verified(kid, JSONObjectUtils.parse(json), json);
    } catch (ParseException e) {
      return new Checked.Refused("payload is not a JSON object");
    }
  }
}
