package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfigurationException;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;

/** The shipped DDL, without a database: present for every dialect, numbered in order, and alike across dialects. */
class JdbcSchemaScriptsTest {
  private static final Pattern CREATE = Pattern.compile("CREATE (TABLE|INDEX) (\\w+)");

  @Test
  void scriptsThenOnePerVersionNumberedInOrder() {
    assertEquals(JdbcConsentStore.SCHEMA_VERSION, Schema.SCRIPTS.size());
    for (int i = 0; i < Schema.SCRIPTS.size(); i++) {
      assertTrue(
          Schema.SCRIPTS.get(i).matches("V" + (i + 1) + "__[a-z0-9_]+\\.sql"),
          Schema.SCRIPTS.get(i));
    }
  }

  @Test
  void scriptsThenPresentForEveryDialectAndEachRecordsItsVersion() {
    for (Dialect d : Dialect.values()) {
      for (int i = 0; i < Schema.SCRIPTS.size(); i++) {
        List<String> statements = Schema.statements(d, Schema.SCRIPTS.get(i), "optin4j_");
        assertFalse(statements.isEmpty(), d + " " + Schema.SCRIPTS.get(i));
        String last = statements.get(statements.size() - 1);
        assertTrue(
            last.startsWith(
                "INSERT INTO optin4j_schema_version (version, description) VALUES ("
                    + (i + 1)
                    + ","),
            d + ": " + last);
      }
    }
  }

  @Test
  void scriptsThenSameTablesAndIndexesOnEveryDialect() {
    Set<String> expected = null;
    for (Dialect d : Dialect.values()) {
      Set<String> names = new TreeSet<>();
      for (String script : Schema.SCRIPTS) {
        for (String statement : Schema.statements(d, script, "optin4j_")) {
          Matcher m = CREATE.matcher(statement);
          if (m.find()) {
            names.add(m.group(1) + " " + m.group(2));
          }
        }
      }
      if (expected == null) {
        expected = names;
      } else {
        assertEquals(expected, names, d.toString());
      }
    }
    assertTrue(expected.contains("TABLE optin4j_events"), String.valueOf(expected));
  }

  @Test
  void statementsThenPrefixReplacedAndNoCommentsOrSemicolonsLeft() {
    for (String statement : Schema.statements(Dialect.POSTGRESQL, "V1__schema.sql", "acme_")) {
      assertFalse(statement.contains("optin4j_"), statement);
      assertFalse(statement.contains("--"), statement);
      assertFalse(statement.contains(";"), statement);
    }
  }

  @Test
  void detectThenKnownProductsMapped() {
    assertEquals(Dialect.H2, Dialect.detect("H2"));
    assertEquals(Dialect.POSTGRESQL, Dialect.detect("PostgreSQL"));
    assertEquals(Dialect.MARIADB, Dialect.detect("MariaDB"));
    assertEquals(Dialect.MARIADB, Dialect.detect("MySQL"));
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> Dialect.detect("Oracle"));
    assertTrue(e.getMessage().contains("dialect("), e.getMessage());
  }
}
