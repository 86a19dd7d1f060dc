package org.optin4j.servlet;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.EvidencePolicy;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.StoreException;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.keys.Secrets;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;

/**
 * optin4j configured by keys and values instead of code: a properties file (what the filter reads from its
 * {@code web.xml} init-param {@value OptInFilter#CONFIG_INIT_PARAM}) or a {@code Map} (what a secret store or a
 * config server hands over). The keys are those of the Spring Boot starter's {@code optin4j.*} properties without the
 * prefix ({@code baseUrl}, {@code controller.name}, {@code store}, {@code forTestsOrDemos}, {@code jdbc.tablePrefix},
 * ...; the starter's kebab-case spelling, {@code for-tests-or-demos}, {@code jdbc.table-prefix}, is read too), plus the mail server ({@code smtp.*}) and the database ({@code store.jndi}, {@code store.url}, ...), which a
 * Spring Boot app takes from {@code spring.mail.*} and {@code spring.datasource.*}. The table of keys is in the module
 * README, "Settings".
 *
 * <pre>{@code
 * OptInConfig config = OptInConfig.fromProperties("file:/etc/shop/optin4j.properties");
 * OptIn optIn = config.optInBuilder().build().start();         // the app closes it when it stops
 * OptInFilter filter = config.filterBuilder(optIn).build();
 * }</pre>
 *
 * <p>Every key is known in advance: an unknown key, a missing required key and an invalid value each fail with a
 * {@link ConfigurationException} that names the key, all problems at once, before any connection to the database is
 * opened. Secrets (signing keys, the suppression pepper, the form key, the receipt key, the SMTP and database
 * passwords) come from {@code <key>.env}, the name of an environment variable, {@code <key>.file}, a file readable by
 * its owner only, or {@code <key>.value}, the secret itself (base64 for keys), for a {@code Map} that a secret store
 * (Vault, a config server) hands over; a properties file may not hold a {@code .value}. No message shows a secret.
 *
 * <p>Proof of consent must outlive a restart (GDPR Art. 7(1)), so the store is {@code jdbc} unless the configuration
 * says {@code store=memory} <em>and</em> {@code forTestsOrDemos=true}.
 *
 * <p>Immutable and thread-safe; {@link #optInBuilder()} reads secret files and environment variables and opens the
 * store each time it is called.
 */
public final class OptInConfig {
  private static final Pattern PREVIOUS_KEY =
      Pattern.compile("signing\\.previous\\.([A-Za-z0-9._-]{1,64})\\.(env|file|value)");

  /** Secrets that are text, not base64 keys. */
  private static final Set<String> TEXT_SECRETS =
      Set.of(
          "smtp.password", "receiptKeys.jwk", "store.password", "api.key", "bounces.relay.secret");

  /** Secrets, each read from exactly one of {@code <name>.env}, {@code <name>.file} or {@code <name>.value}. */
  private static final List<String> SECRETS =
      List.of(
          "store.password",
          "smtp.password",
          "signing.key",
          "suppressionPepper",
          "receiptKeys.jwk",
          "formKey",
          "api.key",
          "bounces.relay.secret");

