package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Issue 20 inside a Spring Boot app: a browser-style signup form (UTF-8 body, no charset parameter) for an address at
 * an internationalised domain must be mailed to that domain's A-label, wherever the filter sits in the chain. Before
 * the filter set the request encoding itself, Tomcat decoded such a body as ISO-8859-1 whenever no encoding filter ran
 * first, and {@code idn@bücher.example} was mailed to {@code idn@xn--b14cher-xwa2143e.example}. Subclasses place the
 * filter after Boot's encoding filter (the starter's default) and before everything with no encoding filter at all.
 */
abstract class AbstractStarterNonAsciiTest {
  private static final Pattern CONFIRM =
      Pattern.compile("http://localhost(/optin/confirm[^\\s\"<>]*)");
  private static final PurposeId NEWSLETTER = new PurposeId("newsletter");

  @LocalServerPort int port;
  @Autowired OptIn optIn;
  StarterHttp http;

  @DynamicPropertySource
  static void mailServer(DynamicPropertyRegistry registry) {
    registry.add("spring.mail.port", () -> AbstractStarterFlowTest.MAIL.getSmtp().getPort());
  }

  @BeforeEach
  void client() {
    http = new StarterHttp(port);
  }

  /** A local part of this class's own, so that classes sharing the one GreenMail never read each other's mail. */
  private String local() {
    return "idn-" + getClass().getSimpleName().toLowerCase(Locale.ROOT);
  }

  private StarterHttp.Response subscribe(String email) throws Exception {
    StarterHttp.Response page = http.get("/optin/subscribe");
    assertEquals(200, page.status(), page.body());
    return http.submit(
        "/optin/subscribe",
        List.of(
            "email",
            email,
            "purpose",
            "newsletter",
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-notice",
            page.field("optin-notice"),
            "optin-lang",
            page.field("optin-lang"),
            "optin-website",
            ""));
  }

  @Test
  void signupWhenIdnAddressFromBrowserFormThenConfirmationMailGoesToTheALabel() throws Exception {
    String typed = local() + "@bücher.example";
    String aLabel = local() + "@xn--bcher-kva.example";

    StarterHttp.Response done = subscribe(typed);

    assertEquals(200, done.status(), done.body());
    assertEquals(aLabel, optIn.findSubject(typed).orElseThrow().email().value());
    List<MimeMessage> mails = mailsTo(aLabel);
    assertEquals(1, mails.size(), "one confirmation mail, to the A-label");
    assertNotNull(
        AbstractStarterFlowTest.MAIL.getUserManager().getUserByEmail(aLabel),
        "the envelope's recipient");
    Matcher confirm = CONFIRM.matcher(text(mails.get(0)));
    assertTrue(confirm.find(), "a confirm link");
    StarterHttp.Response page = http.get(confirm.group(1));
    StarterHttp.Response confirmed =
        http.submit(
            "/optin/confirm",
            List.of(
                "token",
                page.field("token"),
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-lang",
                page.field("optin-lang"),
                "purpose",
                "newsletter"));
    assertEquals(200, confirmed.status(), confirmed.body());
    assertTrue(optIn.mayMail(aLabel, NEWSLETTER), "one person under both spellings");
    assertTrue(optIn.mayMail(typed, NEWSLETTER), "one person under both spellings");
  }

  @Test
  void signupWhenLocalPartNotAsciiThenRefusedSayingWhyBecauseJavaMailSenderHasNoSmtpUtf8()
      throws Exception {
    String typed = "zoë-" + getClass().getSimpleName().toLowerCase(Locale.ROOT) + "@example.org";

    StarterHttp.Response r = subscribe(typed);

    assertEquals(400, r.status(), r.body());
    assertTrue(
        r.body()
            .contains("We cannot send mail to addresses with letters such as é or ü before the @"),
        r.body());
    assertTrue(
        r.body().contains("value=\"" + typed + "\""), "echoed intact, as typed (not mis-decoded)");
    assertFalse(optIn.findSubject(typed).isPresent());
  }

  private static String text(jakarta.mail.Part p) throws Exception {
    Object content = p.getContent();
    if (content instanceof jakarta.mail.Multipart mp) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < mp.getCount(); i++) {
        b.append(text(mp.getBodyPart(i))).append('\n');
      }
      return b.toString();
    }
    return String.valueOf(content);
  }

  private List<MimeMessage> mailsTo(String to) throws Exception {
    optIn.operations().dispatchNow();
    List<MimeMessage> out = new ArrayList<>();
    for (MimeMessage m : AbstractStarterFlowTest.MAIL.getReceivedMessages()) {
      if (m.getAllRecipients()[0].toString().equals(to)) {
        out.add(m);
      }
    }
    return out;
  }
}
