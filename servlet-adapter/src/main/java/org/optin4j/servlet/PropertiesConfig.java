package org.optin4j.servlet;

import jakarta.servlet.ServletContext;
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
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.EvidencePolicy;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.keys.Secrets;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;

/**
 * The bridge from a properties file (named by the {@code web.xml} init-param {@code config}) to a typed
 * {@link OptIn} and filter settings. Every key is known in advance: an unknown key, a missing required key and an
 * invalid value each fail the start with a message naming the key, all at once. Secrets (signing keys, the form key,
 * the SMTP password) are never written in the file itself: the file names an environment variable ({@code *.env})
 * or a file ({@code *.file}) that holds them. The table of keys is in the module README.
 *
 * <p>Stateless.
 */
final class PropertiesConfig {
  private static final Pattern PREVIOUS_KEY =
      Pattern.compile("signing\\.previous\\.([A-Za-z0-9._-]{1,64})\\.(env|file)");
  private static final Set<String> KEYS =
      Set.of(
          "baseUrl",
          "prefix",
          "catalog",
          "controller.name",
          "controller.address",
          "controller.email",
          "controller.privacyPolicyUrl",
          "store",
          "store.jndi",
          "smtp.host",
          "smtp.port",
          "smtp.security",
          "smtp.username",
          "smtp.password.env",
          "smtp.password.file",
          "smtp.from",
          "smtp.fromName",
          "smtp.replyTo",
          "smtp.smtputf8",
          "signing.kid",
          "signing.key.env",
          "signing.key.file",
          "suppressionPepper.env",
          "suppressionPepper.file",
          "receiptKeys.jwk.env",
          "receiptKeys.jwk.file",
          "jurisdiction",
          "confirmationTtl",
          "preferencesTtl",
          "unsubscribeTtl",
          "evidencePolicy",
          "mailCap.perDay",
          "mailCap.minInterval",
          "formKey.env",
          "formKey.file",
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
          "dropIn.emailField");

  private PropertiesConfig() {}

  /** {@code true} or {@code false}, nothing else: {@code Boolean.parseBoolean} would read a typo as false. */
  private static boolean bool(String s) {
    return switch (s.strip()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("must be true or false");
    };
  }

  /** The result: an unstarted {@link OptIn} owned by the filter, and the filter settings. */
  record Loaded(OptIn optIn, OptInFilter.Settings settings) {}

