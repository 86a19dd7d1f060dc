package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.optin4j.PurposeId;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportSource;

class ImportRowsTest {
  private static final Instant NOW = Instant.parse("2026-03-02T10:00:00Z");
  private static final PurposeId NEWS = PurposeId.of("newsletter");

  private static List<List<String>> csv(String text) throws IOException {
    CsvRecords r = new CsvRecords(new StringReader(text));
    List<List<String>> out = new ArrayList<>();
    for (List<String> rec = r.next(); rec != null; rec = r.next()) {
      out.add(rec);
    }
    return out;
  }

  @Test
  void csvWhenQuotedFieldsThenCommasLineBreaksAndDoubledQuotesKept() throws IOException {
    assertEquals(
        List.of(List.of("a", "b,c", "say \"hi\"", "two\nlines", ""), List.of("x", "y")),
        csv("a,\"b,c\",\"say \"\"hi\"\"\",\"two\r\nlines\",\r\nx,y"));
  }

  @Test
  void csvWhenBomBlankLinesAndBareCrThenSkippedAndSplit() throws IOException {
    assertEquals(
        List.of(List.of("h1", "h2"), List.of("1", "2"), List.of("3", "4")),
        csv("\uFEFFh1,h2\n\n1,2\r3,4\n"));
  }

  @Test
  void csvRecordLineWhenAQuotedFieldSpansLinesThenTheNextRecordKnowsItsLine() throws IOException {
    CsvRecords r = new CsvRecords(new StringReader("h\n\"a\nb\nc\"\nnext\n"));
    r.next();
    r.next();
    assertEquals(2, r.recordLine());
    assertEquals(List.of("next"), r.next());
    assertEquals(5, r.recordLine());
    assertNull(r.next());
  }

  @Test
  void csvWhenAQuoteIsNeverClosedThenMalformedWithItsLine() throws IOException {
    CsvRecords r = new CsvRecords(new StringReader("h\nok\n\"open,\nand on\n"));
    r.next();
    r.next();
    CsvRecords.Malformed e = assertThrows(CsvRecords.Malformed.class, r::next);
    assertEquals(3, e.line());
  }

  @Test
  void csvWhenARecordIsHugeThenRefusedInsteadOfHeld() {
    String huge = "\"" + "x".repeat(CsvRecords.MAX_RECORD_CHARS + 10) + "\"\n";
    assertThrows(CsvRecords.Malformed.class, () -> new CsvRecords(new StringReader(huge)).next());
  }

  @Test
  void jsonWhenTopLevelArrayOrResultsArrayThenEachObjectWithItsLine() throws IOException {
    JsonElements a =
        new JsonElements(
            new StringReader(
                "[\n{\"email\":\"a@x.org\",\"x\":{\"y\":[1,{}]}},\n{\"email\":\"}\"}]"));
    assertEquals("{\"email\":\"a@x.org\",\"x\":{\"y\":[1,{}]}}", a.next());
    assertEquals(2, a.elementLine());
    assertEquals("{\"email\":\"}\"}", a.next());
    assertEquals(3, a.elementLine());
    assertNull(a.next());

    JsonElements b =
        new JsonElements(
            new StringReader(
                "{\"data\":{\"tags\":[\"t\"],\"results\":[{\"email\":\"b@x.org\"}],\"total\":1}}"));
    assertEquals("{\"email\":\"b@x.org\"}", b.next());
    assertNull(b.next());
  }

  @Test
  void mailchimpTimeWithoutOffsetIsUtcUnlessAZoneIsSet() throws IOException {
    ImportSource utc =
        ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED).purposes(NEWS).build();
    ImportSource berlin =
        ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
            .purposes(NEWS)
            .zone(java.time.ZoneId.of("Europe/Berlin"))
            .build();
    String file =
        "Email Address,OPTIN_TIME,CONFIRM_TIME\nann@example.org,2021-06-01 10:00:00,2021-06-01 10:01:02\n";

    ImportRows.Row a = new ImportRows(utc, new StringReader(file), NOW).next();
    ImportRows.Row b = new ImportRows(berlin, new StringReader(file), NOW).next();

    assertEquals(Instant.parse("2021-06-01T10:01:02Z"), a.entries().get(0).confirmedAt());
    assertEquals(Instant.parse("2021-06-01T08:01:02Z"), b.entries().get(0).confirmedAt());
    assertEquals(ImportClass.PROVEN, a.entries().get(0).kind());
  }

  @Test
  void isoTimesWithOffsetAreAlwaysUnderstoodAndFutureTimesRefused() {
    ImportRows rows =
        new ImportRows(
            ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED).purposes(NEWS).build(),
            new StringReader(""),
            NOW);
    assertEquals(
        Instant.parse("2021-06-01T08:00:00Z"), rows.parseTime("2021-06-01T10:00:00+02:00", "t"));
    assertEquals(
        Instant.parse("2021-06-01T08:00:00.5Z"), rows.parseTime("2021-06-01T08:00:00.5Z", "t"));
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> rows.parseTime("2027-01-01 00:00:00", "t"));
    assertTrue(e.getMessage().contains("future"), e.getMessage());
  }

  @Test
  void headerWithoutTheEmailColumnThenOneInvalidRowAndNothingRead() throws IOException {
    ImportRows rows =
        new ImportRows(
            ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED).purposes(NEWS).build(),
            new StringReader("Email,OPTIN_TIME\nann@example.org,\n"),
            NOW);
    ImportRows.Row r = rows.next();
    assertEquals(1, r.line());
    assertTrue(r.invalid().contains("\"Email Address\""), r.invalid());
    assertNull(rows.next());
  }

  @Test
  void confirmationBeforeTheOptinTimeThenRequestMovedToTheConfirmation() throws IOException {
    ImportRows.Row r =
        new ImportRows(
                ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
                    .purposes(NEWS)
                    .build(),
                new StringReader(
                    "Email Address,OPTIN_TIME,CONFIRM_TIME\nann@example.org,2021-06-01 10:00:00,2021-06-01 09:00:00\n"),
                NOW)
            .next();
    assertEquals(r.entries().get(0).confirmedAt(), r.entries().get(0).requestedAt());
  }
}
