package org.optin4j.benchmarks;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.optin4j.SubjectId;
import org.optin4j.internal.IssuedToken;
import org.optin4j.internal.TokenCheck;
import org.optin4j.internal.TokenClaims;
import org.optin4j.internal.TokenKind;
import org.optin4j.internal.TokenService;
import org.optin4j.keys.SigningKeys;

/**
 * Issue + verify of one link token, through the library ({@link TokenService}) and through bare Nimbus JOSE+JWT with
 * the same header and claims (the floor), plus raw HmacSHA256 + base64url of a payload of the same size for context.
 *
 * <p>Each operation issues a fresh token (new {@code jti}, current time) and verifies it, as a link's life does.
 * Run: {@code java -jar benchmarks/target/benchmarks.jar TokenBenchmark -f 3 -rf json}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 3,
    jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class TokenBenchmark {
  static final String ISSUER = "https://bench.example/optin";
  static final String KID = "k1";
  static final Duration TTL = Duration.ofHours(48);

  /** The token kind; confirm tokens carry two claims more (req, gen). */
  @Param({"CONFIRM", "MANAGE", "UNSUBSCRIBE", "DATA_REQUEST"})
  public String kind;

  private TokenKind tokenKind;
  private TokenService library;
  private TokenClaims claims;
  private Nimbus nimbus;

  @Setup(Level.Trial)
  public void setUp() {
    byte[] secret = Fixtures.secret(32);
    tokenKind = TokenKind.valueOf(kind);
    library =
        new TokenService(
            SigningKeys.builder().active(KID, secret).build(),
            ISSUER,
            Clock.systemUTC(),
            new SecureRandom());
    claims =
        tokenKind == TokenKind.CONFIRM
            ? new TokenClaims(new SubjectId("AAAAAAAAAAAAAAAAAAAAAA"), "r-0123456789abcdefghij", 1)
            : new TokenClaims(new SubjectId("AAAAAAAAAAAAAAAAAAAAAA"), null, 0);
    nimbus = new Nimbus(secret);
  }

  /** The library: {@code TokenService.issue} then {@code TokenService.verify}. */
  @Benchmark
  public TokenCheck library() {
    IssuedToken t = library.issue(tokenKind, claims, TTL);
    TokenCheck check = library.verify(tokenKind, t.token());
    if (!(check instanceof TokenCheck.Valid)) {
      throw new IllegalStateException("library token did not verify: " + check);
    }
    return check;
  }

  /** The floor: bare Nimbus, {@code MACSigner} and {@code DefaultJWTProcessor} with type and claims verifiers. */
  @Benchmark
  public JWTClaimsSet nimbus() throws Exception {
    String token = nimbus.issue(tokenKind, claims);
    return nimbus.verify(tokenKind, token);
  }

  /** Context: HmacSHA256 + base64url over a payload as long as a token's, then a constant-time check. */
  @Benchmark
  public boolean rawHmac(RawHmac raw) throws GeneralSecurityException {
    return raw.signAndCheck();
  }

  /** Bare Nimbus, built once per key like the library's signer and verifiers. Thread-safe. */
  static final class Nimbus {
    private final SecureRandom random = new SecureRandom();
    private final MACSigner signer;
    private final Map<TokenKind, DefaultJWTProcessor<SecurityContext>> processors =
        new EnumMap<>(TokenKind.class);
    private final Map<TokenKind, JWSHeader> headers = new EnumMap<>(TokenKind.class);

    Nimbus(byte[] secret) {
      try {
        signer = new MACSigner(secret);
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
      // A JWK set whose key carries its kid: an ImmutableSecret finds no key for a token with a kid
      // header.
      JWKSet keys = new JWKSet(new OctetSequenceKey.Builder(secret).keyID(KID).build());
      for (TokenKind k : TokenKind.values()) {
        headers.put(
            k,
            new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType(k.type()))
                .keyID(KID)
                .build());
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(new JOSEObjectType(k.type())));
        p.setJWSKeySelector(
            new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableJWKSet<>(keys)));
        Set<String> required =
            k == TokenKind.CONFIRM
                ? Set.of("sub", "iat", "exp", "jti", "req", "gen")
                : Set.of("sub", "iat", "exp", "jti");
        p.setJWTClaimsSetVerifier(
            new DefaultJWTClaimsVerifier<>(
                k.audience(), new JWTClaimsSet.Builder().issuer(ISSUER).build(), required));
        processors.put(k, p);
      }
    }

    String issue(TokenKind kind, TokenClaims claims) throws JOSEException {
      Instant now = Instant.now();
      byte[] id = new byte[16];
      random.nextBytes(id);
      JWTClaimsSet.Builder b =
          new JWTClaimsSet.Builder()
              .issuer(ISSUER)
              .audience(kind.audience())
              .subject(claims.subject().value())
              .issueTime(Date.from(now))
              .expirationTime(Date.from(now.plus(TTL)))
              .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
      if (claims.requestId() != null) {
        b.claim("req", claims.requestId());
      }
      if (claims.generation() > 0) {
        b.claim("gen", claims.generation());
      }
      SignedJWT jwt = new SignedJWT(headers.get(kind), b.build());
      jwt.sign(signer);
      return jwt.serialize();
    }

    JWTClaimsSet verify(TokenKind kind, String token)
        throws ParseException, BadJOSEException, JOSEException {
      return processors.get(kind).process(token, null);
    }
  }

  /** Per-thread Mac (not thread-safe). */
  @State(Scope.Thread)
  public static class RawHmac {
    private Mac mac;
    private byte[] payload;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Fixtures.secret(32), "HmacSHA256"));
      // About the size of a confirm token's signing input (header.payload), 300 characters.
      payload = "x".repeat(300).getBytes(StandardCharsets.US_ASCII);
    }

    boolean signAndCheck() {
      String sig = Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(payload));
      byte[] again = Base64.getUrlEncoder().withoutPadding().encode(mac.doFinal(payload));
      return MessageDigest.isEqual(sig.getBytes(StandardCharsets.US_ASCII), again);
    }
  }
}
