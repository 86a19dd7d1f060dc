/**
 * optin4j core: the double opt-in consent flow, the data subject's rights, the proof of consent, the breach register,
 * campaigns and the extension points. Every exported package is API; {@code org.optin4j.internal} and its subpackages
 * are not exported and may change in any release. On the class path (no module system) the same rule holds by
 * convention and is checked by the project's architecture test.
 */
module org.optin4j.core {
  requires transitive java.sql;
  requires java.naming;
  requires java.net.http;
  requires com.nimbusds.jose.jwt;
  requires jakarta.mail;
  requires org.eclipse.angus.mail;
  requires owasp.encoder;

  exports org.optin4j;
  exports org.optin4j.breach;
  exports org.optin4j.campaign;
  exports org.optin4j.feed;
  exports org.optin4j.jdbc;
  exports org.optin4j.keys;
  exports org.optin4j.lists;
  exports org.optin4j.mail;
  exports org.optin4j.memory;
  exports org.optin4j.operations;
  exports org.optin4j.proof;
  exports org.optin4j.rights;
  exports org.optin4j.spi;
  exports org.optin4j.text;
}
