package org.optin4j.examples;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportReport;
import org.optin4j.lists.ImportSource;
import org.optin4j.mail.SmtpMailer;

/**
 * Imports another tool's export into the sample's store from the command line ({@code optIn.imports()},
 * docs/import.md), with the same settings as the app (OPTIN4J_DATA_DIR or OPTIN4J_JDBC_URL, ...):
 *
 * <pre>
 * java -cp examples/target/optin4j-examples.jar org.optin4j.examples.ImportCli \
 *     --format mailchimp --status subscribed --purpose newsletter subscribed_members_export.csv [--dry-run]
 * java -cp ... org.optin4j.examples.ImportCli --format listmonk --list News=newsletter subscribers.json
 * </pre>
 *
 * It sends no mail (an import queues none) and prints the report. With the app's H2 file database, stop the app
 * first: H2 lets one process open the file at a time.
 */
public final class ImportCli {
  private ImportCli() {}

  public static void main(String[] args) {
    System.exit(
        run(args, Settings.fromEnvironment(System.getenv(), Path.of("")), System.out, System.err));
  }

  /** Runs the command; returns the exit status (0 done, 1 invalid rows found, 2 usage or setup error). */
  static int run(String[] args, Settings settings, PrintStream out, PrintStream err) {
    String format = null;
    String status = "subscribed";
    List<String> purposes = new ArrayList<>();
    List<String> lists = new ArrayList<>();
    boolean dryRun = false;
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      boolean hasValue = i + 1 < args.length;
      switch (a) {
        case "--format" -> format = hasValue ? args[++i] : null;
        case "--status" -> status = hasValue ? args[++i] : null;
        case "--purpose" -> purposes.add(hasValue ? args[++i] : "");
        case "--list" -> lists.add(hasValue ? args[++i] : "");
        case "--dry-run" -> dryRun = true;
        default -> {
          if (a.startsWith("--") || file != null) {
            return usage(err, "unexpected argument: " + a);
          }
          file = Path.of(a);
        }
      }
    }
    if (file == null || !Files.isReadable(file)) {
      return usage(err, file == null ? "no file given" : "cannot read " + file);
    }
    ImportSource source;
    try {
      source = source(format, status, purposes, lists);
    } catch (IllegalArgumentException e) {
      return usage(err, e.getMessage());
    }
    DataDirectory data = DataDirectory.open(settings.dataDir());
    try (Database database =
            settings.jdbc() == null
                ? Database.h2File(data.path())
                : Database.external(settings.jdbc());
        OptIn optIn =
            OptIn.builder()
                .catalog(SampleApp.catalog())
                .controller(SampleApp.CONTROLLER)
                .store(JdbcConsentStore.builder(database.dataSource()).createSchema(true).build())
                .mailer(
                    SampleApp.smtp(
                        "127.0.0.1", 25, SmtpMailer.Security.NONE, null, null)) // never started
                .signingKeys(data.signingKeys())
                .suppressionPepper(data.suppressionPepper())
                .baseUrl(settings.siteUrl(settings.port()) + "/optin")
                .build()) {
      ImportReport r =
          dryRun
              ? optIn.imports().dryRun(source, file)
              : optIn.imports().run(source, file, n -> err.printf("%,d rows%n", n));
      print(r, out);
      return r.invalidCount() == 0 ? 0 : 1;
    } catch (Exception e) {
      err.println("import failed: " + e.getMessage());
      return 2;
    }
  }

  static ImportSource source(
      String format, String status, List<String> purposes, List<String> lists) {
    if ("mailchimp".equals(format)) {
      ImportSource.MailchimpFile file;
      try {
        file = ImportSource.MailchimpFile.valueOf(String.valueOf(status).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--status must be subscribed, unsubscribed or cleaned, was " + status);
      }
      ImportSource.Builder b = ImportSource.mailchimp(file);
      purposes.forEach(p -> b.purposes(PurposeId.of(p)));
      return b.build();
    }
    if ("listmonk".equals(format)) {
      ImportSource.Builder b = ImportSource.listmonk();
      for (String mapping : lists) {
        int eq = mapping.lastIndexOf('=');
        if (eq < 1) {
          throw new IllegalArgumentException("--list takes listName=purpose, was " + mapping);
        }
        b.list(mapping.substring(0, eq), PurposeId.of(mapping.substring(eq + 1)));
      }
      return b.build();
    }
    throw new IllegalArgumentException("--format must be mailchimp or listmonk, was " + format);
  }

  private static void print(ImportReport r, PrintStream out) {
    out.printf(
        "%s %s (sha256 %s): %,d rows%n",
        r.dryRun() ? "Dry run of" : "Imported", r.fileName(), r.sha256(), r.rows());
    for (ImportClass c : ImportClass.values()) {
      out.printf("  %-14s %,d%n", c.name().toLowerCase(Locale.ROOT), r.count(c));
    }
    out.printf(
        "  written %,d, unchanged %,d, kept %,d, suppressed %,d, ignored %,d, invalid %,d%n",
        r.written(), r.unchanged(), r.kept(), r.suppressed(), r.ignored(), r.invalidCount());
    for (ImportReport.InvalidRow i : r.invalid()) {
      out.printf("  line %d: %s%n", i.line(), i.reason());
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println(problem);
    err.println(
        "usage: ImportCli --format mailchimp --status subscribed|unsubscribed|cleaned --purpose ID [--purpose ID]"
            + " FILE [--dry-run]\n       ImportCli --format listmonk --list NAME=PURPOSE [--list ...] FILE"
            + " [--dry-run]");
    return 2;
  }
}
