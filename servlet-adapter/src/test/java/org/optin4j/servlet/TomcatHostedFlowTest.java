package org.optin4j.servlet;

/** The hosted and drop-in flows on Tomcat 10.1 embedded. */
class TomcatHostedFlowTest extends AbstractHostedFlowIT {
  @Override
  Container newContainer() throws Exception {
    return new TomcatContainer();
  }
}
