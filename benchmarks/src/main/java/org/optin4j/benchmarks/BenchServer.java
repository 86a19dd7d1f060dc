package org.optin4j.benchmarks;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.optin4j.OptIn;
import org.optin4j.servlet.OptInFilter;

/**
 * One Jetty 12 (ee10) on a loopback port with two web apps side by side: {@code /floor} without the filter and
 * {@code /app} with it. Both serve {@code /hello} (a plain servlet) and {@code /page.html} (a 20 KB static page with
 * a notice marker, through Jetty's DefaultServlet); {@code /app} maps the filter to {@code /*} with the page as its
 * marker path. Extra servlets (the hand-rolled double opt-in floor) can be added to {@code /floor}.
 */
final class BenchServer implements AutoCloseable {
  static final String MARKER = "<optin-notice purposes=\"newsletter offers\"></optin-notice>";

  private final Server server;
  private final ServerConnector connector;
  final OptInFilter filter;

  BenchServer(int port, OptIn optIn, Map<String, HttpServlet> floorServlets) throws Exception {
    this(
        port,
        optIn,
        floorServlets,
        b ->
            b
                // Load from one client address: the per-IP limit would otherwise answer 429 after
                // 30 posts.
                .rateLimitPerIp(100_000, Duration.ofSeconds(1))
                // The per-address limiter hashes addresses into 65,536 shared counters: with
                // thousands of distinct test
                // addresses an hour, a counter now and then reaches 3 and a signup is silently
                // dropped (see BENCHMARKS.md).
                .rateLimitPerAddress(1000, Duration.ofSeconds(1)));
  }

  /** As above, with the filter's settings (beyond the marker path) chosen by {@code config}. */
  BenchServer(
      int port,
      OptIn optIn,
      Map<String, HttpServlet> floorServlets,
      UnaryOperator<OptInFilter.Builder> config)
      throws Exception {
    server = new Server();
    connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);
    Path docs = Files.createTempDirectory("optin4j-bench-docs");
    Files.writeString(docs.resolve("page.html"), page(), StandardCharsets.UTF_8);

    ServletContextHandler floor = context("/floor", docs);
    floorServlets.forEach((path, servlet) -> floor.addServlet(new ServletHolder(servlet), path));

    ServletContextHandler app = context("/app", docs);
    filter = config.apply(OptInFilter.builder(optIn).markerPaths("/page.html")).build();
    FilterHolder optInHolder = new FilterHolder(filter);
    // async-supported: the hosted signup answer then waits for its 50 ms floor without holding a
    // request thread.
    optInHolder.setAsyncSupported(
        Boolean.parseBoolean(System.getProperty("bench.asyncFilter", "true")));
    app.addFilter(optInHolder, "/*", EnumSet.of(DispatcherType.REQUEST));

    ContextHandlerCollection contexts = new ContextHandlerCollection(floor, app);
    server.setHandler(contexts);
    server.start();
  }

  private static ServletContextHandler context(String path, Path docs) {
    ServletContextHandler ctx = new ServletContextHandler();
    ctx.setContextPath(path);
    ctx.setBaseResourceAsPath(docs);
    ctx.addServlet(new ServletHolder(new Hello()), "/hello");
    ServletHolder def = new ServletHolder("default", DefaultServlet.class);
    def.setInitParameter("dirAllowed", "false");
    ctx.addServlet(def, "/");
    return ctx;
  }

  int port() {
    return connector.getLocalPort();
  }

  String url(String path) {
    return "http://127.0.0.1:" + port() + path;
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop Jetty", e);
    }
  }

  /** About 20 KB of ordinary HTML with one notice marker inside a form, as a static landing page would have. */
  static String page() {
    StringBuilder b = new StringBuilder(21_000);
    b.append(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bakery</title>")
        .append("<link rel=\"stylesheet\" href=\"/css/site.css\"></head><body><header><nav><ul>");
    for (int i = 0; i < 12; i++) {
      b.append("<li><a href=\"/section-")
          .append(i)
          .append("\">Section ")
          .append(i)
          .append("</a></li>");
    }
    b.append("</ul></nav></header><main>\n");
    int i = 0;
    while (b.length() < 10_000) {
      b.append("<section id=\"s")
          .append(i)
          .append("\"><h2>Bread of the month ")
          .append(i++)
          .append("</h2><p>")
          .append(
              "Our sourdough rests for forty-eight hours before it meets the oven; the crust sings as it cools. "
                  + "We mill the rye ourselves, every Tuesday, and bake before dawn so that the shop smells of it. ")
          .append("</p></section>\n");
    }
    b.append("<form method=\"post\" action=\"/app/signup\"><label for=\"e\">Email</label>")
        .append("<input id=\"e\" name=\"email\" type=\"email\">")
        .append(MARKER)
        .append("<button>Subscribe</button></form>\n");
    while (b.length() < 20_400) {
      b.append("<section id=\"s")
          .append(i)
          .append("\"><h2>Bread of the month ")
          .append(i++)
          .append("</h2><p>")
          .append(
              "Spelt, oats and a little honey; a loaf for long walks and short evenings. Ask at the counter "
                  + "for a slice to taste, and for the flour we use if you bake at home. ")
          .append("</p></section>\n");
    }
    return b.append("</main><footer>De Gouden Korst B.V.</footer></body></html>\n").toString();
  }

  /** The floor of a request outside the filter's paths: a few bytes of text. */
  static final class Hello extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
      res.setContentType("text/plain;charset=UTF-8");
      res.getWriter().write("hello");
    }
  }
}
