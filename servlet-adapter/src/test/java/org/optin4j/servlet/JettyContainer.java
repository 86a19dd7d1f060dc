package org.optin4j.servlet;

import jakarta.servlet.ServletContainerInitializer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;

/** Jetty 12, ee10 (Servlet 6.0). */
final class JettyContainer implements Container {
  private final Server server = new Server();
  private final ServerConnector connector = new ServerConnector(server);
  private final ContextHandlerCollection contexts = new ContextHandlerCollection();

  JettyContainer() throws Exception {
    connector.setPort(0);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(contexts);
    server.start();
  }

  @Override
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public boolean deploy(String contextPath, ServletContainerInitializer app) throws Exception {
    ServletContextHandler ctx = new ServletContextHandler();
    ctx.setContextPath(contextPath);
    java.nio.file.Path docBase = java.nio.file.Files.createTempDirectory("optin4j-jetty");
    java.nio.file.Files.writeString(docBase.resolve("real.html"), TestApp.STATIC_PAGE);
    ctx.setBaseResourceAsPath(docBase);
    ctx.addServlet(org.eclipse.jetty.ee10.servlet.DefaultServlet.class, "/");
    ctx.addServletContainerInitializer(app);
    contexts.addHandler(ctx);
    try {
      if (!ctx.isStarted()) {
        ctx.start();
      }
    } catch (Exception e) {
      return false;
    }
    return ctx.isAvailable() && !ctx.isFailed();
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }
}
