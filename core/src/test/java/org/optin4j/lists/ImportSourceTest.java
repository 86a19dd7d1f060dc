package org.optin4j.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.optin4j.PurposeId;

class ImportSourceTest {
  private static final PurposeId NEWS = PurposeId.of("newsletter");

  @Test
  void mailchimpFilesThenTheirColumnsAndStatus() {
    ImportSource s =
        ImportSource.mailchimp(ImportSource.MailchimpFile.CLEANED).purposes(NEWS).build();
    assertEquals("Email Address", s.columns().get(ImportSource.Field.EMAIL));
    assertEquals("CLEAN_TIME", s.columns().get(ImportSource.Field.ENDED_TIME));
    assertEquals(ImportSource.Status.UNDELIVERABLE, s.fixedStatus().orElseThrow());
    assertEquals("mailchimp-cleaned", s.label());
  }

  @Test
  void buildWhenSeveralProblemsThenEveryOneNamedAtOnce() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ImportSource.csv()
                    .timeFormat("yyyy-MM-dd {")
                    .unprovenHold(Duration.ofDays(400))
                    .build());
    assertTrue(e.getMessage().contains("column(EMAIL"), e.getMessage());
    assertTrue(e.getMessage().contains("purposes(...) or column(LISTS"), e.getMessage());
    assertTrue(e.getMessage().contains("allRows(status)"), e.getMessage());
    assertTrue(e.getMessage().contains("yyyy-MM-dd {"), e.getMessage());
    assertTrue(e.getMessage().contains("PT9600H"), e.getMessage());
  }

  @Test
  void buildWhenMailchimpWithoutPurposesOrListmonkWithoutListsThenRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED).build());
    assertThrows(IllegalArgumentException.class, () -> ImportSource.listmonk().build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ImportSource.listmonk().list("News", NEWS).purposes(NEWS).build());
  }

  @Test
  void statusValuesAreComparedIgnoringCase() {
    ImportSource s =
        ImportSource.csv()
            .column(ImportSource.Field.EMAIL, "e")
            .column(ImportSource.Field.STATUS, "s")
            .status(" Active ", ImportSource.Status.SUBSCRIBED)
            .purposes(NEWS)
            .build();
    assertEquals(ImportSource.Status.SUBSCRIBED, s.statuses().get("active"));
  }
}
