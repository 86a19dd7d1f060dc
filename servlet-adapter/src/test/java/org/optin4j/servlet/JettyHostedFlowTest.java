package org.optin4j.servlet;

/** The hosted and drop-in flows on Jetty 12 (ee10). */
class JettyHostedFlowTest extends AbstractHostedFlowIT {
  @Override
  Container newContainer() throws Exception {
    return new JettyContainer();
  }
}
