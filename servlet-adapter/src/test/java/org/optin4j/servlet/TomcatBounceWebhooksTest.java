package org.optin4j.servlet;

/** The bounce webhooks on Tomcat. */
class TomcatBounceWebhooksTest extends AbstractBounceWebhooksIT {
  @Override
  Container newContainer() throws Exception {
    return new TomcatContainer();
  }
}
