package org.optin4j.examples;

import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.PurposeCatalog;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.servlet.OptInFilter;
import org.optin4j.spi.Mailer;

/**
 * The sample app: the web site of the fictional bakery "De Gouden Korst" on embedded Jetty 12, using optin4j exactly
 * as an application does, as a dependency and through {@link OptInFilter}.
 *
 * <pre>{@code
 * mvn -B -pl examples -am -DskipTests package exec:java      # from the repository root
 * }</pre>
 *
 * <p>Everything is embedded and needs no setup: an H2 database file and the keys in {@code ./data}, and a built-in
 * SMTP capture whose mail is readable at {@code /dev/mailbox} (with the admin login). Environment variables change
 * that (see {@link Settings} and the README); on an address other than loopback the app starts only with a real SMTP
 * server and an https base URL.
 *
 * <p>{@link #start} runs the app in-process, as the tests do; {@link #close} stops it: Jetty first (no new work), then
 * {@link OptIn#close()} (mail not yet sent stays in the outbox for the next start), the database, the SMTP capture.
 */
public final class SampleApp implements AutoCloseable {
  /**
   * The mailer's sending rate (docs/sending-rates.md): the library's default, no limit, which suits the built-in
   * capture. The admin page's campaigns card estimates finish times from the same value; with a real provider, set
   * its limit here (for example {@code SendingRate.perSecond(14)}).
   */
  static final org.optin4j.mail.SendingRate SENDING_RATE = org.optin4j.mail.SendingRate.unlimited();

  static final Controller CONTROLLER =
      new Controller(
              "De Gouden Korst B.V.",
              "Bakkerstraat 1, 3511 AB Utrecht",
              "privacy@goudenkorst.example",
              null)
          .withDpoContact(
              "Functionaris gegevensbescherming, Bakkerstraat 1, Utrecht, fg@goudenkorst.example")
          .withSupervisoryAuthority(
              "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl");

  private final Server server;
  private final OptIn optIn;
  private final Database database;
  private final MailCapture capture;
  private final String siteUrl;
  private final String adminPassword;
  private final List<String> report;
  private boolean closed;

  private SampleApp(
      Server server,
      OptIn optIn,
      Database database,
      MailCapture capture,
      String siteUrl,
      String adminPassword,
      List<String> report) {
    this.server = server;
    this.optIn = optIn;
    this.database = database;
    this.capture = capture;
    this.siteUrl = siteUrl;
    this.adminPassword = adminPassword;
    this.report = report;
  }

