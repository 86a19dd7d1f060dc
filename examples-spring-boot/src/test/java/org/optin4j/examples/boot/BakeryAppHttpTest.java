package org.optin4j.examples.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample as it starts from {@code spring-boot:run}, over real HTTP on a free port: its embedded defaults (H2 file
 * and keys in the data folder, the built-in SMTP capture), Spring Security in front of the admin pages but not of
 * optin4j's, and the whole double opt-in read from the {@code /dev/mailbox} page as a person trying the sample does.
 */
class BakeryAppHttpTest {
  private static final Pattern MAILBOX_ROW =
      Pattern.compile("<a href=\"/dev/mailbox/(\\d+)\">[^<]*</a></td><td>([^<]*)</td>");
  private static final Pattern HREF = Pattern.compile("href=\"(https?://[^\"]+)\"");
  private static final Pattern LIST_UNSUBSCRIBE =
      Pattern.compile("<th scope=\"row\">List-Unsubscribe</th><td>(.*?)</td>");

  @TempDir static Path temp;
  static RunningBakery app;

  @BeforeAll
  static void start() throws Exception {
    app = RunningBakery.start(temp.resolve("data"));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
  }

  @Test
  void homePageStylesheetAndHealthArePublicWhileAdminAndMailboxAskForTheLogin() {
    BakeryHttp visitor = app.visitor();
    BakeryHttp.Response home = visitor.get("/");
    assertEquals(200, home.status());
    assertTrue(home.body().contains("De Gouden Korst"), home.body());
    assertTrue(
        home.header("Content-Security-Policy").startsWith("default-src 'none'"),
        home.header("Content-Security-Policy"));
    assertEquals(200, visitor.get("/site.css").status());
    BakeryHttp.Response health = visitor.get("/actuator/health");
    assertEquals(200, health.status(), health.body());
    assertTrue(health.body().contains("\"status\":\"UP\""), health.body());
    for (String guarded : List.of("/admin", "/dev/mailbox", "/dev/mailbox/1")) {
      BakeryHttp.Response r = visitor.get(guarded);
      assertEquals(302, r.status(), guarded);
      assertTrue(r.header("Location").endsWith("/login"), guarded + " " + r.header("Location"));
    }
    BakeryHttp.Response wrong = BakeryHttp.browser(app.site()).logIn("admin", "not-the-password");
    assertTrue(wrong.header("Location").contains("/login?error"), wrong.header("Location"));
  }

  @Test
  void dataFolderHoldsTheDatabaseAndOwnerOnlyKeys() throws Exception {
    Path data = temp.resolve("data");
    assertTrue(Files.exists(data.resolve("bakery.mv.db")), "H2 file in the data folder");
    for (String key : DataDirectory.SECRETS) {
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(key))),
          key);
    }
  }

  @Test
  void signupConfirmOneClickUnsubscribeAndPreferencePageWithTheMailsReadOnTheMailboxPage()
      throws Exception {
    String email = "ann@example.org";
    BakeryHttp admin = app.admin();
    BakeryFlow.signUpConfirmUnsubscribe(app, new MailboxPage(admin), email);

    BakeryHttp.Response mailbox = admin.get("/dev/mailbox");
    assertEquals(200, mailbox.status());
    assertTrue(mailbox.body().contains("built-in SMTP capture"), mailbox.body());
    BakeryHttp.Response lookup = admin.get("/admin?email=" + email);
    assertEquals(200, lookup.status());
    assertTrue(lookup.body().contains("newsletter"), lookup.body());
    assertTrue(lookup.body().contains("WITHDRAWN"), lookup.body());
    BakeryHttp.Response unknown = admin.get("/admin?email=nobody@example.org");
    assertTrue(unknown.body().contains("No consent on record"), unknown.body());
    assertEquals(404, admin.get("/dev/mailbox/999").status());
  }

  /**
   * Keys and consents live in the data folder: a second start on it still knows the address, and a link mailed by
   * the first start still opens (the same signing key, and the same port: the base URL is the links' issuer).
   */
  @Test
  void aRestartOnTheSameDataFolderKeepsTheConsentsAndTheMailedLinks() throws Exception {
    Path data = temp.resolve("restart");
    String email = "bo@example.org";
    int port = BakeryHttp.freePort();
    String preferences;
    try (RunningBakery first = RunningBakery.start(data, port)) {
      preferences =
          BakeryFlow.signUpConfirmUnsubscribe(first, new MailboxPage(first.admin()), email);
    }
    try (RunningBakery second = RunningBakery.start(data, port)) {
      assertTrue(second.optIn().findSubject(email).isPresent());
      assertFalse(second.optIn().mayMail(email, BakeryFlow.NEWSLETTER));
      BakeryHttp.Response center = second.visitor().get(preferences);
      assertEquals(200, center.status(), center.body());
    }
  }

  /** Reads the mails as a person does: the mailbox page, then each mail's page, signed in as the admin. */
  private record MailboxPage(BakeryHttp admin) implements BakeryFlow.Mails {
    @Override
    public String link(String to, String kind) {
      for (String mail : mailsTo(to)) {
        Matcher m = HREF.matcher(mail);
        while (m.find()) {
          String url = m.group(1).replace("&amp;", "&");
          if (url.contains("/optin/" + kind + "?")) {
            return url;
          }
        }
      }
      throw new AssertionError("no " + kind + " link in the mails to " + to);
    }

    @Override
    public String oneClickUnsubscribe(String to) {
      for (String mail : mailsTo(to)) {
        Matcher header = LIST_UNSUBSCRIBE.matcher(mail);
        if (header.find()) {
          Matcher url = HREF.matcher(header.group(1));
          assertTrue(url.find(), header.group(1));
          return url.group(1).replace("&amp;", "&");
        }
      }
      throw new AssertionError("no List-Unsubscribe header in the mails to " + to);
    }

    /** The pages of the mails to an address, newest first, as the mailbox lists them. */
    private List<String> mailsTo(String to) {
      BakeryHttp.Response list = admin.get("/dev/mailbox");
      assertEquals(200, list.status(), list.body());
      List<String> pages = new ArrayList<>();
      Matcher row = MAILBOX_ROW.matcher(list.body());
      while (row.find()) {
        if (row.group(2).contains(to)) {
          BakeryHttp.Response mail = admin.get("/dev/mailbox/" + row.group(1));
          assertEquals(200, mail.status(), mail.body());
          pages.add(mail.body());
        }
      }
      return pages;
    }
  }
}
