package org.optin4j.internal;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.spec.SecretKeySpec;
import org.optin4j.ConfigurationException;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;

/**
 * Issues and verifies the library's link tokens (confirm, manage, unsubscribe, data request) as compact JWS
 * (RFC 7515 section 7.1) JWTs (RFC 7519) with Nimbus JOSE+JWT, following security rules 1-5 and the JWT best current
 * practices of RFC 8725.
 *
 * <p>What a token looks like: the header carries exactly {@code alg} = {@code HS256}, {@code typ} = the kind's own
 * type and {@code kid} = the active key's id; the claims are {@code iss}, a single {@code aud} naming the kind,
 * {@code sub} (the opaque {@link SubjectId}, never personal data: RFC 8725 section 3.10 and security rule 3),
 * {@code iat}, {@code exp}, a 128-bit random {@code jti}, and where the kind has them {@code req} (the request id),
 * {@code gen} (the confirmation link generation) and {@code agn} (the subject's address generation the link was sent
 * for, so that a link sent to an address the subject no longer has can be refused).
 *
 * <p>What verification refuses, every refusal looking the same ({@link TokenCheck.Invalid}):
 * <ul>
 *   <li>tokens over {@value #MAX_TOKEN_LENGTH} characters, before any parsing (security rule 5), and anything that is
 *       not three non-empty base64url segments with a canonically encoded 32-byte signature, so that a token has
 *       exactly one accepted spelling;</li>
 *   <li>any {@code alg} but HS256, which is fixed here and never taken from the token (RFC 8725 sections 3.1 and 3.2,
 *       RFC 7515 section 4.1.1);</li>
 *   <li>a {@code typ} other than the expected kind's (RFC 8725 sections 3.11 and 3.12, RFC 7515 section 4.1.9), and an
 *       {@code aud} other than the kind's or an {@code iss} other than ours (RFC 8725 sections 3.8 and 3.9);</li>
 *   <li>a missing or unknown {@code kid} (RFC 7515 section 4.1.4): it only selects among local keys;</li>
 *   <li>any other header parameter, among them {@code jku}, {@code jwk}, {@code x5u}, {@code x5c} and {@code crit}
 *       (RFC 7515 sections 4.1.2-4.1.6 and 4.1.11, RFC 8725 section 3.10): keys are never fetched or taken from a
 *       token, and no extension is understood;</li>
 *   <li>a bad signature: the HMAC-SHA256 of the signing input under the {@code kid}'s key, compared in constant time
 *       ({@link MessageDigest#isEqual}; RFC 7515 section 5.2);</li>
 *   <li>a missing {@code iss}, {@code aud}, {@code sub}, {@code iat}, {@code exp} or {@code jti}, or for
 *       {@link TokenKind#CONFIRM} a missing {@code req} or {@code gen} (RFC 7519 section 4.1, RFC 8725
 *       section 3.8);</li>
 *   <li>an {@code nbf} or {@code iat} more than 60 seconds ({@code CLOCK_SKEW}) in the future (RFC 7519 sections
 *       4.1.5 and 4.1.6).</li>
 * </ul>
 * A token that passes all of that but whose {@code exp} lies more than 60 seconds ({@code CLOCK_SKEW}) in the past
 * (RFC 7519 section 4.1.4) is {@link TokenCheck.Expired}, so the caller can offer a fresh link; otherwise it is
 * {@link TokenCheck.Valid}. No input string makes {@link #verify} throw. Single use of a {@code jti} is the store's
 * business, not this class's.
 *
 * <p>Key rotation (security rule 4): tokens are signed with the active key of {@link SigningKeys}; tokens signed with
 * any of its keys, the verify-only previous ones included, verify.
 *
 * <p>This class is immutable and thread-safe. Its Nimbus signer and its keyed HMACs ({@link KeyedHmac}) are built
 * once per key and shared (they are thread-safe), and time comes only from the injected {@link Clock}. It logs nothing, so no token reaches a
 * log (security rule 13).
 */
public final class TokenService {

  /** The longest token accepted; longer ones are refused before parsing (security rule 5). */
  static final int MAX_TOKEN_LENGTH = 2048;

