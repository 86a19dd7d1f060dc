package org.optin4j.servlet;

/** The JSON API on Jetty 12 (ee10). */
class JettyJsonApiTest extends AbstractJsonApiIT {
  @Override
  Container newContainer() throws Exception {
    return new JettyContainer();
  }
}
