package org.optin4j.examples;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportReport;
import org.optin4j.lists.ImportSource;
import org.optin4j.lists.RepermissionReport;

/**
 * The admin page's import of another tool's subscribers ({@code optIn.imports()}, docs/import.md): upload a Mailchimp
 * export file or a listmonk JSON export for one purpose, preview the classification (a dry run, the default), then
 * import. The upload is a multipart form carrying the same signed form token as every admin form; {@link AdminServlet}
 * checks it and the origin before calling in here. The file goes to a temporary file (the import reads it twice) that
 * is deleted afterwards. Also re-permission of the unproven entries: its progress and the button that starts it
 * ({@code optIn.imports().repermission()}). Thread-safe.
 */
final class ImportUpload {
  /** The largest file accepted, in bytes (the library reads any size; the sample keeps uploads modest). */
  static final long MAX_FILE_BYTES = 200L << 20;

  private static final Map<String, String> FORMATS =
      Map.of(
          "mailchimp-subscribed", "Mailchimp: subscribed members",
          "mailchimp-unsubscribed", "Mailchimp: unsubscribed members",
          "mailchimp-cleaned", "Mailchimp: cleaned members",
          "listmonk", "listmonk: subscribers (JSON)");

  private final OptIn optIn;
  private final Supplier<String> formToken;

  ImportUpload(OptIn optIn, Supplier<String> formToken) {
    this.optIn = optIn;
    this.formToken = formToken;
  }

