package org.optin4j;

// The README's Java example, kept here so that it always compiles (ReadmeExampleTest runs it).

import java.time.Duration;
import java.util.Locale;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;

final class ReadmeExample {
  private ReadmeExample() {}

  static boolean run(
      int smtpPort, byte[] pepper, java.util.function.Function<String, String> readConfirmToken) {
    // spotless:off (the README shows this region as written)
    // README:BEGIN
    PurposeCatalog catalog = PurposeCatalog.builder()
        .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
        .add(Purpose.builder("newsletter")
            .text(Locale.ENGLISH, "Newsletter", "Our bread of the month, once a month.", "your email address")
            .text(Locale.forLanguageTag("nl"), "Nieuwsbrief", "Ons brood van de maand.", "je e-mailadres")
            .recipients(Recipient.inEea("Brevo SAS (mail delivery)", "FR")) // or noRecipients()
            .noAutomatedDecisions()     // Art. 13(2)(f); or automatedDecisions(locale, logic)
            .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)))
            .build())
        .build();

    try (OptIn optIn = OptIn.builder()
        .catalog(catalog)
        .controller(new Controller("De Gouden Korst B.V.", "Bakkerstraat 1, Utrecht", "privacy@bakery.example", null)
            .withSupervisoryAuthority("Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
        .store(InMemoryConsentStore.create())                 // JdbcConsentStore for real deployments
        .mailer(SmtpMailer.builder().host("127.0.0.1").port(smtpPort)
            .security(SmtpMailer.Security.NONE)              // STARTTLS (the default) or SMTPS in production
            .from("news@bakery.example").build())
        .signingKeys(SigningKeys.generate("k1"))             // load persistent keys in production
        .suppressionPepper(pepper)                           // 32+ secret bytes, stable across restarts
        .baseUrl("https://bakery.example/optin")             // where the confirm/preferences pages live
        .build()
        .start()) {                                          // background outbox dispatcher

      optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, PurposeId.of("newsletter")));
      // ... the person clicks the link in the mail; the confirm page POSTs the token back:
      String token = readConfirmToken.apply("ann@example.org");
      ConfirmationResult result = optIn.confirm(token, ConfirmationChoice.all(), Evidence.of("203.0.113.7", "Firefox"));

      return result instanceof ConfirmationResult.Confirmed
          && optIn.mayMail("ann@example.org", PurposeId.of("newsletter"));
    }
    // README:END
    // spotless:on
  }
}