  /** The clock skew tolerated on {@code exp}, {@code nbf} and {@code iat} (security rule 2). */
  static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

  // The one algorithm: the server decides, the token's alg header is only compared against it (RFC
  // 8725 section 3.1).
  private static final JWSAlgorithm ALGORITHM = JWSAlgorithm.HS256;
  // An HS256 signature is 32 bytes, which base64url spells in 43 characters without padding.
  private static final int SIGNATURE_LENGTH = 43;
  // Whitelisting is safer than blacklisting jku/jwk/x5u/x5c one by one: a parameter added by a
  // later RFC is refused
  // too. crit is checked apart because Nimbus leaves an empty crit list out of getIncludedParams().
  private static final Set<String> HEADER_PARAMS = Set.of("alg", "typ", "kid");
  private static final String REQUEST_CLAIM = "req";
  private static final String GENERATION_CLAIM = "gen";
  private static final String ADDRESS_GENERATION_CLAIM = "agn";
  private static final int TOKEN_ID_BYTES = 16;
  private static final Pattern TOKEN_ID = Pattern.compile("[A-Za-z0-9_-]{22}");
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  // Every refusal is the same value, so callers cannot tell (or tell others) why a token failed
  // (security rule 5).
  private static final TokenCheck INVALID = new TokenCheck.Invalid();
  private static final byte[] NO_PREFIX = new byte[0];

  private final String issuer;

  /** Issuers accepted besides {@link #issuer}: the other public addresses of a site served by several nodes. */
  private final Set<String> alsoAccepted;

  private final Clock clock;
  private final SecureRandom random;
  private final MACSigner signer;
  private final Map<TokenKind, JWSHeader> headers;
  // Per kid: the HMAC that checks a signature. Nimbus' MACVerifier looks the Mac up among the
  // providers and sets the key up anew on every verification; a keyed prototype is only cloned.
  private final Map<String, KeyedHmac> verifiers;
  // The base64url headers this service writes, per kind and kid: a token that carries one of them
  // byte for byte is checked without parsing its header again. Any other spelling takes the full
  // parse and checks.
  private final Map<String, KnownHeader> knownHeaders;

  private record KnownHeader(TokenKind kind, String kid) {}

  /**
   * Creates the service, building one signer for the active key and one verifier per key.
   *
   * @param keys the key ring: the active key signs, every key verifies
   * @param issuer the {@code iss} value written and required, for example the application's base URL
   * @param clock the source of {@code iat}, {@code exp} and of the time tokens are checked against
   * @param random the source of token ids ({@code jti})
   * @throws IllegalArgumentException if {@code issuer} is blank
   */
  public TokenService(SigningKeys keys, String issuer, Clock clock, SecureRandom random) {
    this(keys, issuer, Set.of(), clock, random);
  }

  /**
   * Creates the service for a site with several public addresses: it signs with {@code issuer} and also accepts
   * tokens that name one of {@code alsoAccepted} (RFC 7519 section 4.1.1: the issuer must be one this service
   * expects).
   *
   * @param keys the key ring: the active key signs, every key verifies
   * @param issuer the {@code iss} value written, and accepted
   * @param alsoAccepted further {@code iss} values accepted, possibly none
   * @param clock the source of {@code iat}, {@code exp} and of the time tokens are checked against
   * @param random the source of token ids ({@code jti})
   * @throws IllegalArgumentException if {@code issuer} is blank
   */
  public TokenService(
      SigningKeys keys, String issuer, Set<String> alsoAccepted, Clock clock, SecureRandom random) {
    Objects.requireNonNull(keys, "keys");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.alsoAccepted = Set.copyOf(alsoAccepted);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    if (issuer.isBlank()) {
      throw new IllegalArgumentException("issuer must not be blank");
    }
    String activeKid = keys.activeKid();
    Map<String, KeyedHmac> byKid = new HashMap<>();
    try {
      this.signer = new MACSigner(keys.secret(activeKid));
      for (String kid : keys.kids()) {
        byte[] secret = keys.secret(kid);
        new MACVerifier(secret); // refuses a key under 256 bits, as the signer does
        byKid.put(kid, KeyedHmac.of(new SecretKeySpec(secret, "HmacSHA256")));
      }
    } catch (JOSEException e) {
      // SigningKeys already refuses keys under 256 bits, so this is a safety net; Nimbus' message
      // names no secret.
      throw new ConfigurationException("signing keys: " + e.getMessage());
    }
    this.verifiers = Map.copyOf(byKid);
    Map<TokenKind, JWSHeader> byKind = new EnumMap<>(TokenKind.class);
    for (TokenKind kind : TokenKind.values()) {
      byKind.put(kind, header(kind, activeKid));
    }
    this.headers = Collections.unmodifiableMap(byKind);
    Map<String, KnownHeader> known = new HashMap<>();
    for (TokenKind kind : TokenKind.values()) {
      for (String kid : keys.kids()) {
        JWSHeader written = header(kind, kid);
        // The same checks check() makes of a parsed header, so the short way accepts no header the
        // long way would refuse.
        if (ALGORITHM.equals(written.getAlgorithm())
            && written.getType() != null
            && kind.type().equals(written.getType().getType())
            && written.getCriticalParams() == null
            && HEADER_PARAMS.containsAll(written.getIncludedParams())
            && kid.equals(written.getKeyID())) {
          known.put(written.toBase64URL().toString(), new KnownHeader(kind, kid));
        }
      }
    }
    this.knownHeaders = Map.copyOf(known);
  }