  /**
   * Runs the app until Ctrl-C.
   *
   * @param args none
   */
  public static void main(String[] args) {
    Settings settings;
    try {
      settings = Settings.fromEnvironment(System.getenv(), Path.of(""));
    } catch (Settings.InvalidSettingsException e) {
      System.err.println("optin4j sample app: invalid settings, not started:");
      e.problems().forEach(p -> System.err.println("  - " + p));
      System.exit(2);
      return;
    }
    SampleApp app;
    try {
      app = start(settings);
    } catch (RuntimeException e) {
      System.err.println("optin4j sample app: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("\nStopping De Gouden Korst...");
                  app.close();
                  System.out.println(
                      "Stopped. Unsent mail (if any) stays in the outbox for the next start.");
                },
                "optin4j-sample-shutdown"));
    app.printBanner(System.out);
    app.join();
  }

  /**
   * Starts the app.
   *
   * @param settings the settings
   * @return the running app
   * @throws IllegalStateException or {@link UncheckedIOException} naming the setting that is wrong
   */
  public static SampleApp start(Settings settings) {
    List<String> report = new ArrayList<>();
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      DataDirectory data = DataDirectory.open(settings.dataDir());
      Database database =
          settings.jdbc() == null
              ? Database.h2File(data.path())
              : Database.external(settings.jdbc());
      opened.add(database);
      JdbcConsentStore store;
      try {
        store = JdbcConsentStore.builder(database.dataSource()).createSchema(true).build();
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            (settings.jdbc() == null ? "OPTIN4J_DATA_DIR" : "OPTIN4J_JDBC_URL")
                + ": cannot open the database "
                + database.description()
                + ": "
                + rootMessage(e),
            e);
      }

      MailCapture capture = null;
      Mailer mailer;
      if (settings.smtp() == null) {
        capture = MailCapture.start();
        opened.add(capture);
        mailer = smtp("127.0.0.1", capture.port(), SmtpMailer.Security.NONE, null, null);
      } else {
        Settings.Smtp s = settings.smtp();
        mailer =
            smtp(
                s.host(),
                s.port(),
                SmtpMailer.Security.valueOf(s.security().toUpperCase(java.util.Locale.ROOT)),
                s.username(),
                s.password());
      }

      Server server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost(settings.bindAddress());
      connector.setPort(settings.port());
      server.addConnector(connector);
      try {
        connector.open(); // bind now, so that a free port (PORT=0) is known before the base URL is
        // needed
      } catch (IOException e) {
        boolean inUse = e instanceof BindException || e.getCause() instanceof BindException;
        throw new IllegalStateException(
            "PORT: cannot listen on "
                + settings.bindAddress()
                + ":"
                + settings.port()
                + (inUse
                    ? ": the port is in use (is the app running already?); set another PORT"
                    : ": " + e),
            e);
      }
      opened.add(
          0,
          () -> {
            server.stop();
            connector.close();
          });
      String siteUrl = settings.siteUrl(connector.getLocalPort());

      OptIn optIn =
          OptIn.builder()
              .catalog(catalog())
              .controller(
                  new Controller(
                      CONTROLLER.name(),
                      CONTROLLER.address(),
                      CONTROLLER.contactEmail(),
                      siteUrl + "/privacy",
                      CONTROLLER.dpoContact(),
                      CONTROLLER.supervisoryAuthority()))
              .store(store)
              .mailer(mailer)
              .signingKeys(data.signingKeys())
              .suppressionPepper(data.suppressionPepper())
              .baseUrl(siteUrl + "/optin")
              .dispatch(Duration.ofSeconds(1), 50, Duration.ofMinutes(2))
              .sendingRate(SENDING_RATE)
              // The sample's own inbox is on this server, plain http on loopback when run locally.
              .webhooks(org.optin4j.feed.WebhookSettings.defaults().allowingLoopbackHttp())
              .build();
      opened.add(1, optIn);

      OptInFilter filter =
          OptInFilter.builder(optIn)
              .prefix("/optin")
              .formKey(data.formKey())
              .formPaths("/contact")
              .layout(new BakeryLayout())
              .stylesheet("/static/site.css")
              // The JSON API for /api-signup, a page on this same origin (always on the API's
              // allow-list).
              .api(true)
              .build();

      String password =
          settings.adminPassword() != null ? settings.adminPassword() : generatePassword();
      ServletContextHandler context = new ServletContextHandler("/");
      FilterHolder optInHolder = new FilterHolder(filter);
      // async-supported: the hosted signup answer then waits for its 50 ms floor without holding a
      // request thread.
      optInHolder.setAsyncSupported(true);
      context.addFilter(optInHolder, "/*", EnumSet.of(DispatcherType.REQUEST));
      context.addServlet(new ServletHolder("site", new SiteServlet(optIn)), "/");
      AdminLogin login = new AdminLogin(password, Clock.systemUTC());
      context.addServlet(
          new ServletHolder(
              "mailbox",
              new MailboxServlet(
                  capture,
                  settings.smtp() == null
                      ? null
                      : settings.smtp().host() + ":" + settings.smtp().port(),
                  login)),
          "/dev/mailbox/*");
      WebhookInbox inbox = new WebhookInbox(Clock.systemUTC());
      context.addServlet(new ServletHolder("webhooks", inbox), "/dev/webhooks");
      ServletHolder admin =
          new ServletHolder(
              "admin",
              new AdminServlet(optIn, login, siteUrl, Clock.systemUTC(), inbox, SENDING_RATE));
      // The import upload is multipart; its form token is a form field, read as a parameter.
      admin
          .getRegistration()
          .setMultipartConfig(
              new jakarta.servlet.MultipartConfigElement(
                  System.getProperty("java.io.tmpdir"),
                  ImportUpload.MAX_FILE_BYTES,
                  ImportUpload.MAX_FILE_BYTES + 65_536,
                  1 << 20));
      context.addServlet(admin, "/admin/*");
      server.setHandler(context);
      server.setStopTimeout(5_000);
      try {
        server.start();
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the web server: " + rootMessage(e), e);
      }
      String webhooks;
      try {
        inbox.register(optIn, java.net.URI.create(siteUrl + "/dev/webhooks"));
        webhooks =
            "webhooks: the feed goes to "
                + siteUrl
                + "/dev/webhooks, shown on "
                + siteUrl
                + "/admin";
      } catch (IllegalArgumentException e) {
        webhooks = "webhooks: no inbox registered: " + e.getMessage();
      }
      optIn.start();

      report.addAll(data.report());
      report.add("database: " + database.description());
      report.add(webhooks);
      report.add(
          capture != null
              ? "mail: built-in SMTP capture on 127.0.0.1:"
                  + capture.port()
                  + ", read it at "
                  + siteUrl
                  + "/dev/mailbox (admin login)"
              : "mail: SMTP server " + settings.smtp());
      report.add(
          settings.adminPassword() != null
              ? "admin: "
                  + siteUrl
                  + "/admin, user admin, password from "
                  + "OPTIN4J_ADMIN_PASSWORD"
              : "admin: "
                  + siteUrl
                  + "/admin, user admin, password "
                  + password
                  + " (new each start; set OPTIN4J_ADMIN_PASSWORD to fix it)");
      return new SampleApp(server, optIn, database, capture, siteUrl, password, report);
    } catch (RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  static Mailer smtp(
      String host, int port, SmtpMailer.Security security, String user, String password) {
    SmtpMailer.Builder b =
        SmtpMailer.builder()
            .host(host)
            .port(port)
            .security(security)
            .from("nieuws@goudenkorst.example", "Bakkerij De Gouden Korst")
            .replyTo("privacy@goudenkorst.example");
    if (user != null) {
      b.username(user).password(password);
    }
    return b.build();
  }

  /** The purposes, shipped as {@code purposes.json} next to this class. */
  static PurposeCatalog catalog() {
    try (InputStream in = SampleApp.class.getResourceAsStream("purposes.json")) {
      if (in == null) {
        throw new IllegalStateException("purposes.json missing from the class path");
      }
      return PurposeCatalog.fromJson(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read purposes.json", e);
    }
  }

  private static String generatePassword() {
    byte[] b = new byte[15];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
  }

  /** The site's URL, without a trailing slash. */
  public String url() {
    return siteUrl;
  }

  /** The admin password (generated or from the settings). */
  public String adminPassword() {
    return adminPassword;
  }

  /** The service, for tests. */
  public OptIn optIn() {
    return optIn;
  }

  /** What start-up did: keys generated, database, mail, admin. */
  public List<String> report() {
    return List.copyOf(report);
  }

  void printBanner(PrintStream out) {
    out.println();
    out.println("De Gouden Korst (optin4j sample app)");
    for (String line : report) {
      out.println("  " + line);
    }
    out.println();
    out.println("Ready: " + siteUrl + "   (Ctrl-C to stop)");
  }

  void join() {
    try {
      server.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops Jetty, the service (its outbox stays in the database), the database and the SMTP capture. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<AutoCloseable> all = new ArrayList<>();
    all.add(server::stop);
    all.add(optIn);
    all.add(database);
    if (capture != null) {
      all.add(capture);
    }
    closeAll(all);
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable c : resources) {
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("optin4j sample app: while stopping: " + e);
      }
    }
  }
}