  static Loaded load(String location, ServletContext context) {
    Map<String, String> p = read(location, context);
    List<String> problems = new ArrayList<>();
    for (String key : p.keySet()) {
      if (!KEYS.contains(key) && !PREVIOUS_KEY.matcher(key).matches()) {
        problems.add(key + ": unknown key");
      }
    }
    Reader r = new Reader(p, problems);

    // --- the OptIn ---
    OptIn.Builder b = OptIn.builder();
    r.required("baseUrl", s -> s, b::baseUrl);
    r.required("catalog", s -> catalog(s, context), b::catalog);
    String name = r.require("controller.name");
    String address = r.require("controller.address");
    String email = r.require("controller.email");
    if (name != null && address != null && email != null) {
      try {
        b.controller(new Controller(name, address, email, p.get("controller.privacyPolicyUrl")));
      } catch (IllegalArgumentException e) {
        problems.add("controller.*: " + e.getMessage());
      }
    }
    String store = p.getOrDefault("store", "memory");
    if ("memory".equals(store)) {
      b.store(InMemoryConsentStore.create());
    } else if ("jdbc".equals(store)) {
      problems.add(
          "store: jdbc is not supported by the properties file yet; register the filter with "
              + "OptInFilter.builder(optIn) and a JdbcConsentStore");
    } else {
      problems.add("store: must be memory or jdbc, was " + store);
    }
    if (p.containsKey("store.jndi")) {
      problems.add("store.jndi: not supported yet (JDBC stores need programmatic registration)");
    }
    b.mailer(mailer(r, p, problems));
    SigningKeys.Builder keys = SigningKeys.builder();
    String kid = p.getOrDefault("signing.kid", "k1");
    byte[] active = r.secret("signing.key");
    try {
      if (active != null) {
        keys.active(kid, active);
      } else if (!problems.stream().anyMatch(x -> x.startsWith("signing.key"))) {
        problems.add("signing.key.env or signing.key.file: required");
      }
      for (String key : p.keySet()) {
        Matcher m = PREVIOUS_KEY.matcher(key);
        if (m.matches()) {
          byte[] prev = r.secret("signing.previous." + m.group(1));
          if (prev != null) {
            keys.previous(m.group(1), prev);
          }
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
      problems.add("suppressionPepper.env or suppressionPepper.file: required");
    }
    r.optional("confirmationTtl", PropertiesConfig::duration, b::confirmationTtl);
    r.optional("preferencesTtl", PropertiesConfig::duration, b::preferencesTtl);
    r.optional("unsubscribeTtl", PropertiesConfig::duration, b::unsubscribeTtl);
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
    Duration minInterval = r.value("mailCap.minInterval", PropertiesConfig::duration);
    if (perDay != null || minInterval != null) {
      b.confirmationMailCap(
          perDay == null ? 3 : perDay, minInterval == null ? Duration.ofMinutes(2) : minInterval);
    }
    // The filter's values are applied once the OptIn exists; check their syntax now so all problems
    // come at once.
    r.value("formTokenTtl", PropertiesConfig::duration);
    r.value("rateLimit.perIp", PropertiesConfig::limit);
    r.value("rateLimit.perAddress", PropertiesConfig::limit);
    r.value("rateLimit.slots", Integer::valueOf);
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    OptIn optIn;
    try {
      optIn = b.build();
    } catch (ConfigurationException e) {
      throw new ConfigurationException(
          e.problems().stream().map(x -> "(" + location + ") " + x).toList());
    }

    // --- the filter ---
    try {
      OptInFilter.Builder f = OptInFilter.builder(optIn);
      r.optional("prefix", s -> s, f::prefix);
      byte[] formKey = r.secret("formKey");
      if (formKey != null) {
        f.formKey(formKey);
      }
      r.optional("formTokenTtl", PropertiesConfig::duration, f::formTokenTtl);
      r.optional(
          "rateLimit.perIp", PropertiesConfig::limit, l -> f.rateLimitPerIp(l.max(), l.window()));
      r.optional(
          "rateLimit.perAddress",
          PropertiesConfig::limit,
          l -> f.rateLimitPerAddress(l.max(), l.window()));
      r.optional("rateLimit.slots", Integer::valueOf, f::rateLimitSlots);
      r.optional("trustedProxies", PropertiesConfig::list, l -> f.trustedProxies(l));
      r.optional("allowedOrigins", PropertiesConfig::list, l -> f.allowedOrigins(l));
      r.optional(
          "stylesheets",
          PropertiesConfig::list,
          l -> {
            for (String s : l) {
              f.stylesheet(s);
            }
          });
      r.optional("returnUrls", PropertiesConfig::list, l -> f.returnUrls(l));
      r.optional("messages", s -> s, f::messages);
      r.optional("dropIn.formPaths", PropertiesConfig::list, l -> f.formPaths(l));
      r.optional("dropIn.markerPaths", PropertiesConfig::list, l -> f.markerPaths(l));
      r.optional("dropIn.emailField", s -> s, f::emailField);
      if (!problems.isEmpty()) {
        throw new ConfigurationException(problems);
      }
      return new Loaded(optIn, f.settings());
    } catch (ConfigurationException e) {
      optIn.close();
      throw e;
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
    r.optional("smtp.smtputf8", PropertiesConfig::bool, m::smtpUtf8);
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

  private static Map<String, String> read(String location, ServletContext context) {
    Properties props = new Properties();
    try (InputStream in = open(location, context)) {
      if (in == null) {
        throw new ConfigurationException("init-param config: " + location + " not found");
      }
      props.load(new InputStreamReader(in, StandardCharsets.UTF_8));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigurationException(
          "init-param config: cannot read " + location + " (" + e.getMessage() + ")");
    }
    Map<String, String> out = new TreeMap<>();
    for (String k : props.stringPropertyNames()) {
      out.put(k, props.getProperty(k).strip());
    }
    return out;
  }

  private static InputStream open(String location, ServletContext context) throws IOException {
    if (location.startsWith("classpath:")) {
      String res = location.substring("classpath:".length());
      res = res.startsWith("/") ? res.substring(1) : res;
      ClassLoader loader = context == null ? null : context.getClassLoader();
      if (loader == null) {
        loader = PropertiesConfig.class.getClassLoader();
      }
      return loader.getResourceAsStream(res);
    }
    if (location.startsWith("file:")) {
      Path path = Path.of(location.substring("file:".length()));
      return Files.isRegularFile(path) ? Files.newInputStream(path) : null;
    }
    throw new ConfigurationException(
        "init-param config: must start with classpath: or file:, was " + location);
  }

  private static PurposeCatalog catalog(String location, ServletContext context) {
    boolean json = location.endsWith(".json");
    if (!json && !location.endsWith(".properties")) {
      throw new IllegalArgumentException("must name a .json or .properties file");
    }
    try (InputStream in = open(location, context)) {
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

    /** A secret that is text (a JWK), from {@code key.env} or {@code key.file}; null if neither is set. */
    String text(String key) {
      byte[] raw = secret(key);
      return raw == null ? null : new String(raw, StandardCharsets.UTF_8);
    }

    /**
     * A secret from {@code <key>.env} (environment variable) or {@code <key>.file}: base64 for keys, text for the SMTP
     * password and the receipt JWK. A file must be readable by its owner only ({@link Secrets#fromFile}).
     */
    byte[] secret(String key) {
      boolean text = key.equals("smtp.password") || key.equals("receiptKeys.jwk");
      String env = p.get(key + ".env");
      String file = p.get(key + ".file");
      if (env != null && file != null) {
        problems.add(key + ".env and " + key + ".file: set only one");
        return null;
      }
      String raw;
      if (env != null) {
        raw = System.getenv(env);
        if (raw == null || raw.isBlank()) {
          problems.add(key + ".env: environment variable " + env + " is not set");
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
        problems.add(key + (env != null ? ".env" : ".file") + ": not valid base64");
        return null;
      }
    }
  }
}
