package org.optin4j.servlet;

/** The JSON API on Tomcat embedded (10.1, and 11 in the tomcat-11 run). */
class TomcatJsonApiTest extends AbstractJsonApiIT {
  @Override
  Container newContainer() throws Exception {
    return new TomcatContainer();
  }
}
