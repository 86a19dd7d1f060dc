package org.optin4j.spring;

import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.OptInException;
import org.optin4j.PurposeCatalog;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.keys.ReceiptKeys;
import org.optin4j.keys.Secrets;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.servlet.OptInFilter;
import org.optin4j.spi.ConsentListener;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.OptInMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import org.springframework.mail.javamail.JavaMailSender;

/**
 * Builds, starts and closes an {@link OptIn} from {@code optin4j.*} properties ({@link OptInProperties}) and registers
 * its {@link OptInFilter} ahead of Spring Security's filter chain.
 *
 * <ul>
 *   <li>Store: a {@link JdbcConsentStore} on the application's {@link DataSource}, joining the caller's Spring
 *       transaction on it when there is one (its connection, its commit or rollback); without a DataSource the start
 *       fails, unless {@code optin4j.store=memory} and {@code optin4j.for-tests-or-demos=true} say that losing every
 *       proof of consent (GDPR Art. 7(1)) at the next restart is acceptable.</li>
 *   <li>Mailer: a {@link JavaMailSenderMailer} on the application's {@link JavaMailSender}, which Spring Boot makes
 *       from {@code spring.mail.*}; the sender address is {@code optin4j.smtp.from}.</li>
 *   <li>Filter: a {@link FilterRegistrationBean} named {@value #FILTER_REGISTRATION} at order {@value #FILTER_ORDER},
 *       before Spring Security's {@code springSecurityFilterChain} (order -100): the hosted pages check their own
 *       CSRF tokens and origins, and RFC 8058 one-click unsubscribes carry neither cookie nor token.</li>
 * </ul>
 * Each bean backs off when the application defines its own of the same type ({@link ConsentStore}, {@link Mailer},
 * {@link OptIn}) or a bean named {@value #FILTER_REGISTRATION}; an application's own {@code OptIn} also means no store
 * and no mailer are made (its builder has them). Every invalid property fails the start at once, each
 * named by its full key.
 *
 * <p>Holds no state of its own; the beans it makes are thread-safe.
 */
// By name, in both Boot lines' packages (4.0 first, then 3.5): the same source serves both
// starters, and a name
// absent from the class path is ignored.
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.mail.autoconfigure.MailSenderAutoConfiguration",
      "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
      "org.springframework.boot.autoconfigure.mail.MailSenderAutoConfiguration"
    })
@ConditionalOnClass(OptIn.class)
@EnableConfigurationProperties(OptInProperties.class)
public class OptInAutoConfiguration {
  /** The bean name of the filter registration; define a bean of this name to register the filter yourself. */
  public static final String FILTER_REGISTRATION = "optin4jFilterRegistration";

  /**
   * The filter's order: before Spring Security's default filter order, -100
   * ({@code SecurityProperties.DEFAULT_FILTER_ORDER}), which this starter does not depend on.
   */
  public static final int FILTER_ORDER = -110;

  /** Creates the configuration; Spring calls this. */
  public OptInAutoConfiguration() {}

  /**
   * The consent store on the application's {@code DataSource}, or in memory for tests and demos.
   *
   * @param properties the settings
   * @param dataSource the application's data source, if any
   * @return the store
   */
  @Bean
  @ConditionalOnMissingBean({ConsentStore.class, OptIn.class})
  public ConsentStore optin4jConsentStore(
      OptInProperties properties, ObjectProvider<DataSource> dataSource) {
    if (properties.store() == OptInProperties.Store.MEMORY) {
      if (!properties.forTestsOrDemos()) {
        throw new ConfigurationException(
            "optin4j.store=memory: an in-memory store loses every proof of consent at "
                + "the next restart; set optin4j.for-tests-or-demos=true if this app is only for tests or demos, or use "
                + "optin4j.store=jdbc with a DataSource");
      }
      return InMemoryConsentStore.create();
    }
    DataSource ds = dataSource.getIfUnique();
    if (ds == null) {
      throw new ConfigurationException(
          "optin4j.store=jdbc: no single DataSource bean; add spring-boot-starter-jdbc "
              + "and spring.datasource.*, define a ConsentStore bean, or for tests and demos only set "
              + "optin4j.store=memory and optin4j.for-tests-or-demos=true");
    }
    try {
      JdbcConsentStore.Builder store =
          JdbcConsentStore.builder(ds)
              .tablePrefix(properties.jdbc().tablePrefix())
              .createSchema(properties.jdbc().createSchema());
      // Inside the app's Spring transactions on this DataSource: its connection, its commit.
      if (SpringTransactionBinding.available(OptInAutoConfiguration.class.getClassLoader())) {
        store.joinTransactions(new SpringTransactionBinding());
      }
      return store.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("optin4j.jdbc.table-prefix: " + e.getMessage());
    }
  }

