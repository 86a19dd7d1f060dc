package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.servlet.Http.form;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.OptIn;
import org.optin4j.Subject;
import org.optin4j.proof.HistoryVerification;

/**
 * A WAR-style install, configured as a WAR is, with no code: {@code WEB-INF/web.xml} registers the filter with its
 * init-param {@code config}, {@code WEB-INF/classes/optin4j.properties} says {@code store=jdbc} and
 * {@code store.jndi=java:comp/env/jdbc/optin4j}, and {@code META-INF/context.xml} binds that DataSource in Tomcat's
 * naming context. A subject signs up and confirms; Tomcat stops; a new Tomcat starts on the same database and port and
 * finds the consent, its preference page and its verified history. On H2 (a file) and on PostgreSQL (127.0.0.1:5432,
 * database {@code test}, user {@code postgres}); a PostgreSQL that cannot be reached fails the test.
 */
class TomcatWebXmlRestartTest {
  /** Held, so that the level set on it is not lost when the logger is collected. */
  private static final java.util.logging.Logger TOMCAT_LOG =
      java.util.logging.Logger.getLogger("org.apache");

  static {
    TOMCAT_LOG.setLevel(java.util.logging.Level.SEVERE);
  }

  @RegisterExtension
  static final GreenMailExtension MAIL =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort()).withPerMethodLifecycle(true);

  private static final Pattern LINK =
      Pattern.compile("https?://[^\\s\"<>]+/optin/(confirm|preferences)\\?token=[A-Za-z0-9._%-]+");

  @TempDir Path dir;

  @Test
  void h2FileKeepsConsentsAcrossRestart() throws Exception {
    String url = "jdbc:h2:file:" + dir.resolve("optin4j") + ";TRACE_LEVEL_FILE=0";
    signUpRestartAndFind("org.h2.jdbcx.JdbcDataSource", url, "sa", "optin4j_", "store.dialect=H2");
  }

  @Test
  void postgresqlKeepsConsentsAcrossRestart() throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:5432/test";
    // Fails, never skips, when PostgreSQL is not there.
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      assertTrue(c.isValid(5));
    }
    // Tables of their own, so that other suites on the same database are not disturbed.
    String prefix = "w" + UUID.randomUUID().toString().substring(0, 8) + "_";
    try {
      signUpRestartAndFind("org.postgresql.ds.PGSimpleDataSource", url, "postgres", prefix, "");
    } finally {
      dropTables(url, prefix);
    }
  }

  private void signUpRestartAndFind(
      String dataSourceClass, String url, String user, String tablePrefix, String extraKey)
      throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Http http = new Http(port);
    Path webapp = war(dataSourceClass, url, user, tablePrefix, extraKey, http.origin);
    String email = "ann@example.org";

    Tomcat first = start(port, webapp);
    String preferences;
    try {
      Http.Response done =
          fill(
              http,
              "/app/optin/subscribe",
              "/app/optin/subscribe",
              "email",
              email,
              "purpose",
              "news");
      assertEquals(200, done.status(), done.body());
      Http.Response confirmed =
          fill(http, link(1, "confirm", http), "/app/optin/confirm", "purpose", "news");
      assertEquals(200, confirmed.status(), confirmed.body());
      preferences = link(2, "preferences", http);
    } finally {
      stop(first);
    }

    Tomcat second = start(port, webapp);
    try {
      Http.Response center = http.get(preferences);
      assertEquals(200, center.status(), center.body());
      assertTrue(center.body().contains("Subscribed since"), center.body());

      // The same configuration outside the container, on the same database: the consent and its
      // history.
      Map<String, String> keys = keysOf(webapp);
      keys.remove("store.jndi");
      keys.put("store.url", url);
      keys.put("store.username", user);
      keys.put("catalog", "file:" + webapp.resolve("WEB-INF/classes/purposes.json"));
      try (OptIn optIn = OptInConfig.fromMap(keys).optInBuilder().build()) {
        Subject ann = optIn.findSubject(email).orElseThrow();
        List<Consent> consents = optIn.consents(ann.id());
        assertEquals(1, consents.size(), consents.toString());
        assertEquals(ConsentState.CONFIRMED, consents.get(0).state());
        HistoryVerification history = optIn.proof().verifyHistory(ann.id());
        HistoryVerification.Intact intact =
            assertInstanceOf(HistoryVerification.Intact.class, history, history.toString());
        assertTrue(intact.events() >= 2, "requested and confirmed: " + intact);
      }
    } finally {
      stop(second);
    }
  }

  /** Writes the exploded WAR: web.xml, context.xml with the DataSource, the properties and the catalog. */
  private Path war(
      String dataSourceClass,
      String url,
      String user,
      String tablePrefix,
      String extraKey,
      String origin)
      throws Exception {
    Path webapp = Files.createDirectories(dir.resolve("webapp"));
    Path classes = Files.createDirectories(webapp.resolve("WEB-INF/classes"));
    Files.createDirectories(webapp.resolve("META-INF"));
    Path key = Files.createTempFile(dir, "signing", ".key"); // owner-only
    Files.writeString(key, Base64.getEncoder().encodeToString(AbstractHostedFlowIT.randomKey()));
    Files.writeString(
        webapp.resolve("WEB-INF/web.xml"),
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
          <filter>
            <filter-name>optin</filter-name>
            <filter-class>org.optin4j.servlet.OptInFilter</filter-class>
            <async-supported>true</async-supported>
            <init-param>
              <param-name>config</param-name>
              <param-value>classpath:/optin4j.properties</param-value>
            </init-param>
          </filter>
          <filter-mapping>
            <filter-name>optin</filter-name>
            <url-pattern>/*</url-pattern>
          </filter-mapping>
          <servlet>
            <servlet-name>default</servlet-name>
            <servlet-class>org.apache.catalina.servlets.DefaultServlet</servlet-class>
            <async-supported>true</async-supported>
          </servlet>
          <servlet-mapping>
            <servlet-name>default</servlet-name>
            <url-pattern>/</url-pattern>
          </servlet-mapping>
          <resource-ref>
            <res-ref-name>jdbc/optin4j</res-ref-name>
            <res-type>javax.sql.DataSource</res-type>
            <res-auth>Container</res-auth>
          </resource-ref>
        </web-app>
        """);
    Files.writeString(
        webapp.resolve("META-INF/context.xml"),
        """
        <Context>
          <Resource name="jdbc/optin4j" auth="Container" type="%s"
                    factory="org.apache.naming.factory.BeanFactory"
                    url="%s" user="%s"/>
        </Context>
        """
            .formatted(dataSourceClass, url.replace("&", "&amp;"), user));
    Files.writeString(
        classes.resolve("purposes.json"),
        "{\"locales\":[\"en\"],\"purposes\":[{\"id\":\"news\",\"retention\":\"until-withdrawn\","
            + "\"proofRetention\":\"P3Y\",\"recipients\":[],\"automatedDecisions\":\"none\",\"texts\":{\"en\":{\"title\":\"News\",\"description\":\"Our news.\","
            + "\"data\":\"Your email address\"}}}]}");
    Files.writeString(
        classes.resolve("optin4j.properties"),
        String.join(
            "\n",
            "baseUrl=" + origin + "/app/optin",
            "catalog=classpath:/purposes.json",
            "controller.name=Shop",
            "controller.address=Main St 1",
            "controller.email=privacy@shop.example",
            "controller.supervisoryAuthority.name=Autoriteit Persoonsgegevens",
            "controller.supervisoryAuthority.url=https://autoriteitpersoonsgegevens.nl",
            "store=jdbc",
            "store.jndi=java:comp/env/jdbc/optin4j",
            extraKey,
            "jdbc.tablePrefix=" + tablePrefix,
            "jdbc.createSchema=true",
            "smtp.host=127.0.0.1",
            "smtp.port=" + MAIL.getSmtp().getPort(),
            "smtp.security=NONE",
            "smtp.from=noreply@shop.example",
            "signing.key.file=" + key,
            "suppressionPepper.file=" + key,
            "formKey.file=" + key,
            "evidencePolicy=FULL"));
    return webapp;
  }

  /** Starts a Tomcat with naming on, deploys the exploded WAR as {@code /app} the way a host deploys one. */
  private Tomcat start(int port, Path webapp) throws Exception {
    String expected = System.getProperty("optin4j.tomcat.major");
    String running = org.apache.catalina.util.ServerInfo.getServerNumber();
    assertTrue(
        expected == null || running.startsWith(expected + "."),
        "expected Tomcat " + expected + ", class path has " + running);
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory(dir, "tomcat").toString());
    Connector connector = new Connector();
    connector.setPort(port);
    connector.setProperty("address", "127.0.0.1");
    tomcat.setConnector(connector);
    tomcat.getHost().setAutoDeploy(false);
    tomcat.enableNaming();
    tomcat.start();
    StandardContext ctx = new StandardContext();
    ctx.setPath("/app");
    ctx.setDocBase(webapp.toString());
    ctx.setConfigFile(webapp.resolve("META-INF/context.xml").toUri().toURL());
    StandardJarScanner scanner = new StandardJarScanner();
    scanner.setScanClassPath(false); // the test class path is not the WAR's WEB-INF/lib
    ctx.setJarScanner(scanner);
    ctx.setContainerSciFilter(".*"); // nor are the test class path's ServletContainerInitializers
    ContextConfig config = new ContextConfig();
    config.setDefaultWebXml(Constants.NoDefaultWebXml);
    ctx.addLifecycleListener(config);
    tomcat.getHost().addChild(ctx);
    assertEquals(LifecycleState.STARTED, ctx.getState(), "the web app did not start");
    return tomcat;
  }

  private static void stop(Tomcat tomcat) throws Exception {
    tomcat.stop();
    tomcat.destroy();
  }

  /** Opens a page and sends its form back as a browser would: its hidden fields, plus {@code fields}. */
  private static Http.Response fill(Http http, String page, String action, String... fields)
      throws Exception {
    Http.Response shown = http.get(page);
    assertEquals(200, shown.status(), shown.body());
    List<String> sent = form(fields);
    for (String hidden : List.of("token", "optin-csrf", "optin-notice", "optin-lang")) {
      if (shown.field(hidden) != null) {
        sent.add(hidden);
        sent.add(shown.field(hidden));
      }
    }
    return http.submit(action, sent);
  }

  /** The site path of the first link of a kind in mail number {@code n} (from 1), waiting for it. */
  private static String link(int n, String kind, Http http) throws Exception {
    assertTrue(MAIL.waitForIncomingEmail(15_000, n), "mail " + n + " never came");
    MimeMessage mail = MAIL.getReceivedMessages()[n - 1];
    Matcher m = LINK.matcher(AbstractHostedFlowIT.text(mail));
    while (m.find()) {
      if (m.group(1).equals(kind)) {
        return m.group().substring(http.origin.length());
      }
    }
    throw new AssertionError("no " + kind + " link in mail " + n);
  }

  private static Map<String, String> keysOf(Path webapp) throws Exception {
    Properties p = new Properties();
    try (InputStream in =
        Files.newInputStream(webapp.resolve("WEB-INF/classes/optin4j.properties"))) {
      p.load(in);
    }
    Map<String, String> keys = new HashMap<>();
    p.stringPropertyNames().forEach(k -> keys.put(k, p.getProperty(k)));
    return keys;
  }

  private static void dropTables(String url, String prefix) throws Exception {
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet r =
          s.executeQuery(
              "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                  + " AND table_name LIKE '"
                  + prefix
                  + "%'")) {
        while (r.next()) {
          tables.add(r.getString(1));
        }
      }
      for (String t : tables) {
        s.execute("DROP TABLE IF EXISTS " + t + " CASCADE");
      }
    }
  }
}