  void section(StringBuilder b) {
    b.append(
            "<section class=\"card\" aria-labelledby=\"import-h\"><h2 id=\"import-h\">Import subscribers</h2>\n")
        .append(
            "<p>Bring a list over from Mailchimp or listmonk with the proof it carries: a confirmation time makes a "
                + "consent proven; a subscription without one is kept but not mailed until the person confirms; "
                + "unsubscribed and cleaned addresses are never mailed. Preview first: it writes nothing.</p>\n")
        .append("<form method=\"post\" action=\"/admin/import\" enctype=\"multipart/form-data\">\n")
        .append(AdminForms.hidden("csrf", formToken.get()))
        .append(
            "<label for=\"import-format\">File</label><select id=\"import-format\" name=\"format\">\n");
    FORMATS.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            f ->
                b.append("<option value=\"")
                    .append(Html.attr(f.getKey()))
                    .append("\">")
                    .append(Html.text(f.getValue()))
                    .append("</option>\n"));
    b.append(
        "</select>\n<label for=\"import-purpose\">Purpose</label><select id=\"import-purpose\" name=\"purpose\">\n");
    for (Purpose p : optIn.catalog().purposes()) {
      b.append("<option value=\"")
          .append(Html.attr(p.id().value()))
          .append("\">")
          .append(Html.text(p.id().value()))
          .append("</option>\n");
    }
    b.append("</select>\n<label for=\"import-list\">listmonk list name (listmonk only)</label>")
        .append("<input id=\"import-list\" name=\"list\" maxlength=\"200\">\n")
        .append("<label for=\"import-file\">Export file</label>")
        .append(
            "<input id=\"import-file\" type=\"file\" name=\"file\" required accept=\".csv,.json,text/csv,application/json\">\n")
        .append(
            "<label><input type=\"checkbox\" name=\"apply\" value=\"yes\"> Import (unticked: preview only)</label>\n")
        .append("<button type=\"submit\">Upload</button></form>\n");
    repermissionPart(b);
    b.append("</section>\n");
  }

  /**
   * Re-permission of the unproven (docs/import.md): where it stands, and the button that mails each unproven
   * subscriber once with a confirmation link.
   */
  private void repermissionPart(StringBuilder b) {
    RepermissionReport r = optIn.imports().repermissionProgress();
    b.append("<h3 id=\"repermission-h\">Re-permission</h3>\n")
        .append(
            "<p>Unproven subscribers are asked once to confirm, with the normal confirmation mail. Whoever "
                + "does not confirm within the import's hold lapses and is purged.</p>\n")
        .append("<table class=\"compact\" aria-labelledby=\"repermission-h\"><tbody>\n");
    row(b, "unproven, waiting", r.unproven());
    row(b, "mailed", r.mailed());
    row(b, "confirmed since", r.confirmed());
    row(b, "lapsed", r.lapsed());
    b.append("</tbody></table>\n")
        .append("<form method=\"post\" action=\"/admin/repermission\">")
        .append(AdminForms.hidden("csrf", formToken.get()))
        .append("<button type=\"submit\" class=\"secondary\">Ask the unproven to confirm</button>")
        .append("</form>\n");
  }

  void repermission(HttpServletResponse res) throws IOException {
    RepermissionReport r = optIn.imports().repermission();
    StringBuilder b = new StringBuilder("<p>Re-permission: ");
    b.append(r.mailed())
        .append(" mailed in all, ")
        .append(r.confirmed())
        .append(" confirmed, ")
        .append(r.lapsed())
        .append(" lapsed; ")
        .append(r.throttled())
        .append(" left for later by the confirmation-mail cap.</p>\n");
    answer(res, 200, b.toString());
  }

  void upload(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Part part;
    try {
      part = req.getPart("file");
    } catch (ServletException | IllegalStateException e) {
      answer(
          res,
          400,
          "<p>The upload could not be read (at most " + (MAX_FILE_BYTES >> 20) + " MB).</p>");
      return;
    }
    Optional<ImportSource> source =
        source(req.getParameter("format"), req.getParameter("purpose"), req.getParameter("list"));
    if (part == null || part.getSize() == 0 || source.isEmpty()) {
      answer(
          res,
          400,
          "<p>Choose a file, its kind, a purpose (and for listmonk the list's name).</p>");
      return;
    }
    boolean apply = "yes".equals(req.getParameter("apply"));
    Path dir = Files.createTempDirectory("optin4j-import");
    // The evidence names the file: keep the uploaded name, reduced to safe characters.
    String name =
        Optional.ofNullable(part.getSubmittedFileName())
            .orElse("upload")
            .replaceAll("[^A-Za-z0-9._-]", "_");
    Path file = dir.resolve(name.isEmpty() || name.startsWith(".") ? "upload" + name : name);
    try {
      try (InputStream in = part.getInputStream()) {
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      ImportReport r =
          apply
              ? optIn.imports().run(source.get(), file, null)
              : optIn.imports().dryRun(source.get(), file);
      answer(res, 200, report(r));
    } catch (UncheckedIOException e) {
      answer(res, 400, "<p>The file could not be read.</p>");
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
      part.delete();
    }
  }

  private Optional<ImportSource> source(String format, String purpose, String list) {
    Optional<PurposeId> p =
        purpose == null
            ? Optional.empty()
            : PurposeId.tryParse(purpose).filter(id -> optIn.catalog().purpose(id).isPresent());
    if (format == null || p.isEmpty()) {
      return Optional.empty();
    }
    return switch (format) {
      case "mailchimp-subscribed" ->
          Optional.of(mailchimp(ImportSource.MailchimpFile.SUBSCRIBED, p.get()));
      case "mailchimp-unsubscribed" ->
          Optional.of(mailchimp(ImportSource.MailchimpFile.UNSUBSCRIBED, p.get()));
      case "mailchimp-cleaned" ->
          Optional.of(mailchimp(ImportSource.MailchimpFile.CLEANED, p.get()));
      case "listmonk" ->
          list == null || list.isBlank()
              ? Optional.empty()
              : Optional.of(ImportSource.listmonk().list(list.strip(), p.get()).build());
      default -> Optional.empty();
    };
  }

  private static ImportSource mailchimp(ImportSource.MailchimpFile file, PurposeId purpose) {
    return ImportSource.mailchimp(file).purposes(purpose).build();
  }

  private static String report(ImportReport r) {
    StringBuilder b =
        new StringBuilder("<p>")
            .append(r.dryRun() ? "Preview of " : "Imported ")
            .append(Html.text(r.fileName()))
            .append(" (SHA-256 <code>")
            .append(Html.text(r.sha256()))
            .append("</code>): ")
            .append(r.rows())
            .append(" rows.")
            .append(r.dryRun() ? " Nothing was written." : "")
            .append("</p>\n<table class=\"compact\"><tbody>\n");
    for (ImportClass c : ImportClass.values()) {
      row(b, c.name().toLowerCase(java.util.Locale.ROOT), r.count(c));
    }
    row(b, r.dryRun() ? "would be written" : "written", r.written());
    row(b, "already so", r.unchanged());
    row(b, "kept (the library's record wins)", r.kept());
    row(b, "erased addresses, not imported", r.suppressed());
    row(b, "on no mapped list", r.ignored());
    row(b, "invalid", r.invalidCount());
    b.append("</tbody></table>\n");
    if (!r.invalid().isEmpty()) {
      b.append("<h2>Invalid rows</h2>\n<ul>\n");
      for (ImportReport.InvalidRow i : r.invalid()) {
        b.append("<li>line ")
            .append(i.line())
            .append(": ")
            .append(Html.text(i.reason()))
            .append("</li>\n");
      }
      b.append("</ul>\n");
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String label, long n) {
    b.append("<tr><th scope=\"row\">")
        .append(Html.text(label))
        .append("</th><td>")
        .append(n)
        .append("</td></tr>\n");
  }

  private static void answer(HttpServletResponse res, int status, String body) throws IOException {
    Html.send(
        res,
        status,
        Html.page(
            "Import",
            "/admin",
            "<div class=\"card\"><h1>Import</h1>\n"
                + body
                + "<p><a href=\"/admin\">Back to the admin page</a></p></div>\n"));
  }
}
