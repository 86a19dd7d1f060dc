package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The recipients of a purpose in catalog files (GDPR Art. 13(1)(e)-(f)): required, and checked like in code. */
class PurposeRecipientsFilesTest {
  private static final String PROPERTIES =
      "locales=en\npurposes=newsletter\n"
          + "purpose.newsletter.retention=until-withdrawn\npurpose.newsletter.proof-retention=P1Y\n"
          + "purpose.newsletter.automated-decisions=none\n"
          + "%s"
          + "purpose.newsletter.title.en=News\npurpose.newsletter.description.en=Monthly.\n"
          + "purpose.newsletter.data.en=Your address.\n";
  private static final String JSON =
      "{\"locales\":[\"en\"],\"purposes\":[{\"id\":\"newsletter\",\"retention\":\"until-withdrawn\","
          + "\"proofRetention\":\"P1Y\",\"automatedDecisions\":\"none\",%s\"texts\":{\"en\":"
          + "{\"title\":\"News\",\"description\":\"Monthly.\",\"data\":\"Your address.\"}}}]}";

  private static ByteArrayInputStream in(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  private static List<Recipient> fromProperties(String line) {
    return PurposeCatalog.fromProperties(in(String.format(PROPERTIES, line)))
        .require(PurposeId.of("newsletter"))
        .recipients();
  }

  private static List<String> propertiesProblems(String line) {
    return assertThrows(ConfigurationException.class, () -> fromProperties(line)).problems();
  }

  @Test
  void catalogFilesWhenRecipientsThenReadInOrderTheSameFromBothFormats() {
    List<Recipient> expected =
        List.of(
            Recipient.inEea("Brevo SAS (mail)", "FR"),
            Recipient.transfer(
                "Mailgun Inc.", "US", Recipient.Safeguard.STANDARD_CONTRACTUAL_CLAUSES));

    assertEquals(
        expected,
        fromProperties(
            "purpose.newsletter.recipients=Brevo SAS (mail) | FR;"
                + " Mailgun Inc. | US | standard-contractual-clauses\n"));
    assertEquals(
        expected,
        PurposeCatalog.fromJson(
                in(
                    String.format(
                        JSON,
                        "\"recipients\":[\"Brevo SAS (mail) | FR\","
                            + "\"Mailgun Inc. | US | standard-contractual-clauses\"],")))
            .require(PurposeId.of("newsletter"))
            .recipients());
    assertEquals(List.of(), fromProperties("purpose.newsletter.recipients=none\n"));
  }

  @Test
  void catalogFilesWhenRecipientsMissingThenRefusedNamingTheKey() {
    assertEquals(
        List.of("purpose.newsletter.recipients: missing required key"), propertiesProblems(""));
    ConfigurationException json =
        assertThrows(
            ConfigurationException.class,
            () -> PurposeCatalog.fromJson(in(String.format(JSON, ""))));
    assertEquals(
        List.of("purposes[0].recipients: required (GDPR Art. 13(1)(e)); [] for none"),
        json.problems());
  }

  @Test
  void catalogFilesWhenTransferWithoutSafeguardOrUnknownSafeguardThenRefusedNamingTheKey() {
    assertEquals(
        List.of(
            "purpose.newsletter.recipients: recipient Mailgun: safeguard is required for a transfer"
                + " outside the EEA, to US (GDPR Art. 13(1)(f))"),
        propertiesProblems("purpose.newsletter.recipients=Mailgun | US\n"));
    assertEquals(
        List.of(
            "purpose.newsletter.recipients: unknown safeguard \"privacy-shield\" (adequacy-decision,"
                + " standard-contractual-clauses, binding-corporate-rules, explicit-consent)"),
        propertiesProblems("purpose.newsletter.recipients=Mailgun | US | privacy-shield\n"));
    assertEquals(
        List.of(
            "purpose.newsletter.recipients: \"Mailgun\" must be name | country or name | country"
                + " | safeguard"),
        propertiesProblems("purpose.newsletter.recipients=Mailgun\n"));
  }
}