  /**
   * The mailer on the application's {@code JavaMailSender}.
   *
   * @param properties the settings
   * @param sender the application's mail sender, if any
   * @return the mailer
   */
  @Bean
  @ConditionalOnMissingBean({Mailer.class, OptIn.class})
  public Mailer optin4jMailer(OptInProperties properties, ObjectProvider<JavaMailSender> sender) {
    JavaMailSender s = sender.getIfUnique();
    if (s == null) {
      throw new ConfigurationException(
          "optin4j needs a mailer: set spring.mail.host (and spring.mail.port, "
              + "spring.mail.username, ...) so that Spring Boot makes a JavaMailSender, or define a Mailer bean");
    }
    OptInProperties.Smtp smtp = properties.smtp();
    try {
      return JavaMailSenderMailer.create(s, smtp.from(), smtp.fromName(), smtp.replyTo());
    } catch (ConfigurationException e) {
      throw new ConfigurationException(
          e.problems().stream().map(p -> "optin4j.smtp.*: " + p).toList());
    }
  }

  /**
   * The started service; Spring closes it on shutdown.
   *
   * @param properties the settings
   * @param store the store
   * @param mailer the mailer
   * @param resources where the catalog is read from
   * @param metrics what the service reports to, if any (see {@link OptInMetricsAutoConfiguration})
   * @param listeners the application's {@link ConsentListener} beans, each told of every committed change on its own
   *     (off the request thread; a slow or failing one holds back no other)
   * @return the started service
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(OptIn.class)
  public OptIn optIn(
      OptInProperties properties,
      ConsentStore store,
      Mailer mailer,
      ResourceLoader resources,
      ObjectProvider<OptInMetrics> metrics,
      ObjectProvider<ConsentListener> listeners) {
    return build(
            properties,
            store,
            mailer,
            resources,
            metrics.getIfUnique(() -> OptInMetrics.NONE),
            listeners.orderedStream().toList())
        .start();
  }

  /**
   * Registers the filter on every path ahead of Spring Security; only the prefix and the drop-in paths are its own,
   * the rest passes through untouched.
   *
   * @param properties the settings
   * @param optIn the service
   * @return the registration
   */
  @Bean(FILTER_REGISTRATION)
  @ConditionalOnMissingBean(name = FILTER_REGISTRATION)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(FilterRegistrationBean.class)
  public FilterRegistrationBean<OptInFilter> optin4jFilterRegistration(
      OptInProperties properties, OptIn optIn) {
    FilterRegistrationBean<OptInFilter> registration =
        new FilterRegistrationBean<>(filter(properties, optIn));
    registration.setName("optin4jFilter");
    registration.addUrlPatterns("/*");
    registration.setDispatcherTypes(DispatcherType.REQUEST);
    registration.setOrder(FILTER_ORDER);
    return registration;
  }

  // --- building
  // ---------------------------------------------------------------------------------------------

  /** Builder setting names as they appear in OptIn.Builder's messages, and the property each one comes from. */
  private static final Map<String, String> BUILDER_NAMES =
      Map.ofEntries(
          Map.entry("baseUrl", "optin4j.base-url"), Map.entry("catalog", "optin4j.catalog"),
          Map.entry("controller", "optin4j.controller.*"),
              Map.entry("confirmationTtl", "optin4j.confirmation-ttl"),
          Map.entry("preferencesTtl", "optin4j.preferences-ttl"),
              Map.entry("unsubscribeTtl", "optin4j.unsubscribe-ttl"),
          Map.entry("suppressionPepper", "optin4j.suppression-pepper"),
              Map.entry("jurisdiction", "optin4j.jurisdiction"),
          Map.entry("confirmationMailCap", "optin4j.mail-cap.*"),
              Map.entry("signingKeys", "optin4j.signing.*"));