  /**
   * Signs a token of a kind with the active key.
   *
   * @param kind the kind, which fixes {@code typ} and {@code aud}
   * @param claims the claims; {@link TokenKind#CONFIRM} needs a request id and a generation of at least 1
   * @param ttl the lifetime, positive; {@code exp} is now plus this, to the second
   * @return the token with its id and expiry
   * @throws IllegalArgumentException if the ttl is not positive, a confirm token lacks its request id or generation,
   *     the request id is blank, or the token would be longer than {@value #MAX_TOKEN_LENGTH} characters
   */
  public IssuedToken issue(TokenKind kind, TokenClaims claims, Duration ttl) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isZero() || ttl.isNegative()) {
      throw new IllegalArgumentException("token TTL must be positive, was " + ttl);
    }
    String requestId = claims.requestId();
    if (requestId != null && requestId.isBlank()) {
      throw new IllegalArgumentException("request id must not be blank");
    }
    if (kind == TokenKind.CONFIRM && (requestId == null || claims.generation() < 1)) {
      // Without req and gen a resend could not make earlier confirm links useless (security rule
      // 5).
      throw new IllegalArgumentException(
          "a confirm token needs a request id and a generation of at least 1, was "
              + (requestId == null ? "no request id" : "a request id")
              + " and generation "
              + claims.generation());
    }
    Instant now = clock.instant();
    // JWT times are whole seconds (RFC 7519 section 2, NumericDate); truncating here makes the
    // returned expiry equal
    // to the exp that verification reads back.
    Instant issuedAt = now.truncatedTo(ChronoUnit.SECONDS);
    Instant expiresAt;
    Date exp;
    try {
      expiresAt = now.plus(ttl).truncatedTo(ChronoUnit.SECONDS);
      exp = Date.from(expiresAt);
    } catch (DateTimeException | ArithmeticException | IllegalArgumentException e) {
      throw new IllegalArgumentException("token TTL is too large, was " + ttl, e);
    }
    String id = newTokenId();
    JWTClaimsSet.Builder builder =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(kind.audience())
            .subject(claims.subject().value())
            .issueTime(Date.from(issuedAt))
            .expirationTime(exp)
            .jwtID(id);
    if (requestId != null) {
      builder.claim(REQUEST_CLAIM, requestId);
    }
    if (claims.generation() > 0) {
      builder.claim(GENERATION_CLAIM, claims.generation());
    }
    if (claims.addressGeneration() > 0) {
      builder.claim(ADDRESS_GENERATION_CLAIM, claims.addressGeneration());
    }
    SignedJWT jwt = new SignedJWT(headers.get(kind), builder.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      // HMAC-SHA256 is in every JRE and the key length was checked at construction: this cannot
      // happen in practice.
      throw new IllegalStateException("HS256 signing failed", e);
    }
    String token = jwt.serialize();
    if (token.length() > MAX_TOKEN_LENGTH) {
      // Fail here rather than mail a link that verify would refuse.
      throw new IllegalArgumentException(
          "token would be "
              + token.length()
              + " characters, over the limit of "
              + MAX_TOKEN_LENGTH
              + "; the request id is too long");
    }
    return new IssuedToken(token, id, expiresAt);
  }

  /**
   * Verifies a token as the expected kind. Never throws for any token string: everything that is not a well-formed,
   * correctly signed, unexpired token of this kind from this issuer is {@link TokenCheck.Invalid}.
   *
   * @param kind the expected kind
   * @param token the compact JWS, possibly {@code null} or garbage
   * @return {@link TokenCheck.Valid}, {@link TokenCheck.Expired} (expired beyond the skew, all else valid), or
   *     {@link TokenCheck.Invalid}
   */
  public TokenCheck verify(TokenKind kind, String token) {
    Objects.requireNonNull(kind, "kind");
    // Length and character set first: nothing oversized or odd reaches a JSON or base64 parser
    // (security rule 5).
    if (token == null || token.length() > MAX_TOKEN_LENGTH || !hasCompactHs256Shape(token)) {
      return INVALID;
    }
    try {
      return check(kind, token);
    } catch (ParseException | JOSEException | RuntimeException e) {
      // Fail closed: hostile input may make a parser throw anything unchecked, and a verifier must
      // never let a
      // malformed token turn into an error page that differs from the one for any other invalid
      // token.
      return INVALID;
    }
  }

  private TokenCheck check(TokenKind kind, String token) throws ParseException, JOSEException {
    int firstDot = token.indexOf('.');
    int secondDot = token.lastIndexOf('.');
    KnownHeader known = knownHeaders.get(token.substring(0, firstDot));
    if (known != null) {
      // A header spelled exactly as this service writes one: alg HS256, this typ and kid, nothing
      // else (checked when the header was built), so the header JSON need not be parsed again.
      if (known.kind() != kind) {
        return INVALID;
      }
      KeyedHmac verifier = verifiers.get(known.kid());
      byte[] signingInput = token.substring(0, secondDot).getBytes(StandardCharsets.US_ASCII);
      if (!MessageDigest.isEqual(
          verifier.digest(NO_PREFIX, signingInput),
          new Base64URL(token.substring(secondDot + 1)).decode())) {
        return INVALID;
      }
      return checkClaims(
          kind,
          JWTClaimsSet.parse(
              new Base64URL(token.substring(firstDot + 1, secondDot)).decodeToString()));
    }
    // Parses the header only; the payload stays base64url until the signature has been checked.
    SignedJWT jwt = SignedJWT.parse(token);
    JWSHeader header = jwt.getHeader();
    if (!ALGORITHM.equals(header.getAlgorithm())) {
      // The signature is checked as HS256 only: an HS384/HS512 header must not be honoured with
      // the same key.
      return INVALID;
    }
    JOSEObjectType type = header.getType();
    if (type == null || !kind.type().equals(type.getType())) {
      return INVALID;
    }
    if (header.getCriticalParams() != null
        || !HEADER_PARAMS.containsAll(header.getIncludedParams())) {
      return INVALID;
    }
    String kid = header.getKeyID();
    KeyedHmac verifier = kid == null ? null : verifiers.get(kid);
    if (verifier == null
        || !MessageDigest.isEqual(
            verifier.digest(NO_PREFIX, jwt.getSigningInput()), jwt.getSignature().decode())) {
      return INVALID;
    }
    return checkClaims(kind, jwt.getJWTClaimsSet());
  }

  /** Whether a token's header is spelled as this service writes one, so its check skips the header parse; for tests. */
  boolean knowsHeaderOf(String token) {
    int dot = token.indexOf('.');
    return dot > 0 && knownHeaders.containsKey(token.substring(0, dot));
  }

  /** The checks of a token's claims, once its header and signature passed. */
  private TokenCheck checkClaims(TokenKind kind, JWTClaimsSet claims) {
    List<String> audience = claims.getAudience();
    if (!(issuer.equals(claims.getIssuer()) || alsoAccepted.contains(claims.getIssuer()))
        || audience.size() != 1
        || !kind.audience().equals(audience.get(0))) {
      return INVALID;
    }
    String id = claims.getJWTID();
    Date issued = claims.getIssueTime();
    Date expires = claims.getExpirationTime();
    SubjectId subject = subject(claims.getSubject());
    if (id == null
        || !TOKEN_ID.matcher(id).matches()
        || issued == null
        || expires == null
        || subject == null) {
      return INVALID;
    }
    Object requestClaim = claims.getClaim(REQUEST_CLAIM);
    Object generationClaim = claims.getClaim(GENERATION_CLAIM);
    Object addressGenerationClaim = claims.getClaim(ADDRESS_GENERATION_CLAIM);
    String requestId = null;
    if (requestClaim != null) {
      if (!(requestClaim instanceof String s) || s.isBlank()) {
        return INVALID;
      }
      requestId = s;
    }
    int generation = 0;
    if (generationClaim != null) {
      // Nimbus reads JSON integers as Long; a fraction, a string or an out-of-range number is not a
      // generation.
      if (!(generationClaim instanceof Long g) || g < 1 || g > Integer.MAX_VALUE) {
        return INVALID;
      }
      generation = g.intValue();
    }
    int addressGeneration = 0;
    if (addressGenerationClaim != null) {
      if (!(addressGenerationClaim instanceof Long g) || g < 1 || g > Integer.MAX_VALUE) {
        return INVALID;
      }
      addressGeneration = g.intValue();
    }
    if (kind == TokenKind.CONFIRM && (requestId == null || generation < 1)) {
      return INVALID;
    }

    Instant now = clock.instant();
    Instant latestAcceptable = now.plus(CLOCK_SKEW);
    Date notBefore = claims.getNotBeforeTime();
    if ((notBefore != null && notBefore.toInstant().isAfter(latestAcceptable))
        || issued.toInstant().isAfter(latestAcceptable)) {
      return INVALID;
    }
    TokenClaims tokenClaims = new TokenClaims(subject, requestId, generation, addressGeneration);
    Instant expiresAt = expires.toInstant();
    if (now.isAfter(expiresAt.plus(CLOCK_SKEW))) {
      return new TokenCheck.Expired(tokenClaims, id, expiresAt);
    }
    return new TokenCheck.Valid(tokenClaims, id, expiresAt);
  }

  private String newTokenId() {
    byte[] bytes = new byte[TOKEN_ID_BYTES];
    random.nextBytes(bytes);
    return BASE64URL.encodeToString(bytes);
  }

  private static SubjectId subject(String value) {
    return SubjectId.tryParse(value).orElse(null);
  }

  private static JWSHeader header(TokenKind kind, String kid) {
    JWSHeader built =
        new JWSHeader.Builder(ALGORITHM).type(new JOSEObjectType(kind.type())).keyID(kid).build();
    try {
      // A parsed header keeps its base64url form, so issue() does not serialise the same header
      // JSON every time.
      return JWSHeader.parse(built.toBase64URL());
    } catch (ParseException e) {
      throw new IllegalStateException("cannot re-read the " + kind + " token header", e);
    }
  }

  /**
   * Whether a string is three non-empty base64url segments, the last a canonically encoded 32-byte signature. Nimbus
   * decodes base64 leniently (it skips characters outside the alphabet and ignores unused trailing bits), so without
   * this check one token would have many spellings that all verify.
   */
  private static boolean hasCompactHs256Shape(String token) {
    int firstDot = -1;
    int secondDot = -1;
    int length = token.length();
    for (int i = 0; i < length; i++) {
      char c = token.charAt(i);
      if (c == '.') {
        if (firstDot < 0) {
          firstDot = i;
        } else if (secondDot < 0) {
          secondDot = i;
        } else {
          return false;
        }
      } else if (base64UrlValue(c) < 0) {
        return false;
      }
    }
    // 43 characters carry 258 bits for 256: the last character's two low bits must be zero.
    return firstDot > 0
        && secondDot > firstDot + 1
        && length - secondDot - 1 == SIGNATURE_LENGTH
        && (base64UrlValue(token.charAt(length - 1)) & 3) == 0;
  }

  private static int base64UrlValue(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '-') {
      return 62;
    }
    if (c == '_') {
      return 63;
    }
    return -1;
  }
}