  private static final Set<String> KEYS =
      Stream.concat(
              SECRETS.stream().flatMap(k -> Stream.of(k + ".env", k + ".file", k + ".value")),
              Stream.of(
                  "baseUrl",
                  "prefix",
                  "catalog",
                  "controller.name",
                  "controller.address",
                  "controller.email",
                  "controller.privacyPolicyUrl",
                  "controller.dpoContact",
                  "controller.supervisoryAuthority.name",
                  "controller.supervisoryAuthority.url",
                  "store",
                  "forTestsOrDemos",
                  "store.jndi",
                  "store.url",
                  "store.username",
                  "store.dialect",
                  "jdbc.tablePrefix",
                  "jdbc.createSchema",
                  "smtp.host",
                  "smtp.port",
                  "smtp.security",
                  "smtp.username",
                  "smtp.from",
                  "smtp.fromName",
                  "smtp.replyTo",
                  "smtp.smtputf8",
                  "signing.kid",
                  "jurisdiction",
                  "confirmationTtl",
                  "preferencesTtl",
                  "unsubscribeTtl",
                  "evidencePolicy",
                  "mailCap.perDay",
                  "mailCap.minInterval",
                  "sending.name",
                  "sending.connections",
                  "sending.perSecond",
                  "sending.perMinute",
                  "sending.perHour",
                  "bounces.localPart",
                  "bounces.domain",
                  "formTokenTtl",
                  "rateLimit.perIp",
                  "rateLimit.perAddress",
                  "rateLimit.slots",
                  "trustedProxies",
                  "allowedOrigins",
                  "stylesheets",
                  "returnUrls",
                  "messages",
                  "dropIn.formPaths",
                  "dropIn.markerPaths",
                  "dropIn.emailField",
                  "api.enabled",
                  "api.allowedOrigins",
                  "bounces.sns.topics"))
          .collect(Collectors.toUnmodifiableSet());

  private static final String MEMORY_REFUSED =
      "store=memory: an in-memory store loses every proof of consent (GDPR Art. 7(1)) at the next"
          + " restart; use store=jdbc with store.jndi (the container's DataSource, for example"
          + " java:comp/env/jdbc/optin4j) or store.url, or, if this app is only for tests or demos,"
          + " set forTestsOrDemos=true";

  private final Map<String, String> values;

  /** Keys given in both spellings (see {@link #canonical}). */
  private final List<String> spellingProblems;

  /** Where the values come from, for messages: a location, or "a Map". */
  private final String source;

  private final ClassLoader loader;

  /** Whether secrets may be given as {@code .value}: from a Map only, never from a file that ships with the app. */
  private final boolean secretValues;

  private OptInConfig(
      Map<String, String> values, String source, ClassLoader loader, boolean secretValues) {
    List<String> twice = new ArrayList<>();
    this.values = canonical(values, twice);
    this.spellingProblems = List.copyOf(twice);
    this.source = source;
    this.loader = loader;
    this.secretValues = secretValues;
  }

  /**
   * Reads a properties file (UTF-8). {@code classpath:} locations and the catalog's are resolved with the calling
   * thread's context class loader (a web app's while it starts).
   *
   * @param location {@code classpath:/optin4j.properties} or {@code file:/etc/shop/optin4j.properties}
   * @return the configuration, not yet checked; a secret's {@code .value} key is refused in a file
   * @throws ConfigurationException if the file cannot be found or read
   */
  public static OptInConfig fromProperties(String location) {
    return fromProperties(location, null);
  }

  /** As {@link #fromProperties(String)}, resolving {@code classpath:} with {@code loader} if not null. */
  static OptInConfig fromProperties(String location, ClassLoader loader) {
    Objects.requireNonNull(location, "location");
    ClassLoader l = loader(loader);
    return new OptInConfig(read(location, l), location, l, false);
  }

