package org.optin4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportCliTest {
  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return ImportCli.run(
        args,
        Settings.forTest(dir.resolve("data"), "a-test-password-1"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void mailchimpFileWhenDryRunThenReportedAndThenImported() throws Exception {
    Path file = dir.resolve("subscribed_members_export.csv");
    Files.writeString(
        file,
        "Email Address,OPTIN_TIME,CONFIRM_TIME\nann@example.org,2025-01-01 10:00:00,2025-01-01 10:01:00\n"
            + "bob@example.org,2025-01-01 10:00:00,\n");
    String[] args = {
      "--format", "mailchimp", "--status", "subscribed", "--purpose", "newsletter", file.toString()
    };

    assertEquals(0, run(append(args, "--dry-run")));
    assertTrue(
        out.toString(StandardCharsets.UTF_8).contains("Dry run of subscribed_members_export.csv"),
        out::toString);
    assertEquals(0, run(args));
    String report = out.toString(StandardCharsets.UTF_8);
    assertTrue(report.contains("proven         1"), report);
    assertTrue(report.contains("unproven       1"), report);
    assertTrue(report.contains("written 2"), report);
  }

  @Test
  void usageErrorsThenExitTwoWithTheProblemNamed() {
    assertEquals(
        2, run("--format", "mailchimp", "--status", "bounced", "--purpose", "newsletter", "x.csv"));
    assertEquals(2, run("--format", "mailchimp", "--purpose", "newsletter"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("no file given"), err::toString);
  }

  private static String[] append(String[] a, String s) {
    String[] b = java.util.Arrays.copyOf(a, a.length + 1);
    b[a.length] = s;
    return b;
  }
}
