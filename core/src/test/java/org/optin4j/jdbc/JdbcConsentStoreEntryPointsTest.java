package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.ConfigurationException;

/** The entry points for applications without a {@code DataSource} object: a JDBC URL and a JNDI name. */
class JdbcConsentStoreEntryPointsTest {

  @Test
  void builderForUrlFindsTheDriverOnTheClassPathAndCreatesTheSchema(@TempDir Path dir) {
    String url = "jdbc:h2:file:" + dir.resolve("db") + ";TRACE_LEVEL_FILE=0";
    JdbcConsentStore store =
        JdbcConsentStore.builderForUrl(url, "sa", "")
            .tablePrefix("url_")
            .createSchema(true)
            .build();
    assertEquals(JdbcConsentStore.Dialect.H2, store.dialect());
    // Found again without creating: the connection really reached the file.
    assertEquals(
        "url_",
        JdbcConsentStore.builderForUrl(url, "sa", null).tablePrefix("url_").build().tablePrefix());
  }

  @Test
  void builderForUrlWithoutADriverNamesTheUrlButNotItsPassword() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                JdbcConsentStore.builderForUrl(
                    "jdbc:nosuchdb://db/shop?password=hunter2", null, null));
    assertTrue(e.getMessage().contains("jdbc:nosuchdb://db/shop?password=***"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  void builderForJndiNameWhenNothingIsBoundThenNamesTheName() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> JdbcConsentStore.builderForJndiName("java:comp/env/jdbc/none"));
    assertTrue(e.getMessage().startsWith("JNDI name java:comp/env/jdbc/none: "), e.getMessage());
  }
}