  static OptIn build(
      OptInProperties p,
      ConsentStore store,
      Mailer mailer,
      ResourceLoader resources,
      OptInMetrics metrics,
      List<ConsentListener> listeners) {
    List<String> problems = new ArrayList<>();
    OptIn.Builder b = OptIn.builder().store(store).mailer(mailer).metrics(metrics);
    listeners.forEach(b::listener);
    OptInProperties.Bounces bounces = p.bounces();
    if (bounces.localPart() != null || bounces.domain() != null) {
      if (bounces.localPart() == null || bounces.domain() == null) {
        problems.add("optin4j.bounces.local-part and optin4j.bounces.domain: set both or neither");
      } else {
        try {
          b.bounceAddress(bounces.localPart().strip(), bounces.domain().strip());
        } catch (IllegalArgumentException e) {
          problems.add("optin4j.bounces.*: " + e.getMessage());
        }
      }
    }
    if (p.baseUrl() == null || p.baseUrl().isBlank()) {
      problems.add("optin4j.base-url: required, for example https://shop.example/optin");
    } else {
      b.baseUrl(p.baseUrl().strip());
    }
    if (p.catalog() == null || p.catalog().isBlank()) {
      problems.add("optin4j.catalog: required, for example classpath:optin4j-purposes.json");
    } else {
      try {
        b.catalog(catalog(p.catalog().strip(), resources));
      } catch (OptInException | IllegalArgumentException e) {
        problems.add("optin4j.catalog: " + e.getMessage());
      }
    }
    OptInProperties.ControllerSettings c = p.controller();
    if (blankToNull(c.name()) == null
        || blankToNull(c.address()) == null
        || blankToNull(c.email()) == null) {
      problems.add("optin4j.controller.name, .address and .email: required (GDPR Art. 13(1)(a))");
    } else {
      try {
        Controller controller =
            new Controller(
                c.name(),
                c.address(),
                c.email(),
                c.privacyPolicyUrl(),
                blankToNull(c.dpoContact()),
                null);
        if (blankToNull(c.supervisoryAuthorityName()) != null
            || blankToNull(c.supervisoryAuthorityUrl()) != null) {
          controller =
              controller.withSupervisoryAuthority(
                  String.valueOf(c.supervisoryAuthorityName()),
                  String.valueOf(c.supervisoryAuthorityUrl()));
        }
        b.controller(controller);
      } catch (IllegalArgumentException e) {
        problems.add("optin4j.controller.*: " + e.getMessage());
      }
    }
    byte[] active = secret("optin4j.signing.key", p.signing().key(), false, problems);
    if (active == null) {
      addIfAbsent(
          problems, "optin4j.signing.key", "optin4j.signing.key.env, .file or .value: required");
    } else {
      try {
        SigningKeys.Builder keys = SigningKeys.builder().active(p.signing().kid(), active);
        p.signing()
            .previous()
            .forEach(
                (kid, s) -> {
                  byte[] previous = secret("optin4j.signing.previous." + kid, s, false, problems);
                  if (previous != null) {
                    keys.previous(kid, previous);
                  }
                });
        b.signingKeys(keys.build());
      } catch (ConfigurationException | IllegalArgumentException e) {
        problems.add("optin4j.signing.*: " + e.getMessage());
      }
    }
    byte[] pepper = secret("optin4j.suppression-pepper", p.suppressionPepper(), false, problems);
    if (pepper == null) {
      addIfAbsent(
          problems,
          "optin4j.suppression-pepper",
          "optin4j.suppression-pepper.env, .file or .value: required");
    } else {
      b.suppressionPepper(pepper);
    }
    byte[] jwk = secret("optin4j.receipt-keys.jwk", p.receiptKeys().jwk(), true, problems);
    if (jwk != null) {
      try {
        b.receiptKeys(ReceiptKeys.fromJwk(new String(jwk, StandardCharsets.UTF_8)));
      } catch (ConfigurationException e) {
        problems.add("optin4j.receipt-keys.jwk: " + e.getMessage());
      }
    }
    setIfPresent(p.jurisdiction(), b::jurisdiction);
    setIfPresent(p.confirmationTtl(), b::confirmationTtl);
    setIfPresent(p.preferencesTtl(), b::preferencesTtl);
    setIfPresent(p.unsubscribeTtl(), b::unsubscribeTtl);
    setIfPresent(p.evidencePolicy(), b::evidencePolicy);
    OptInProperties.MailCap cap = p.mailCap();
    if (cap.perDay() != null || cap.minInterval() != null) {
      // The same defaults as the builder's and the properties file's.
      b.confirmationMailCap(
          cap.perDay() == null ? 3 : cap.perDay(),
          cap.minInterval() == null ? Duration.ofMinutes(2) : cap.minInterval());
    }
    OptInProperties.Sending sending = p.sending();
    try {
      org.optin4j.mail.SendingRate rate = org.optin4j.mail.SendingRate.unlimited();
      rate = sending.name() == null ? rate : rate.withName(sending.name());
      rate = sending.connections() == null ? rate : rate.withConnections(sending.connections());
      rate = sending.perSecond() == null ? rate : rate.withPerSecond(sending.perSecond());
      rate = sending.perMinute() == null ? rate : rate.withPerMinute(sending.perMinute());
      b.sendingRate(sending.perHour() == null ? rate : rate.withPerHour(sending.perHour()));
    } catch (IllegalArgumentException e) {
      problems.add("optin4j.sending.*: " + e.getMessage());
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    try {
      return b.build();
    } catch (ConfigurationException e) {
      throw new ConfigurationException(
          e.problems().stream().map(OptInAutoConfiguration::propertyOf).toList());
    }
  }

  /** Prefixes a builder problem ("baseUrl must use https ...") with the property it comes from. */
  static String propertyOf(String problem) {
    int end = 0;
    while (end < problem.length() && Character.isLetter(problem.charAt(end))) {
      end++;
    }
    String property = BUILDER_NAMES.get(problem.substring(0, end));
    return property == null ? "optin4j: " + problem : property + ": " + problem;
  }

  static OptInFilter filter(OptInProperties p, OptIn optIn) {
    List<String> problems = new ArrayList<>();
    OptInFilter.Builder f = OptInFilter.builder(optIn).prefix(p.prefix());
    byte[] formKey = secret("optin4j.form-key", p.formKey(), false, problems);
    if (formKey != null) {
      f.formKey(formKey);
    }
    setIfPresent(p.formTokenTtl(), f::formTokenTtl);
    OptInProperties.RateLimit rate = p.rateLimit();
    limit(
        "optin4j.rate-limit.per-ip",
        rate.perIp(),
        problems,
        (max, window) -> f.rateLimitPerIp(max, window));
    limit(
        "optin4j.rate-limit.per-address",
        rate.perAddress(),
        problems,
        (max, window) -> f.rateLimitPerAddress(max, window));
    setIfPresent(rate.slots(), f::rateLimitSlots);
    f.trustedProxies(p.trustedProxies().toArray(String[]::new));
    f.allowedOrigins(p.allowedOrigins().toArray(String[]::new));
    p.stylesheets().forEach(f::stylesheet);
    f.returnUrls(p.returnUrls().toArray(String[]::new));
    setIfPresent(p.messages(), f::messages);
    f.formPaths(p.dropIn().formPaths().toArray(String[]::new));
    f.markerPaths(p.dropIn().markerPaths().toArray(String[]::new));
    setIfPresent(p.dropIn().emailField(), f::emailField);
    f.api(p.api().enabled());
    f.apiAllowedOrigins(p.api().allowedOrigins().toArray(String[]::new));
    byte[] apiKey = secret("optin4j.api.key", p.api().key(), true, problems);
    if (apiKey != null) {
      f.apiKeys(new String(apiKey, StandardCharsets.UTF_8).strip());
    }
    OptInProperties.Bounces bounces = p.bounces();
    if (!bounces.snsTopics().isEmpty()) {
      f.snsBounces(org.optin4j.lists.SnsSettings.of(java.util.Set.copyOf(bounces.snsTopics())));
    }
    byte[] relay = secret("optin4j.bounces.relay-secret", bounces.relaySecret(), true, problems);
    if (relay != null) {
      try {
        f.relayedBounces(
            org.optin4j.feed.WebhookSecret.parse(
                new String(relay, StandardCharsets.UTF_8).strip()));
      } catch (IllegalArgumentException e) {
        // Never the secret itself in the message.
        problems.add("optin4j.bounces.relay-secret: must be a whsec_ secret of 24 to 64 bytes");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    try {
      return f.build();
    } catch (ConfigurationException e) {
      throw new ConfigurationException(
          e.problems().stream().map(x -> "optin4j (filter): " + x).toList());
    }
  }

  private static PurposeCatalog catalog(String location, ResourceLoader resources) {
    boolean json = location.endsWith(".json");
    if (!json && !location.endsWith(".properties")) {
      throw new IllegalArgumentException("must name a .json or .properties file, was " + location);
    }
    Resource resource = resources.getResource(location);
    if (!resource.exists()) {
      throw new IllegalArgumentException(location + " not found");
    }
    try (InputStream in = resource.getInputStream()) {
      return json ? PurposeCatalog.fromJson(in) : PurposeCatalog.fromProperties(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + location);
    }
  }

  /**
   * Resolves a secret from exactly one of env, file or value (a blank one counts as unset, as Spring users blank a
   * key to unset it); null, with a problem if one is invalid, otherwise. Messages never carry the value.
   */
  private static byte[] secret(
      String key, OptInProperties.Secret s, boolean text, List<String> problems) {
    String env = blankToNull(s.env());
    String file = blankToNull(s.file());
    String value = blankToNull(s.value());
    int set = (env == null ? 0 : 1) + (file == null ? 0 : 1) + (value == null ? 0 : 1);
    if (set == 0) {
      return null;
    }
    if (set > 1) {
      problems.add(key + ": set only one of .env, .file and .value");
      return null;
    }
    if (file != null) {
      // Through Secrets, so that a file its group or others may read is refused here as it is
      // everywhere else.
      try {
        return text
            ? Secrets.textFromFile(Path.of(file)).getBytes(StandardCharsets.UTF_8)
            : Secrets.fromFile(Path.of(file));
      } catch (ConfigurationException e) {
        problems.add(key + ".file: " + e.getMessage());
      } catch (InvalidPathException e) {
        problems.add(key + ".file: not a valid path");
      }
      return null;
    }
    if (text) {
      String raw = value;
      if (env != null) {
        raw = System.getenv(env);
        if (raw == null || raw.isBlank()) {
          problems.add(key + ".env: environment variable " + env + " is not set");
          return null;
        }
      }
      return raw.strip().getBytes(StandardCharsets.UTF_8);
    }
    // Through Secrets, so that keys from the environment or a value obey the same rules (base64,
    // 256 bits) and a
    // bad one is never echoed.
    try {
      return env != null ? Secrets.fromEnv(env) : Secrets.fromValue(key + ".value", value);
    } catch (ConfigurationException e) {
      // Secrets' message names the variable, or the property given to fromValue.
      problems.add(env != null ? key + ".env: " + e.getMessage() : e.getMessage());
      return null;
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }

  private interface LimitSetter {
    void set(int max, Duration window);
  }

  private static void limit(String key, String value, List<String> problems, LimitSetter set) {
    if (value == null) {
      return;
    }
    int slash = value.indexOf('/');
    try {
      if (slash < 0) {
        throw new IllegalArgumentException("no slash");
      }
      set.set(
          Integer.parseInt(value.substring(0, slash).strip()),
          Duration.parse(value.substring(slash + 1).strip()));
    } catch (RuntimeException e) {
      problems.add(key + ": expected max/window such as 30/PT10M, was " + value);
    }
  }

  private static void addIfAbsent(List<String> problems, String prefix, String problem) {
    if (problems.stream().noneMatch(x -> x.startsWith(prefix))) {
      problems.add(problem);
    }
  }

  private static <T> void setIfPresent(T value, Consumer<T> set) {
    if (value != null) {
      set.accept(value);
    }
  }
}
