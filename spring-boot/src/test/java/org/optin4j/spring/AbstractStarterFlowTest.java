package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The hosted double opt-in over real HTTP on the embedded Tomcat of a Spring Boot app with Spring Security and
 * Actuator on, mails through Spring's JavaMailSender to GreenMail: signup, confirmation mail, confirm, RFC 8058
 * one-click unsubscribe with no cookie and no CSRF token, preference page, then the meters' counts and the health
 * indicator (issue 13's "Done when"). It runs on Boot 4.0 here and on Boot 3.5 in the {@code spring-boot3} module,
 * which compiles these tests again. Subclasses pick the database and the security configuration.
 */
abstract class AbstractStarterFlowTest {
  /**
   * One SMTP server on a free port for the whole test JVM, since Spring caches the contexts that point at it; each
   * class writes to its own addresses.
   */
  static final GreenMail MAIL = startMail();

  private static final Pattern LINK =
      Pattern.compile("http://localhost(/optin/(confirm|preferences|unsubscribe)[^\\s\"<>]*)");
  private static final PurposeId NEWSLETTER = new PurposeId("newsletter");

  @LocalServerPort int port;
  @Autowired OptIn optIn;
  @Autowired PlatformTransactionManager transactions;
  @Autowired MeterRegistry meters;
  @Autowired ApplicationContext context;
  StarterHttp http;

  private static GreenMail startMail() {
    GreenMail mail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
    mail.start();
    Runtime.getRuntime().addShutdownHook(new Thread(mail::stop));
    return mail;
  }

  @DynamicPropertySource
  static void mailServer(DynamicPropertyRegistry registry) {
    registry.add("spring.mail.port", () -> MAIL.getSmtp().getPort());
  }

  @BeforeEach
  void client() {
    http = new StarterHttp(port);
  }

  @Test
  void signupConfirmOneClickUnsubscribeThenPreferencePageOverHttpBehindSpringSecurity()
      throws Exception {
    String email = "ann-" + getClass().getSimpleName().toLowerCase(Locale.ROOT) + "@example.org";
    double signups = count("optin4j.signups");
    double confirmations = count("optin4j.confirmations");
    double unsubscribes = count("optin4j.unsubscribes");
    StarterHttp.Response page = http.get("/optin/subscribe");
    assertEquals(200, page.status(), page.body());
    StarterHttp.Response done =
        http.submit(
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
    assertEquals(200, done.status(), done.body());
    assertTrue(done.body().contains("Check your inbox"), done.body());
    assertFalse(optIn.mayMail(email, NEWSLETTER), "pending until confirmed");

    StarterHttp.Response confirmPage = http.get(link(email, "confirm"));
    assertEquals(200, confirmPage.status(), confirmPage.body());
    StarterHttp.Response confirmed =
        http.submit(
            "/optin/confirm",
            List.of(
                "token",
                confirmPage.field("token"),
                "optin-csrf",
                confirmPage.field("optin-csrf"),
                "optin-lang",
                confirmPage.field("optin-lang"),
                "purpose",
                "newsletter"));
    assertEquals(200, confirmed.status(), confirmed.body());
    assertTrue(optIn.mayMail(email, NEWSLETTER));

    MimeMessage receipt = newest(email);
    assertEquals("List-Unsubscribe=One-Click", receipt.getHeader("List-Unsubscribe-Post", null));
    String header = receipt.getHeader("List-Unsubscribe", null);
    assertNotNull(header);
    Matcher unsubscribe = LINK.matcher(header);
    assertTrue(unsubscribe.find(), header);
    StarterHttp.Response gone = http.oneClick(unsubscribe.group(1));
    assertEquals(200, gone.status(), gone.body());
    assertNull(gone.header("Set-Cookie"));
    assertFalse(optIn.mayMail(email, NEWSLETTER), "withdrawn by the one-click POST");

    StarterHttp.Response center = http.get(link(email, "preferences"));
    assertEquals(200, center.status(), center.body());

    // Spring Security still guards the app's own pages.
    int guarded = http.get("/account").status();
    assertTrue(guarded == 401 || guarded == 302, "status " + guarded);

    // The meters count the walk (Micrometer, with Actuator on the class path) and the health
    // indicator answers UP
    // with the store's details; StarterMetricsHealthH2Test reads both over Actuator's HTTP
    // endpoints.
    assertEquals(signups + 1, count("optin4j.signups"), "one signup");
    assertEquals(confirmations + 1, count("optin4j.confirmations"), "one purpose confirmed");
    assertEquals(unsubscribes + 1, count("optin4j.unsubscribes"), "one one-click unsubscribe");
    var health =
        context
            .getBean(OptInHealthAutoConfiguration.HEALTH_INDICATOR, OptInHealthIndicator.class)
            .health();
    assertEquals("UP", health.getStatus().getCode(), health.getDetails().toString());
    assertEquals("jdbc", health.getDetails().get("store"));
    assertFalse(health.getDetails().toString().contains(email), "no address in the details");
  }

  /** A counter's total over all its tags, 0 before it first moved. */
  private double count(String meter) {
    return meters.find(meter).counters().stream().mapToDouble(Counter::count).sum();
  }

  /**
   * Pins what the README says about {@code @Transactional} callers: the starter's {@code JdbcConsentStore} joins the
   * caller's Spring transaction, so a signup in one that rolls back keeps nothing ({@code TransactionalCaller*Test}
   * has the rest).
   */
  @Test
  void requestInsideSpringTransactionThatRollsBackThenKeepsNothing() {
    String email = "tx-" + getClass().getSimpleName().toLowerCase(Locale.ROOT) + "@example.org";
    RequestResult result =
        new TransactionTemplate(transactions)
            .execute(
                status -> {
                  status.setRollbackOnly();
                  return optIn.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER));
                });
    assertInstanceOf(RequestResult.Accepted.class, result);
    assertTrue(optIn.findSubject(email).isEmpty(), "rolled back with the caller's transaction");
  }

  /** The path of the first link of a kind in the newest mail to an address that has one. */
  private String link(String to, String kind) throws Exception {
    List<MimeMessage> mails = mailsTo(to);
    for (int i = mails.size() - 1; i >= 0; i--) {
      Matcher m = LINK.matcher(text(mails.get(i)));
      while (m.find()) {
        if (m.group(2).equals(kind)) {
          return m.group(1);
        }
      }
    }
    throw new AssertionError("no " + kind + " link in " + mails.size() + " mails");
  }

  private MimeMessage newest(String to) throws Exception {
    List<MimeMessage> mails = mailsTo(to);
    return mails.get(mails.size() - 1);
  }

  private List<MimeMessage> mailsTo(String to) throws Exception {
    optIn.operations().dispatchNow();
    List<MimeMessage> out = new ArrayList<>();
    for (MimeMessage m : MAIL.getReceivedMessages()) {
      if (m.getAllRecipients()[0].toString().equals(to)) {
        out.add(m);
      }
    }
    return out;
  }

  private static String text(Part p) throws Exception {
    Object c = p.getContent();
    if (c instanceof String s) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    if (c instanceof Multipart mp) {
      for (int i = 0; i < mp.getCount(); i++) {
        b.append(text(mp.getBodyPart(i))).append('\n');
      }
    }
    return b.toString();
  }
}
