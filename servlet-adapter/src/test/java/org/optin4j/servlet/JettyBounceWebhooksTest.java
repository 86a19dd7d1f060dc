package org.optin4j.servlet;

/** The bounce webhooks on Jetty. */
class JettyBounceWebhooksTest extends AbstractBounceWebhooksIT {
  @Override
  Container newContainer() throws Exception {
    return new JettyContainer();
  }
}
