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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.ConsentState;
import org.optin4j.Subject;

/** The sample's own pages over plain HTTP: the contact form (drop-in), the mailbox, the admin page, the data folder. */
class SampleAppHttpTest {
  private static final String PASSWORD = "bakers-dozen-13";

  @TempDir
  Path data;

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

  @Test
  void pagesWhenServedThenEncodedAndLockedDown() throws Exception {
    Client client = start();
    for (String path : List.of("/", "/contact", "/privacy", "/dev/mailbox")) {
      HttpResponse<String> r = client.get(path);
      assertEquals(200, r.statusCode(), path);
      assertTrue(r.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'none'"), path);
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
    assertTrue(form.contains("name=\"optin-purpose\" value=\"newsletter\""), "notice block with unticked boxes");
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

    String list = waitForMail(client, 1);
    assertTrue(list.contains("ann@example.org"), list);
    HttpResponse<String> mail = client.get("/dev/mailbox/1");
    assertEquals(200, mail.statusCode());
    String page = mail.body();
    assertTrue(page.contains("<iframe class=\"mail-html\""), "HTML part in a frame");
    assertTrue(page.contains("sandbox=\"allow-popups allow-top-navigation-by-user-activation\""), "sandboxed");
    assertTrue(page.contains("srcdoc=\"&lt;base target=&#34;_top&#34;>&lt;!DOCTYPE html>"), "escaped srcdoc");
    assertFalse(page.contains("<div role=\"article\""), "mail HTML never injected as markup");
    String confirm = Client.find(page, "<a href=\"(" + app.url() + "/optin/confirm\\?token=[^\"]+)\"");
    assertTrue(page.contains("Message-ID"), "headers shown");
    assertFalse(page.contains("Do you bake"), "free text from the form is not relayed in the mail");

    // The link opens the hosted confirm page; only its POST confirms.
    HttpResponse<String> confirmPage = client.get(confirm.substring(app.url().length()));
    assertEquals(200, confirmPage.statusCode());
    Map<String, String> confirmFields = new LinkedHashMap<>(Client.hiddenFields(confirmPage.body()));
    confirmFields.put("purpose", "newsletter");
    HttpResponse<String> confirmed = client.post("/optin/confirm", confirmFields);
    assertEquals(200, confirmed.statusCode(), confirmed.body());
    Subject ann = app.optIn().findSubject("ann@example.org").orElseThrow();
    assertEquals(ConsentState.CONFIRMED, app.optIn().consents(ann.id()).get(0).state());
  }

  @Test
  void contactFormWhenNothingTickedThenMessageStillAcceptedAndNoMail() throws Exception {
    Client client = start();
    Map<String, String> fields = new LinkedHashMap<>(Client.hiddenFields(client.get("/contact").body()));
    fields.put("email", "bob@example.org");
    fields.put("message", "Just a question.");
    HttpResponse<String> sent = client.post("/contact", fields);
    assertEquals(200, sent.statusCode());
    assertTrue(sent.body().contains("We got your message"), "consent is never a condition of the service");
    assertFalse(sent.body().contains("check your inbox"));
    assertTrue(app.optIn().findSubject("bob@example.org").isEmpty());
  }

  @Test
  void contactFormWhenCrossSiteThenRefused() throws Exception {
    Client client = start();
    Map<String, String> fields = new LinkedHashMap<>(Client.hiddenFields(client.get("/contact").body()));
    fields.put("email", "eve@example.org");
    fields.put("message", "hi");
    fields.put("optin-purpose", "newsletter");
    assertEquals(403, client.post("/contact", fields, "https://evil.example").statusCode());
    assertTrue(app.optIn().findSubject("eve@example.org").isEmpty());
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
  void adminWhenSignedInThenListsProofAndErasesWithFormToken() throws Exception {
    Client site = start();
    Map<String, String> fields = new LinkedHashMap<>(Client.hiddenFields(site.get("/contact").body()));
    fields.put("email", "cees@example.org");
    fields.put("message", "Hallo");
    fields.put("optin-purpose", "events");
    assertEquals(200, site.post("/contact", fields).statusCode());
    Subject cees = app.optIn().findSubject("cees@example.org").orElseThrow();

    Client admin = new Client(app.url()).basic("admin", PASSWORD);
    String overview = admin.get("/admin").body();
    assertTrue(overview.contains("cees@example.org"), overview);
    assertTrue(overview.contains("Breach register"), "the reserved, clearly marked place");
    String detail = admin.get("/admin/subject?id=" + cees.id().value()).body();
    assertTrue(detail.contains("Notice shown"), detail);
    assertTrue(detail.contains("requested"), "history lists the request event");
    assertTrue(detail.contains("/contact"), "the source form is recorded");

    // Purge: refused without the form token or from another origin; runs with both.
    assertEquals(403, admin.post("/admin/purge", Map.of()).statusCode());
    String token = Client.hiddenFields(overview).get("csrf");
    assertEquals(403, admin.post("/admin/purge", Map.of("csrf", token), "https://evil.example").statusCode());
    HttpResponse<String> purged = admin.post("/admin/purge", Map.of("csrf", token));
    assertEquals(200, purged.statusCode());
    assertTrue(purged.body().contains("Retention purge done"));

    String eraseToken = Client.hiddenFields(detail).get("csrf");
    assertEquals(400, admin.post("/admin/erase", Map.of("csrf", eraseToken, "id", cees.id().value())).statusCode());
    HttpResponse<String> erased = admin.post("/admin/erase",
        Map.of("csrf", eraseToken, "id", cees.id().value(), "confirm", "yes"));
    assertEquals(200, erased.statusCode(), erased.body());
    assertTrue(app.optIn().findSubject("cees@example.org").isEmpty());
    assertTrue(app.optIn().isSuppressed("cees@example.org"));
    assertFalse(admin.get("/admin").body().contains("cees@example.org"));
  }

  @Test
  void dataFolderWhenFirstRunThenSecretsOwnerOnlyAndKeptAcrossRestarts() throws Exception {
    // One port for both runs: links are signed for the base URL, which includes the port.
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Settings settings = new Settings(port, "127.0.0.1", null, data, null, null, PASSWORD);
    app = SampleApp.start(settings);
    Client client = new Client(app.url());
    assertTrue(app.report().stream().anyMatch(l -> l.startsWith("generated link signing key")), app.report().toString());
    for (String f : List.of("signing.key", "form.key", "suppression.pepper")) {
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(data.resolve(f)), f);
    }
    assertTrue(Files.exists(data.resolve("optin4j.mv.db")));
    String key = Files.readString(data.resolve("signing.key"));
    Map<String, String> fields = new LinkedHashMap<>(Client.hiddenFields(client.get("/contact").body()));
    fields.put("email", "dirk@example.org");
    fields.put("message", "x");
    fields.put("optin-purpose", "newsletter");
    client.post("/contact", fields);
    waitForMail(client, 1);
    String confirm = Client.find(client.get("/dev/mailbox/1").body(), "<a href=\"[^\"]*(/optin/confirm\\?token=[^\"]+)\"");
    app.close();

    app = SampleApp.start(settings);
    assertTrue(app.report().stream().noneMatch(l -> l.startsWith("generated")), app.report().toString());
    assertEquals(key, Files.readString(data.resolve("signing.key")));
    assertTrue(app.optIn().findSubject("dirk@example.org").isPresent(), "the H2 file is kept");
    // A link mailed before the restart still opens: same signing key.
    HttpResponse<String> page = new Client(app.url()).get(confirm);
    assertEquals(200, page.statusCode(), page.body());
  }

  @Test
  void mailboxWhenRealSmtpConfiguredThenSaysSo() throws Exception {
    Settings s = new Settings(0, "127.0.0.1", null, data,
        new Settings.Smtp("127.0.0.1", 2525, "none", null, null), null, PASSWORD);
    app = SampleApp.start(s);
    String body = new Client(app.url()).get("/dev/mailbox").body();
    assertTrue(body.contains("127.0.0.1:2525"), body);
    assertTrue(body.contains("nothing is captured here"), body);
  }

  @Test
  void startWhenPortTakenThenFailsNamingPort() throws Exception {
    start();
    int port = java.net.URI.create(app.url()).getPort();
    Settings clash = new Settings(port, "127.0.0.1", null, data.resolve("other"), null, null, PASSWORD);
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> SampleApp.start(clash));
    assertTrue(e.getMessage().startsWith("PORT: "), e.getMessage());
  }

  private String waitForMail(Client client, int count) throws Exception {
    Instant until = Instant.now().plus(Duration.ofSeconds(15));
    while (true) {
      String list = client.get("/dev/mailbox").body();
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
