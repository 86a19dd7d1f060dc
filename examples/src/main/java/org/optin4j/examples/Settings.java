package org.optin4j.examples;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sample app's settings, read from environment variables. Every one is optional; an invalid value, or an unknown
 * variable starting with {@code OPTIN4J_}, fails the start with a message naming the variable.
 *
 * <p>The app keeps its doors shut: on a bind address other than loopback (what a container needs) it refuses to start
 * while the built-in SMTP capture is on (its {@code /dev/mailbox} holds every confirm and preferences link, so whoever
 * reads it can confirm signups and take subscribers over), and without an https {@code OPTIN4J_BASE_URL} (links in
 * mails and the admin password would otherwise travel in the clear).
 *
 * <p>Immutable and thread-safe.
 *
 * @param port the HTTP port; 0 picks a free one
 * @param bindAddress the interface to listen on
 * @param baseUrl the public URL of the site, without a trailing slash; {@code null} means {@code http://localhost:<port>}
 * @param dataDir where keys, pepper and the H2 database live
 * @param smtp a real SMTP server, or {@code null} for the built-in capture
 * @param jdbc an external database, or {@code null} for the H2 file in the data folder
 * @param adminPassword the admin password, or {@code null} to generate one per start
 */
public record Settings(
    int port,
    String bindAddress,
    String baseUrl,
    Path dataDir,
    Smtp smtp,
    Jdbc jdbc,
    String adminPassword) {

  /** The variables this app reads. */
  static final Set<String> VARIABLES =
      Set.of(
          "PORT",
          "OPTIN4J_BIND_ADDRESS",
          "OPTIN4J_BASE_URL",
          "OPTIN4J_DATA_DIR",
          "OPTIN4J_SMTP_HOST",
          "OPTIN4J_SMTP_PORT",
          "OPTIN4J_SMTP_SECURITY",
          "OPTIN4J_SMTP_USERNAME",
          "OPTIN4J_SMTP_PASSWORD",
          "OPTIN4J_JDBC_URL",
          "OPTIN4J_JDBC_USER",
          "OPTIN4J_JDBC_PASSWORD",
          "OPTIN4J_ADMIN_PASSWORD");

  /**
   * Validates the components.
   *
   * @throws InvalidSettingsException if a non-loopback bind address comes with the built-in SMTP capture or without
   *     an https base URL
   */
  public Settings {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
    }
    Objects.requireNonNull(bindAddress, "bindAddress");
    Objects.requireNonNull(dataDir, "dataDir");
    List<String> problems = new ArrayList<>();
    checkDoors(bindAddress, baseUrl, smtp, problems);
    if (!problems.isEmpty()) {
      throw new InvalidSettingsException(problems);
    }
  }

  /**
   * A real SMTP server instead of the built-in capture.
   *
   * @param host the host
   * @param port the port
   * @param security {@code none}, {@code starttls} or {@code smtps}
   * @param username the user, or {@code null}
   * @param password the password, or {@code null}
   */
  public record Smtp(String host, int port, String security, String username, String password) {
    @Override
    public String toString() {
      return "Smtp["
          + host
          + ":"
          + port
          + ", "
          + security
          + (username == null ? "" : ", user " + username)
          + "]";
    }
  }

  /**
   * An external database instead of the H2 file.
   *
   * @param url the JDBC URL
   * @param user the user, or {@code null}
   * @param password the password, or {@code null}
   */
  public record Jdbc(String url, String user, String password) {
    @Override
    public String toString() {
      return "Jdbc[" + url + (user == null ? "" : ", user " + user) + "]";
    }
  }

  /** The settings are invalid: every problem, each naming its variable. */
  public static final class InvalidSettingsException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final List<String> problems;

    InvalidSettingsException(List<String> problems) {
      super(String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    /** Returns one message per problem. */
    public List<String> problems() {
      return problems;
    }
  }

  /**
   * Returns the defaults for a test: a free port on loopback, this data folder, the built-in SMTP capture and H2.
   *
   * @param dataDir the data folder
   * @param adminPassword the admin password
   * @return the settings
   */
  public static Settings forTest(Path dataDir, String adminPassword) {
    return new Settings(0, "127.0.0.1", null, dataDir, null, null, adminPassword);
  }

  /** Returns the site URL for the port the server really listens on. */
  String siteUrl(int actualPort) {
    return baseUrl != null ? baseUrl : "http://localhost:" + actualPort;
  }

  /**
   * Reads the settings from environment variables.
   *
   * @param env the environment, for example {@code System.getenv()}
   * @param workingDir the folder a relative {@code OPTIN4J_DATA_DIR} is resolved against
   * @return the settings
   * @throws InvalidSettingsException naming every invalid variable
   */
  public static Settings fromEnvironment(Map<String, String> env, Path workingDir) {
    List<String> problems = new ArrayList<>();
    Set<String> unknown = new TreeSet<>();
    for (String name : env.keySet()) {
      if (name.startsWith("OPTIN4J_") && !VARIABLES.contains(name)) {
        unknown.add(name);
      }
    }
    for (String name : unknown) {
      problems.add(
          name + ": unknown setting (known: " + String.join(", ", new TreeSet<>(VARIABLES)) + ")");
    }

    int port = intValue(env, "PORT", 8080, 0, 65_535, problems);
    String bind = value(env, "OPTIN4J_BIND_ADDRESS");
    if (bind == null) {
      bind = "127.0.0.1";
    } else if (!bind.matches("[A-Za-z0-9.:_-]{1,253}")) {
      problems.add("OPTIN4J_BIND_ADDRESS: not a host name or IP address: " + bind);
    }

    String baseUrl = value(env, "OPTIN4J_BASE_URL");
    if (baseUrl != null) {
      baseUrl = checkBaseUrl(baseUrl, problems);
    }

    Path dataDir = null;
    String dir = value(env, "OPTIN4J_DATA_DIR");
    try {
      dataDir = workingDir.resolve(dir == null ? "data" : dir).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      problems.add("OPTIN4J_DATA_DIR: not a valid path: " + dir);
    }

    Smtp smtp = smtp(env, problems);
    Jdbc jdbc = jdbc(env, problems);
    checkDoors(bind, baseUrl, smtp, problems);

    String adminPassword = value(env, "OPTIN4J_ADMIN_PASSWORD");
    if (adminPassword != null && adminPassword.length() < 12) {
      problems.add(
          "OPTIN4J_ADMIN_PASSWORD: must have at least 12 characters, had "
              + adminPassword.length());
    }

    if (!problems.isEmpty()) {
      throw new InvalidSettingsException(problems);
    }
    return new Settings(port, bind, baseUrl, dataDir, smtp, jdbc, adminPassword);
  }

  /** Whether a bind address is reachable from this machine only. Names other than localhost are not resolved. */
  static boolean isLoopback(String h) {
    return h.equalsIgnoreCase("localhost")
        || h.matches("127(\\.[0-9]{1,3}){3}")
        || h.equals("::1")
        || h.equals("0:0:0:0:0:0:0:1");
  }

  /** The two settings that would open the app to the network, each named with its fix. */
  private static void checkDoors(String bind, String baseUrl, Smtp smtp, List<String> problems) {
    if (isLoopback(bind)) {
      return;
    }
    if (smtp == null) {
      problems.add(
          "OPTIN4J_BIND_ADDRESS: "
              + bind
              + " is reachable from the network, and the built-in SMTP capture "
              + "would show every mail with its confirm and preferences links at /dev/mailbox; set OPTIN4J_SMTP_HOST "
              + "(and its OPTIN4J_SMTP_* companions) to a real mail server, or bind to 127.0.0.1");
    }
    if (baseUrl == null || !baseUrl.regionMatches(true, 0, "https://", 0, 8)) {
      problems.add(
          "OPTIN4J_BASE_URL: must be the site's public https URL (such as https://bakery.example, served "
              + "by a TLS proxy in front of the app) when OPTIN4J_BIND_ADDRESS is "
              + bind
              + ", not loopback: links in "
              + "mails and the admin password must not travel over plain HTTP; or bind to 127.0.0.1");
    }
  }

  private static String checkBaseUrl(String url, List<String> problems) {
    String name = "OPTIN4J_BASE_URL";
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      problems.add(name + ": not a valid URL: " + url);
      return url;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    boolean local =
        host != null
            && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
    if (host == null || !(scheme.equals("https") || scheme.equals("http"))) {
      problems.add(
          name + ": must be an absolute http(s) URL such as https://bakery.example, was " + url);
    } else if (scheme.equals("http") && !local) {
      problems.add(name + ": must use https (http only for localhost), was " + url);
    } else if (uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || (uri.getRawPath() != null
            && !uri.getRawPath().isEmpty()
            && !uri.getRawPath().equals("/"))) {
      problems.add(
          name + ": must have no path, query or fragment (the app runs at the root), was " + url);
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static Smtp smtp(Map<String, String> env, List<String> problems) {
    String host = value(env, "OPTIN4J_SMTP_HOST");
    if (host == null) {
      for (String other :
          List.of(
              "OPTIN4J_SMTP_PORT",
              "OPTIN4J_SMTP_SECURITY",
              "OPTIN4J_SMTP_USERNAME",
              "OPTIN4J_SMTP_PASSWORD")) {
        if (value(env, other) != null) {
          problems.add(
              other + ": needs OPTIN4J_SMTP_HOST (without it mail goes to the built-in capture)");
        }
      }
      return null;
    }
    if (!host.matches("[A-Za-z0-9.:\\[\\]_-]{1,253}")) {
      problems.add("OPTIN4J_SMTP_HOST: not a host name or IP address: " + host);
    }
    boolean local =
        host.equals("localhost")
            || host.startsWith("127.")
            || host.equals("::1")
            || host.equals("[::1]");
    String security = value(env, "OPTIN4J_SMTP_SECURITY");
    if (security == null) {
      security = local ? "none" : "starttls";
    } else {
      security = security.toLowerCase(Locale.ROOT);
      if (!Set.of("none", "starttls", "smtps").contains(security)) {
        problems.add("OPTIN4J_SMTP_SECURITY: must be none, starttls or smtps, was " + security);
      }
    }
    int defaultPort =
        switch (security) {
          case "none" -> 25;
          case "smtps" -> 465;
          default -> 587;
        };
    int port = intValue(env, "OPTIN4J_SMTP_PORT", defaultPort, 1, 65_535, problems);
    String user = value(env, "OPTIN4J_SMTP_USERNAME");
    String password = value(env, "OPTIN4J_SMTP_PASSWORD");
    if ((user == null) != (password == null)) {
      problems.add(
          (user == null ? "OPTIN4J_SMTP_USERNAME" : "OPTIN4J_SMTP_PASSWORD")
              + ": OPTIN4J_SMTP_USERNAME and OPTIN4J_SMTP_PASSWORD go together");
    } else if (password != null && security.equals("none")) {
      problems.add(
          "OPTIN4J_SMTP_SECURITY: a password is never sent without TLS; use starttls or smtps");
    }
    return new Smtp(host, port, security, user, password);
  }

  private static Jdbc jdbc(Map<String, String> env, List<String> problems) {
    String url = value(env, "OPTIN4J_JDBC_URL");
    String user = value(env, "OPTIN4J_JDBC_USER");
    String password = env.get("OPTIN4J_JDBC_PASSWORD");
    if (url == null) {
      if (user != null) {
        problems.add("OPTIN4J_JDBC_USER: needs OPTIN4J_JDBC_URL");
      }
      if (password != null) {
        problems.add("OPTIN4J_JDBC_PASSWORD: needs OPTIN4J_JDBC_URL");
      }
      return null;
    }
    if (!(url.startsWith("jdbc:postgresql:")
        || url.startsWith("jdbc:mariadb:")
        || url.startsWith("jdbc:mysql:")
        || url.startsWith("jdbc:h2:"))) {
      problems.add(
          "OPTIN4J_JDBC_URL: must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:h2:, was "
              + url.substring(0, Math.min(url.length(), 20))
              + "...");
    }
    return new Jdbc(url, user, password);
  }

  private static String value(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  private static int intValue(
      Map<String, String> env, String name, int dflt, int min, int max, List<String> problems) {
    String v = value(env, name);
    if (v == null) {
      return dflt;
    }
    try {
      int i = Integer.parseInt(v);
      if (i < min || i > max) {
        problems.add(name + ": must be " + min + " to " + max + ", was " + v);
        return dflt;
      }
      return i;
    } catch (NumberFormatException e) {
      problems.add(name + ": must be a whole number, was \"" + v + "\"");
      return dflt;
    }
  }

  @Override
  public String toString() {
    // Never the passwords.
    return "Settings[port="
        + port
        + ", bind="
        + bindAddress
        + ", baseUrl="
        + baseUrl
        + ", dataDir="
        + dataDir
        + ", smtp="
        + smtp
        + ", jdbc="
        + jdbc
        + "]";
  }
}
