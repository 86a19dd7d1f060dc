package org.optin4j.internal;

import java.io.IOException;
import java.io.Reader;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportSource;
import org.optin4j.lists.ImportSource.Field;
import org.optin4j.lists.ImportSource.Status;

/**
 * Turns an import file into classified rows, one at a time (the rules are in {@code docs/import.md}): a CSV through
 * its column mapping (Mailchimp's is a preset of it), or listmonk's JSON subscribers. Holds only the current row.
 *
 * <p>Not thread-safe: one reader per file.
 */
final class ImportRows {

  /**
   * One entry: a row for one purpose, classified.
   *
   * @param purpose the purpose
   * @param kind what the row proves for it
   * @param requestedAt when the person subscribed, or {@code null} if the row does not say
   * @param requestIp the IP address of the subscription, or {@code null}
   * @param confirmedAt when the person confirmed, or {@code null}
   * @param confirmIp the IP address of the confirmation, or {@code null}
   * @param endedAt when the person unsubscribed or the address was cleaned, or {@code null} if the row does not say
   */
  record Entry(
      PurposeId purpose,
      ImportClass kind,
      Instant requestedAt,
      String requestIp,
      Instant confirmedAt,
      String confirmIp,
      Instant endedAt) {

    Evidence requestEvidence() {
      return Evidence.of(requestIp, null);
    }

    Evidence confirmEvidence() {
      return Evidence.of(confirmIp, null);
    }
  }

  /**
   * One row.
   *
   * @param line the line it starts on
   * @param email the address, or {@code null} if invalid
   * @param entries its entries; empty for an invalid row or one with no mapped purpose
   * @param invalid why the row is invalid, or {@code null}
   */
  record Row(long line, EmailAddress email, List<Entry> entries, String invalid) {
    static Row invalid(long line, String reason) {
      return new Row(line, null, List.of(), reason);
    }
  }

  private final ImportSource source;
  private final Instant now;
  private final List<DateTimeFormatter> formats = new ArrayList<>();
  private final CsvRecords csv;
  private final JsonElements json;
  private Map<Field, Integer> indexes;
  private boolean done;

  ImportRows(ImportSource source, Reader reader, Instant now) {
    this.source = source;
    this.now = now;
    for (String pattern : source.timeFormats()) {
      formats.add(DateTimeFormatter.ofPattern(pattern, Locale.ROOT));
    }
    if (source.format() == ImportSource.Format.LISTMONK_JSON) {
      this.csv = null;
      this.json = new JsonElements(reader);
    } else {
      this.csv = new CsvRecords(reader);
      this.json = null;
    }
  }

  /**
   * Reads the next row.
   *
   * @return the row, or {@code null} at the end
   * @throws IOException if reading fails
   */
  Row next() throws IOException {
    if (done) {
      return null;
    }
    try {
      return csv != null ? nextCsv() : nextJson();
    } catch (CsvRecords.Malformed e) {
      done = true; // nothing after an unreadable record can be trusted
      return Row.invalid(e.line(), e.getMessage() + "; the rest of the file was not read");
    }
  }

  // --- CSV, Mailchimp
  // -------------------------------------------------------------------------------------------

