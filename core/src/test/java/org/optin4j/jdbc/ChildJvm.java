package org.optin4j.jdbc;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a node's {@code main} in a JVM of its own on the test class path, for the tests that kill it with SIGKILL
 * ({@link JdbcDispatchKillPostgresTest}, {@link JdbcWebhookKillPostgresTest}), and reads what it wrote. Stateless.
 */
final class ChildJvm {
  private ChildJvm() {}

  /** Starts {@code main} with {@code args}, its output (and errors) going to {@code log}. */
  static Process start(Class<?> main, Path log, String... args) throws IOException {
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(classPath);
    command.add(main.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** The current schema of the test database's connections, which the child must use too. */
  static String currentSchema(TestDatabase database) throws Exception {
    try (var c = database.dataSource().getConnection();
        var st = c.createStatement();
        var rs = st.executeQuery("SELECT current_schema()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** What the child wrote, for a failure message. */
  static String read(File file) {
    try {
      return Files.readString(file.toPath());
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }
}
