package org.optin4j.spring;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.optin4j.EvidencePolicy;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code optin4j.*} settings of a Spring Boot application, bound once at start and immutable afterwards. The keys
 * are those of the servlet filter's properties file ({@code baseUrl}, {@code controller.name}, ...) in Spring's
 * kebab-case ({@code optin4j.base-url}, {@code optin4j.controller.name}); {@link OptInAutoConfiguration} checks them
 * all at once and names each invalid one.
 *
 * <p>Secrets (signing key, suppression pepper, form key, receipt JWK) are never plain text here: each is a
 * {@link Secret} read from an environment variable, an owner-only file, or a base64 value that a secret store (Vault,
 * a config server) hands over as a property.
 *
 * <p>Immutable and thread-safe. Serves GDPR Art. 7(1) (the controller and notices behind each proof of consent).
 *
 * @param baseUrl the public URL of the hosted pages, context path plus prefix, for example
 *     {@code https://shop.example/optin}; https unless the host is localhost
 * @param prefix the path the filter serves under the context path
 * @param catalog the purpose catalog: {@code classpath:} or {@code file:} location of a {@code .json} or
 *     {@code .properties} file
 * @param controller who decides on the processing (GDPR Art. 13(1)(a)), shown in every notice
 * @param store where consents are kept: {@code jdbc} (the application's DataSource) or {@code memory}
 * @param forTestsOrDemos says this application runs for tests or demos only; required with {@code store=memory},
 *     which loses every proof of consent at the next restart
 * @param jdbc settings of the JDBC store
 * @param smtp the sender of optin4j's mails; the connection itself comes from {@code spring.mail.*}
 * @param signing the key that signs the links in mails
 * @param suppressionPepper the secret that keys the suppression list's hashes (at least 32 bytes)
 * @param formKey the key of the hosted pages' form tokens; random per start if not set (then a form rendered by one
 *     instance fails on another)
 * @param receiptKeys the key that signs consent receipts; no receipts are signed without it
 * @param jurisdiction the jurisdiction named in receipts, for example {@code DE}
 * @param confirmationTtl how long a confirmation link stays valid (ISO-8601 or {@code 48h})
 * @param preferencesTtl how long a preference-center link stays valid
 * @param unsubscribeTtl how long an unsubscribe link stays valid
 * @param evidencePolicy how much of the request (IP address, user agent) is kept as evidence
 * @param mailCap the cap on confirmation mails per inbox
 * @param sending the mailer's sending rate and parallel SMTP connections, shared by all nodes of one store
 * @param formTokenTtl how long a form of the hosted pages may be submitted after it was shown
 * @param rateLimit the per-client and per-address rate limits of the hosted pages
 * @param trustedProxies addresses or CIDR ranges of reverse proxies whose {@code X-Forwarded-For} is believed
 * @param allowedOrigins origins allowed to post to the hosted pages besides the base URL's
 * @param stylesheets stylesheet URLs linked from the hosted pages
 * @param returnUrls URLs the hosted pages may send people back to
 * @param messages the base name of a resource bundle that overrides the hosted pages' texts
 * @param dropIn the drop-in mode: the app's own forms and pages that optin4j completes
 * @param api the JSON API under the prefix ({@code docs/json-api.md}), off by default
 */
@ConfigurationProperties("optin4j")
public record OptInProperties(
    String baseUrl,
    @DefaultValue("/optin") String prefix,
    String catalog,
    @DefaultValue ControllerSettings controller,
    @DefaultValue("jdbc") Store store,
    @DefaultValue("false") boolean forTestsOrDemos,
    @DefaultValue Jdbc jdbc,
    @DefaultValue Smtp smtp,
    @DefaultValue Signing signing,
    @DefaultValue Secret suppressionPepper,
    @DefaultValue Secret formKey,
    @DefaultValue ReceiptKeys receiptKeys,
    String jurisdiction,
    Duration confirmationTtl,
    Duration preferencesTtl,
    Duration unsubscribeTtl,
    EvidencePolicy evidencePolicy,
    @DefaultValue MailCap mailCap,
    @DefaultValue Sending sending,
    Duration formTokenTtl,
    @DefaultValue RateLimit rateLimit,
    @DefaultValue List<String> trustedProxies,
    @DefaultValue List<String> allowedOrigins,
    @DefaultValue List<String> stylesheets,
    @DefaultValue List<String> returnUrls,
    String messages,
    @DefaultValue DropIn dropIn,
    @DefaultValue Api api,
    @DefaultValue Bounces bounces) {

  /** Copies the lists. */
  public OptInProperties {
    trustedProxies = List.copyOf(trustedProxies);
    allowedOrigins = List.copyOf(allowedOrigins);
    stylesheets = List.copyOf(stylesheets);
    returnUrls = List.copyOf(returnUrls);
  }

  /**
   * The JSON API under {@code {prefix}/api}, for front ends not rendered by the server.
   *
   * @param enabled whether the filter answers the API
   * @param allowedOrigins origins whose pages may call it (CORS), besides the base URL's
   * @param key the API key that may read the event feed ({@code GET {prefix}/api/events}), as text
   */
  public record Api(
      @DefaultValue("false") boolean enabled,
      @DefaultValue List<String> allowedOrigins,
      @DefaultValue Secret key) {
    /** Copies the list. */
    public Api {
      allowedOrigins = List.copyOf(allowedOrigins);
    }
  }

  /**
   * Bounce and complaint handling ({@code docs/bounces.md}): the VERP envelope sender of every outbox mail, and the
   * provider webhooks, each off unless set.
   *
   * @param localPart the VERP local part, e.g. {@code bounces}; with {@code domain}, turns VERP on
   * @param domain the bounce domain, e.g. {@code bounces.shop.example}
   * @param snsTopics Amazon SNS topic ARNs whose SES notifications {@code POST {prefix}/bounces/sns} accepts; empty:
   *     off
   * @param relaySecret the {@code whsec_} secret with which a relay signs the generic JSON posted to {@code POST
   *     {prefix}/bounces/relay}; unset: off
   */
  public record Bounces(
      String localPart,
      String domain,
      @DefaultValue List<String> snsTopics,
      @DefaultValue Secret relaySecret) {
    /** Copies the list. */
    public Bounces {
      snsTopics = List.copyOf(snsTopics);
    }
  }

  /** Where consents are kept. */
  public enum Store {
    /** A {@code JdbcConsentStore} on the application's {@code DataSource}: the production choice. */
    JDBC,
    /** An in-memory store: lost at restart, so only with {@code optin4j.for-tests-or-demos=true}. */
    MEMORY
  }

  /**
   * The data controller (GDPR Art. 4(7), 13(1)(a)).
   *
   * @param name the legal name
   * @param address the postal address
   * @param email the contact address
   * @param privacyPolicyUrl the privacy policy, optional
   * @param dpoContact the data protection officer's contact, if there is one (GDPR Art. 13(1)(b))
   * @param supervisoryAuthorityName the competent supervisory authority (GDPR Art. 13(2)(d)), required
   * @param supervisoryAuthorityUrl its web site, required
   */
  public record ControllerSettings(
      String name,
      String address,
      String email,
      String privacyPolicyUrl,
      String dpoContact,
      String supervisoryAuthorityName,
      String supervisoryAuthorityUrl) {}

  /**
   * The JDBC store.
   *
   * @param tablePrefix the prefix of optin4j's tables
   * @param createSchema whether to create the schema when it is absent (an existing one is never changed); off by
   *     default: apply the shipped DDL with your migrations
   * @param flyway optin4j's own Flyway migration of its tables, next to the application's
   */
  public record Jdbc(
      @DefaultValue("optin4j_") String tablePrefix,
      @DefaultValue("false") boolean createSchema,
      @DefaultValue Flyway flyway) {}

  /**
   * optin4j's tables migrated by a Flyway of their own ({@code OptInFlywayAutoConfiguration}): the shipped scripts,
   * their own history table, after the application's own Flyway.
   *
   * @param enabled whether to migrate optin4j's tables with Flyway at start (needs Flyway on the class path)
   * @param table the history table of optin4j's migrations, apart from the application's {@code
   *     flyway_schema_history}
   */
  public record Flyway(
      @DefaultValue("false") boolean enabled,
      @DefaultValue("optin4j_flyway_history") String table) {}

  /**
   * The sender of optin4j's mails. Host, port, user and password are Spring Boot's {@code spring.mail.*}.
   *
   * @param from the sender address
   * @param fromName the sender's display name, optional
   * @param replyTo the reply-to address, optional
   */
  public record Smtp(String from, String fromName, String replyTo) {}

  /**
   * The link-signing keys (RFC 7518 HS256).
   *
   * @param kid the key id of the active key
   * @param key the active key, at least 32 bytes
   * @param previous earlier keys by key id, still accepted while their links are valid
   */
  public record Signing(
      @DefaultValue("k1") String kid,
      @DefaultValue Secret key,
      @DefaultValue Map<String, Secret> previous) {
    /** Copies the map. */
    public Signing {
      previous = Map.copyOf(previous);
    }
  }

  /**
   * The consent-receipt signing key.
   *
   * @param jwk the private key as a JWK (RFC 7517)
   */
  public record ReceiptKeys(@DefaultValue Secret jwk) {}

  /**
   * A secret, from exactly one of three places. Its {@code toString()} never shows the value.
   *
   * @param env the name of an environment variable holding it
   * @param file a file holding it, readable by its owner only
   * @param value the secret itself, base64 (text for a JWK): for values a secret store hands over as a property
   */
  public record Secret(String env, String file, String value) {
    @Override
    public String toString() {
      return "Secret[env="
          + env
          + ", file="
          + file
          + ", value="
          + (value == null ? "none" : "(hidden)")
          + "]";
    }
  }

  /**
   * The cap on confirmation mails per inbox.
   *
   * @param perDay mails per day
   * @param minInterval least time between two mails
   */
  public record MailCap(Integer perDay, Duration minInterval) {}

  /**
   * The mailer's sending rate ({@code org.optin4j.mail.SendingRate}): unset values keep its defaults (no limit,
   * 4 connections, name {@code default}).
   *
   * @param name the rate's name in the store: nodes with the same name share the rate
   * @param connections SMTP connections used in parallel
   * @param perSecond messages per second
   * @param perMinute messages in any 60 seconds
   * @param perHour messages in any hour
   */
  public record Sending(
      String name, Integer connections, Integer perSecond, Integer perMinute, Integer perHour) {}

  /**
   * Rate limits of the hosted pages, each as {@code max/window}, for example {@code 30/PT10M}.
   *
   * @param perIp per client address
   * @param perAddress per email address
   * @param slots the size of the limiter's tables
   */
  public record RateLimit(String perIp, String perAddress, Integer slots) {}

  /**
   * The drop-in mode.
   *
   * @param formPaths paths of the app's own signup forms whose POSTs optin4j handles first
   * @param markerPaths paths of pages whose markers optin4j fills in
   * @param emailField the name of the email field of those forms
   */
  public record DropIn(
      @DefaultValue List<String> formPaths,
      @DefaultValue List<String> markerPaths,
      String emailField) {
    /** Copies the lists. */
    public DropIn {
      formPaths = List.copyOf(formPaths);
      markerPaths = List.copyOf(markerPaths);
    }
  }
}
