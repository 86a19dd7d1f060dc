package org.optin4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.optin4j.EmailAddress;
import org.optin4j.spi.MailMessage;

class MailLinkTest {
  private static final String BASE = "https://shop.example/optin";

  static MailMessage mail(String to, String text, Map<String, String> headers) {
    return new MailMessage(
        EmailAddress.parse(to), "Please confirm", text, null, headers, List.of());
  }

  @Test
  void inThenTextLinksInOrderThenHeaderLinksEachOnce() {
    MailMessage m =
        mail(
            "ann@example.org",
            "Confirm: "
                + BASE
                + "/confirm?token=a.b.c\n"
                + "Or manage: "
                + BASE
                + "/preferences?token=p.q.r\nAgain: "
                + BASE
                + "/confirm?token=a.b.c\n",
            Map.of("List-Unsubscribe", "<" + BASE + "/unsubscribe?token=u.v.w>"));

    assertEquals(
        List.of(
            BASE + "/confirm?token=a.b.c",
            BASE + "/preferences?token=p.q.r",
            BASE + "/unsubscribe?token=u.v.w"),
        MailLink.in(m).stream().map(l -> l.uri().toString()).toList());
  }

  @Test
  void inWhenLinkEndsASentenceThenPunctuationIsNotPartOfIt() {
    MailMessage m =
        mail(
            "ann@example.org",
            "See " + BASE + "/confirm?token=abc. (Or " + BASE + "/help)",
            Map.of());

    assertEquals(
        List.of(URI.create(BASE + "/confirm?token=abc"), URI.create(BASE + "/help")),
        MailLink.in(m).stream().map(MailLink::uri).toList());
  }

  @Test
  void inWhenNoLinkThenEmpty() {
    assertTrue(MailLink.in(mail("ann@example.org", "Thank you.", Map.of())).isEmpty());
  }

  @Test
  void toThenFirstLinkWhosePathEndsWithThePage() {
    MailMessage m =
        mail(
            "ann@example.org",
            BASE + "/preferences/step-up?token=s " + BASE + "/preferences?token=p",
            Map.of());

    assertEquals("p", MailLink.to(m, "preferences").orElseThrow().token());
    assertEquals("s", MailLink.to(m, "preferences/step-up").orElseThrow().token());
    assertFalse(MailLink.to(m, "confirm").isPresent());
  }

  @Test
  void tokenThenDecodedFromTheQueryWhereverItStands() {
    MailLink link = new MailLink(URI.create(BASE + "/confirm?lang=en&token=ab%2Bc%3D%3D"));

    assertEquals("ab+c==", link.token());
    assertTrue(link.leadsTo("confirm"));
    assertFalse(link.leadsTo("firm"));
  }

  @Test
  void tokenWhenNoneThenAssertionErrorNamingThePathOnly() {
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> new MailLink(URI.create(BASE + "/confirm?secret=s3cret")).token());

    assertEquals("no token in the link to /optin/confirm", e.getMessage());
  }

  @Test
  void toStringThenNoTokenInIt() {
    assertEquals(
        "MailLink[https://shop.example/optin/confirm]",
        new MailLink(URI.create(BASE + "/confirm?token=s3cret")).toString());
  }

  @Test
  void newWhenRelativeThenRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> new MailLink(URI.create("/optin/confirm?token=x")));
  }
}
