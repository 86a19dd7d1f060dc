package org.optin4j.feed;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Verifies a webhook message on the receiving side, as the Standard Webhooks specification describes ("Verifying
 * signatures"): recomputes HMAC-SHA256 of {@code <webhook-id>.<webhook-timestamp>.<body>} under each secret it holds,
 * accepts the message if any {@code v1,} signature of the space-separated {@code webhook-signature} header matches
 * one of them (compared in constant time), and refuses a timestamp more than the tolerance (5 minutes by default) away
 * from its clock, against replays.
 *
 * <pre>{@code
 * WebhookVerifier verifier = WebhookVerifier.of(Clock.systemUTC(), WebhookSecret.parse(System.getenv("WHSEC")));
 * WebhookMessage m = verifier.verify(request::getHeader, bodyBytes);   // throws WebhookVerificationException
 * if (alreadyProcessed(m.id())) return 200;                           // at-least-once: the id is the idempotency key
 * }</pre>
 *
 * <p>Verify the raw body bytes as received, before parsing them: a JSON parser and writer round trip changes them.
 * During a secret rotation hold both the new and the old secret. Immutable and thread-safe.
 */
public final class WebhookVerifier {
  /** The default tolerance between the message's timestamp and the receiver's clock. */
  public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

  private final Clock clock;
  private final List<WebhookSecret> secrets;
  private final Duration tolerance;

  private WebhookVerifier(Clock clock, List<WebhookSecret> secrets, Duration tolerance) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.secrets = List.copyOf(secrets);
    if (this.secrets.isEmpty()) {
      throw new IllegalArgumentException("a verifier needs at least one secret");
    }
    Objects.requireNonNull(tolerance, "tolerance");
    if (tolerance.isNegative() || tolerance.isZero()) {
      throw new IllegalArgumentException("tolerance must be positive, was " + tolerance);
    }
    this.tolerance = tolerance;
  }

  /**
   * Creates a verifier with the default tolerance of 5 minutes.
   *
   * @param clock the receiver's clock
   * @param secrets the secrets any of which may have signed (during a rotation, new and old)
   * @return the verifier
   */
  public static WebhookVerifier of(Clock clock, WebhookSecret... secrets) {
    return new WebhookVerifier(clock, List.of(secrets), DEFAULT_TOLERANCE);
  }

  /**
   * Returns a verifier like this one with another timestamp tolerance.
   *
   * @param tolerance how far the timestamp may be from the clock, either way; positive
   * @return the new verifier
   */
  public WebhookVerifier withTolerance(Duration tolerance) {
    return new WebhookVerifier(clock, secrets, tolerance);
  }

  /**
   * Verifies a message whose headers come as a map (as {@code java.net.http} and most frameworks give them); names are
   * looked up ignoring case, and the first value of a header counts.
   *
   * @param headers the request's headers
   * @param body the raw body
   * @return the verified message
   * @throws WebhookVerificationException if the message is refused
   */
  public WebhookMessage verify(Map<String, List<String>> headers, byte[] body) {
    Objects.requireNonNull(headers, "headers");
    return verify(
        name -> {
          for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey() != null
                && e.getKey().equalsIgnoreCase(name)
                && e.getValue() != null
                && !e.getValue().isEmpty()) {
              return e.getValue().get(0);
            }
          }
          return null;
        },
        body);
  }

  /**
   * Verifies a message whose headers are read one by name (a servlet's {@code request::getHeader}, which ignores
   * case).
   *
   * @param header returns a header's value by its lower-case name, or {@code null}
   * @param body the raw body
   * @return the verified message
   * @throws WebhookVerificationException if the message is refused
   */
  public WebhookMessage verify(Function<String, String> header, byte[] body) {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(body, "body");
    String id = required(header, "webhook-id");
    String timestampText = required(header, "webhook-timestamp");
    String signatures = required(header, "webhook-signature");
    long seconds;
    try {
      seconds = Long.parseLong(timestampText.strip());
    } catch (NumberFormatException e) {
      throw new WebhookVerificationException(
          WebhookVerificationException.Reason.MALFORMED_TIMESTAMP,
          "webhook-timestamp is not a number of seconds");
    }
    Instant timestamp = Instant.ofEpochSecond(seconds);
    Instant now = clock.instant();
    if (timestamp.isBefore(now.minus(tolerance)) || timestamp.isAfter(now.plus(tolerance))) {
      throw new WebhookVerificationException(
          WebhookVerificationException.Reason.TIMESTAMP_OUT_OF_TOLERANCE,
          "webhook-timestamp is more than " + tolerance + " away from now");
    }
    boolean matched = false;
    for (WebhookSecret secret : secrets) {
      byte[] expected = secret.mac(id, seconds, body);
      for (String signature : signatures.split(" ")) {
        // Every candidate is compared, so the time taken does not tell which one matched.
        matched |= matches(signature, expected);
      }
    }
    if (!matched) {
      throw new WebhookVerificationException(
          WebhookVerificationException.Reason.NO_MATCHING_SIGNATURE,
          "no v1 signature of webhook-signature matches a secret");
    }
    return new WebhookMessage(id, timestamp, new String(body, StandardCharsets.UTF_8));
  }

  private static boolean matches(String signature, byte[] expected) {
    int comma = signature.indexOf(',');
    if (comma < 0 || !signature.substring(0, comma).equals("v1")) {
      return false; // another scheme (v1a: asymmetric) or not a signature: not ours to check
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(signature.substring(comma + 1));
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(given, expected);
  }

  private static String required(Function<String, String> header, String name) {
    String value = header.apply(name);
    if (value == null) {
      value = header.apply(name.toUpperCase(Locale.ROOT));
    }
    if (value == null || value.isBlank()) {
      throw new WebhookVerificationException(
          WebhookVerificationException.Reason.MISSING_HEADER, name + " is missing");
    }
    return value;
  }

  @Override
  public String toString() {
    return "WebhookVerifier[secrets=" + secrets + ", tolerance=" + tolerance + "]";
  }
}
