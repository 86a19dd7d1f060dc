package org.optin4j;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.Mailer;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** Shared test data for service-level tests. */
public final class Fixtures {
  public static final PurposeId NEWSLETTER = PurposeId.of("newsletter");
  public static final PurposeId EVENTS = PurposeId.of("events");
  public static final String BASE_URL = "https://bakery.example/optin";
  public static final byte[] PEPPER =
      "a test pepper of 32+ bytes, not random".getBytes(StandardCharsets.UTF_8);

  private Fixtures() {}

  public static Purpose newsletter() {
    return Purpose.builder("newsletter")
        .text(
            Locale.ENGLISH,
            "Monthly newsletter",
            "We send you our bread of the month and recipes.",
            "your email address")
        .text(
            Locale.forLanguageTag("nl"),
            "Maandelijkse nieuwsbrief",
            "We sturen je ons brood van de maand en recepten.",
            "je e-mailadres")
        .noRecipients()
        .noAutomatedDecisions()
        .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)))
        .build();
  }

  public static Purpose events() {
    return Purpose.builder("events")
        .dataCategories("email", "first-name")
        .text(
            Locale.ENGLISH,
            "Event invitations",
            "We invite you to tastings in the shop.",
            "your email address and first name")
        .text(
            Locale.forLanguageTag("nl"),
            "Uitnodigingen",
            "We nodigen je uit voor proeverijen in de winkel.",
            "je e-mailadres en voornaam")
        .noRecipients()
        .noAutomatedDecisions()
        .retention(Retention.fixed(Duration.ofDays(365), Duration.ofDays(365)))
        .build();
  }

  public static PurposeCatalog catalog() {
    return PurposeCatalog.builder()
        .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
        .add(newsletter())
        .add(events())
        .build();
  }

  public static Controller controller() {
    return new Controller(
            "De Gouden Korst B.V.",
            "Bakkerstraat 1, 1234 AB Utrecht",
            "privacy@bakery.example",
            "https://bakery.example/privacy")
        .withSupervisoryAuthority(
            "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl");
  }

  public static OptIn.Builder builder(ConsentStore store, Mailer mailer, TestClock clock) {
    return OptIn.builder()
        .catalog(catalog())
        .controller(controller())
        .store(store)
        .mailer(mailer)
        .signingKeys(SigningKeys.generate("k1"))
        .suppressionPepper(PEPPER)
        .baseUrl(BASE_URL)
        .clock(clock)
        .sendRetries(Duration.ofSeconds(30), Duration.ofMinutes(30), 5);
  }

  public static OptIn optIn(RecordingMailer mailer, TestClock clock) {
    return builder(InMemoryConsentStore.create(), mailer, clock).build();
  }

  /** Pulls the token of a link of the given page (confirm, preferences, unsubscribe) out of a mail body. */
  public static String token(String body, String page) {
    Matcher m =
        Pattern.compile(Pattern.quote(BASE_URL + "/" + page + "?token=") + "([A-Za-z0-9%._~-]+)")
            .matcher(body);
    if (!m.find()) {
      throw new AssertionError("no " + page + " link in mail");
    }
    return URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
  }
}
