package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.servlet.Http.form;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContainerInitializer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Controller;
import org.optin4j.EvidencePolicy;
import org.optin4j.InformationPage;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Subject;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.TestClock;

/**
 * The filter over real HTTP against a real SMTP server (GreenMail): the same suite runs on every container.
 * Each test gets a fresh web app, {@link OptIn} and in-memory store.
 */
abstract class AbstractHostedFlowIT {
  @RegisterExtension
  static final GreenMailExtension MAIL =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort()).withPerMethodLifecycle(false);

  static final String APP = "/app";
  static final String BASE = APP + "/optin";
  private static final Pattern LINK =
      Pattern.compile(
          "https?://[^\\s\"<>]+/optin/(confirm|preferences|unsubscribe"
              + "|preferences/step-up|preferences/not-me)\\?token=[A-Za-z0-9._%-]+");

  TestClock clock;
  OptIn optIn;
  Container container;
  Http http;
  OptInFilter filter;

  abstract Container newContainer() throws Exception;

  @BeforeEach
  void start() throws Exception {
    deploy(b -> {});
  }

  @AfterEach
  void stop() throws Exception {
    if (container != null) {
      container.close();
    }
    if (optIn != null) {
      optIn.close();
    }
    MAIL.purgeEmailFromAllMailboxes();
  }

  /** (Re)deploys the app with the filter built by {@code customize}. */
  void deploy(Consumer<OptInFilter.Builder> customize) throws Exception {
    deploy(o -> {}, customize);
  }

  /** (Re)deploys the app with the service and the filter built by {@code service} and {@code customize}. */
  void deploy(Consumer<OptIn.Builder> service, Consumer<OptInFilter.Builder> customize)
      throws Exception {
    stop();
    clock = TestClock.at(Instant.now()).ticking(Duration.ofMillis(1));
    container = newContainer();
    http = new Http(container.port());
    OptIn.Builder o = service(http, clock, MAIL.getSmtp().getPort());
    service.accept(o);
    optIn = o.build();
    OptInFilter.Builder b =
        OptInFilter.builder(optIn)
            .formPaths("/signup", "/signup-result")
            .markerPaths("/static.html", "/data.json", "/real.html", "/dynamic.html")
            .returnUrls("https://shop.example/thanks");
    customize.accept(b);
    filter = b.build();
    assertTrue(container.deploy(APP, app(filter)), "web app did not start");
  }

  /** The service every web-app test runs on: the test catalog, an in-memory store, mail to the SMTP server. */
  static OptIn.Builder service(Http http, TestClock clock, int smtpPort) {
    return OptIn.builder()
        .catalog(TestApp.catalog())
        .controller(
            new Controller(
                    "Bakery <Gouden> & Korst",
                    "Main St 1, Utrecht",
                    "privacy@shop.example",
                    "https://shop.example/privacy")
                .withSupervisoryAuthority(
                    "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
        .store(InMemoryConsentStore.create())
        .mailer(
            SmtpMailer.builder()
                .host("127.0.0.1")
                .port(smtpPort)
                .security(SmtpMailer.Security.NONE)
                .from("noreply@shop.example", "Shop")
                .properties(Map.of("mail.smtp.ehlo", "false"))
                .build())
        .signingKeys(SigningKeys.generate("k1"))
        .receiptKeys(org.optin4j.keys.ReceiptKeys.generate("r1"))
        .suppressionPepper(randomKey())
        .baseUrl(http.origin + BASE)
        .clock(clock)
        .evidencePolicy(EvidencePolicy.FULL)
        .confirmationMailCap(20, Duration.ZERO);
  }

  static byte[] randomKey() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return k;
  }

  /** What the app's own filter in front of optin4j saw of each hosted signup POST. */
  static final java.util.Queue<String> SIGNUP_PROBE =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  static ServletContainerInitializer app(OptInFilter filter) {
    return (classes, ctx) -> {
      FilterRegistration.Dynamic probe =
          ctx.addFilter(
              "probe",
              (jakarta.servlet.Filter)
                  (req, res, chain) -> {
                    long before = System.nanoTime();
                    chain.doFilter(req, res);
                    if (((jakarta.servlet.http.HttpServletRequest) req)
                            .getRequestURI()
                            .endsWith("/optin/subscribe")
                        && "POST"
                            .equals(((jakarta.servlet.http.HttpServletRequest) req).getMethod())) {
                      SIGNUP_PROBE.add(
                          "async="
                              + req.isAsyncStarted()
                              + " returnedBeforeFloor="
                              + (System.nanoTime() - before < AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS)
                              + " answeredOnReturn="
                              + res.isCommitted());
                    }
                  });
      probe.setAsyncSupported(true);
      probe.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
      FilterRegistration.Dynamic f = ctx.addFilter("optin", filter);
      f.setAsyncSupported(
          true); // the signup answer's floor then frees the request thread where the container can
      // Every dispatcher type on purpose: the filter itself must run once per request.
      f.addMappingForUrlPatterns(EnumSet.allOf(DispatcherType.class), false, "/*");
      appServlets(ctx);
    };
  }

  static void appServlets(jakarta.servlet.ServletContext ctx) {
    ctx.addServlet("hello", new TestApp.Hello()).addMapping("/hello");
    ctx.addServlet("signupPage", new TestApp.SignupPage()).addMapping("/signup-page");
    ctx.addServlet("signup", new TestApp.Signup()).addMapping("/signup");
    ctx.addServlet("signupResult", new TestApp.SignupResult()).addMapping("/signup-result");
    ctx.addServlet("static", new TestApp.Static()).addMapping("/static.html", "/data.json");
    ctx.addServlet("dynamic", new TestApp.Dynamic()).addMapping("/dynamic.html");
  }

  // --- helpers
  // -----------------------------------------------------------------------------------------------

  Http.Response subscribe(String email, String... purposes) throws Exception {
    Http.Response page = http.get(BASE + "/subscribe");
    assertEquals(200, page.status());
    List<String> f =
        form(
            "email",
            email,
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-notice",
            page.field("optin-notice"),
            "optin-lang",
            page.field("optin-lang"),
            "optin-website",
            "");
    for (String p : purposes) {
      f.add("purpose");
      f.add(p);
    }
    return http.submit(BASE + "/subscribe", f);
  }

  List<MimeMessage> dispatch() throws Exception {
    optIn.operations().dispatchNow();
    return List.of(MAIL.getReceivedMessages());
  }

  /** The site path of the first link of a kind in the newest mail to an address. */
  String link(String to, String kind) throws Exception {
    return link(dispatch(), http.origin, to, kind);
  }

  /** The site path of the first link of a kind in the newest of these mails to an address. */
  static String link(List<MimeMessage> mails, String origin, String to, String kind)
      throws Exception {
    for (int i = mails.size() - 1; i >= 0; i--) {
      MimeMessage m = mails.get(i);
      if (!m.getAllRecipients()[0].toString().equals(to)) {
        continue;
      }
      Matcher x = LINK.matcher(text(m));
      while (x.find()) {
        if (x.group(1).equals(kind)) {
          return x.group().substring(origin.length());
        }
      }
    }
    throw new AssertionError("no " + kind + " link in mail to " + to);
  }

  static String text(Part p) throws Exception {
    Object c = p.getContent();
    if (c instanceof String s) {
      return s;
    }
    if (c instanceof Multipart mp) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < mp.getCount(); i++) {
        b.append(text(mp.getBodyPart(i))).append('\n');
      }
      return b.toString();
    }
    return "";
  }

  static String tokenOf(String path) {
    return java.net.URLDecoder.decode(
        path.substring(path.indexOf("token=") + 6), StandardCharsets.UTF_8);
  }

  Http.Response confirm(String confirmPath, String... purposes) throws Exception {
    Http.Response page = http.get(confirmPath);
    assertEquals(200, page.status(), page.body());
    List<String> f =
        form(
            "token",
            page.field("token"),
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-lang",
            page.field("optin-lang"));
    for (String p : purposes) {
      f.add("purpose");
      f.add(p);
    }
    return http.submit(BASE + "/confirm", f);
  }

  Subject subject(String email) {
    return optIn.findSubject(email).orElseThrow();
  }

  Map<String, ConsentState> states(String email) {
    return optIn.consents(subject(email).id()).stream()
        .collect(Collectors.toMap(c -> c.purpose().value(), Consent::state));
  }

  int events(String email) {
    return optIn.findSubject(email).map(s -> optIn.proof().history(s.id()).size()).orElse(0);
  }

  String confirmed(String email, String... purposes) throws Exception {
    assertEquals(200, subscribe(email, purposes).status());
    assertEquals(200, confirm(link(email, "confirm"), purposes).status());
    return link(email, "preferences");
  }

  // --- the hosted flow
  // ---------------------------------------------------------------------------------------

  @Test
  void hostedFlowFromSubscribeToOneClickUnsubscribe() throws Exception {
    String email = "ann@example.org";
    Http.Response done = subscribe(email, "newsletter");
    assertEquals(200, done.status());
    assertTrue(done.body().contains("Check your inbox"));
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states(email));

    String confirmPath = link(email, "confirm");
    Http.Response page = http.get(confirmPath);
    assertEquals(200, page.status());
    assertTrue(page.body().contains("Monthly newsletter"));
    assertTrue(page.body().contains("Notice version 1"), page.body());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states(email), "GET changed state");

    Http.Response ok = confirm(confirmPath, "newsletter");
    assertEquals(200, ok.status());
    assertTrue(ok.body().contains("you are subscribed"));
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states(email));

    List<MimeMessage> mails = dispatch();
    MimeMessage receipt = mails.get(mails.size() - 1);
    String unsubscribeHeader = receipt.getHeader("List-Unsubscribe", null);
    assertNotNull(unsubscribeHeader);
    assertTrue(
        unsubscribeHeader.startsWith("<" + http.origin + BASE + "/unsubscribe?token="),
        unsubscribeHeader);
    assertEquals("List-Unsubscribe=One-Click", receipt.getHeader("List-Unsubscribe-Post", null));

    String prefs = link(email, "preferences");
    Http.Response center = http.get(prefs);
    assertEquals(200, center.status());
    assertTrue(center.body().contains("Subscribed since"), center.body());
    assertTrue(center.body().contains("The notice you agreed to (version 1)"));

    // change: tick offers (new double opt-in), keep newsletter
    Http.Response saved =
        http.submit(
            BASE + "/preferences",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "optin-notice",
                center.field("optin-notice"),
                "purpose",
                "newsletter",
                "purpose",
                "offers"));
    assertEquals(200, saved.status(), saved.body());
    assertEquals(
        Map.of("newsletter", ConsentState.CONFIRMED, "offers", ConsentState.PENDING),
        states(email));
    assertEquals(200, confirm(link(email, "confirm"), "offers").status());
    assertEquals(
        Map.of("newsletter", ConsentState.CONFIRMED, "offers", ConsentState.CONFIRMED),
        states(email));

    // change: untick newsletter = immediate withdrawal
    center = http.get(prefs);
    saved =
        http.submit(
            BASE + "/preferences",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "purpose",
                "offers"));
    assertEquals(200, saved.status(), saved.body());
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.CONFIRMED),
        states(email));

    // one-click unsubscribe from the receipt header: token only, no cookie, no Origin
    String unsubscribePath =
        unsubscribeHeader
            .substring(1, unsubscribeHeader.length() - 1)
            .substring(http.origin.length());
    Http.Response gone =
        http.postRaw(
            unsubscribePath, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click");
    assertEquals(200, gone.status());
    assertNull(gone.header("Location"));
    assertNull(gone.header("Set-Cookie"));
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.WITHDRAWN),
        states(email));

    // data export: mailed as a JSON attachment to the address on file, never shown on the page
    center = http.get(prefs);
    int before = dispatch().size();
    Http.Response export =
        http.submit(
            BASE + "/preferences/export",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en"));
    assertEquals(200, export.status(), export.body());
    assertFalse(export.body().contains("\"subject\""), "the data is not on the page");
    mails = dispatch();
    assertEquals(before + 1, mails.size());
    MimeMessage exportMail = mails.get(mails.size() - 1);
    assertEquals(email, exportMail.getAllRecipients()[0].toString());
    assertTrue(hasJsonAttachment(exportMail), "JSON attachment");

    // erase: needs the confirmation tick, then the step-up link mailed to the address on file; then
    // the address is
    // suppressed and the link is dead
    Http.Response unticked =
        http.submit(
            BASE + "/preferences/erase",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en"));
    assertEquals(400, unticked.status());
    assertTrue(optIn.findSubject(email).isPresent());
    Http.Response asked =
        http.submit(
            BASE + "/preferences/erase",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "confirm",
                "yes"));
    assertEquals(200, asked.status(), asked.body());
    assertTrue(
        optIn.findSubject(email).isPresent(), "nothing erased on the preferences link alone");
    Http.Response erased = useStepUp(link(email, "preferences/step-up"), "Delete your data?");
    assertEquals(200, erased.status(), erased.body());
    assertTrue(erased.body().contains("Your data is deleted"), erased.body());
    assertTrue(optIn.findSubject(email).isEmpty());
    assertTrue(optIn.rights().isSuppressed(email));
    assertEquals(400, http.get(prefs).status());
  }

  /** Opens a step-up (or "not me") link, checks that the page says what would happen, and presses its button. */
  Http.Response useStepUp(String path, String expectedTitle) throws Exception {
    Http.Response page = http.get(path);
    assertEquals(200, page.status(), page.body());
    assertTrue(page.body().contains(expectedTitle), page.body());
    assertEquals("no-referrer", page.header("Referrer-Policy"));
    String action = path.substring(0, path.indexOf('?'));
    return http.submit(
        action,
        form(
            "token",
            page.field("token"),
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-lang",
            page.field("optin-lang")));
  }

  long mailsTo(String address) throws Exception {
    long n = 0;
    for (MimeMessage m : dispatch()) {
      if (m.getAllRecipients()[0].toString().equals(address)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void forwardedPreferencesLinkTakesNothingOverWithoutTheAddressOnFileAndNotMeUndoesAChange()
      throws Exception {
    String ann = "ann@example.org";
    String mallory = "mallory@evil.example";
    String prefs = confirmed(ann, "newsletter");
    String unsubscribe = link(ann, "unsubscribe");
    // Mallory holds a forwarded copy of Ann's preferences link and posts as the issue describes: no
    // Origin header.
    Http.Response center = http.get(prefs);
    Http.Response asked =
        http.post(
            BASE + "/preferences/address",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "email",
                mallory));
    assertEquals(200, asked.status(), asked.body());
    assertTrue(asked.body().contains("address we have on file"), asked.body());
    assertEquals(
        0, mailsTo(mallory), "no mail to the new address before the address on file agreed");
    // Export stays with the address on file, whatever the link holder asked before.
    http.post(
        BASE + "/preferences/export",
        form(
            "token",
            center.field("token"),
            "optin-csrf",
            center.field("optin-csrf"),
            "optin-lang",
            "en"));
    assertEquals(0, mailsTo(mallory));

    // Ann recognises the change as hers this time (say she forwarded her own mail) and lets it go
    // on.
    String stepUp = link(ann, "preferences/step-up");
    Http.Response page = http.get(stepUp);
    assertTrue(page.body().contains(mallory), "the page names the new address");
    assertEquals(0, mailsTo(mallory), "opening the step-up link changed nothing");
    Http.Response allowed = useStepUp(stepUp, "Change your email address?");
    assertEquals(200, allowed.status(), allowed.body());
    assertTrue(allowed.body().contains("Check the inbox of the new address"), allowed.body());
    assertEquals(400, http.get(stepUp).status(), "single use");
    assertEquals(1, mailsTo(mallory), "now the new address gets its double opt-in");
    assertEquals(200, confirm(link(mallory, "confirm"), "newsletter").status());
    assertEquals(subject(mallory).id(), optIn.findSubject(mallory).orElseThrow().id());
    assertTrue(optIn.findSubject(ann).isEmpty());

    // Links sent to Ann's address before the change answer like any invalid link.
    assertEquals(400, http.get(prefs).status());
    assertEquals(400, http.get(unsubscribe).status());
    assertEquals(
        400,
        http.postRaw(unsubscribe, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click")
            .status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states(mallory));

    // Ann's "this was not me" link restores her address and kills the links issued for Mallory's.
    String malloryPrefs =
        optIn.preferencesUrl(subject(mallory).id()).substring(http.origin.length());
    assertEquals(200, http.get(malloryPrefs).status());
    String notMe = link(ann, "preferences/not-me");
    Http.Response restored = useStepUp(notMe, "Undo the change of your address");
    assertEquals(200, restored.status(), restored.body());
    assertTrue(restored.body().contains("Your address is restored"), restored.body());
    assertTrue(optIn.findSubject(mallory).isEmpty());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states(ann));
    assertEquals(400, http.get(malloryPrefs).status());
    assertEquals(400, http.get(notMe).status(), "single use");
    assertEquals(
        200,
        http.get(link(ann, "preferences")).status(),
        "the receipt after the undoing brings a link");
  }

  @Test
  void forwardedPreferencesLinkErasesNothingUntilTheStepUpLinkIsUsed() throws Exception {
    String ann = "ann@example.org";
    String prefs = confirmed(ann, "newsletter");
    Http.Response center = http.get(prefs);

    Http.Response asked =
        http.post(
            BASE + "/preferences/erase",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "confirm",
                "yes"));

    assertEquals(200, asked.status(), asked.body());
    assertTrue(
        asked.body().contains("Nothing is deleted until you do")
            || asked.body().contains("nothing is deleted"),
        asked.body());
    assertTrue(optIn.findSubject(ann).isPresent());
    assertEquals(200, http.get(prefs).status(), "the preferences link still works");
    String stepUp = link(ann, "preferences/step-up");
    assertEquals(200, http.get(stepUp).status());
    assertTrue(optIn.findSubject(ann).isPresent(), "opening the step-up link erases nothing");
    Http.Response foreign =
        http.post(
            BASE + "/preferences/step-up",
            form(
                "token",
                stepUp.replaceFirst(".*token=", ""),
                "optin-csrf",
                "forged",
                "optin-lang",
                "en"),
            "Origin",
            "https://evil.example");
    assertEquals(403, foreign.status());
    assertTrue(optIn.findSubject(ann).isPresent());

    assertEquals(200, useStepUp(stepUp, "Delete your data?").status());

    assertTrue(optIn.findSubject(ann).isEmpty());
  }

  @Test
  void stepUpAndNotMeLinksWhenInvalidThen400AndPagesInDutch() throws Exception {
    assertEquals(400, http.get(BASE + "/preferences/step-up?token=garbage").status());
    assertEquals(400, http.get(BASE + "/preferences/not-me?token=garbage").status());
    String prefs = confirmed("jan@example.org", "newsletter");
    assertEquals(
        400,
        http.get(prefs.replace("/preferences?", "/preferences/step-up?")).status(),
        "a preferences token is not a step-up token");
    Http.Response center = http.get(prefs);
    http.submit(
        BASE + "/preferences/erase",
        form(
            "token",
            center.field("token"),
            "optin-csrf",
            center.field("optin-csrf"),
            "optin-lang",
            "nl",
            "confirm",
            "yes"));
    String stepUp = link("jan@example.org", "preferences/step-up");
    assertEquals(400, http.get(stepUp.replace("/preferences/step-up?", "/preferences?")).status());
    Http.Response nl = http.get(stepUp, "Accept-Language", "nl");
    assertTrue(nl.body().contains("Uw gegevens verwijderen?"), nl.body());
  }

  @Test
  void getJwksThenPublicReceiptKeySetCacheableWithoutTokenAndPostRefused() throws Exception {
    Http.Response jwks = http.get(BASE + "/.well-known/jwks.json");

    assertEquals(200, jwks.status());
    assertEquals("application/jwk-set+json", jwks.header("Content-Type"));
    assertEquals("public, max-age=3600", jwks.header("Cache-Control"));
    assertEquals("nosniff", jwks.header("X-Content-Type-Options"));
    assertEquals(optIn.rights().receiptJwks(), jwks.body());
    assertTrue(
        jwks.body().contains("\"kty\":\"EC\"") && jwks.body().contains("\"kid\":\"r1\""),
        jwks.body());
    assertFalse(jwks.body().contains("\"d\""), "public keys only");
    assertEquals(405, http.postRaw(BASE + "/.well-known/jwks.json", "text/plain", "x").status());
  }

  @Test
  void preferencesMailMeMyReceiptSendsASignedReceiptThatVerifiesWithThePublishedKeys()
      throws Exception {
    String email = "ann@example.org";
    confirmed(email, "newsletter");
    dispatch();
    Http.Response center = http.get(link(email, "preferences"));
    assertTrue(center.body().contains("/preferences/receipt"), center.body());
    int before = dispatch().size();

    Http.Response sent =
        http.submit(
            BASE + "/preferences/receipt",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en"));

    assertEquals(200, sent.status(), sent.body());
    List<MimeMessage> mails = dispatch();
    assertEquals(before + 1, mails.size());
    MimeMessage receipt = mails.get(mails.size() - 1);
    assertEquals(email, receipt.getAllRecipients()[0].toString());
    String jws = attachment(receipt, "consent-receipt.jws");
    assertNotNull(jws, "receipt attached");
    String keys = http.get(BASE + "/.well-known/jwks.json").body();
    org.optin4j.proof.ReceiptVerification.Valid valid =
        assertInstanceOf(
            org.optin4j.proof.ReceiptVerification.Valid.class,
            org.optin4j.proof.ConsentReceipts.verify(jws, keys));
    assertEquals(subject(email).id(), valid.receipt().subjectId());
  }

  static String attachment(Part p, String fileName) throws Exception {
    if (fileName.equals(p.getFileName())) {
      return new String(
          p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
    }
    if (p.getContent() instanceof Multipart mp) {
      for (int i = 0; i < mp.getCount(); i++) {
        String found = attachment(mp.getBodyPart(i), fileName);
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  static boolean hasJsonAttachment(Part p) throws Exception {
    if (p.isMimeType("application/json")) {
      return true;
    }
    if (p.getContent() instanceof Multipart mp) {
      for (int i = 0; i < mp.getCount(); i++) {
        if (hasJsonAttachment(mp.getBodyPart(i))) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void preferencesAddressChangeNeedsStepUpThenStartsDoubleOptInOfTheNewAddress() throws Exception {
    String prefs = confirmed("old@example.org", "newsletter");
    Http.Response center = http.get(prefs);
    Http.Response invalid =
        http.submit(
            BASE + "/preferences/address",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "email",
                "<b>nope"));
    assertEquals(400, invalid.status());
    assertFalse(invalid.body().contains("<b>nope"));
    Http.Response r =
        http.submit(
            BASE + "/preferences/address",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en",
                "email",
                "new@example.org"));
    assertEquals(200, r.status(), r.body());
    assertEquals(
        200, useStepUp(link("old@example.org", "preferences/step-up"), "new@example.org").status());
    assertTrue(
        optIn.findSubject("old@example.org").isPresent(), "the old address works until confirmed");
    String confirmPath = link("new@example.org", "confirm");
    assertEquals(200, http.get(confirmPath).status());
    assertTrue(optIn.findSubject("new@example.org").isEmpty(), "GET changed nothing");
    Http.Response page = http.get(confirmPath);
    List<String> f =
        form(
            "token",
            page.field("token"),
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-lang",
            "en");
    Matcher boxes = Pattern.compile("name=\"purpose\" value=\"([a-z-]+)\"").matcher(page.body());
    while (boxes.find()) {
      f.add("purpose");
      f.add(boxes.group(1));
    }
    Http.Response done = http.submit(BASE + "/confirm", f);
    assertEquals(200, done.status(), done.body());
    assertTrue(optIn.findSubject("new@example.org").isPresent());
    assertTrue(optIn.findSubject("old@example.org").isEmpty());
  }

  @Test
  void getPrivacyInfoShowsEveryArticle13ElementWithLinksAndVersion() throws Exception {
    Http.Response r = http.get(BASE + "/privacy-info");

    assertEquals(200, r.status());
    String b = r.body();
    InformationPage info = optIn.informationPage(java.util.Locale.ENGLISH);
    assertTrue(
        b.contains("<h1>" + info.text().substring(0, info.text().indexOf('\n')) + "</h1>"), b);
    assertTrue(b.contains("Autoriteit Persoonsgegevens"), b);
    assertTrue(
        b.contains("<a href=\"https://autoriteitpersoonsgegevens.nl\">"),
        "the authority is a link");
    assertTrue(
        b.contains(info.version() + " (SHA-256 " + info.hash() + ")"), "the version is shown");
    for (org.optin4j.Purpose p : optIn.catalog().purposes()) {
      assertTrue(b.contains(p.text(java.util.Locale.ENGLISH).orElseThrow().title()), b);
    }
    assertFalse(b.contains("<script"));
  }

  @Test
  void getSubscribeOffersOneUntickedCheckboxPerPurposeWithNoticeAndHiddenFields() throws Exception {
    Http.Response r = http.get(BASE + "/subscribe");
    assertEquals(200, r.status());
    String b = r.body();
    assertTrue(b.contains("<html lang=\"en\">"));
    assertTrue(b.contains("name=\"email\""));
    assertTrue(b.contains("<label for=\"optin-email\">"));
    assertTrue(b.contains("value=\"newsletter\""));
    assertTrue(b.contains("value=\"offers\""));
    assertFalse(b.contains(" checked"), "a checkbox was pre-ticked");
    // Layered (WP 260): the short text is the checkbox's description, the rest is in <details>.
    assertTrue(
        b.contains(
            "<label for=\"optin-purpose-newsletter\" lang=\"en\">1. Monthly newsletter</label>"));
    assertTrue(b.contains("aria-describedby=\"optin-purpose-newsletter-short\""));
    assertTrue(b.contains("<a href=\"/app/optin/privacy-info\">"), "links to the information page");
    assertTrue(b.contains("<details class=\"optin-notice-more\">"));
    Notice shown = optIn.noticeByHash(r.field("optin-notice")).orElseThrow();
    assertTrue(
        b.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .contains(optIn.noticeLayers(shown).orElseThrow().details().strip()),
        "the second layer is on the page");
    assertTrue(b.contains("Bakery &lt;Gouden&gt; &amp; Korst"), "controller named and encoded");
    assertTrue(b.contains("withdraw"), "right to withdraw");
    assertNotNull(r.field("optin-csrf"));
    assertTrue(r.field("optin-notice").matches("[0-9a-f]{64}"));
    assertFalse(b.contains("<script"));

    Http.Response only = http.get(BASE + "/subscribe?purpose=offers");
    assertFalse(only.body().contains("value=\"newsletter\""));
    assertTrue(only.body().contains("value=\"offers\""));
    assertFalse(only.body().contains(" checked"));
  }

  @Test
  void getSubscribeUsesAcceptLanguageWithFallback() throws Exception {
    Http.Response nl = http.get(BASE + "/subscribe", "Accept-Language", "nl-BE,nl;q=0.9,en;q=0.5");
    assertTrue(nl.body().contains("<html lang=\"nl\">"));
    assertTrue(nl.body().contains("Maandelijkse nieuwsbrief"));
    assertEquals("nl", nl.header("Content-Language"));
    Http.Response de = http.get(BASE + "/subscribe", "Accept-Language", "es, de;q=0.8");
    assertTrue(de.body().contains("Monatlicher Newsletter"));
    Http.Response fr = http.get(BASE + "/subscribe", "Accept-Language", "fr-CA");
    assertTrue(fr.body().contains("Lettre mensuelle"));
    Http.Response fallback = http.get(BASE + "/subscribe", "Accept-Language", "es");
    assertTrue(fallback.body().contains("<html lang=\"en\">"));
  }

  @Test
  void subscribeAndConfirmInDutchSendsDutchMailAndPages() throws Exception {
    Http.Response page = http.get(BASE + "/subscribe", "Accept-Language", "nl");
    Http.Response done =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "jan@example.org",
                "purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "nl"));
    assertEquals(200, done.status());
    assertTrue(done.body().contains("Kijk in uw mailbox"));
    String confirmPath = link("jan@example.org", "confirm");
    Http.Response confirmPage = http.get(confirmPath, "Accept-Language", "nl");
    assertTrue(confirmPage.body().contains("Bevestig uw aanmelding"));
  }

  // --- error statuses
  // ----------------------------------------------------------------------------------------

  @Test
  void postSubscribeWhenAddressInvalidThen400WithFormAgain() throws Exception {
    Http.Response r = subscribe("not-an-address", "newsletter");
    assertEquals(400, r.status());
    assertTrue(r.body().contains("role=\"alert\""));
    assertTrue(r.body().contains("Enter a valid email address"));
    assertTrue(r.body().contains("value=\"not-an-address\""));
    assertTrue(r.body().contains("aria-invalid=\"true\""));
    assertNotNull(r.field("optin-csrf"), "form shown again");
    assertEquals(0, dispatch().size());
  }

  @Test
  void postSubscribeWhenNoticeIsInAnotherLanguageOrUnknownThen400NoticeChangedAndNothingRecorded()
      throws Exception {
    Http.Response page = http.get(BASE + "/subscribe");
    for (String[] notice :
        new String[][] {{page.field("optin-notice"), "nl"}, {"0".repeat(64), "en"}}) {
      Http.Response r =
          http.submit(
              BASE + "/subscribe",
              form(
                  "email",
                  "ann@example.org",
                  "purpose",
                  "newsletter",
                  "optin-csrf",
                  page.field("optin-csrf"),
                  "optin-notice",
                  notice[0],
                  "optin-lang",
                  notice[1]));

      assertEquals(400, r.status(), r.body());
      assertTrue(
          r.body().contains("has changed since you opened it")
              || r.body().contains("is gewijzigd sinds u hem opende"),
          r.body());
      assertNotNull(r.field("optin-csrf"), "form shown again");
    }
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
    assertEquals(0, dispatch().size());
  }

  @Test
  void postSubscribeWhenNoPurposeTickedThen400() throws Exception {
    Http.Response r = subscribe("ann@example.org");
    assertEquals(400, r.status());
    assertTrue(r.body().contains("Tick at least one box."));
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
  }

  @Test
  void postSubscribeWhenCsrfMissingThen403() throws Exception {
    Http.Response page = http.get(BASE + "/subscribe");
    Http.Response r =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "ann@example.org",
                "purpose",
                "newsletter",
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertEquals(403, r.status());
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
  }

  @Test
  void postSubscribeWhenCsrfTamperedOrFromAnotherFormThen403() throws Exception {
    Http.Response page = http.get(BASE + "/subscribe");
    String csrf = page.field("optin-csrf");
    String tampered = csrf.substring(0, csrf.length() - 2) + (csrf.endsWith("A") ? "BB" : "AA");
    Http.Response r =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "ann@example.org",
                "purpose",
                "newsletter",
                "optin-csrf",
                tampered,
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertEquals(403, r.status());
    // a token of a link-bound form (the confirm page) is refused by the signup form
    String prefs = confirmed("bob@example.org", "newsletter");
    Http.Response center = http.get(prefs);
    r =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "ann@example.org",
                "purpose",
                "newsletter",
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertEquals(403, r.status());
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
  }

  @Test
  void postWhenBrowserSendsNullOriginUnderNoReferrerPolicyButSameOriginFetchThenAccepted()
      throws Exception {
    // What Chromium sends for a form post from a page with Referrer-Policy: no-referrer.
    Http.Response page = http.get(BASE + "/subscribe");
    List<String> f =
        form(
            "email",
            "ann@example.org",
            "purpose",
            "newsletter",
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-notice",
            page.field("optin-notice"),
            "optin-lang",
            "en");
    assertEquals(
        200,
        http.post(BASE + "/subscribe", f, "Origin", "null", "Sec-Fetch-Site", "same-origin")
            .status());
    assertTrue(optIn.findSubject("ann@example.org").isPresent());
  }

  @Test
  void postWhenOriginForeignOrCrossSiteThen403() throws Exception {
    Http.Response page = http.get(BASE + "/subscribe");
    List<String> f =
        form(
            "email",
            "ann@example.org",
            "purpose",
            "newsletter",
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-notice",
            page.field("optin-notice"),
            "optin-lang",
            "en");
    assertEquals(403, http.post(BASE + "/subscribe", f, "Origin", "https://evil.example").status());
    assertEquals(403, http.post(BASE + "/subscribe", f, "Origin", "null").status());
    assertEquals(
        403,
        http.post(BASE + "/subscribe", f, "Origin", "null", "Sec-Fetch-Site", "cross-site")
            .status());
    assertEquals(403, http.post(BASE + "/subscribe", f, "Sec-Fetch-Site", "cross-site").status());
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
    String prefs = confirmed("bob@example.org", "newsletter");
    Http.Response center = http.get(prefs);
    Http.Response r =
        http.post(
            BASE + "/preferences/withdraw",
            form("token", center.field("token"), "optin-csrf", center.field("optin-csrf")),
            "Origin",
            "https://evil.example");
    assertEquals(403, r.status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("bob@example.org"));
  }

  @Test
  void postSubscribeWhenRateLimitedPerIpThen429() throws Exception {
    deploy(b -> b.rateLimitPerIp(3, Duration.ofMinutes(10)));
    for (int i = 0; i < 3; i++) {
      assertEquals(200, subscribe("user" + i + "@example.org", "newsletter").status());
    }
    Http.Response r = subscribe("user9@example.org", "newsletter");
    assertEquals(429, r.status());
    assertNotNull(r.header("Retry-After"));
    assertTrue(optIn.findSubject("user9@example.org").isEmpty());
  }

  @Test
  void postSubscribeWhenTwentyTaggedAndADottedGmailVariantThenOnlyTheCapReachesTheOneInbox()
      throws Exception {
    deploy(o -> o.confirmationMailCap(3, Duration.ZERO), b -> {});
    Http.Response first = subscribe("victim+1@gmail.com", "newsletter");
    for (int i = 2; i <= 20; i++) {
      Http.Response r = subscribe("victim+" + i + "@gmail.com", "newsletter");
      assertEquals(first.status(), r.status(), "a throttled signup answers as an accepted one");
      assertEquals(first.body(), r.body());
    }
    assertEquals(first.body(), subscribe("v.i.c.t.i.m@gmail.com", "newsletter").body());

    List<MimeMessage> mails = dispatch();

    assertEquals(
        3, mails.size(), "21 spellings of one Gmail inbox, at most the daily cap of mails");
  }

  @Test
  void postSubscribeWhenOneIpv6Slash48SpreadsOverItsSlash64sThenLimitedAsOneSite()
      throws Exception {
    deploy(b -> b.rateLimitPerIp(3, Duration.ofMinutes(10)).trustedProxies("127.0.0.1"));
    int accepted = 0;
    for (int n = 1; n <= 20; n++) {
      // Each POST from a fresh /64 of 2001:db8:7::/48, as a proxy on loopback reports it.
      Http.Response r =
          subscribeVia("2001:db8:7:" + Integer.toHexString(n) + "::1", "user" + n + "@example.org");
      if (r.status() == 200) {
        accepted++;
      } else {
        assertEquals(429, r.status());
        assertNotNull(r.header("Retry-After"));
      }
    }

    assertEquals(
        3 * Guard.IPV6_SITE_FACTOR, accepted, "20 /64s of one /48 share 4 times the per-IP limit");
    assertEquals(
        200,
        subscribeVia("2001:db8:8:1::1", "elsewhere@example.org").status(),
        "another /48 is not limited");
    assertEquals(
        200,
        subscribeVia("192.0.2.7", "ipv4@example.org").status(),
        "an IPv4 client is counted on its own");
  }

  /** A hosted signup whose client a trusted proxy on loopback reports in {@code X-Forwarded-For}. */
  private Http.Response subscribeVia(String clientIp, String email) throws Exception {
    Http.Response page = http.get(BASE + "/subscribe");
    return http.post(
        BASE + "/subscribe",
        form(
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
            ""),
        "Origin",
        http.origin,
        "Sec-Fetch-Site",
        "same-origin",
        "X-Forwarded-For",
        clientIp);
  }

  @Test
  void postSubscribeWhenAddressLimitReachedThenSameAnswerAndNothingRecorded() throws Exception {
    deploy(b -> b.rateLimitPerAddress(1, Duration.ofHours(1)));
    Http.Response first = subscribe("ann@example.org", "newsletter");
    Http.Response second = subscribe("ann@example.org", "offers");
    assertEquals(first.status(), second.status());
    assertEquals(first.body(), second.body());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
  }

  @Test
  void postSubscribeWhenHoneypotFilledThenSameAnswerAndNoMail() throws Exception {
    Http.Response human = subscribe("ann@example.org", "newsletter");
    Http.Response page = http.get(BASE + "/subscribe");
    Http.Response bot =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "bot@example.org",
                "purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en",
                "optin-website",
                "http://spam.example"));
    assertEquals(human.status(), bot.status());
    assertEquals(human.body(), bot.body());
    assertTrue(optIn.findSubject("bot@example.org").isEmpty());
    assertEquals(1, dispatch().size());
  }

  @Test
  void postSubscribeAnswersIdenticallyForNewPendingConfirmedAndWithdrawnAddresses()
      throws Exception {
    confirmed("known@example.org", "newsletter");
    subscribe("pending@example.org", "newsletter");
    String prefs = confirmed("gone@example.org", "newsletter");
    Http.Response center = http.get(prefs);
    http.submit(
        BASE + "/preferences/withdraw",
        form("token", center.field("token"), "optin-csrf", center.field("optin-csrf")));
    List<Http.Response> answers = new ArrayList<>();
    for (String email :
        List.of(
            "new@example.org", "known@example.org", "pending@example.org", "gone@example.org")) {
      answers.add(subscribe(email, "newsletter"));
    }
    Http.Response first = answers.get(0);
    for (Http.Response r : answers) {
      assertEquals(first.status(), r.status());
      assertEquals(first.body(), r.body());
      Map<String, List<String>> h1 = new java.util.TreeMap<>(first.headers().map());
      Map<String, List<String>> h2 = new java.util.TreeMap<>(r.headers().map());
      h1.remove("date");
      h2.remove("date");
      assertEquals(h1, h2);
    }
  }

  @Test
  void postSubscribeWhenFilterIsAsyncSupportedThenRequestThreadIsReleasedDuringTheFloor()
      throws Exception {
    // A signup whose own work outlasts the floor (a loaded machine) has nothing to wait for and
    // answers at once, on
    // its thread; so a few signups are tried, and one with time left must free its thread while the
    // floor runs.
    List<String> seen = new ArrayList<>();
    for (int i = 0;
        i < 5 && !seen.contains("async=true returnedBeforeFloor=true answeredOnReturn=false");
        i++) {
      SIGNUP_PROBE.clear();
      long before = System.nanoTime();

      Http.Response r = subscribe("ann" + i + "@example.org", "newsletter");

      assertTrue(System.nanoTime() - before >= AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS);
      assertTrue(r.body().contains("Check your inbox"), r.body());
      assertEquals(1, SIGNUP_PROBE.size(), SIGNUP_PROBE::toString);
      seen.add(SIGNUP_PROBE.peek());
    }
    assertTrue(
        seen.contains("async=true returnedBeforeFloor=true answeredOnReturn=false"),
        seen::toString);
  }

  @Test
  void postSubscribeAnswersNoSoonerThanTheFloorForNewAndKnownAddresses() throws Exception {
    confirmed("known@example.org", "newsletter");
    for (String email : List.of("new@example.org", "known@example.org")) {
      long before = System.nanoTime();
      Http.Response r = subscribe(email, "newsletter");
      long took = System.nanoTime() - before;
      assertEquals(200, r.status(), r.body());
      assertTrue(r.body().contains("Check your inbox"), r.body());
      assertTrue(
          took >= AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS, email + " answered after " + took + " ns");
    }
  }

  @Test
  void confirmWhenTokenInvalidThen400() throws Exception {
    assertEquals(400, http.get(BASE + "/confirm?token=nonsense").status());
    assertEquals(400, http.get(BASE + "/confirm").status());
    assertEquals(400, http.get(BASE + "/confirm?token=" + "a".repeat(5000)).status());
    subscribe("ann@example.org", "newsletter");
    String token = tokenOf(link("ann@example.org", "confirm"));
    String forged = token.substring(0, token.length() - 3) + (token.endsWith("A") ? "BBB" : "AAA");
    assertEquals(400, http.get(BASE + "/confirm?token=" + forged).status());
    // a POST with a valid form token for a forged link is still refused as invalid, never confirmed
    Http.Response page = http.get(BASE + "/confirm?token=" + token);
    Http.Response r =
        http.submit(
            BASE + "/confirm",
            form("token", forged, "optin-csrf", page.field("optin-csrf"), "purpose", "newsletter"));
    assertEquals(403, r.status());
    // a preferences token is not a confirm token
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
  }

  @Test
  void postConfirmWhenTokenInvalidThen400() throws Exception {
    subscribe("ann@example.org", "newsletter");
    String prefsLikeToken = "eyJhbGciOiJIUzI1NiJ9.e30.x";
    Http.Response r =
        http.submit(BASE + "/confirm", form("token", prefsLikeToken, "purpose", "newsletter"));
    assertEquals(403, r.status(), "no form token");
    // with a form token bound to that (invalid) link the core answers Invalid: 400
    Http.Response page = http.get(BASE + "/confirm?token=" + prefsLikeToken);
    assertEquals(400, page.status());
    assertNull(page.field("optin-csrf"));
  }

  @Test
  void confirmWhenExpiredThen410AndResendSendsWorkingLink() throws Exception {
    subscribe("ann@example.org", "newsletter");
    String old = link("ann@example.org", "confirm");
    clock.advance(Duration.ofHours(49));
    Http.Response expired = http.get(old);
    assertEquals(410, expired.status());
    assertTrue(expired.body().contains("Send me a new link"));
    Http.Response resent =
        http.submit(
            BASE + "/resend",
            form(
                "token",
                expired.field("token"),
                "optin-csrf",
                expired.field("optin-csrf"),
                "optin-lang",
                "en"));
    assertEquals(200, resent.status(), resent.body());
    String fresh = link("ann@example.org", "confirm");
    assertFalse(fresh.equals(old));
    assertEquals(400, http.get(old).status(), "the old link stopped working");
    assertEquals(200, confirm(fresh, "newsletter").status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("ann@example.org"));
  }

  @Test
  void postConfirmExpiredThen410() throws Exception {
    subscribe("ann@example.org", "newsletter");
    String path = link("ann@example.org", "confirm");
    Http.Response page = http.get(path);
    clock.advance(Duration.ofHours(49));
    Http.Response r =
        http.submit(
            BASE + "/confirm",
            form(
                "token",
                page.field("token"),
                "optin-csrf",
                page.field("optin-csrf"),
                "purpose",
                "newsletter"));
    assertEquals(410, r.status());
  }

  @Test
  void postConfirmTwiceThenAlreadyConfirmedAndNothingNewRecorded() throws Exception {
    subscribe("ann@example.org", "newsletter");
    String path = link("ann@example.org", "confirm");
    Http.Response page = http.get(path);
    List<String> f =
        form(
            "token",
            page.field("token"),
            "optin-csrf",
            page.field("optin-csrf"),
            "purpose",
            "newsletter");
    assertEquals(200, http.submit(BASE + "/confirm", f).status());
    int events = events("ann@example.org");
    int mails = dispatch().size();
    Http.Response again = http.submit(BASE + "/confirm", f);
    assertEquals(200, again.status());
    assertTrue(again.body().contains("Already confirmed"));
    assertEquals(events, events("ann@example.org"));
    assertEquals(mails, dispatch().size(), "no second receipt");
    Http.Response view = http.get(path);
    assertEquals(200, view.status());
    assertTrue(view.body().contains("Already confirmed"));
  }

  @Test
  void postConfirmWithOnePurposeUntickedConfirmsOnlyTheOther() throws Exception {
    subscribe("ann@example.org", "newsletter", "offers");
    assertEquals(200, confirm(link("ann@example.org", "confirm"), "offers").status());
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.CONFIRMED),
        states("ann@example.org"));
  }

  @Test
  void postConfirmWithEveryBoxUntickedThenDeclinedPageEveryPurposeDeclinedAndNoReceipt()
      throws Exception {
    subscribe("ann@example.org", "newsletter", "offers");
    String path = link("ann@example.org", "confirm");
    int mails = dispatch().size();

    Http.Response r = confirm(path);

    assertEquals(200, r.status(), r.body());
    assertTrue(
        r.body().contains("You did not confirm anything, so nothing will be sent."), r.body());
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.WITHDRAWN),
        states("ann@example.org"));
    assertEquals(mails, dispatch().size(), "no receipt for a decline");
    Http.Response view = http.get(path);
    assertEquals(200, view.status());
    assertTrue(view.body().contains("Already confirmed"), "the link is used up");
  }

  @Test
  void postConfirmWithAPurposeTheRequestDidNotOfferThen400FormAgainAndNothingRecorded()
      throws Exception {
    subscribe("ann@example.org", "newsletter");
    String path = link("ann@example.org", "confirm");
    int events = events("ann@example.org");

    Http.Response r = confirm(path, "newsletter", "offers");

    assertEquals(400, r.status(), r.body());
    assertTrue(r.body().contains("Tick at least one box to confirm"), r.body());
    assertEquals(events, events("ann@example.org"));
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
    assertEquals(200, confirm(path, "newsletter").status(), "the link still works");
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("ann@example.org"));
  }

  @Test
  void postConfirmWithATamperedPurposeValueThen400FormAgainAndNothingRecorded() throws Exception {
    subscribe("ann@example.org", "newsletter");
    String path = link("ann@example.org", "confirm");

    Http.Response r = confirm(path, "newsletter", "<b>News</b>");

    assertEquals(400, r.status(), r.body());
    assertTrue(r.body().contains("Tick at least one box to confirm"), r.body());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
  }

  @Test
  void getAndHeadOnEveryLinkChangeNothing() throws Exception {
    subscribe("ann@example.org", "newsletter", "offers");
    String confirmPath = link("ann@example.org", "confirm");
    int before = events("ann@example.org");
    for (int i = 0; i < 2; i++) {
      assertEquals(200, http.get(confirmPath).status());
      Http.Response head = http.head(confirmPath);
      assertEquals(200, head.status());
      assertEquals("", head.body());
    }
    assertEquals(before, events("ann@example.org"));
    assertEquals(
        Map.of("newsletter", ConsentState.PENDING, "offers", ConsentState.PENDING),
        states("ann@example.org"));

    assertEquals(200, confirm(confirmPath, "newsletter", "offers").status());
    String prefs = link("ann@example.org", "preferences");
    String unsubscribe = link("ann@example.org", "unsubscribe");
    int confirmedEvents = events("ann@example.org");
    for (String path : List.of(prefs, unsubscribe, confirmPath)) {
      assertEquals(200, http.get(path).status(), path);
      assertEquals(200, http.head(path).status(), path);
    }
    Http.Response unsubscribePage = http.get(unsubscribe);
    assertTrue(unsubscribePage.body().contains("Unsubscribe from everything"));
    assertEquals(confirmedEvents, events("ann@example.org"));
    assertEquals(
        Map.of("newsletter", ConsentState.CONFIRMED, "offers", ConsentState.CONFIRMED),
        states("ann@example.org"));
  }

  @Test
  void unsubscribePageButtonWithdrawsEverything() throws Exception {
    confirmed("ann@example.org", "newsletter");
    Http.Response page = http.get(link("ann@example.org", "unsubscribe"));
    Matcher action = Pattern.compile("action=\"([^\"]+)\"").matcher(page.body());
    assertTrue(action.find());
    String target = action.group(1).replace("&#61;", "=").replace("&amp;", "&");
    Http.Response r =
        http.submit(
            target,
            form(
                "List-Unsubscribe",
                "One-Click",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-lang",
                "en"));
    assertEquals(200, r.status(), r.body());
    assertTrue(r.body().contains("You are unsubscribed"));
    assertEquals(Map.of("newsletter", ConsentState.WITHDRAWN), states("ann@example.org"));
  }

  @Test
  void oneClickUnsubscribeAcceptsMultipartAndRefusesBadTokenOrBody() throws Exception {
    confirmed("ann@example.org", "newsletter");
    String path = link("ann@example.org", "unsubscribe");
    assertEquals(400, http.postRaw(path, "application/x-www-form-urlencoded", "foo=bar").status());
    assertEquals(
        400,
        http.postRaw(
                BASE + "/unsubscribe?token=bogus",
                "application/x-www-form-urlencoded",
                "List-Unsubscribe=One-Click")
            .status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("ann@example.org"));
    String body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    Http.Response r = http.postRaw(path, "multipart/form-data; boundary=XyZ", body);
    assertEquals(200, r.status());
    assertEquals(Map.of("newsletter", ConsentState.WITHDRAWN), states("ann@example.org"));
  }

  @Test
  void preferencesWithdrawEverythingAndInvalidTokenThen400() throws Exception {
    String prefs = confirmed("ann@example.org", "newsletter", "offers");
    assertEquals(400, http.get(BASE + "/preferences?token=bogus").status());
    // a confirm token is not a preferences token
    subscribe("bob@example.org", "newsletter");
    assertEquals(
        400,
        http.get(BASE + "/preferences?token=" + tokenOf(link("bob@example.org", "confirm")))
            .status());
    Http.Response center = http.get(prefs);
    Http.Response r =
        http.submit(
            BASE + "/preferences/withdraw",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "en"));
    assertEquals(200, r.status());
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.WITHDRAWN),
        states("ann@example.org"));
    Http.Response noCsrf =
        http.submit(
            BASE + "/preferences", form("token", center.field("token"), "purpose", "newsletter"));
    assertEquals(403, noCsrf.status());
  }

  // --- encoding, injection, Host
  // --------------------------------------------------------------------------

  @Test
  void xssInEveryEchoedFieldIsEncoded() throws Exception {
    String evil = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
    Http.Response page =
        http.get(
            BASE
                + "/subscribe?next="
                + java.net.URLEncoder.encode(evil, StandardCharsets.UTF_8)
                + "&purpose="
                + java.net.URLEncoder.encode(evil, StandardCharsets.UTF_8));
    assertEquals(200, page.status());
    assertFalse(page.body().contains("<script>alert"));
    Http.Response r =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                evil,
                "purpose",
                evil,
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                evil,
                "next",
                evil));
    assertEquals(400, r.status());
    assertFalse(r.body().contains("<script>alert"), r.body());
    assertFalse(r.body().contains("<img src=x"));
    assertTrue(r.body().contains("value=\"&#34;>&lt;script>"), r.body());
    for (String path : List.of("/confirm?token=", "/preferences?token=", "/unsubscribe?token=")) {
      Http.Response x =
          http.get(BASE + path + java.net.URLEncoder.encode(evil, StandardCharsets.UTF_8));
      assertEquals(400, x.status());
      assertFalse(x.body().contains("<script>alert"));
    }
    // mails: a valid address with characters that mean something in HTML is never echoed raw
    String odd = "o'brien&co=x@example.org";
    confirmed(odd, "newsletter");
    for (MimeMessage m : dispatch()) {
      String t = text(m);
      assertFalse(t.contains("<script"));
      assertFalse(t.contains("Bakery <Gouden>") && m.getContentType().contains("html"));
    }
  }

  @Test
  void headerInjectionInAddressOrLanguageIsRefused() throws Exception {
    Http.Response r = subscribe("ann@example.org\r\nBcc: victim@example.org", "newsletter");
    assertEquals(400, r.status());
    Http.Response r2 = subscribe("ann@example.org%0d%0aBcc:victim@example.org", "newsletter");
    assertEquals(400, r2.status());
    assertEquals(0, dispatch().size());
    Http.Response page = http.get(BASE + "/subscribe");
    Http.Response r3 =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "ann@example.org",
                "purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en\r\nX-Injected: yes"));
    assertEquals(200, r3.status());
    assertNull(r3.header("X-Injected"));
    assertEquals("en", r3.header("Content-Language"));
    List<MimeMessage> mails = dispatch();
    assertEquals(1, mails.size());
    assertEquals(1, mails.get(0).getAllRecipients().length);
    assertNull(mails.get(0).getHeader("Bcc"));
  }

  @Test
  void foreignHostHeaderNeverReachesPagesOrMailLinks() throws Exception {
    String raw =
        http.raw(
            container.port(),
            "GET "
                + BASE
                + "/subscribe HTTP/1.1\r\nHost: evil.example\r\n"
                + "X-Forwarded-Host: evil2.example\r\nConnection: close\r\n\r\n");
    assertTrue(raw.startsWith("HTTP/1.1 200"), raw);
    assertFalse(raw.contains("evil.example"));
    assertFalse(raw.contains("evil2.example"));
    Matcher csrf = Pattern.compile("name=\"optin-csrf\" value=\"([^\"]*)\"").matcher(raw);
    Matcher notice = Pattern.compile("name=\"optin-notice\" value=\"([^\"]*)\"").matcher(raw);
    assertTrue(csrf.find() && notice.find());
    String body =
        Http.encode(
            form(
                "email",
                "ann@example.org",
                "purpose",
                "newsletter",
                "optin-csrf",
                csrf.group(1),
                "optin-notice",
                notice.group(1),
                "optin-lang",
                "en"));
    String post =
        http.raw(
            container.port(),
            "POST "
                + BASE
                + "/subscribe HTTP/1.1\r\nHost: evil.example\r\n"
                + "X-Forwarded-Host: evil2.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                + body.length()
                + "\r\nConnection: close\r\n\r\n"
                + body);
    assertTrue(post.startsWith("HTTP/1.1 200"), post);
    String mail = text(dispatch().get(0));
    assertFalse(mail.contains("evil"));
    assertTrue(mail.contains(http.origin + BASE + "/confirm?token="));
  }

  @Test
  void everyPageCarriesSecurityHeaders() throws Exception {
    subscribe("ann@example.org", "newsletter");
    for (Http.Response r :
        List.of(
            http.get(BASE + "/subscribe"),
            http.get(link("ann@example.org", "confirm")),
            http.get(BASE + "/confirm?token=x"),
            http.get(BASE + "/nope"),
            subscribe("x", "newsletter"))) {
      assertEquals("no-referrer", r.header("Referrer-Policy"));
      assertEquals("no-store", r.header("Cache-Control"));
      assertEquals("nosniff", r.header("X-Content-Type-Options"));
      String csp = r.header("Content-Security-Policy");
      assertTrue(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), csp);
      assertTrue(r.header("Content-Type").startsWith("text/html"));
      assertNull(r.header("Set-Cookie"));
    }
    Http.Response css = http.get(BASE + "/optin.css");
    assertEquals(200, css.status());
    assertTrue(css.body().contains("white-space: pre-line"));
  }

  @Test
  void unknownPathUnderPrefixThen404AndWrongMethodThen405() throws Exception {
    assertEquals(404, http.get(BASE + "/nope").status());
    assertEquals(404, http.get(BASE).status());
    Http.Response r = http.postRaw(BASE + "/resend?token=abc", "text/plain", "");
    assertEquals(403, r.status(), "POST /resend without form token");
    assertEquals(
        400, http.postRaw(BASE + "/resend", "text/plain", "").status(), "without a link token");
    Http.Response get = http.get(BASE + "/resend");
    assertEquals(405, get.status());
    assertEquals("POST", get.header("Allow"));
    Http.Response postCss = http.postRaw(BASE + "/optin.css", "text/plain", "");
    assertEquals(405, postCss.status());
    assertEquals("GET, HEAD", postCss.header("Allow"));
    Http.Response put = http.method("PUT", BASE + "/subscribe");
    assertEquals(405, put.status());
    assertEquals("GET, HEAD, POST", put.header("Allow"));
    Http.Response getErase = http.get(BASE + "/preferences/erase");
    assertEquals(405, getErase.status());
    assertEquals("POST", getErase.header("Allow"));
  }

  // --- pass-through and drop-in
  // ----------------------------------------------------------------------------

  @Test
  void requestsOutsidePrefixPassThroughUntouched() throws Exception {
    Http.Response r = http.get(APP + "/hello");
    assertEquals(200, r.status());
    assertEquals("hello from the app", r.body());
    assertEquals("hello", r.header("X-App"));
    assertNull(r.header("Content-Security-Policy"));
    assertNull(r.header("Referrer-Policy"));
    assertEquals(
        404,
        http.get(APP + "/optinx/subscribe").status(),
        "a path that merely starts with the prefix");
  }

  @Test
  void dropInFormStartsOneDoubleOptInAndPassesOnWithOutcome() throws Exception {
    Http.Response page = http.get(APP + "/signup-page");
    assertEquals(200, page.status());
    assertTrue(page.body().contains("name=\"optin-purpose\" value=\"newsletter\""));
    assertFalse(page.body().contains(" checked"));
    long before = System.nanoTime();
    Http.Response r =
        http.submit(
            APP + "/signup",
            form(
                "email",
                "ann@example.org",
                "message",
                "hi <b>there</b>",
                "optin-purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                page.field("optin-lang"),
                "optin-website",
                ""));
    assertTrue(
        System.nanoTime() - before >= AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS,
        "the drop-in passes a signup on no sooner than the hosted page answers");
    assertEquals(200, r.status(), r.body());
    assertTrue(r.body().startsWith("outcome=Requested"), r.body());
    assertTrue(r.body().contains("message=hi <b>there</b>"), "the app still reads its own fields");
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
    assertEquals(1, dispatch().size(), "filter ran once despite the FORWARD to another form path");
    assertEquals(200, confirm(link("ann@example.org", "confirm"), "newsletter").status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("ann@example.org"));
  }

  // --- non-ASCII input: form bodies without a charset (as browsers send them), IDN, SMTPUTF8
  // ----------------------
  // Http.post sends application/x-www-form-urlencoded without a charset parameter, and no container
  // here is given
  // any encoding configuration: Tomcat would decode such a body as ISO-8859-1 unless the filter
  // says UTF-8.

  @Test
  void subscribeWhenIdnAddressFormWithoutCharsetThenConfirmationMailGoesToTheALabel()
      throws Exception {
    assertTrue(
        http.get(BASE + "/subscribe").body().contains("accept-charset=\"UTF-8\""),
        "the form says UTF-8");
    Http.Response done = subscribe("idn@bücher.example", "newsletter");

    assertEquals(200, done.status(), done.body());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("idn@xn--bcher-kva.example"));
    List<MimeMessage> mails = dispatch();
    assertEquals(1, mails.size());
    // SMTPUTF8 is off in this app: envelope (GreenMail's mailbox) and To header carry the A-label.
    assertEquals("idn@xn--bcher-kva.example", mails.get(0).getHeader("To", null));
    assertNotNull(MAIL.getUserManager().getUserByEmail("idn@xn--bcher-kva.example"));
    assertEquals(200, confirm(link("idn@xn--bcher-kva.example", "confirm"), "newsletter").status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("idn@bücher.example"));
  }

  @Test
  void subscribeWhenAddressMisdecodedOrMixedScriptThen400WithTheFormsErrorAndNoMail()
      throws Exception {
    for (String email : List.of("idn@bÃ¼cher.example", "ann@pаypal.example")) {
      Http.Response r = subscribe(email, "newsletter");

      assertEquals(400, r.status(), email);
      assertTrue(r.body().contains("Enter a valid email address"), r.body());
    }
    assertEquals(List.of(), dispatch());
  }

  @Test
  void subscribeWhenLocalPartNotAsciiAndMailerWithoutSmtpUtf8Then400SayingWhy() throws Exception {
    Http.Response r = subscribe("zoë@example.org", "newsletter");

    assertEquals(400, r.status());
    assertTrue(
        r.body()
            .contains("We cannot send mail to addresses with letters such as é or ü before the @"),
        r.body());
    assertTrue(
        r.body().contains("value=\"zoë@example.org\""), "the address is echoed intact, as typed");
    assertTrue(optIn.findSubject("zoë@example.org").isEmpty());
    assertEquals(List.of(), dispatch());
  }

  @Test
  void subscribeWhenLocalPartNotAsciiAndMailerSendsSmtpUtf8ThenMailedUnchangedAndToHeaderAsTyped()
      throws Exception {
    // SMTPUTF8 on, and EHLO (which the default mailer here skips for speed): the server's
    // extensions are read there.
    deploy(
        o ->
            o.mailer(
                SmtpMailer.builder()
                    .host("127.0.0.1")
                    .port(MAIL.getSmtp().getPort())
                    .security(SmtpMailer.Security.NONE)
                    .from("noreply@shop.example", "Shop")
                    .smtpUtf8(true)
                    .build()),
        b -> {});

    Http.Response done = subscribe("Zoë@Bücher.example", "newsletter");

    assertEquals(200, done.status(), done.body());
    List<MimeMessage> mails = dispatch();
    assertEquals(1, mails.size());
    // GreenMail offers SMTPUTF8: the envelope has the raw UTF-8 local part at the A-label, the
    // header the Unicode form.
    assertNotNull(MAIL.getUserManager().getUserByEmail("zoë@xn--bcher-kva.example"));
    assertEquals("zoë@bücher.example", mails.get(0).getHeader("To", null));
    assertEquals(200, confirm(link("zoë@bücher.example", "confirm"), "newsletter").status());
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("zoë@xn--bcher-kva.example"));
  }

  @Test
  void eraseWhenSignedUpWithIdnThenSuppressionMatchesBothSpellings() throws Exception {
    assertEquals(200, subscribe("idn@bücher.example", "newsletter").status());
    assertEquals(200, confirm(link("idn@xn--bcher-kva.example", "confirm"), "newsletter").status());
    Subject subject = optIn.findSubject("idn@xn--bcher-kva.example").orElseThrow();

    assertTrue(optIn.rights().erase(subject.id(), org.optin4j.Channel.OPERATOR));

    assertTrue(optIn.rights().isSuppressed("idn@bücher.example"));
    assertTrue(optIn.rights().isSuppressed("IDN@XN--BCHER-KVA.EXAMPLE"));
    // Signing up again under the other spelling is the same person: a fresh double opt-in, one
    // subject.
    assertEquals(200, subscribe("idn@xn--bcher-kva.example", "newsletter").status());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("idn@bücher.example"));
  }

  @Test
  void dropInFormWhenAppFieldsNotAsciiThenTheyReachTheAppIntact() throws Exception {
    Http.Response page = http.get(APP + "/signup-page");
    String message = "Zoë – Grüße aus Köln, ünïcödé ✓";

    Http.Response signup =
        http.submit(
            APP + "/signup",
            form(
                "email",
                "zoe@bücher.example",
                "message",
                message,
                "optin-purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                page.field("optin-lang"),
                "optin-website",
                ""));
    Http.Response nothingChosen =
        http.submit(APP + "/signup", form("email", "zoe@example.org", "message", message));

    assertTrue(signup.body().startsWith("outcome=Requested"), signup.body());
    assertTrue(signup.body().contains("message=" + message), signup.body());
    assertTrue(nothingChosen.body().startsWith("outcome=NothingChosen"), nothingChosen.body());
    assertTrue(nothingChosen.body().contains("message=" + message), nothingChosen.body());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("zoe@xn--bcher-kva.example"));
  }

  @Test
  void dropInFormWhenRequestDeclaresACharsetThenItIsHonoured() throws Exception {
    String body =
        "email=zoe%40example.org&message="
            + java.net.URLEncoder.encode("Zoë", StandardCharsets.ISO_8859_1);

    Http.Response r =
        http.postRaw(
            APP + "/signup",
            "application/x-www-form-urlencoded; charset=ISO-8859-1",
            body,
            "Origin",
            http.origin,
            "Sec-Fetch-Site",
            "same-origin");

    assertTrue(r.body().contains("message=Zoë"), r.body());
  }

  @Test
  void dropInFormWhenLocalPartNotAsciiAndMailerWithoutSmtpUtf8ThenAppLearnsWhy() throws Exception {
    Http.Response page = http.get(APP + "/signup-page");

    Http.Response r =
        http.submit(
            APP + "/signup",
            form(
                "email",
                "zoë@example.org",
                "message",
                "m",
                "optin-purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                page.field("optin-lang"),
                "optin-website",
                ""));

    assertTrue(r.body().startsWith("outcome=InvalidAddress"), r.body());
    assertTrue(optIn.findSubject("zoë@example.org").isEmpty());
  }

  @Test
  void dropInFormOutcomesForNothingChosenInvalidAddressAndMissingCsrf() throws Exception {
    Http.Response page = http.get(APP + "/signup-page");
    Http.Response none =
        http.submit(APP + "/signup", form("email", "ann@example.org", "message", "m"));
    assertTrue(none.body().startsWith("outcome=NothingChosen"), none.body());
    Http.Response invalid =
        http.submit(
            APP + "/signup",
            form(
                "email",
                "nope",
                "optin-purpose",
                "newsletter",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertTrue(invalid.body().startsWith("outcome=InvalidAddress"), invalid.body());
    Http.Response forged =
        http.submit(
            APP + "/signup",
            form(
                "email",
                "ann@example.org",
                "optin-purpose",
                "newsletter",
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertEquals(403, forged.status());
    assertFalse(forged.body().contains("outcome="), "the app never saw it");
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
  }

  @Test
  void markerPageWhenAppWritesTheSameBytesThenScannedOnceAndReusedWithFreshTokens()
      throws Exception {
    long before = filter.dropIn().pageScans();
    java.util.Set<String> tokens = new java.util.HashSet<>();
    for (int i = 0; i < 3; i++) {
      Http.Response r = http.get(APP + "/static.html");
      assertEquals(200, r.status());
      assertFalse(r.body().contains("<optin-notice"));
      tokens.add(r.field("optin-csrf"));
    }
    assertEquals(
        1,
        filter.dropIn().pageScans() - before,
        "the split page is reused while the bytes are the same");
    assertEquals(3, tokens.size(), "a fresh form token per view");
  }

  @Test
  void markerPageWhenAppSaysPrivateThenNotKeptForReuse() throws Exception {
    long before = filter.dropIn().pageScans();
    for (int i = 0; i < 2; i++) {
      Http.Response r = http.get(APP + "/static.html?private=1");
      assertEquals(200, r.status());
      assertFalse(r.body().contains("<optin-notice"));
      assertEquals("no-store", r.header("Cache-Control"));
    }
    assertEquals(
        2,
        filter.dropIn().pageScans() - before,
        "a page made for one person is scanned anew each time");
  }

  @Test
  void markerInStaticHtmlIsReplacedAndOtherTypesPassUntouched() throws Exception {
    Http.Response r = http.get(APP + "/static.html", "If-None-Match", "\"v1\"");
    assertEquals(200, r.status());
    String b = r.body();
    assertFalse(b.contains("<optin-notice"));
    assertTrue(b.contains("name=\"optin-purpose\" value=\"offers\""));
    assertTrue(b.contains("caf\u00e9"));
    assertNotNull(r.field("optin-csrf"));
    assertEquals("no-store", r.header("Cache-Control"));
    assertNull(r.header("ETag"));
    assertEquals(
        String.valueOf(b.getBytes(StandardCharsets.UTF_8).length), r.header("Content-Length"));
    Http.Response json = http.get(APP + "/data.json");
    assertTrue(json.body().contains("<optin-notice purposes"), "non-HTML untouched");
    assertEquals("\"v1\"", json.header("ETag"));
    // the block posts like the app's own form
    Http.Response done =
        http.submit(
            APP + "/signup",
            form(
                "email",
                "ann@example.org",
                "optin-purpose",
                "offers",
                "optin-csrf",
                r.field("optin-csrf"),
                "optin-notice",
                r.field("optin-notice"),
                "optin-lang",
                "en"));
    assertTrue(done.body().startsWith("outcome=Requested"), done.body());
  }

  @Test
  void markerPageWhenAppPageChangesThenNeverServedStaleAndBlockFreshPerViewAndLanguage()
      throws Exception {
    for (String via : new String[] {"", "&writer=1"}) {
      Http.Response first = markerPage("/dynamic.html?v=xy&p=newsletter" + via, "en");
      Http.Response again = markerPage("/dynamic.html?v=xy&p=newsletter" + via, "en");
      assertTrue(first.body().contains("version xy</p>"), first.body());
      assertTrue(again.body().contains("version xy</p>"), again.body());
      assertNotEquals(
          first.field("optin-csrf"), again.field("optin-csrf"), "a fresh form token per view");
      assertEquals(
          first.body().replace(first.field("optin-csrf"), "T"),
          again.body().replace(again.field("optin-csrf"), "T"),
          "the same page otherwise");
      // a page that is a prefix of the last one, then the longer one again, then other purposes and
      // a language
      Http.Response shorter = markerPage("/dynamic.html?v=x&p=newsletter" + via, "en");
      assertTrue(shorter.body().contains("version x</p>"), shorter.body());
      assertTrue(
          markerPage("/dynamic.html?v=xy&p=newsletter" + via, "en")
              .body()
              .contains("version xy</p>"));
      Http.Response offers = markerPage("/dynamic.html?v=xy&p=offers" + via, "en");
      assertTrue(offers.body().contains("name=\"optin-purpose\" value=\"offers\""), offers.body());
      assertFalse(offers.body().contains("value=\"newsletter\""), offers.body());
      Http.Response dutch = markerPage("/dynamic.html?v=xy&p=offers" + via, "nl");
      assertTrue(dutch.body().contains("Aanbiedingen"), dutch.body());
      assertEquals("nl", dutch.field("optin-lang"));
      Http.Response english = markerPage("/dynamic.html?v=xy&p=offers" + via, "en");
      assertFalse(english.body().contains("Aanbiedingen"), english.body());
      assertEquals("en", english.field("optin-lang"));
      // the block of a page served from the split posts like any other
      Http.Response done =
          http.submit(
              APP + "/signup",
              form(
                  "email",
                  "ann" + via.length() + "@example.org",
                  "optin-purpose",
                  "offers",
                  "optin-csrf",
                  english.field("optin-csrf"),
                  "optin-notice",
                  english.field("optin-notice"),
                  "optin-lang",
                  "en"));
      assertTrue(done.body().startsWith("outcome=Requested"), done.body());
    }
  }

  private Http.Response markerPage(String path, String language) throws Exception {
    Http.Response r = http.get(APP + path, "Accept-Language", language);
    assertEquals(200, r.status(), r.body());
    assertFalse(r.body().contains("<optin-notice"), r.body());
    assertTrue(r.body().endsWith("</p></body></html>"), r.body());
    assertTrue(r.body().contains("caf\u00e9"), r.body());
    String length = r.header("Content-Length");
    if (length != null) {
      assertEquals(String.valueOf(r.body().getBytes(StandardCharsets.UTF_8).length), length);
    }
    return r;
  }

  @Test
  void markerPageWithHumanCheckCarriesTheCheckOnEveryView() throws Exception {
    deploy(
        b ->
            b.humanCheck(
                new HumanCheck() {
                  @Override
                  public String formHtml(
                      jakarta.servlet.http.HttpServletRequest request, java.util.Locale locale) {
                    return "<input name=\"pow\" value=\"" + request.getParameter("v") + "\">";
                  }

                  @Override
                  public boolean verify(jakarta.servlet.http.HttpServletRequest request) {
                    return true;
                  }
                }));
    assertTrue(markerPage("/dynamic.html?v=a", "en").body().contains("name=\"pow\" value=\"a\""));
    assertTrue(markerPage("/dynamic.html?v=a", "en").body().contains("name=\"pow\" value=\"a\""));
  }

  @Test
  void humanCheckHookWhenFailingThen400AndWhenThrowingThenFailsClosedWith500() throws Exception {
    deploy(
        b ->
            b.humanCheck(
                new HumanCheck() {
                  @Override
                  public String formHtml(
                      jakarta.servlet.http.HttpServletRequest request, java.util.Locale locale) {
                    return "<label for=\"pow\">2 + 2</label><input id=\"pow\" name=\"pow\">";
                  }

                  @Override
                  public boolean verify(jakarta.servlet.http.HttpServletRequest request) {
                    if ("boom".equals(request.getParameter("pow"))) {
                      throw new IllegalStateException("check service down");
                    }
                    return "4".equals(request.getParameter("pow"));
                  }
                }));
    Http.Response page = http.get(BASE + "/subscribe");
    assertTrue(page.body().contains("name=\"pow\""));
    List<String> f =
        form(
            "email",
            "ann@example.org",
            "purpose",
            "newsletter",
            "optin-csrf",
            page.field("optin-csrf"),
            "optin-notice",
            page.field("optin-notice"),
            "optin-lang",
            "en");
    List<String> wrong = new ArrayList<>(f);
    wrong.addAll(List.of("pow", "5"));
    Http.Response r = http.submit(BASE + "/subscribe", wrong);
    assertEquals(400, r.status());
    assertTrue(r.body().contains("Please complete the check."));
    List<String> boom = new ArrayList<>(f);
    boom.addAll(List.of("pow", "boom"));
    Http.Response failed = http.submit(BASE + "/subscribe", boom);
    assertEquals(500, failed.status());
    assertTrue(failed.body().contains("nothing was changed"));
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
    List<String> right = new ArrayList<>(f);
    right.addAll(List.of("pow", "4"));
    assertEquals(200, http.submit(BASE + "/subscribe", right).status());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
  }

  @Test
  void customLayoutStylesheetAndMessagesReskinThePages() throws Exception {
    deploy(
        b ->
            b.stylesheet("/css/brand.css")
                .layout(
                    p ->
                        "<!DOCTYPE html><html lang=\""
                            + p.locale().toLanguageTag()
                            + "\"><body><header>Shop</header>"
                            + "<main>"
                            + p.contentHtml()
                            + "</main>"
                            + String.join(",", p.stylesheets())
                            + "</body></html>"));
    Http.Response r = http.get(BASE + "/subscribe");
    assertTrue(r.body().contains("<header>Shop</header>"));
    assertTrue(r.body().contains(BASE + "/optin.css,/css/brand.css"));
  }

  @Test
  void markerInRealFileServedByTheContainersDefaultServletIsReplaced() throws Exception {
    Http.Response r = http.get(APP + "/real.html");
    assertEquals(200, r.status(), r.body());
    assertFalse(r.body().contains("<optin-notice"), r.body());
    assertTrue(r.body().contains("name=\"optin-purpose\" value=\"newsletter\""));
    assertTrue(r.body().contains("caf\u00e9"), "bytes outside the marker are unchanged");
    assertNull(r.header("ETag"));
    String length = r.header("Content-Length");
    if (length != null) {
      // the file is UTF-8; served without a charset the filter rewrites it byte for byte as
      // ISO-8859-1
      assertEquals(String.valueOf(r.body().getBytes(StandardCharsets.UTF_8).length), length);
    }
    Http.Response conditional =
        http.get(APP + "/real.html", "If-Modified-Since", "Sat, 01 Jan 2100 00:00:00 GMT");
    assertEquals(200, conditional.status(), "no 304 for a page with a fresh form token");
  }

  // --- web.xml style
  // -------------------------------------------------------------------------------------------

  @Test
  void webXmlStyleFilterBuildsItsOwnOptInFromPropertiesFile() throws Exception {
    stop();
    container = newContainer();
    http = new Http(container.port());
    Path key = Files.createTempFile("optin4j-key", ".txt");
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    Files.writeString(key, Base64.getEncoder().encodeToString(k));
    Path catalog = Files.createTempFile("optin4j-catalog", ".json");
    Files.writeString(
        catalog,
        "{\"locales\":[\"en\"],\"purposes\":[{\"id\":\"news\",\"retention\":\"until-withdrawn\","
            + "\"proofRetention\":\"P3Y\",\"recipients\":[],\"automatedDecisions\":\"none\",\"texts\":{\"en\":{\"title\":\"News\",\"description\":\"Our news.\","
            + "\"data\":\"Your email address\"}}}]}");
    Path props = Files.createTempFile("optin4j", ".properties");
    Files.writeString(
        props,
        String.join(
            "\n",
            "baseUrl=" + http.origin + BASE,
            "catalog=file:" + catalog,
            "controller.name=Shop",
            "controller.address=Main St 1",
            "controller.email=privacy@shop.example",
            "controller.supervisoryAuthority.name=Autoriteit Persoonsgegevens",
            "controller.supervisoryAuthority.url=https://autoriteitpersoonsgegevens.nl",
            "smtp.host=127.0.0.1",
            "smtp.port=" + MAIL.getSmtp().getPort(),
            "smtp.security=NONE",
            "smtp.from=noreply@shop.example",
            "smtp.smtputf8=true",
            "signing.key.file=" + key,
            "suppressionPepper.file=" + key,
            "store=memory",
            "forTestsOrDemos=true",
            "rateLimit.perIp=50/PT10M",
            "dropIn.formPaths=/signup"));
    assertTrue(
        container.deploy(
            APP,
            (classes, ctx) -> {
              FilterRegistration.Dynamic f = ctx.addFilter("optin", OptInFilter.class);
              f.setInitParameter("config", "file:" + props);
              f.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
            }));
    Http.Response page = http.get(BASE + "/subscribe");
    assertEquals(200, page.status());
    assertTrue(page.body().contains("value=\"news\""));
    long before = System.nanoTime();
    Http.Response done =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "ann@example.org",
                "purpose",
                "news",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertEquals(200, done.status(), done.body());
    assertTrue(
        System.nanoTime() - before >= AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS,
        "not async-supported: the request thread waits for the floor instead");
    // the filter owns and started its OptIn: the background dispatcher sends the mail
    assertTrue(MAIL.waitForIncomingEmail(10_000, 1));
    page = http.get(BASE + "/subscribe");
    Http.Response utf8 =
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "zoë@example.org",
                "purpose",
                "news",
                "optin-csrf",
                page.field("optin-csrf"),
                "optin-notice",
                page.field("optin-notice"),
                "optin-lang",
                "en"));
    assertEquals(
        200, utf8.status(), "smtp.smtputf8=true: a non-ASCII local part is accepted and mailed");
    assertTrue(MAIL.waitForIncomingEmail(10_000, 2));

    Files.writeString(props, Files.readString(props) + "\nsmtp.hots=typo\n");
    Container second = newContainer();
    try {
      assertFalse(
          second.deploy(
              APP,
              (classes, ctx) -> {
                FilterRegistration.Dynamic f = ctx.addFilter("optin", OptInFilter.class);
                f.setInitParameter("config", "file:" + props);
                f.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
              }),
          "an unknown key must fail the start");
    } finally {
      second.close();
    }
  }

  // --- every page as recorded
  // ------------------------------------------------------------------------------------

  /**
   * Where the recorded pages are. When a page is meant to change (a text, a field), record them again with
   * {@code -Doptin4j.rendered.write=DIR} (DIR: this folder in src/test/resources) and review the diff.
   */
  private static final String RENDERED = "rendered/";

  /**
   * Walks through every hosted page (and the drop-in's notice block) and compares each, status and body, with the
   * page recorded before the hosted pages were split by page family: a refactoring of the page code must not change a
   * byte. Tokens and form tokens differ per run and are masked; the clock is fixed, and dates are masked too, as
   * JDKs format them differently (CLDR data changes between releases).
   */
  @Test
  void everyPageRendersExactlyAsRecorded() throws Exception {
    clock.set(RECORDED_AT);
    Map<String, Http.Response> pages = new java.util.LinkedHashMap<>();
    pages.put("subscribe", http.get(BASE + "/subscribe"));
    pages.put(
        "subscribe-next",
        http.get(
            BASE
                + "/subscribe?purpose=offers&next="
                + java.net.URLEncoder.encode(
                    "https://shop.example/thanks", StandardCharsets.UTF_8)));
    Http.Response form = pages.get("subscribe");
    pages.put(
        "subscribe-problems",
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "\"><b>x",
                "optin-csrf",
                form.field("optin-csrf"),
                "optin-notice",
                form.field("optin-notice"),
                "optin-lang",
                "en")));
    pages.put(
        "subscribe-forbidden", http.submit(BASE + "/subscribe", form("email", "ann@example.org")));
    Http.Response next = pages.get("subscribe-next");
    pages.put(
        "subscribed-next",
        http.submit(
            BASE + "/subscribe",
            form(
                "email",
                "ann@example.org",
                "purpose",
                "offers",
                "optin-csrf",
                next.field("optin-csrf"),
                "optin-notice",
                next.field("optin-notice"),
                "optin-lang",
                "en",
                "next",
                "https://shop.example/thanks")));
    pages.put("subscribed", subscribe("bob@example.org", "newsletter", "offers"));
    String confirmPath = link("bob@example.org", "confirm");
    pages.put("confirm", http.get(confirmPath));
    // A purpose the request did not offer shows the form again (recorded when an empty choice still
    // did that; an
    // all-unticked form now declines: postConfirmWithEveryBoxUntickedThenDeclinedPage...)
    pages.put("confirm-nothing-ticked", confirm(confirmPath, "not-offered"));
    pages.put("confirmed", confirm(confirmPath, "newsletter"));
    pages.put("already-confirmed", http.get(confirmPath));
    pages.put("invalid-link", http.get(BASE + "/confirm?token=bogus"));
    String prefs = link("bob@example.org", "preferences");
    pages.put("preferences", http.get(prefs));
    Http.Response center = pages.get("preferences");
    List<String> manage =
        form(
            "token",
            center.field("token"),
            "optin-csrf",
            center.field("optin-csrf"),
            "optin-lang",
            "en");
    List<String> change = new ArrayList<>(manage);
    change.addAll(
        List.of(
            "optin-notice",
            center.field("optin-notice"),
            "purpose",
            "newsletter",
            "purpose",
            "offers"));
    pages.put("preferences-saved-pending", http.submit(BASE + "/preferences", change));
    pages.put("preferences-erase-unticked", http.submit(BASE + "/preferences/erase", manage));
    pages.put("preferences-export", http.submit(BASE + "/preferences/export", manage));
    pages.put("preferences-receipt", http.submit(BASE + "/preferences/receipt", manage));
    List<String> address = new ArrayList<>(manage);
    address.addAll(List.of("email", "not an address"));
    pages.put("preferences-address-invalid", http.submit(BASE + "/preferences/address", address));
    address.set(address.size() - 1, "robert@example.org");
    pages.put("preferences-address-stepup", http.submit(BASE + "/preferences/address", address));
    String stepUp = link("bob@example.org", "preferences/step-up");
    pages.put("step-up-address", http.get(stepUp));
    pages.put("step-up-address-done", useStepUp(stepUp, "Change your email address?"));
    pages.put("step-up-invalid", http.get(stepUp));
    assertEquals(200, confirm(link("robert@example.org", "confirm"), "newsletter").status());
    String notMe = link("bob@example.org", "preferences/not-me");
    pages.put("not-me", http.get(notMe));
    pages.put("not-me-done", useStepUp(notMe, "Undo the change of your address"));
    String prefsAgain = link("bob@example.org", "preferences");
    center = http.get(prefsAgain);
    pages.put(
        "preferences-withdrawn",
        http.submit(
            BASE + "/preferences/withdraw",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "de")));
    pages.put("preferences-de", http.get(prefsAgain, "Accept-Language", "de"));
    String unsubscribe = link("bob@example.org", "unsubscribe");
    pages.put("unsubscribe", http.get(unsubscribe, "Accept-Language", "fr"));
    pages.put(
        "unsubscribed",
        http.postRaw(
            unsubscribe, "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click"));
    center = http.get(prefsAgain);
    pages.put(
        "preferences-erase-stepup",
        http.submit(
            BASE + "/preferences/erase",
            form(
                "token",
                center.field("token"),
                "optin-csrf",
                center.field("optin-csrf"),
                "optin-lang",
                "nl",
                "confirm",
                "yes")));
    String erase = link("bob@example.org", "preferences/step-up");
    pages.put("step-up-erase", http.get(erase, "Accept-Language", "nl"));
    pages.put("step-up-erased", useStepUp(erase, "Delete your data?"));
    subscribe("cat@example.org", "newsletter");
    String old = link("cat@example.org", "confirm");
    clock.advance(Duration.ofHours(49));
    pages.put("expired", http.get(old));
    Http.Response expired = pages.get("expired");
    pages.put(
        "resent",
        http.submit(
            BASE + "/resend",
            form(
                "token",
                expired.field("token"),
                "optin-csrf",
                expired.field("optin-csrf"),
                "optin-lang",
                "en")));
    pages.put("not-found", http.get(BASE + "/nope"));
    pages.put("method-not-allowed", http.get(BASE + "/resend"));
    pages.put("drop-in-block", http.get(APP + "/signup-page", "Accept-Language", "nl"));
    pages.put("marker-page", http.get(APP + "/static.html"));
    deploy(
        b ->
            b.rateLimitPerIp(1, Duration.ofMinutes(1))
                .humanCheck(
                    new HumanCheck() {
                      @Override
                      public String formHtml(
                          jakarta.servlet.http.HttpServletRequest request,
                          java.util.Locale locale) {
                        return "<label for=\"pow\">2 + 2</label><input id=\"pow\" name=\"pow\">";
                      }

                      @Override
                      public boolean verify(jakarta.servlet.http.HttpServletRequest request) {
                        throw new IllegalStateException("check service down");
                      }
                    }));
    pages.put("subscribe-human-check", http.get(BASE + "/subscribe"));
    form = pages.get("subscribe-human-check");
    List<String> signup =
        form(
            "email",
            "dan@example.org",
            "purpose",
            "newsletter",
            "optin-csrf",
            form.field("optin-csrf"),
            "optin-notice",
            form.field("optin-notice"),
            "optin-lang",
            "en");
    pages.put("internal-error", http.submit(BASE + "/subscribe", signup));
    pages.put("too-many", http.submit(BASE + "/subscribe", signup));

    String write = System.getProperty("optin4j.rendered.write");
    List<String> differ = new ArrayList<>();
    for (Map.Entry<String, Http.Response> e : pages.entrySet()) {
      String actual = e.getValue().status() + "\n" + masked(e.getValue().body());
      if (write != null) {
        Files.writeString(Path.of(write, e.getKey() + ".txt"), actual);
        continue;
      }
      try (java.io.InputStream in =
          AbstractHostedFlowIT.class.getResourceAsStream(RENDERED + e.getKey() + ".txt")) {
        assertNotNull(in, "no recorded page " + e.getKey());
        String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (!expected.equals(actual)) {
          differ.add(e.getKey() + ":\n" + actual);
        }
      }
    }
    assertTrue(differ.isEmpty(), "pages not as recorded: " + String.join("\n\n", differ));
  }

  private static final java.time.Instant RECORDED_AT =
      java.time.Instant.parse("2026-01-15T10:00:00Z");

  /**
   * The body with what differs per run masked (link tokens and form tokens) and with the dates and times of the
   * week after {@link #RECORDED_AT}, as this JDK formats them, named by their distance from it.
   */
  private static String masked(String body) {
    String b =
        body.replaceAll("token(=|&#61;)[A-Za-z0-9._%~-]+", "token$1TOKEN")
            .replaceAll(
                "name=\"(token|optin-csrf)\" value=\"[^\"]*\"", "name=\"$1\" value=\"TOKEN\"");
    for (String language : List.of("en", "nl", "de", "fr")) {
      java.util.Locale locale = java.util.Locale.forLanguageTag(language);
      for (int h = 8 * 24; h >= 0; h--) {
        b =
            b.replace(
                Pages.dateTimeFormatter(locale).format(RECORDED_AT.plus(Duration.ofHours(h)))
                    + " UTC",
                "{date and time +" + h + "h}");
      }
      for (int d = 8; d >= 0; d--) {
        b =
            b.replace(
                Pages.date(RECORDED_AT.plus(Duration.ofDays(d)), locale), "{date +" + d + "d}");
      }
    }
    return b;
  }
}