  /**
   * Takes keys and values from a map, for example one a config server or a secret store handed over. Values are
   * stripped of surrounding white space, as in a properties file.
   *
   * @param values the keys (without any prefix) and their values
   * @return the configuration, not yet checked
   */
  public static OptInConfig fromMap(Map<String, String> values) {
    Objects.requireNonNull(values, "values");
    Map<String, String> copy = new TreeMap<>();
    values.forEach(
        (k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, k).strip()));
    return new OptInConfig(copy, "a Map", loader(null), true);
  }

  private static ClassLoader loader(ClassLoader given) {
    if (given != null) {
      return given;
    }
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : OptInConfig.class.getClassLoader();
  }

  /**
   * The keys in the spelling the checks use. The starter documents its properties in kebab case ({@code
   * jdbc.table-prefix}, {@code for-tests-or-demos}), and Spring Boot binds either spelling; so does this class: a
   * kebab-case key whose camel-case form is known stands for that key. A key given in both spellings is a problem,
   * not a silent choice.
   */
  private static Map<String, String> canonical(Map<String, String> given, List<String> problems) {
    Map<String, String> out = new TreeMap<>();
    Map<String, String> spelledAs = new TreeMap<>();
    given.forEach(
        (key, value) -> {
          String known = camelCase(key);
          String use =
              !KEYS.contains(key) && !PREVIOUS_KEY.matcher(key).matches() && KEYS.contains(known)
                  ? known
                  : key;
          String earlier = spelledAs.putIfAbsent(use, key);
          if (earlier != null) {
            problems.add(key + ": set twice, also as " + earlier + "; keep one spelling");
          } else {
            out.put(use, value);
          }
        });
    return out;
  }

  private static String camelCase(String key) {
    StringBuilder b = new StringBuilder(key.length());
    boolean upper = false;
    for (char c : key.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        b.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return b.toString();
  }

  /** {@code true} or {@code false}, nothing else: {@code Boolean.parseBoolean} would read a typo as false. */
  private static boolean bool(String s) {
    return switch (s.strip()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("must be true or false");
    };
  }

  /** The result for the filter: an unstarted {@link OptIn} it owns, and its settings. */
  record Loaded(OptIn optIn, OptInFilter.Settings settings) {}

  /** Builds what a filter registered in {@code web.xml} runs on; closes the OptIn if the filter settings fail. */
  Loaded load() {
    OptIn.Builder builder = optInBuilder();
    OptIn optIn;
    try {
      optIn = builder.build();
    } catch (ConfigurationException e) {
      // The builder names its own settings, not keys; say which configuration they come from.
      throw new ConfigurationException(
          e.problems().stream().map(x -> "(" + source + ") " + x).toList());
    }
    try {
      return new Loaded(optIn, filterBuilder(optIn).settings());
    } catch (ConfigurationException e) {
      optIn.close();
      throw e;
    }
  }

  /**
   * Checks every key (the filter's too, so that a typo there fails before the database is touched), then opens the
   * store: with {@code store=jdbc} it looks the DataSource up or finds the driver, connects, and creates the schema if
   * {@code jdbc.createSchema=true} and it is absent. Returns a builder with every {@link OptIn} setting of the
   * configuration applied; the caller may set more (a clock, listeners) before {@link OptIn.Builder#build()}.
   *
   * @return a builder ready to build
   * @throws ConfigurationException naming every unknown, missing or invalid key, or the store key whose database
   *     cannot be used
   */
  public OptIn.Builder optInBuilder() {
    Map<String, String> p = values;
    List<String> problems = new ArrayList<>();
    problems.addAll(spellingProblems);
    for (String key : p.keySet()) {
      if (!KEYS.contains(key) && !PREVIOUS_KEY.matcher(key).matches()) {
        problems.add(key + ": unknown key");
      } else if (!secretValues && key.endsWith(".value")) {
        problems.add(
            key
                + ": a secret is never written in a properties file; name an environment variable"
                + " (.env) or an owner-only file (.file), or pass the value in a Map (OptInConfig.fromMap)");
      }
    }
    Reader r = new Reader(p, problems);

    OptIn.Builder b = OptIn.builder();
    r.required("baseUrl", s -> s, b::baseUrl);
    r.required("catalog", this::catalog, b::catalog);
    String name = r.require("controller.name");
    String address = r.require("controller.address");
    String email = r.require("controller.email");
    if (name != null && address != null && email != null) {
      try {
        String authority = r.require("controller.supervisoryAuthority.name");
        String authorityUrl = r.require("controller.supervisoryAuthority.url");
        if (authority != null && authorityUrl != null) {
          b.controller(
              new Controller(
                  name,
                  address,
                  email,
                  p.get("controller.privacyPolicyUrl"),
                  p.get("controller.dpoContact"),
                  new Controller.SupervisoryAuthority(authority, authorityUrl)));
        }
      } catch (IllegalArgumentException e) {
        problems.add("controller.*: " + e.getMessage());
      }
    }
    Supplier<ConsentStore> store = store(r, problems);
    b.mailer(mailer(r, p, problems));
    SigningKeys.Builder keys = SigningKeys.builder();
    String kid = p.getOrDefault("signing.kid", "k1");
    byte[] active = r.secret("signing.key");
    try {
      if (active != null) {
        keys.active(kid, active);
      } else if (!problems.stream().anyMatch(x -> x.startsWith("signing.key"))) {
        problems.add("signing.key.env, .file or .value: required");
      }
      Set<String> previousKids = new TreeSet<>();
      for (String key : p.keySet()) {
        Matcher m = PREVIOUS_KEY.matcher(key);
        if (m.matches()) {
          previousKids.add(m.group(1));
        }
      }
      for (String previousKid : previousKids) {
        byte[] prev = r.secret("signing.previous." + previousKid);
        if (prev != null) {
          keys.previous(previousKid, prev);
        }
      }
      if (active != null) {
        b.signingKeys(keys.build());
      }
    } catch (ConfigurationException e) {
      problems.add("signing.*: " + e.getMessage());
    }
    byte[] pepper = r.secret("suppressionPepper");
    if (pepper != null) {
      b.suppressionPepper(pepper);
    } else if (!problems.stream().anyMatch(x -> x.startsWith("suppressionPepper"))) {
      problems.add("suppressionPepper.env, .file or .value: required");
    }
    r.optional("confirmationTtl", OptInConfig::duration, b::confirmationTtl);
    r.optional("preferencesTtl", OptInConfig::duration, b::preferencesTtl);
    r.optional("unsubscribeTtl", OptInConfig::duration, b::unsubscribeTtl);
    r.optional(
        "evidencePolicy",
        s -> EvidencePolicy.valueOf(s.toUpperCase(Locale.ROOT)),
        b::evidencePolicy);
    // Optional: without it no consent receipt is signed (see OptIn.Builder#receiptKeys).
    String receiptJwk = r.text("receiptKeys.jwk");
    if (receiptJwk != null) {
      try {
        b.receiptKeys(org.optin4j.keys.ReceiptKeys.fromJwk(receiptJwk));
      } catch (ConfigurationException e) {
        problems.add("receiptKeys.jwk: " + e.getMessage());
      }
    }
    r.optional("jurisdiction", s -> s, b::jurisdiction);
    Integer perDay = r.value("mailCap.perDay", Integer::valueOf);
    Duration minInterval = r.value("mailCap.minInterval", OptInConfig::duration);
    if (perDay != null || minInterval != null) {
      b.confirmationMailCap(
          perDay == null ? 3 : perDay, minInterval == null ? Duration.ofMinutes(2) : minInterval);
    }
    sendingRate(r, problems).ifPresent(b::sendingRate);
    bounceAddress(r, b, problems);
    // The filter's values are applied once the OptIn exists; check their syntax now so all problems
    // come at once.
    r.value("formTokenTtl", OptInConfig::duration);
    r.value("rateLimit.perIp", OptInConfig::limit);
    r.value("rateLimit.perAddress", OptInConfig::limit);
    r.value("rateLimit.slots", Integer::valueOf);
    r.secret("formKey");
    r.value("api.enabled", OptInConfig::bool);
    r.secret("api.key");
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    return b.store(store.get());
  }

  /**
   * Returns a filter builder with every filter setting of the configuration applied (prefix, form key, rate limits,
   * origins, drop-in paths, ...); the caller may set more (a layout, a human check) before
   * {@link OptInFilter.Builder#build()}.
   *
   * @param optIn the service the filter runs on, usually built from {@link #optInBuilder()}
   * @return the builder
   * @throws ConfigurationException naming every invalid filter key
   */
  public OptInFilter.Builder filterBuilder(OptIn optIn) {
    Objects.requireNonNull(optIn, "optIn");
    List<String> problems = new ArrayList<>();
    problems.addAll(spellingProblems);
    Reader r = new Reader(values, problems);
    OptInFilter.Builder f = OptInFilter.builder(optIn);
    r.optional("prefix", s -> s, f::prefix);
    byte[] formKey = r.secret("formKey");
    if (formKey != null) {
      f.formKey(formKey);
    }
    r.optional("formTokenTtl", OptInConfig::duration, f::formTokenTtl);
    r.optional("rateLimit.perIp", OptInConfig::limit, l -> f.rateLimitPerIp(l.max(), l.window()));
    r.optional(
        "rateLimit.perAddress",
        OptInConfig::limit,
        l -> f.rateLimitPerAddress(l.max(), l.window()));
    r.optional("rateLimit.slots", Integer::valueOf, f::rateLimitSlots);
    r.optional("trustedProxies", OptInConfig::list, l -> f.trustedProxies(l));
    r.optional("allowedOrigins", OptInConfig::list, l -> f.allowedOrigins(l));
    r.optional(
        "stylesheets",
        OptInConfig::list,
        l -> {
          for (String s : l) {
            f.stylesheet(s);
          }
        });
    r.optional("returnUrls", OptInConfig::list, l -> f.returnUrls(l));
    r.optional("messages", s -> s, f::messages);
    r.optional("dropIn.formPaths", OptInConfig::list, l -> f.formPaths(l));
    r.optional("dropIn.markerPaths", OptInConfig::list, l -> f.markerPaths(l));
    r.optional("dropIn.emailField", s -> s, f::emailField);
    r.optional("api.enabled", OptInConfig::bool, f::api);
    r.optional("api.allowedOrigins", OptInConfig::list, l -> f.apiAllowedOrigins(l));
    String apiKey = r.text("api.key");
    if (apiKey != null) {
      // One key per configuration; a rotation configures the filter in code with apiKeys(old, new).
      f.apiKeys(apiKey.strip());
    }
    r.optional(
        "bounces.sns.topics",
        OptInConfig::list,
        l ->
            f.snsBounces(
                org.optin4j.lists.SnsSettings.of(
                    new java.util.LinkedHashSet<>(java.util.Arrays.asList(l)))));
    String relaySecret = r.text("bounces.relay.secret");
    if (relaySecret != null) {
      try {
        f.relayedBounces(org.optin4j.feed.WebhookSecret.parse(relaySecret.strip()));
      } catch (IllegalArgumentException e) {
        // Never the secret itself in the message.
        problems.add("bounces.relay.secret: must be a whsec_ secret of 24 to 64 bytes");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    return f;
  }

  /**
   * Checks the store keys and returns what opens the store once every other key is known to be valid, or null after
   * recording the problems. Looking a DataSource up and finding a driver happen here (no connection yet), so their
   * problems come with the others.
   */
  private Supplier<ConsentStore> store(Reader r, List<String> problems) {
    String kind = values.getOrDefault("store", "jdbc");
    Boolean forTestsOrDemos = r.value("forTestsOrDemos", OptInConfig::bool);
    if ("memory".equals(kind)) {
      if (Boolean.FALSE.equals(forTestsOrDemos)
          || forTestsOrDemos == null && !values.containsKey("forTestsOrDemos")) {
        problems.add(MEMORY_REFUSED);
      }
      for (String key : values.keySet()) {
        if (key.startsWith("store.") || key.startsWith("jdbc.")) {
          problems.add(key + ": only with store=jdbc");
        }
      }
      return InMemoryConsentStore::create;
    }
    if (!"jdbc".equals(kind)) {
      problems.add("store: must be jdbc or memory, was " + kind);
      return null;
    }
    String jndi = values.get("store.jndi");
    String url = values.get("store.url");
    if (jndi != null && url != null) {
      problems.add("store.jndi and store.url: set only one");
      return null;
    }
    if (jndi == null && url == null) {
      problems.add(
          "store.jndi or store.url: required with store=jdbc (the default), for example"
              + " store.jndi=java:comp/env/jdbc/optin4j; for tests or demos only: store=memory and"
              + " forTestsOrDemos=true");
      return null;
    }
    JdbcConsentStore.Builder builder;
    String via = jndi != null ? "store.jndi" : "store.url";
    if (jndi != null) {
      for (String key : values.keySet()) {
        if (key.startsWith("store.username") || key.startsWith("store.password")) {
          problems.add(
              key + ": only with store.url (a JNDI DataSource brings its own credentials)");
        }
      }
      builder = r.value("store.jndi", JdbcConsentStore::builderForJndiName);
    } else {
      byte[] password = r.secret("store.password");
      String user = values.get("store.username");
      builder =
          r.value(
              "store.url",
              u ->
                  JdbcConsentStore.builderForUrl(
                      u,
                      user,
                      password == null ? null : new String(password, StandardCharsets.UTF_8)));
    }
    JdbcConsentStore.Dialect dialect = r.value("store.dialect", OptInConfig::dialect);
    boolean createSchema = Boolean.TRUE.equals(r.value("jdbc.createSchema", OptInConfig::bool));
    if (builder == null) {
      return null;
    }
    if (dialect != null) {
      builder.dialect(dialect);
    }
    r.optional("jdbc.tablePrefix", s -> s, builder::tablePrefix);
    builder.createSchema(createSchema);
    return () -> open(builder, via, createSchema);
  }

  /** Connects, creates the schema if asked, and checks its version; a failure names the key of the database. */
  private static ConsentStore open(
      JdbcConsentStore.Builder builder, String via, boolean createSchema) {
    try {
      return builder.build();
    } catch (StoreException e) {
      ConfigurationException c =
          new ConfigurationException(
              via
                  + ": cannot use the database: "
                  + e.getMessage()
                  + (createSchema ? "" : " (jdbc.createSchema=true creates a missing schema)"));
      c.initCause(e);
      throw c;
    } catch (ConfigurationException e) {
      ConfigurationException c = new ConfigurationException("store.dialect: " + e.getMessage());
      c.initCause(e);
      throw c;
    }
  }

  private static JdbcConsentStore.Dialect dialect(String s) {
    for (JdbcConsentStore.Dialect d : JdbcConsentStore.Dialect.values()) {
      if (d.name().equalsIgnoreCase(s)) {
        return d;
      }
    }
    throw new IllegalArgumentException("must be H2, POSTGRESQL or MARIADB, was " + s);
  }

  /** The VERP envelope sender (docs/bounces.md) from {@code bounces.localPart} and {@code bounces.domain}, both or none. */
  private static void bounceAddress(Reader r, OptIn.Builder b, List<String> problems) {
    String localPart = r.value("bounces.localPart", String::strip);
    String domain = r.value("bounces.domain", String::strip);
    if (localPart == null && domain == null) {
      return;
    }
    if (localPart == null || domain == null) {
      problems.add("bounces.localPart and bounces.domain: set both or neither");
      return;
    }
    try {
      b.bounceAddress(localPart, domain);
    } catch (IllegalArgumentException e) {
      problems.add("bounces.*: " + e.getMessage());
    }
  }

  /** The {@code sending.*} keys as a sending rate over the defaults, or empty if none is set or one is invalid. */
  private static java.util.Optional<org.optin4j.mail.SendingRate> sendingRate(
      Reader r, List<String> problems) {
    String name = r.value("sending.name", s -> s);
    Integer connections = r.value("sending.connections", Integer::valueOf);
    Integer perSecond = r.value("sending.perSecond", Integer::valueOf);
    Integer perMinute = r.value("sending.perMinute", Integer::valueOf);
    Integer perHour = r.value("sending.perHour", Integer::valueOf);
    if (name == null
        && connections == null
        && perSecond == null
        && perMinute == null
        && perHour == null) {
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(
          new org.optin4j.mail.SendingRate(
              name == null ? org.optin4j.mail.SendingRate.DEFAULT_NAME : name,
              connections == null ? org.optin4j.mail.SendingRate.DEFAULT_CONNECTIONS : connections,
              perSecond == null ? 0 : perSecond,
              perMinute == null ? 0 : perMinute,
              perHour == null ? 0 : perHour));
    } catch (IllegalArgumentException e) {
      problems.add("sending.*: " + e.getMessage());
      return java.util.Optional.empty();
    }
  }

  private static SmtpMailer mailer(Reader r, Map<String, String> p, List<String> problems) {
    SmtpMailer.Builder m = SmtpMailer.builder();
    r.required("smtp.host", s -> s, m::host);
    r.required(
        "smtp.from",
        s -> s,
        from -> {
          if (p.containsKey("smtp.fromName")) {
            m.from(from, p.get("smtp.fromName"));
          } else {
            m.from(from);
          }
        });
    r.optional(
        "smtp.security", s -> SmtpMailer.Security.valueOf(s.toUpperCase(Locale.ROOT)), m::security);
    r.optional("smtp.port", Integer::valueOf, m::port);
    r.optional("smtp.username", s -> s, m::username);
    r.optional("smtp.replyTo", s -> s, m::replyTo);
    r.optional("smtp.smtputf8", OptInConfig::bool, m::smtpUtf8);
    byte[] password = r.secret("smtp.password");
    if (password != null) {
      m.password(new String(password, StandardCharsets.UTF_8));
    }
    if (problems.stream().anyMatch(x -> x.startsWith("smtp."))) {
      return null;
    }
    try {
      return m.build();
    } catch (ConfigurationException e) {
      e.problems().forEach(x -> problems.add("smtp.*: " + x));
    } catch (IllegalArgumentException e) {
      problems.add("smtp.*: " + e.getMessage());
    }
    return null;
  }

  private static Map<String, String> read(String location, ClassLoader loader) {
    Properties props = new Properties();
    try (InputStream in = open(location, loader)) {
      if (in == null) {
        throw new ConfigurationException("configuration " + location + ": not found");
      }
      props.load(new InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigurationException(
          "configuration " + location + ": cannot read it (" + e.getMessage() + ")");
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : props.stringPropertyNames()) {
      out.put(k, props.getProperty(k).strip());
    }
    return out;
  }

  private static InputStream open(String location, ClassLoader loader) throws IOException {
    if (location.startsWith("classpath:")) {
      String res = location.substring("classpath:".length());
      return loader.getResourceAsStream(res.startsWith("/") ? res.substring(1) : res);
    }
    if (location.startsWith("file:")) {
      Path path = Path.of(location.substring("file:".length()));
      return Files.isRegularFile(path) ? Files.newInputStream(path) : null;
    }
    throw new ConfigurationException(
        "configuration " + location + ": must start with classpath: or file:");
  }

  private PurposeCatalog catalog(String location) {
    boolean json = location.endsWith(".json");
    if (!json && !location.endsWith(".properties")) {
      throw new IllegalArgumentException("must name a .json or .properties file");
    }
    try (InputStream in = open(location, loader)) {
      if (in == null) {
        throw new IllegalArgumentException(location + " not found");
      }
      return json ? PurposeCatalog.fromJson(in) : PurposeCatalog.fromProperties(in);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + location);
    }
  }

  private static Duration duration(String s) {
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("expected an ISO-8601 duration such as PT48H, was " + s);
    }
  }

  record Limit(int max, Duration window) {}

  private static Limit limit(String s) {
    int slash = s.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("expected max/window such as 30/PT10M, was " + s);
    }
    return new Limit(
        Integer.parseInt(s.substring(0, slash).strip()), duration(s.substring(slash + 1).strip()));
  }

  private static String[] list(String s) {
    return s.isBlank() ? new String[0] : s.strip().split("\\s*,\\s*");
  }

  /** Names the source only: values may name secret files and variables, and never carry secrets. */
  @Override
  public String toString() {
    return "OptInConfig[" + source + "]";
  }

  /** Reads typed values, recording a problem that names the key for each missing or invalid one. */
  private static final class Reader {
    private final Map<String, String> p;
    private final List<String> problems;

    Reader(Map<String, String> p, List<String> problems) {
      this.p = p;
      this.problems = problems;
    }

    String require(String key) {
      String v = p.get(key);
      if (v == null || v.isEmpty()) {
        problems.add(key + ": required");
        return null;
      }
      return v;
    }

    <T> void required(String key, Function<String, T> parse, Consumer<T> set) {
      String v = require(key);
      if (v != null) {
        apply(key, v, parse, set);
      }
    }

    <T> void optional(String key, Function<String, T> parse, Consumer<T> set) {
      String v = p.get(key);
      if (v != null) {
        apply(key, v, parse, set);
      }
    }

    <T> T value(String key, Function<String, T> parse) {
      String v = p.get(key);
      if (v == null) {
        return null;
      }
      try {
        return parse.apply(v);
      } catch (ConfigurationException e) {
        e.problems().forEach(x -> problems.add(key + ": " + x));
        return null;
      } catch (RuntimeException e) {
        problems.add(key + ": invalid value (" + e.getMessage() + ")");
        return null;
      }
    }

    private <T> void apply(String key, String v, Function<String, T> parse, Consumer<T> set) {
      try {
        set.accept(parse.apply(v));
      } catch (ConfigurationException e) {
        e.problems().forEach(x -> problems.add(key + ": " + x));
      } catch (RuntimeException e) {
        problems.add(key + ": invalid value (" + e.getMessage() + ")");
      }
    }

    /** A secret that is text (a JWK), from {@code key.env}, {@code .file} or {@code .value}; null if none is set. */
    String text(String key) {
      byte[] raw = secret(key);
      return raw == null ? null : new String(raw, StandardCharsets.UTF_8);
    }

    /**
     * A secret from exactly one of {@code <key>.env} (an environment variable), {@code <key>.file} or
     * {@code <key>.value} (what a secret store hands over in a Map): base64 for keys, text for the passwords and the
     * receipt JWK. A file must be readable by its owner only ({@link Secrets#fromFile}). Messages never show a value.
     */
    byte[] secret(String key) {
      boolean text = TEXT_SECRETS.contains(key);
      String env = p.get(key + ".env");
      String file = p.get(key + ".file");
      String value = p.get(key + ".value");
      if ((env == null ? 0 : 1) + (file == null ? 0 : 1) + (value == null ? 0 : 1) > 1) {
        problems.add(key + ": set only one of .env, .file and .value");
        return null;
      }
      String raw;
      String from;
      if (env != null) {
        from = key + ".env";
        raw = System.getenv(env);
        if (raw == null || raw.isBlank()) {
          problems.add(from + ": environment variable " + env + " is not set");
          return null;
        }
      } else if (value != null) {
        from = key + ".value";
        raw = value;
        if (raw.isBlank()) {
          problems.add(from + ": empty");
          return null;
        }
      } else if (file != null) {
        // Through Secrets, so that a file its group or others may read is refused here as it is in
        // code.
        try {
          return text
              ? Secrets.textFromFile(Path.of(file)).getBytes(StandardCharsets.UTF_8)
              : Secrets.fromFile(Path.of(file));
        } catch (ConfigurationException e) {
          problems.add(key + ".file: " + e.getMessage());
        } catch (InvalidPathException e) {
          problems.add(key + ".file: not a valid path: " + file);
        }
        return null;
      } else {
        return null;
      }
      raw = raw.strip();
      if (text) {
        return raw.getBytes(StandardCharsets.UTF_8);
      }
      try {
        return raw.indexOf('-') >= 0 || raw.indexOf('_') >= 0
            ? Base64.getUrlDecoder().decode(raw)
            : Base64.getDecoder().decode(raw);
      } catch (IllegalArgumentException e) {
        problems.add(from + ": not valid base64");
        return null;
      }
    }
  }
}