  private Row nextCsv() throws IOException {
    if (indexes == null) {
      List<String> header = csv.next();
      if (header == null) {
        done = true;
        return null;
      }
      Map<String, Integer> byName = new HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        byName.putIfAbsent(header.get(i).strip(), i);
      }
      indexes = new LinkedHashMap<>();
      for (Map.Entry<Field, String> m : source.columns().entrySet()) {
        Integer i = byName.get(m.getValue());
        if (i != null) {
          indexes.put(m.getKey(), i);
        }
      }
      if (!indexes.containsKey(Field.EMAIL)
          || (source.columns().containsKey(Field.STATUS) && !indexes.containsKey(Field.STATUS))
          || (source.columns().containsKey(Field.LISTS) && !indexes.containsKey(Field.LISTS))) {
        done = true;
        List<String> missing = new ArrayList<>();
        for (Field f : List.of(Field.EMAIL, Field.STATUS, Field.LISTS)) {
          if (source.columns().containsKey(f) && !indexes.containsKey(f)) {
            missing.add("\"" + source.columns().get(f) + "\"");
          }
        }
        return Row.invalid(
            csv.recordLine(),
            "the header has no column " + String.join(", ", missing) + "; nothing was read");
      }
    }
    List<String> fields = csv.next();
    if (fields == null) {
      done = true;
      return null;
    }
    long line = csv.recordLine();
    try {
      return csvRow(line, fields);
    } catch (BadValue e) {
      return Row.invalid(line, e.getMessage());
    }
  }

  private Row csvRow(long line, List<String> fields) {
    EmailAddress email = email(value(fields, Field.EMAIL), column(Field.EMAIL));
    Status status =
        source.fixedStatus().isPresent()
            ? source.fixedStatus().get()
            : status(value(fields, Field.STATUS));
    List<PurposeId> purposes = new ArrayList<>();
    if (source.purposes().isEmpty()) {
      String names = value(fields, Field.LISTS);
      if (names != null) {
        for (String name :
            names.split(java.util.regex.Pattern.quote(String.valueOf(source.listSeparator())))) {
          PurposeId p = source.lists().get(name.strip());
          if (p != null && !purposes.contains(p)) {
            purposes.add(p);
          }
        }
      }
    } else {
      purposes.addAll(source.purposes());
    }
    Instant optin = time(fields, Field.OPTIN_TIME);
    Instant confirm = time(fields, Field.CONFIRM_TIME);
    Instant ended = time(fields, Field.ENDED_TIME);
    if (ended == null) {
      ended = time(fields, Field.LAST_CHANGED);
    }
    String optinIp = value(fields, Field.OPTIN_IP);
    String confirmIp = value(fields, Field.CONFIRM_IP);
    List<Entry> entries = new ArrayList<>();
    for (PurposeId p : purposes) {
      entries.add(
          entry(
              p,
              status,
              status == Status.SUBSCRIBED && confirm != null,
              optin,
              optinIp,
              confirm,
              confirmIp,
              ended));
    }
    return new Row(line, email, entries, null);
  }

  private String column(Field f) {
    return "column \"" + source.columns().get(f) + "\"";
  }

  private String value(List<String> fields, Field f) {
    Integer i = indexes.get(f);
    if (i == null || i >= fields.size()) {
      return null;
    }
    String v = fields.get(i).strip();
    return v.isEmpty() ? null : v;
  }

  private Status status(String value) {
    Status s = value == null ? null : source.statuses().get(value.toLowerCase(Locale.ROOT));
    if (s == null) {
      throw new BadValue(
          column(Field.STATUS) + ": " + (value == null ? "no status" : "status value not mapped"));
    }
    return s;
  }

  private Instant time(List<String> fields, Field f) {
    String v = value(fields, f);
    return v == null ? null : parseTime(v, column(f));
  }

  /** Parses a time: ISO-8601 with an offset, or one of the source's patterns in its zone. */
  Instant parseTime(String v, String where) {
    Instant t = null;
    try {
      t = OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      for (DateTimeFormatter f : formats) {
        try {
          TemporalAccessor parsed = f.parseBest(v, LocalDateTime::from, LocalDate::from);
          t =
              parsed instanceof LocalDateTime ldt
                  ? ldt.atZone(source.zone()).toInstant()
                  : ((LocalDate) parsed).atStartOfDay(source.zone()).toInstant();
          break;
        } catch (DateTimeException ignored) {
          // try the next pattern
        }
      }
    }
    if (t == null) {
      throw new BadValue(where + ": not a time in a known format");
    }
    if (t.isAfter(now)) {
      throw new BadValue(where + ": a time in the future");
    }
    return t;
  }

  private static EmailAddress email(String value, String where) {
    if (value == null) {
      throw new BadValue(where + ": no address");
    }
    Optional<EmailAddress> e = EmailAddress.tryParse(value);
    if (e.isEmpty()) {
      throw new BadValue(where + ": not a valid email address");
    }
    return e.get();
  }

  /** Classifies one entry: the one place that decides a row's class (docs/import.md). */
  private static Entry entry(
      PurposeId purpose,
      Status status,
      boolean confirmed,
      Instant optin,
      String optinIp,
      Instant confirm,
      String confirmIp,
      Instant ended) {
    ImportClass kind =
        switch (status) {
          case SUBSCRIBED -> confirmed ? ImportClass.PROVEN : ImportClass.UNPROVEN;
          case WITHDRAWN -> ImportClass.WITHDRAWN;
          case UNDELIVERABLE -> ImportClass.UNDELIVERABLE;
        };
    Instant requested = optin;
    if (confirm != null && (requested == null || requested.isAfter(confirm))) {
      requested = confirm; // a request cannot follow its confirmation; the confirmation proves both
    }
    return new Entry(
        purpose,
        kind,
        requested,
        optinIp,
        confirm,
        confirmIp,
        kind == ImportClass.PROVEN || kind == ImportClass.UNPROVEN ? null : ended);
  }

  // --- listmonk
  // -------------------------------------------------------------------------------------------------

  private Row nextJson() throws IOException {
    String text = json.next();
    if (text == null) {
      done = true;
      return null;
    }
    long line = json.elementLine();
    Map<String, Object> subscriber;
    try {
      subscriber = com.nimbusds.jose.util.JSONObjectUtils.parse(text);
    } catch (java.text.ParseException e) {
      return Row.invalid(line, "not a JSON object");
    }
    try {
      return listmonkRow(line, subscriber);
    } catch (BadValue e) {
      return Row.invalid(line, e.getMessage());
    }
  }

  private Row listmonkRow(long line, Map<String, Object> subscriber) {
    EmailAddress email = email(string(subscriber, "email"), "\"email\"");
    boolean blocklisted = "blocklisted".equals(string(subscriber, "status"));
    List<Entry> entries = new ArrayList<>();
    List<PurposeId> seen = new ArrayList<>();
    Object lists = subscriber.get("lists");
    if (lists != null && !(lists instanceof List<?>)) {
      throw new BadValue("\"lists\": not an array");
    }
    for (Object o : lists == null ? List.of() : (List<?>) lists) {
      if (!(o instanceof Map<?, ?> raw)) {
        throw new BadValue("\"lists\": an entry is not an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> list = (Map<String, Object>) raw;
      PurposeId p = source.lists().get(String.valueOf(list.get("name")));
      if (p == null && list.get("id") instanceof Number n) {
        p = source.lists().get(String.valueOf(n.longValue()));
      }
      if (p == null || seen.contains(p)) {
        continue;
      }
      seen.add(p);
      String status = blocklisted ? "unsubscribed" : string(list, "subscription_status");
      Instant created = jsonTime(list, "subscription_created_at");
      Instant updated = jsonTime(list, "subscription_updated_at");
      String ip = null;
      if (list.get("subscription_meta") instanceof Map<?, ?> meta
          && meta.get("optin_ip") instanceof String s) {
        ip = s;
      }
      Status s;
      boolean confirmed = false;
      if ("confirmed".equals(status)) {
        s = Status.SUBSCRIBED;
        // A single opt-in list marks subscriptions confirmed without any mail: no proof
        // (docs/import.md).
        confirmed = !"single".equals(string(list, "optin"));
      } else if ("unconfirmed".equals(status)) {
        s = Status.SUBSCRIBED;
      } else if ("unsubscribed".equals(status)) {
        s = Status.WITHDRAWN;
      } else {
        throw new BadValue(
            "\"subscription_status\": " + (status == null ? "missing" : "unknown value"));
      }
      if (confirmed && updated == null) {
        throw new BadValue("\"subscription_updated_at\": missing on a confirmed subscription");
      }
      entries.add(
          entry(
              p,
              s,
              confirmed,
              created,
              null,
              confirmed ? updated : null,
              confirmed ? ip : null,
              updated));
    }
    return new Row(line, email, entries, null);
  }

  private static String string(Map<String, Object> m, String key) {
    return m.get(key) instanceof String s && !s.isBlank() ? s.strip() : null;
  }

  private Instant jsonTime(Map<String, Object> m, String key) {
    String v = string(m, key);
    return v == null ? null : parseTime(v, "\"" + key + "\"");
  }

  /** A value that makes its row invalid. */
  private static final class BadValue extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadValue(String message) {
      super(message, null, false, false);
    }
  }
}
