package org.optin4j.lists;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What Amazon SES notifications through Amazon SNS are accepted ({@link Bounces#sns}): the topics (a message from any
 * other topic is refused, so that another AWS account cannot post its own signed messages) and how the signing
 * certificate named by a message's {@code SigningCertURL} is obtained. The URL is checked before it is fetched: https
 * on {@code sns.<region>.amazonaws.com} (or {@code .amazonaws.com.cn}), a {@code .pem} path. Immutable and
 * thread-safe.
 *
 * @param topicArns the accepted topic ARNs (at least one)
 * @param certificates fetches the X.509 certificate at a checked URL; {@link #of(Set)} uses one that downloads it over
 *     https (the JDK's trust store authenticates the host) and keeps it in memory; tests inject their own
 */
public record SnsSettings(Set<String> topicArns, Function<URI, X509Certificate> certificates) {

  /** Validates the components. */
  public SnsSettings {
    topicArns = Set.copyOf(topicArns);
    Objects.requireNonNull(certificates, "certificates");
    if (topicArns.isEmpty()) {
      throw new IllegalArgumentException("at least one topic ARN is required");
    }
  }

  /**
   * Accepts the given topics and fetches certificates over https, caching each by URL.
   *
   * @param topicArns the accepted topic ARNs
   * @return the settings
   */
  public static SnsSettings of(Set<String> topicArns) {
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    ConcurrentHashMap<URI, X509Certificate> cache = new ConcurrentHashMap<>();
    return new SnsSettings(
        topicArns,
        url ->
            cache.computeIfAbsent(
                url,
                u -> {
                  try {
                    HttpResponse<byte[]> answer =
                        http.send(
                            HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(10)).GET().build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    if (answer.statusCode() != 200 || answer.body().length > 64 * 1024) {
                      throw new IllegalStateException(
                          "certificate fetch answered " + answer.statusCode());
                    }
                    return (X509Certificate)
                        CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(answer.body()));
                  } catch (java.io.IOException | GeneralSecurityException e) {
                    throw new IllegalStateException(
                        "certificate fetch failed: " + e.getClass().getSimpleName(), e);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("certificate fetch interrupted", e);
                  }
                }));
  }
}
