package org.optin4j.servlet;

import jakarta.servlet.ServletContainerInitializer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;

/**
 * Tomcat embedded: 10.1 (Servlet 6.0) in the default test run, 11 (Servlet 6.1) in the {@code tomcat-11} surefire
 * execution. The system property {@code optin4j.tomcat.major} names the major version the run expects; a class path
 * that brings another one fails every test rather than test the wrong server.
 */
final class TomcatContainer implements Container {
  static {
    java.util.logging.Logger.getLogger("org.apache").setLevel(java.util.logging.Level.SEVERE);
  }

  private final Tomcat tomcat = new Tomcat();
  private final Connector connector = new Connector();
  private final Path base;

  TomcatContainer() throws Exception {
    String expected = System.getProperty("optin4j.tomcat.major");
    String running = org.apache.catalina.util.ServerInfo.getServerNumber();
    if (expected != null && !running.startsWith(expected + ".")) {
      throw new IllegalStateException(
          "expected Tomcat " + expected + ", class path has " + running);
    }
    base = Files.createTempDirectory("optin4j-tomcat");
    tomcat.setBaseDir(base.toString());
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.setConnector(connector);
    tomcat.getHost().setAutoDeploy(false);
    tomcat.start();
  }

  @Override
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public boolean deploy(String contextPath, ServletContainerInitializer app) throws Exception {
    StandardContext ctx = new StandardContext();
    ctx.setPath(contextPath);
    Path docBase = Files.createDirectories(base.resolve("webapp" + contextPath.replace('/', '_')));
    ctx.setDocBase(docBase.toString());
    Files.writeString(docBase.resolve("real.html"), TestApp.STATIC_PAGE);
    ctx.addMimeMapping("html", "text/html"); // as Tomcat's global conf/web.xml does
    ctx.addLifecycleListener(new Tomcat.FixContextListener());
    ctx.addServletContainerInitializer(
        (classes, servletContext) -> {
          app.onStartup(classes, servletContext);
          // As Tomcat's global conf/web.xml does: Tomcat runs a filter chain only for a request a
          // servlet is mapped to.
          // Unlike conf/web.xml's, async-supported: the hosted signup answer can then wait for its
          // floor asynchronously
          // (as behind a Spring DispatcherServlet, which is async-supported by default).
          var servlet =
              servletContext.addServlet(
                  "default", org.apache.catalina.servlets.DefaultServlet.class);
          servlet.setAsyncSupported(true);
          servlet.addMapping("/");
        },
        null);
    try {
      tomcat.getHost().addChild(ctx);
    } catch (IllegalStateException e) {
      return false;
    }
    return ctx.getState() == LifecycleState.STARTED;
  }

  @Override
  public void close() throws Exception {
    tomcat.stop();
    tomcat.destroy();
  }
}
