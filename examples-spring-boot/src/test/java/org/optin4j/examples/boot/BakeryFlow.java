package org.optin4j.examples.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.optin4j.PurposeId;

/**
 * The walk both of the sample's end-to-end tests take, as a person and a mailbox provider would, over real HTTP with
 * no cookie: signup on the hosted page, the confirm link from the mail, confirm, RFC 8058 one-click unsubscribe from
 * the receipt's {@code List-Unsubscribe} header (a POST with {@code List-Unsubscribe=One-Click} and nothing else,
 * answered 200), then the preference page from the mail. Where the mails are read is the caller's {@link Mails}.
 */
final class BakeryFlow {
  static final PurposeId NEWSLETTER = new PurposeId("newsletter");

  /** Where a test reads the mails the app sent. */
  interface Mails {
    /** The URL of the newest link of a kind ({@code confirm}, {@code preferences}) in the mails to an address. */
    String link(String to, String kind) throws Exception;

    /** The https/http URL of the {@code List-Unsubscribe} header of the newest mail to an address that has one. */
    String oneClickUnsubscribe(String to) throws Exception;
  }

  private BakeryFlow() {}

  /**
   * Sends what is due and reads the mails; again for up to ten seconds while what is looked for is not there, since
   * the app's own dispatcher may hold a mail that {@code dispatchNow()} then skips, until it is sent.
   */
  static String delivered(RunningBakery app, Callable<String> read) throws Exception {
    Instant until = Instant.now().plusSeconds(10);
    while (true) {
      app.optIn().operations().dispatchNow();
      try {
        return read.call();
      } catch (AssertionError notYet) {
        if (Instant.now().isAfter(until)) {
          throw notYet;
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * Walks the flow for one address and returns the preference page's URL.
   *
   * @param app the running app
   * @param mails where its mails are read
   * @param email a fresh address
   */
  static String signUpConfirmUnsubscribe(RunningBakery app, Mails mails, String email)
      throws Exception {
    BakeryHttp visitor = app.visitor();
    BakeryHttp.Response page = visitor.get("/optin/subscribe");
    assertEquals(200, page.status(), page.body());
    BakeryHttp.Response done =
        visitor.submit(
            "/optin/subscribe",
            Map.of(
                "email", email,
                "purpose", NEWSLETTER.value(),
                "optin-csrf", page.field("optin-csrf"),
                "optin-notice", page.field("optin-notice"),
                "optin-lang", page.field("optin-lang"),
                "optin-website", ""));
    assertEquals(200, done.status(), done.body());
    assertTrue(done.body().contains("Check your inbox"), done.body());
    assertFalse(app.optIn().mayMail(email, NEWSLETTER), "pending until confirmed");

    BakeryHttp.Response confirmPage =
        visitor.get(delivered(app, () -> mails.link(email, "confirm")));
    assertEquals(200, confirmPage.status(), confirmPage.body());
    BakeryHttp.Response confirmed =
        visitor.submit(
            "/optin/confirm",
            Map.of(
                "token", confirmPage.field("token"),
                "optin-csrf", confirmPage.field("optin-csrf"),
                "optin-lang", confirmPage.field("optin-lang"),
                "purpose", NEWSLETTER.value()));
    assertEquals(200, confirmed.status(), confirmed.body());
    assertTrue(app.optIn().mayMail(email, NEWSLETTER), "confirmed");

    BakeryHttp.Response gone =
        visitor.oneClick(delivered(app, () -> mails.oneClickUnsubscribe(email)));
    assertEquals(200, gone.status(), gone.body());
    assertNull(gone.header("Set-Cookie"));
    assertFalse(app.optIn().mayMail(email, NEWSLETTER), "withdrawn by the one-click POST");

    String preferences = delivered(app, () -> mails.link(email, "preferences"));
    BakeryHttp.Response center = visitor.get(preferences);
    assertEquals(200, center.status(), center.body());
    return preferences;
  }
}
