package org.optin4j.servlet;

import jakarta.servlet.ServletContainerInitializer;

/** A servlet container started on port 0, into which a web app is deployed once the port is known. */
interface Container {
  /** The port the container listens on. */
  int port();

  /**
   * Deploys a web app whose registrations (filters, servlets) the initializer makes, as an app's own
   * {@code ServletContainerInitializer} or {@code web.xml} would.
   *
   * @return whether the web app started
   */
  boolean deploy(String contextPath, ServletContainerInitializer app) throws Exception;

  void close() throws Exception;
}
