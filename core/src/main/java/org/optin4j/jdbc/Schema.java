package org.optin4j.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import javax.sql.DataSource;
import org.optin4j.StoreException;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;

/**
 * The versioned DDL shipped in the jar and the start-up check of the schema version.
 *
 * <p>Convention: {@code org/optin4j/jdbc/<dialect>/V<n>__<what>.sql}, listed in {@link #SCRIPTS} in order; script
 * {@code n} ends by inserting row {@code n} into {@code optin4j_schema_version}. Tables are written with the default
 * prefix {@code optin4j_}, which is replaced by the configured prefix when the store runs a script.
 */
final class Schema {
  /** The scripts, in the order they are applied; script {@code i} brings the schema to version {@code i + 1}. */
  static final List<String> SCRIPTS =
      List.of(
          "V1__schema.sql",
          "V2__address_generation.sql",
          "V3__nodes.sql",
          "V4__feed.sql",
          "V5__webhooks.sql",
          "V6__reports.sql",
          "V7__lapsed_signups_index.sql",
          "V8__send_rates.sql",
          "V9__purge_without_row_checks.sql",
          "V10__outbox_partial_indexes.sql");

  private static final String SCRIPT_PREFIX = "optin4j_";

  private final DataSource dataSource;
  private final Dialect dialect;
  private final String prefix;

  Schema(DataSource dataSource, Dialect dialect, String prefix) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.prefix = prefix;
  }

  /**
   * Creates the schema if it is absent and asked to, then checks that it has the version this library needs.
   *
   * @param create whether to create a missing schema
   * @throws StoreException if the schema is missing, older or newer, or the database fails
   */
  void check(boolean create) {
    OptionalInt found = version();
    if (found.isEmpty()) {
      if (!create) {
        throw new StoreException(
            "optin4j schema not found: there is no table "
                + versionTable()
                + "; apply "
                + describeScripts(0)
                + " or build the store with createSchema(true)");
      }
      createAll();
      found = version();
      if (found.isEmpty()) {
        throw new StoreException(
            "optin4j schema creation did not record a version in " + versionTable());
      }
    }
    int version = found.getAsInt();
    if (version < JdbcConsentStore.SCHEMA_VERSION) {
      throw new StoreException(
          "optin4j schema version "
              + version
              + " found, this library needs "
              + JdbcConsentStore.SCHEMA_VERSION
              + "; run the upgrade scripts "
              + describeScripts(version)
              + " in order (see docs/jdbc.md)");
    }
    if (version > JdbcConsentStore.SCHEMA_VERSION) {
      throw new StoreException(
          "optin4j schema version "
              + version
              + " found, this library needs "
              + JdbcConsentStore.SCHEMA_VERSION
              + "; the database was upgraded for a newer optin4j: use that version"
              + " of the library (schemas are never downgraded)");
    }
  }

  /** Returns the recorded schema version, 0 if the version table is empty, or empty if it does not exist. */
  OptionalInt version() {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT MAX(version) FROM " + versionTable())) {
        rs.next();
        return OptionalInt.of(rs.getInt(1));
      } catch (SQLException e) {
        if (SqlErrors.isMissingTable(e)) {
          return OptionalInt.empty();
        }
        throw e;
      }
    } catch (SQLException e) {
      throw SqlErrors.wrap("read the optin4j schema version", e);
    }
  }

  private void createAll() {
    try (Connection c = dataSource.getConnection()) {
      // One transaction: atomic on PostgreSQL; H2 and MariaDB commit each DDL statement anyway.
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String script : SCRIPTS) {
          for (String statement : statements(dialect, script, prefix)) {
            st.execute(statement);
          }
        }
        c.commit();
      } catch (SQLException e) {
        c.rollback();
        // Another node may have created the schema at the same moment; that is fine if it finished.
        if (version().isPresent()) {
          return;
        }
        throw e;
      }
    } catch (SQLException e) {
      throw SqlErrors.wrap("create the optin4j schema (" + describeScripts(0) + ")", e);
    }
  }

  private String versionTable() {
    return prefix + "schema_version";
  }

  private String describeScripts(int fromVersion) {
    List<String> names = new ArrayList<>();
    for (int i = fromVersion; i < SCRIPTS.size(); i++) {
      names.add(SCRIPTS.get(i));
    }
    String scripts = dialect.scriptFolder() + String.join(", ", names);
    return prefix.equals(SCRIPT_PREFIX)
        ? scripts
        : scripts + " (with \"" + SCRIPT_PREFIX + "\" replaced by \"" + prefix + "\")";
  }

  /**
   * Reads a script from the class path and splits it into statements: lines starting with {@code --} are comments,
   * and a statement ends with {@code ;} at the end of a line.
   *
   * @param dialect the dialect
   * @param script the file name, for example {@code V1__schema.sql}
   * @param prefix the table prefix to use instead of {@code optin4j_}
   * @return the statements, without their semicolons
   */
  static List<String> statements(Dialect dialect, String script, String prefix) {
    String text = read(dialect.scriptFolder() + script);
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : text.split("\r?\n")) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      if (trimmed.endsWith(";")) {
        current.append(trimmed, 0, trimmed.length() - 1);
        statements.add(current.toString().replace(SCRIPT_PREFIX, prefix));
        current.setLength(0);
      } else {
        current.append(trimmed).append('\n');
      }
    }
    if (!current.toString().isBlank()) {
      throw new IllegalStateException(script + " for " + dialect + " ends without a semicolon");
    }
    return statements;
  }

  private static String read(String resource) {
    // Class#getResourceAsStream (not the class loader's) also finds the resource when optin4j runs
    // as a named module.
    try (InputStream in = Schema.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource + " (broken optin4j jar?)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + resource, e);
    }
  }
}
