package org.optin4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.ConsentState;
import org.optin4j.Subject;
import org.optin4j.breach.Incident;
import org.optin4j.rights.RightsRequest;

/** The sample's own pages over plain HTTP: the contact form (drop-in), the mailbox, the admin page, the data folder. */
class SampleAppHttpTest {
  private static final String PASSWORD = "bakers-dozen-13";

  /** A {@code datetime-local} value in UTC, as the admin forms take it. */
  private static final DateTimeFormatter LOCAL =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(ZoneOffset.UTC);

  /** A time as the admin page shows it. */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  @TempDir Path data;

  private SampleApp app;

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  private Client start() {
    app = SampleApp.start(Settings.forTest(data, PASSWORD));
    return new Client(app.url());
  }

  /** A client signed in as the admin, which {@code /dev/mailbox} needs. */
  private Client mailbox() {
    return new Client(app.url()).basic("admin", PASSWORD);
  }

  @Test
  void pagesWhenServedThenEncodedAndLockedDown() throws Exception {
    Client client = start();
    for (String path : List.of("/", "/contact", "/privacy")) {
      HttpResponse<String> r = client.get(path);
      assertEquals(200, r.statusCode(), path);
      assertTrue(
          r.headers()
              .firstValue("Content-Security-Policy")
              .orElse("")
              .contains("default-src 'none'"),
          path);
      assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""), path);
      assertFalse(r.body().contains("<script"), path);
    }
    assertEquals(404, client.get("/no-such-page").statusCode());
    HttpResponse<String> hosted = client.get("/optin/subscribe");
    assertEquals(200, hosted.statusCode());
    assertTrue(hosted.body().contains("De Gouden Korst"), "hosted pages wear the bakery's layout");
    assertTrue(hosted.body().contains("/static/site.css"));
  }

  @Test
  void contactFormWhenPurposeTickedThenConfirmationMailInMailbox() throws Exception {
    Client client = start();
    String form = client.get("/contact").body();
    assertTrue(
        form.contains("name=\"optin-purpose\" value=\"newsletter\""),
        "notice block with unticked boxes");
    assertFalse(form.contains(" checked"), "nothing pre-ticked");
    assertTrue(form.contains("De Gouden Korst B.V."), "the notice names the controller");

    Map<String, String> fields = new LinkedHashMap<>(Client.hiddenFields(form));
    fields.put("name", "Ann <b>");
    fields.put("email", "ann@example.org");
    fields.put("message", "Do you bake spelt bread?");
    fields.put("optin-purpose", "newsletter");
    HttpResponse<String> sent = client.post("/contact", fields);
    assertEquals(200, sent.statusCode(), sent.body());
    assertTrue(sent.body().contains("Thank you, Ann &lt;b&gt;!"), "the name is echoed, encoded");
    assertTrue(sent.body().contains("check your inbox"));

    String list = waitForMail(1);
    assertTrue(list.contains("ann@example.org"), list);
    HttpResponse<String> mail = mailbox().get("/dev/mailbox/1");
    assertEquals(200, mail.statusCode());
    String page = mail.body();
    assertTrue(page.contains("<iframe class=\"mail-html\""), "HTML part in a frame");
    assertTrue(
        page.contains("sandbox=\"allow-popups allow-top-navigation-by-user-activation\""),
        "sandboxed");
    assertTrue(
        page.contains("srcdoc=\"&lt;base target=&#34;_top&#34;>&lt;!DOCTYPE html>"),
        "escaped srcdoc");
    assertFalse(page.contains("<div role=\"article\""), "mail HTML never injected as markup");
    String confirm =
        Client.find(page, "<a href=\"(" + app.url() + "/optin/confirm\\?token=[^\"]+)\"");
    assertTrue(page.contains("Message-ID"), "headers shown");
    assertFalse(page.contains("Do you bake"), "free text from the form is not relayed in the mail");

    // The link opens the hosted confirm page; only its POST confirms.
    HttpResponse<String> confirmPage = client.get(confirm.substring(app.url().length()));
    assertEquals(200, confirmPage.statusCode());
    Map<String, String> confirmFields =
        new LinkedHashMap<>(Client.hiddenFields(confirmPage.body()));
    confirmFields.put("purpose", "newsletter");
    HttpResponse<String> confirmed = client.post("/optin/confirm", confirmFields);
    assertEquals(200, confirmed.statusCode(), confirmed.body());
    Subject ann = app.optIn().findSubject("ann@example.org").orElseThrow();
    assertEquals(ConsentState.CONFIRMED, app.optIn().consents(ann.id()).get(0).state());
  }

  @Test
  void apiSignupPageWhenItsScriptSignsUpThroughTheJsonApiThenConfirmationMailInMailbox()
      throws Exception {
    Client client = start();
    HttpResponse<String> page = client.get("/api-signup");
    assertEquals(200, page.statusCode());
    String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), csp);
    assertTrue(page.body().contains("<script src=\"/static/api-signup.js\" defer></script>"));
    HttpResponse<String> js = client.get("/static/api-signup.js");
    assertEquals(200, js.statusCode());
    assertTrue(js.headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
    assertTrue(js.body().contains("\"/subscribe\"") && js.body().contains("notice.hash"));
    assertFalse(js.body().contains("innerHTML"), "server texts are set as text, never as HTML");

    // What the script does, from the page's origin.
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    HttpResponse<String> notice =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(app.url() + "/optin/api/notice"))
                .header("Origin", app.url())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, notice.statusCode(), notice.body());
    assertEquals(app.url(), notice.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    String hash = Client.find(notice.body(), "\"hash\":\"([0-9a-f]{64})\"");
    HttpResponse<String> signup =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(app.url() + "/optin/api/subscribe"))
                .header("Origin", app.url())
                .header("Content-Type", "application/json")
                .POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString(
                        "{\"email\":\"ann@example.org\",\"purposes\":[\"newsletter\"],\"notice\":\""
                            + hash
                            + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(202, signup.statusCode(), signup.body());
    assertTrue(waitForMail(1).contains("ann@example.org"));
  }

  @Test
  void contactFormWhenNothingTickedThenMessageStillAcceptedAndNoMail() throws Exception {
    Client client = start();
    Map<String, String> fields =
        new LinkedHashMap<>(Client.hiddenFields(client.get("/contact").body()));
    fields.put("email", "bob@example.org");
    fields.put("message", "Just a question.");
    HttpResponse<String> sent = client.post("/contact", fields);
    assertEquals(200, sent.statusCode());
    assertTrue(
        sent.body().contains("We got your message"), "consent is never a condition of the service");
    assertFalse(sent.body().contains("check your inbox"));
    assertTrue(app.optIn().findSubject("bob@example.org").isEmpty());
  }

  @Test
  void contactFormWhenCrossSiteThenRefused() throws Exception {
    Client client = start();
    Map<String, String> fields =
        new LinkedHashMap<>(Client.hiddenFields(client.get("/contact").body()));
    fields.put("email", "eve@example.org");
    fields.put("message", "hi");
    fields.put("optin-purpose", "newsletter");
    assertEquals(403, client.post("/contact", fields, "https://evil.example").statusCode());
    assertTrue(app.optIn().findSubject("eve@example.org").isEmpty());
  }

  @Test
  void mailboxWhenNotSignedInThen401AndNoAddressOrLinkShown() throws Exception {
    Client site = start();
    signUp(site, "ann@example.org", "newsletter");
    waitForMail(1);

    for (String path : List.of("/dev/mailbox", "/dev/mailbox/1")) {
      HttpResponse<String> r = site.get(path);
      assertEquals(401, r.statusCode(), path);
      assertTrue(
          r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm="), path);
      assertFalse(r.body().contains("ann@example.org"), r.body());
      assertFalse(r.body().contains("token="), r.body());
      assertEquals(
          401,
          new Client(app.url()).basic("admin", "wrong-password-1").get(path).statusCode(),
          path);
    }
    HttpResponse<String> signedIn = mailbox().get("/dev/mailbox");
    assertEquals(200, signedIn.statusCode());
    assertTrue(signedIn.body().contains("ann@example.org"));
  }

  @Test
  void adminWhenWrongPasswordsRepeatedThenThrottledPerClientAndLoggedWithoutThePassword()
      throws Exception {
    start();
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    // slf4j-simple writes to whatever System.err is at the time of the call.
    System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      for (int i = 1; i <= AdminLogin.MAX_FAILURES; i++) {
        assertEquals(
            401,
            new Client(app.url()).basic("admin", "guess-number-" + i).get("/admin").statusCode());
      }
      HttpResponse<String> throttled = mailbox().get("/admin");
      assertEquals(
          429,
          throttled.statusCode(),
          "even the right password waits: guesses are not checked meanwhile");
      long retryAfter = Long.parseLong(throttled.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(
          retryAfter >= 1 && retryAfter <= AdminLogin.WINDOW.toSeconds(),
          "Retry-After " + retryAfter);
      assertEquals(
          429,
          mailbox().get("/dev/mailbox").statusCode(),
          "the mailbox shares the admin's throttle");
      assertEquals(
          200, new Client(app.url()).get("/").statusCode(), "the public site is not affected");
    } finally {
      System.setErr(stderr);
    }
    String logged = log.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(
        logged.contains("admin login failed from 127.0.0.1 (5 in the last 15 minutes)"), logged);
    assertFalse(logged.contains("guess-number"), logged);
    assertFalse(logged.contains(PASSWORD), logged);
  }

  @Test
  void adminWhenNoOrWrongPasswordThen401() throws Exception {
    Client client = start();
    HttpResponse<String> none = client.get("/admin");
    assertEquals(401, none.statusCode());
    assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic realm="));
    assertEquals(401, client.basic("admin", "wrong-password-1").get("/admin").statusCode());
    assertEquals(401, client.basic("root", PASSWORD).get("/admin").statusCode());
    assertEquals(401, new Client(app.url()).get("/admin/subject?id=x").statusCode());
    assertEquals(401, new Client(app.url()).post("/admin/purge", Map.of()).statusCode());
    assertEquals(200, client.basic("admin", PASSWORD).get("/admin").statusCode());
  }

  @Test
  void adminImportWhenPreviewThenNothingWrittenThenImportKeepsProofAndNeedsTheFormToken()
      throws Exception {
    start();
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String overview = admin.get("/admin").body();
    assertTrue(overview.contains("Import subscribers"), "the import section");
    String token = Client.hiddenFields(overview).get("csrf");
    String csv =
        "Email Address,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LAST_CHANGED\r\n"
            + "imported@example.org,2024-01-01 10:00:00,203.0.113.1,2024-01-01 10:02:00,203.0.113.2,\r\n"
            + "nobody,,,,,\r\n";
    Map<String, String> form = new LinkedHashMap<>();
    form.put("csrf", token);
    form.put("format", "mailchimp-subscribed");
    form.put("purpose", "newsletter");

    HttpResponse<String> preview =
        admin.postFile("/admin/import", form, "file", "members.csv", csv);
    assertEquals(200, preview.statusCode(), preview.body());
    assertTrue(preview.body().contains("Nothing was written"), preview.body());
    assertTrue(preview.body().contains("line 3"), preview.body());
    assertTrue(app.optIn().findSubject("imported@example.org").isEmpty());

    form.put("apply", "yes");
    HttpResponse<String> imported =
        admin.postFile("/admin/import", form, "file", "members.csv", csv);
    assertEquals(200, imported.statusCode(), imported.body());
    assertTrue(app.optIn().mayMail("imported@example.org", org.optin4j.PurposeId.of("newsletter")));

    form.put("csrf", "forged");
    assertEquals(
        403, admin.postFile("/admin/import", form, "file", "members.csv", csv).statusCode());
  }

  @Test
  void adminCampaignWhenStartedThenMailedAndListedWithCountsAndFinishAndNeedsTheFormToken()
      throws Exception {
    start();
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String overview = admin.get("/admin").body();
    assertTrue(overview.contains("<h2 id=\"campaigns-h\">Campaigns</h2>"), "the campaigns card");
    assertTrue(overview.contains("No campaign started"), overview);
    String token = Client.hiddenFields(overview).get("csrf");
    // A confirmed subscriber: an import with its confirmation time.
    Map<String, String> importForm = new LinkedHashMap<>();
    importForm.put("csrf", token);
    importForm.put("format", "mailchimp-subscribed");
    importForm.put("purpose", "newsletter");
    importForm.put("apply", "yes");
    String csv =
        "Email Address,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LAST_CHANGED\r\n"
            + "reader@example.org,2024-01-01 10:00:00,203.0.113.1,2024-01-01 10:02:00,203.0.113.2,\r\n";
    assertEquals(
        200, admin.postFile("/admin/import", importForm, "file", "members.csv", csv).statusCode());

    Map<String, String> form = new LinkedHashMap<>();
    form.put("csrf", token);
    form.put("purpose", "newsletter");
    form.put("subject", "Fresh <rye> this week");
    form.put("text", "Our rye is back on Saturday.");
    HttpResponse<String> started = admin.post("/admin/campaign", form, app.url());
    assertEquals(200, started.statusCode(), started.body());
    assertTrue(started.body().contains("Campaign queued: 1 mails"), started.body());

    // The dispatcher sends it to the sample's GreenMail.
    waitForMailbox("Fresh &lt;rye&gt; this week");
    String listed = admin.get("/admin").body();
    String row =
        Client.find(listed, "(<tr><td>[^<]*</td><td>newsletter</td><td>Fresh &lt;rye&gt;[^\n]*)");
    // waiting, sent, skipped, failed; then the finish at the sample's rate (no limit)
    assertTrue(
        row.contains("<td>0</td><td>1</td><td>0</td><td>0</td><td>finished</td>")
            || row.contains(
                "<td>1</td><td>0</td><td>0</td><td>0</td><td>as fast as the server takes them</td>"),
        row);
    assertFalse(listed.contains("<rye>"), "the subject is escaped");

    form.put("csrf", "forged");
    assertEquals(403, admin.post("/admin/campaign", form, app.url()).statusCode());
    form.remove("csrf");
    assertEquals(403, admin.post("/admin/campaign", form, app.url()).statusCode());
  }

  @Test
  void adminRepermissionWhenStartedThenUnprovenGetTheirLinkThroughGreenMailAndConfirm()
      throws Exception {
    Client site = start();
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String token = Client.hiddenFields(admin.get("/admin").body()).get("csrf");
    Map<String, String> form = new LinkedHashMap<>();
    form.put("csrf", token);
    form.put("format", "mailchimp-subscribed");
    form.put("purpose", "newsletter");
    form.put("apply", "yes");
    String csv =
        "Email Address,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LAST_CHANGED\r\n"
            + "unproven@example.org,2024-01-01 10:00:00,,,,\r\n";
    assertEquals(
        200, admin.postFile("/admin/import", form, "file", "members.csv", csv).statusCode());
    String overview = admin.get("/admin").body();
    assertTrue(overview.contains("Re-permission"), "the re-permission part");
    assertTrue(
        overview.contains("unproven, waiting</th><td>1</td>"),
        "one unproven, waiting: " + overview);

    HttpResponse<String> started =
        admin.post("/admin/repermission", Map.of("csrf", token), app.url());
    assertEquals(200, started.statusCode(), started.body());
    assertTrue(started.body().contains("1 mailed in all"), started.body());
    assertEquals(
        403, admin.post("/admin/repermission", Map.of("csrf", "forged"), app.url()).statusCode());

    // The dispatcher sends it to the sample's GreenMail; the link confirms as a signup's does.
    waitForMailbox("unproven@example.org");
    String confirm =
        Client.find(
            mailbox().get("/dev/mailbox/1").body(),
            "<a href=\"[^\"]*(/optin/confirm\\?token=[^\"]+)\"");
    Map<String, String> confirmFields =
        new LinkedHashMap<>(Client.hiddenFields(site.get(confirm).body()));
    confirmFields.put("purpose", "newsletter");
    assertEquals(200, site.post("/optin/confirm", confirmFields).statusCode());

    assertTrue(app.optIn().mayMail("unproven@example.org", org.optin4j.PurposeId.of("newsletter")));
    String after = admin.get("/admin").body();
    assertTrue(after.contains("confirmed since</th><td>1</td>"), after);
  }

  @Test
  void adminWhenSignedInThenListsProofAndErasesWithFormToken() throws Exception {
    Client site = start();
    Map<String, String> fields =
        new LinkedHashMap<>(Client.hiddenFields(site.get("/contact").body()));
    fields.put("email", "cees@example.org");
    fields.put("message", "Hallo");
    fields.put("optin-purpose", "events");
    assertEquals(200, site.post("/contact", fields).statusCode());
    Subject cees = app.optIn().findSubject("cees@example.org").orElseThrow();

    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String overview = admin.get("/admin").body();
    assertTrue(overview.contains("cees@example.org"), overview);
    assertTrue(overview.contains("Data breaches (Art. 33-34)"), "the breach register");
    String detail = admin.get("/admin/subject?id=" + cees.id().value()).body();
    assertTrue(detail.contains("Notice shown"), detail);
    assertTrue(detail.contains("requested"), "history lists the request event");
    assertTrue(detail.contains("/contact"), "the source form is recorded");

    // Purge: refused without the form token or from another origin; runs with both.
    assertEquals(403, admin.post("/admin/purge", Map.of()).statusCode());
    String token = Client.hiddenFields(overview).get("csrf");
    assertEquals(
        403,
        admin.post("/admin/purge", Map.of("csrf", token), "https://evil.example").statusCode());
    HttpResponse<String> purged = admin.post("/admin/purge", Map.of("csrf", token));
    assertEquals(200, purged.statusCode());
    assertTrue(purged.body().contains("Retention purge done"));

    String eraseToken = Client.hiddenFields(detail).get("csrf");
    assertEquals(
        400,
        admin
            .post("/admin/erase", Map.of("csrf", eraseToken, "id", cees.id().value()))
            .statusCode());
    HttpResponse<String> erased =
        admin.post(
            "/admin/erase", Map.of("csrf", eraseToken, "id", cees.id().value(), "confirm", "yes"));
    assertEquals(200, erased.statusCode(), erased.body());
    assertTrue(app.optIn().findSubject("cees@example.org").isEmpty());
    assertTrue(app.optIn().rights().isSuppressed("cees@example.org"));
    assertFalse(admin.get("/admin").body().contains("cees@example.org"));
  }

  @Test
  void dataFolderWhenFirstRunThenSecretsOwnerOnlyAndKeptAcrossRestarts() throws Exception {
    // One port for both runs: links are signed for the base URL, which includes the port.
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Settings settings = new Settings(port, "127.0.0.1", null, data, null, null, PASSWORD);
    app = SampleApp.start(settings);
    Client client = new Client(app.url());
    assertTrue(
        app.report().stream().anyMatch(l -> l.startsWith("generated link signing key")),
        app.report().toString());
    for (String f : List.of("signing.key", "form.key", "suppression.pepper")) {
      assertEquals(
          PosixFilePermissions.fromString("rw-------"),
          Files.getPosixFilePermissions(data.resolve(f)),
          f);
    }
    assertTrue(Files.exists(data.resolve("optin4j.mv.db")));
    String key = Files.readString(data.resolve("signing.key"));
    Map<String, String> fields =
        new LinkedHashMap<>(Client.hiddenFields(client.get("/contact").body()));
    fields.put("email", "dirk@example.org");
    fields.put("message", "x");
    fields.put("optin-purpose", "newsletter");
    client.post("/contact", fields);
    waitForMail(1);
    String confirm =
        Client.find(
            mailbox().get("/dev/mailbox/1").body(),
            "<a href=\"[^\"]*(/optin/confirm\\?token=[^\"]+)\"");
    app.close();

    app = SampleApp.start(settings);
    assertTrue(
        app.report().stream().noneMatch(l -> l.startsWith("generated")), app.report().toString());
    assertEquals(key, Files.readString(data.resolve("signing.key")));
    assertTrue(app.optIn().findSubject("dirk@example.org").isPresent(), "the H2 file is kept");
    // A link mailed before the restart still opens: same signing key.
    HttpResponse<String> page = new Client(app.url()).get(confirm);
    assertEquals(200, page.statusCode(), page.body());
  }

  @Test
  void mailboxWhenRealSmtpConfiguredThenSaysSo() throws Exception {
    Settings s =
        new Settings(
            0,
            "127.0.0.1",
            null,
            data,
            new Settings.Smtp("127.0.0.1", 2525, "none", null, null),
            null,
            PASSWORD);
    app = SampleApp.start(s);
    String body = mailbox().get("/dev/mailbox").body();
    assertTrue(body.contains("127.0.0.1:2525"), body);
    assertTrue(body.contains("nothing is captured here"), body);
  }

  @Test
  void startWhenPortTakenThenFailsNamingPort() throws Exception {
    start();
    int port = java.net.URI.create(app.url()).getPort();
    Settings clash =
        new Settings(port, "127.0.0.1", null, data.resolve("other"), null, null, PASSWORD);
    IllegalStateException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class, () -> SampleApp.start(clash));
    assertTrue(e.getMessage().startsWith("PORT: "), e.getMessage());
  }

  @Test
  void breachRegisterWhenIncidentRecordedThenDeadlineAffectedContactsAndNotificationInMailbox()
      throws Exception {
    Client site = start();
    signUp(site, "fenna@example.org", "newsletter");
    signUp(site, "gijs@example.org", "events");
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String overview = admin.get("/admin").body();
    assertTrue(
        overview.contains("Data breaches (Art. 33-34)")
            && overview.contains("No incidents recorded."),
        overview);
    assertTrue(
        overview.contains("name=\"discovered\"") && overview.contains("value=\"newsletter\""),
        "the form");

    // Record: discovered two hours ago, newsletter subscribers only.
    Instant discovered = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.MINUTES);
    Map<String, String> form = new LinkedHashMap<>();
    form.put("csrf", Client.hiddenFields(overview).get("csrf"));
    form.put("discovered", LOCAL.format(discovered));
    form.put(
        "nature", "A backup <b>file</b> of the newsletter list was readable on the web server.");
    form.put("dataCategories", "email address\r\nsignup evidence");
    form.put("subjectCategories", "newsletter subscribers");
    form.put("scope", "purposes");
    form.put("purpose", "newsletter");
    HttpResponse<String> recorded = admin.post("/admin/incidents", form);
    assertEquals(303, recorded.statusCode(), recorded.body());
    String location = recorded.headers().firstValue("Location").orElseThrow();
    Incident incident = app.optIn().breaches().incidents().get(0);
    assertEquals(discovered, incident.discoveredAt());
    String page = admin.get(location).body();
    assertTrue(page.contains("Incident recorded."), page);
    String deadline = TIME.format(discovered.plus(Duration.ofHours(72)));
    assertTrue(
        page.contains("Notify by</dt><dd>" + deadline + " <span class=\"due\">(69 h 5"), page);
    assertTrue(page.matches("(?s).*\\(69 h 5\\d min left\\).*"), "time left shown");
    assertTrue(
        page.contains("A backup &lt;b&gt;file&lt;/b&gt; of the newsletter list"), "nature encoded");
    assertFalse(page.contains("<b>file</b>"));
    assertTrue(page.contains("email address; signup evidence"), page);
    // Affected: the newsletter subscriber (pending counts: the address is held), not the events
    // one.
    assertTrue(page.contains("Affected contacts <span class=\"muted\">(1)"), page);
    assertTrue(
        page.contains(
            ">fenna@example.org</a></td><td><span class=\"state state-pending\">newsletter: pending"),
        page);
    assertFalse(page.contains("gijs@example.org"), page);
    // The overview lists it with its deadline.
    overview = admin.get("/admin").body();
    assertTrue(
        overview.contains("/admin/incident?id=" + incident.id()) && overview.contains(deadline),
        overview);

    // Notify the affected contacts through the outbox: the mail arrives in the mailbox.
    Map<String, String> notify =
        new LinkedHashMap<>(Client.hiddenFields(page.substring(page.indexOf("notify-h"))));
    assertEquals(incident.id(), notify.get("id"));
    notify.put("subject", "Security incident at De Gouden Korst");
    notify.put(
        "text",
        "We found that a backup of our newsletter list was readable. Write to privacy@goudenkorst"
            + ".example with questions.");
    HttpResponse<String> notified = admin.post("/admin/incident/notify", notify);
    assertEquals(303, notified.statusCode(), notified.body());
    page = admin.get(notified.headers().firstValue("Location").orElseThrow()).body();
    assertTrue(page.contains("1 notification mail queued"), page);
    assertTrue(
        page.contains("Mail contacts not yet notified"),
        "the stored text, offered again for latecomers");
    String mailbox = waitForMailbox("Security incident at De Gouden Korst");
    String number =
        Client.find(
            mailbox, "<a href=\"/dev/mailbox/(\\d+)\">Security incident at De Gouden Korst<");
    String mail = mailbox().get("/dev/mailbox/" + number).body();
    assertTrue(mail.contains("fenna@example.org"), mail);
    assertTrue(mail.contains("a backup of our newsletter list was readable"), mail);
    // Again: nobody is mailed twice.
    HttpResponse<String> again =
        admin.post(
            "/admin/incident/notify", Map.of("csrf", notify.get("csrf"), "id", incident.id()));
    assertTrue(
        admin
            .get(again.headers().firstValue("Location").orElseThrow())
            .body()
            .contains("Nobody was left"));

    // Status changes: authority notified (in time), then closed.
    HttpResponse<String> told =
        admin.post(
            "/admin/incident/authority-notified",
            Map.of(
                "csrf",
                notify.get("csrf"),
                "id",
                incident.id(),
                "at",
                LOCAL.format(Instant.now())));
    assertEquals(303, told.statusCode(), told.body());
    page = admin.get(told.headers().firstValue("Location").orElseThrow()).body();
    assertTrue(page.contains("authority notified</span>") && page.contains("(in time)"), page);
    assertEquals(
        Incident.Status.AUTHORITY_NOTIFIED,
        app.optIn().breaches().incident(incident.id()).orElseThrow().status());
    assertEquals(
        303,
        admin
            .post("/admin/incident/close", Map.of("csrf", notify.get("csrf"), "id", incident.id()))
            .statusCode());
    assertEquals(
        Incident.Status.CLOSED,
        app.optIn().breaches().incident(incident.id()).orElseThrow().status());
  }

  @Test
  void breachRegisterWhenInputInvalidThenNothingRecorded() throws Exception {
    start();
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String csrf = Client.hiddenFields(admin.get("/admin").body()).get("csrf");
    HttpResponse<String> future =
        admin.post(
            "/admin/incidents",
            Map.of(
                "csrf",
                csrf,
                "discovered",
                LOCAL.format(Instant.now().plus(Duration.ofDays(1))),
                "nature",
                "x",
                "scope",
                "all"));
    assertEquals(400, future.statusCode());
    assertTrue(future.body().contains("lies in the future"), future.body());
    HttpResponse<String> noPurpose =
        admin.post(
            "/admin/incidents",
            Map.of(
                "csrf",
                csrf,
                "discovered",
                LOCAL.format(Instant.now()),
                "nature",
                "<script>x</script>",
                "scope",
                "purposes"));
    assertEquals(400, noPurpose.statusCode());
    assertTrue(app.optIn().breaches().incidents().isEmpty());
  }

  @Test
  void adminPostsWhenFormTokenMissingOrForeignOriginThenRefused() throws Exception {
    start();
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String csrf = Client.hiddenFields(admin.get("/admin").body()).get("csrf");
    Map<String, String> incident =
        new LinkedHashMap<>(
            Map.of(
                "discovered",
                LOCAL.format(Instant.now()),
                "nature",
                "Laptop stolen",
                "scope",
                "all"));
    assertEquals(403, admin.post("/admin/incidents", incident).statusCode(), "no form token");
    incident.put("csrf", "1." + csrf.substring(csrf.indexOf('.') + 1));
    assertEquals(403, admin.post("/admin/incidents", incident).statusCode(), "forged form token");
    incident.put("csrf", csrf);
    assertEquals(
        403,
        admin.post("/admin/incidents", incident, "https://evil.example").statusCode(),
        "cross-site");
    assertTrue(app.optIn().breaches().incidents().isEmpty());
    for (String path :
        List.of(
            "/admin/incident/notify",
            "/admin/incident/close",
            "/admin/incident/authority-notified",
            "/admin/receipt",
            "/admin/requests",
            "/admin/requests/extend",
            "/admin/requests/complete")) {
      assertEquals(403, admin.post(path, Map.of("id", "x")).statusCode(), path);
    }
    assertEquals(
        303, admin.post("/admin/incidents", incident).statusCode(), "with both it is recorded");
    assertEquals(1, app.optIn().breaches().incidents().size());
  }

  @Test
  void subjectPageWhenShownThenHistoryVerifiedAndReceiptMailed() throws Exception {
    Client site = start();
    signUp(site, "hanna@example.org", "newsletter");
    String confirm =
        Client.find(
            mailbox().get("/dev/mailbox/1").body(),
            "<a href=\"[^\"]*(/optin/confirm\\?token=[^\"]+)\"");
    Map<String, String> confirmFields =
        new LinkedHashMap<>(Client.hiddenFields(site.get(confirm).body()));
    confirmFields.put("purpose", "newsletter");
    assertEquals(200, site.post("/optin/confirm", confirmFields).statusCode());
    waitForMail(2); // the receipt that confirming sends
    Subject hanna = app.optIn().findSubject("hanna@example.org").orElseThrow();

    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String detail = admin.get("/admin/subject?id=" + hanna.id().value()).body();
    assertTrue(
        detail.matches(
            "(?s).*<strong>Chain intact</strong>: \\d+ events verified \\(head sha-256.*"),
        detail);
    assertTrue(detail.contains("Mail consent receipt"), detail);
    HttpResponse<String> queued =
        admin.post(
            "/admin/receipt",
            Map.of("csrf", Client.hiddenFields(detail).get("csrf"), "id", hanna.id().value()));
    assertEquals(303, queued.statusCode(), queued.body());
    assertTrue(
        admin
            .get(queued.headers().firstValue("Location").orElseThrow())
            .body()
            .contains("Receipt queued"));
    String list = waitForMail(3);
    assertTrue(
        Client.find(list, "<a href=\"/dev/mailbox/3\">([^<]+)<").contains("confirmed"), list);
  }

  @Test
  void operatorRequestWhenRecordedThenListedWithDueDateExtendedAndCompleted() throws Exception {
    Client site = start();
    signUp(site, "ilse@example.org", "events");
    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String csrf = Client.hiddenFields(admin.get("/admin").body()).get("csrf");
    Instant received = Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.MINUTES);
    HttpResponse<String> recorded =
        admin.post(
            "/admin/requests",
            Map.of(
                "csrf",
                csrf,
                "email",
                "ilse@example.org",
                "type",
                "access",
                "received",
                LOCAL.format(received)));
    assertEquals(303, recorded.statusCode(), recorded.body());
    RightsRequest r = app.optIn().rightsDesk().openRequests().get(0);
    assertEquals(RightsRequest.Type.ACCESS, r.type());
    String location = recorded.headers().firstValue("Location").orElseThrow();
    assertTrue(location.endsWith("/admin?done=request-recorded#requests-h"), location);
    String overview = admin.get(location.substring(0, location.indexOf('#'))).body();
    assertTrue(overview.contains("Request recorded"), overview);
    String due = TIME.format(received.atZone(ZoneOffset.UTC).plusMonths(1).toInstant());
    assertTrue(
        overview.contains("Access (Art. 15)")
            && overview.contains(due)
            && overview.contains(">ilse@example" + ".org</a>"),
        overview);
    assertEquals(
        400,
        admin
            .post(
                "/admin/requests",
                Map.of(
                    "csrf",
                    csrf,
                    "email",
                    "nobody@example.org",
                    "type",
                    "access",
                    "received",
                    LOCAL.format(received)))
            .statusCode());

    assertEquals(
        303, admin.post("/admin/requests/extend", Map.of("csrf", csrf, "id", r.id())).statusCode());
    overview = admin.get("/admin").body();
    assertTrue(
        overview.contains(TIME.format(received.atZone(ZoneOffset.UTC).plusMonths(3).toInstant()))
            && overview.contains(">extended<"),
        overview);
    assertEquals(
        303,
        admin
            .post(
                "/admin/requests/complete",
                Map.of("csrf", csrf, "id", r.id(), "outcome", "answered by letter"))
            .statusCode());
    assertTrue(app.optIn().rightsDesk().openRequests().isEmpty());
    assertTrue(admin.get("/admin").body().contains("No open requests."));
  }

  @Test
  void webhooksWhenSignupThenInboxVerifiesAndAdminShowsTheMessageAndForgeryRefused()
      throws Exception {
    Client site = start();
    signUp(site, "dirk@example.org", "events");
    String subjectId = app.optIn().findSubject("dirk@example.org").orElseThrow().id().value();

    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    Instant until = Instant.now().plus(Duration.ofSeconds(15));
    String overview = admin.get("/admin").body();
    while (!overview.contains("consent.requested")) {
      assertTrue(Instant.now().isBefore(until), "no webhook within 15 s:\n" + overview);
      Thread.sleep(200);
      overview = admin.get("/admin").body();
    }
    String inbox = overview.substring(overview.indexOf("id=\"webhooks-h\""));
    assertTrue(inbox.contains(subjectId), inbox);
    assertTrue(overview.contains("/dev/webhooks</code>: enabled"), overview);
    assertFalse(overview.contains("dirk@example.org</code></td></tr>"), "no address in a message");

    int forged =
        site.post(
                "/dev/webhooks",
                Map.of(
                    "webhook-id",
                    "msg_1",
                    "webhook-timestamp",
                    "1",
                    "webhook-signature",
                    "v1,AAAA"))
            .statusCode();
    assertEquals(400, forged);
  }

  /** Signs an address up for one purpose through the contact form and waits for its confirmation mail. */
  private void signUp(Client site, String email, String purpose) throws Exception {
    Map<String, String> fields =
        new LinkedHashMap<>(Client.hiddenFields(site.get("/contact").body()));
    fields.put("email", email);
    fields.put("message", "Hello");
    fields.put("optin-purpose", purpose);
    assertEquals(200, site.post("/contact", fields).statusCode());
    waitForMailbox(email);
  }

  /** Waits until the mailbox list shows this text (a subject or an address). */
  private String waitForMailbox(String text) throws Exception {
    Instant until = Instant.now().plus(Duration.ofSeconds(15));
    while (true) {
      String list = mailbox().get("/dev/mailbox").body();
      if (list.contains(text)) {
        return list;
      }
      if (Instant.now().isAfter(until)) {
        throw new AssertionError("no mail with " + text + " within 15 s:\n" + list);
      }
      Thread.sleep(200);
    }
  }

  private String waitForMail(int count) throws Exception {
    Instant until = Instant.now().plus(Duration.ofSeconds(15));
    while (true) {
      String list = mailbox().get("/dev/mailbox").body();
      if (list.contains("href=\"/dev/mailbox/" + count + "\"")) {
        return list;
      }
      if (Instant.now().isAfter(until)) {
        throw new AssertionError("no mail " + count + " within 15 s:\n" + list);
      }
      Thread.sleep(200);
    }
  }
}
