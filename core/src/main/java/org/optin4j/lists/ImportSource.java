package org.optin4j.lists;

import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.PurposeId;

/**
 * What an import file is and how to read it: Mailchimp's audience export (one CSV file per status), listmonk's
 * subscriber export (JSON, with each subscriber's lists and their subscription status), or any CSV through a column
 * mapping. Built with a builder that names every problem at once; {@code docs/import.md} describes each format and how
 * its rows are classified.
 *
 * <p>Immutable and thread-safe.
 */
public final class ImportSource {

  /** The kinds of file. */
  public enum Format {
    /** Mailchimp's audience export: one CSV file per status, columns {@code Email Address}, {@code OPTIN_TIME}, ... */
    MAILCHIMP,
    /** listmonk's subscribers as JSON: an array of subscribers, or the API's {@code {"data":{"results":[...]}}}. */
    LISTMONK_JSON,
    /** Any CSV with a header row, read through a column mapping. */
    CSV
  }

  /** The three files of a Mailchimp audience export. */
  public enum MailchimpFile {
    /** {@code subscribed_members_export_*.csv}. */
    SUBSCRIBED,
    /** {@code unsubscribed_members_export_*.csv}. */
    UNSUBSCRIBED,
    /** {@code cleaned_members_export_*.csv}: addresses that bounced for good. */
    CLEANED
  }

  /** The fields a CSV column can be mapped to. */
  public enum Field {
    /** The address (required). */
    EMAIL,
    /** The row's status, mapped to a {@link Status} with {@link Builder#status(String, Status)}. */
    STATUS,
    /** The lists or tags of the row, separated by {@link Builder#listSeparator}, mapped to purposes. */
    LISTS,
    /** When the person subscribed (the request). */
    OPTIN_TIME,
    /** The IP address the subscription came from. */
    OPTIN_IP,
    /** When the person confirmed: what makes a subscribed row proven. */
    CONFIRM_TIME,
    /** The IP address the confirmation came from. */
    CONFIRM_IP,
    /** When the person unsubscribed or the address was cleaned. */
    ENDED_TIME,
    /** When the row last changed: the time of a withdrawal or bounce without its own time. */
    LAST_CHANGED
  }

  /** What a status value of a CSV row says. */
  public enum Status {
    /** Subscribed: {@link ImportClass#PROVEN} with a confirmation time, {@link ImportClass#UNPROVEN} without. */
    SUBSCRIBED,
    /** Unsubscribed: {@link ImportClass#WITHDRAWN}. */
    WITHDRAWN,
    /** Bounced for good: {@link ImportClass#UNDELIVERABLE}. */
    UNDELIVERABLE
  }

  /** How long unproven entries wait for re-permission unless told otherwise. */
  public static final Duration DEFAULT_UNPROVEN_HOLD = Duration.ofDays(90);

  private final Format format;
  private final MailchimpFile mailchimpFile;
  private final Set<PurposeId> purposes;
  private final Map<String, PurposeId> lists;
  private final Map<Field, String> columns;
  private final Map<String, Status> statuses;
  private final Status fixedStatus;
  private final char listSeparator;
  private final List<String> timeFormats;
  private final ZoneId zone;
  private final Locale locale;
  private final Duration unprovenHold;

  private ImportSource(Builder b) {
    this.format = b.format;
    this.mailchimpFile = b.mailchimpFile;
    this.purposes = Collections.unmodifiableSet(new LinkedHashSet<>(b.purposes));
    this.lists = Collections.unmodifiableMap(new LinkedHashMap<>(b.lists));
    this.columns = Collections.unmodifiableMap(new EnumMap<>(b.columns));
    this.statuses = Collections.unmodifiableMap(new LinkedHashMap<>(b.statuses));
    this.fixedStatus = b.fixedStatus;
    this.listSeparator = b.listSeparator;
    this.timeFormats = List.copyOf(b.timeFormats);
    this.zone = b.zone;
    this.locale = b.locale;
    this.unprovenHold = b.unprovenHold;
  }

  /**
   * Starts a Mailchimp audience export file: every row is for {@link Builder#purposes}; times are Mailchimp's
   * {@code yyyy-MM-dd HH:mm:ss} in UTC unless {@link Builder#zone} says otherwise.
   *
   * @param file which of the export's files
   * @return a builder
   */
  public static Builder mailchimp(MailchimpFile file) {
    Builder b = new Builder(Format.MAILCHIMP);
    b.mailchimpFile = Objects.requireNonNull(file, "file");
    b.columns.put(Field.EMAIL, "Email Address");
    b.columns.put(Field.OPTIN_TIME, "OPTIN_TIME");
    b.columns.put(Field.OPTIN_IP, "OPTIN_IP");
    b.columns.put(Field.CONFIRM_TIME, "CONFIRM_TIME");
    b.columns.put(Field.CONFIRM_IP, "CONFIRM_IP");
    b.columns.put(Field.LAST_CHANGED, "LAST_CHANGED");
    switch (file) {
      case SUBSCRIBED -> b.fixedStatus = Status.SUBSCRIBED;
      case UNSUBSCRIBED -> {
        b.fixedStatus = Status.WITHDRAWN;
        b.columns.put(Field.ENDED_TIME, "UNSUB_TIME");
      }
      case CLEANED -> {
        b.fixedStatus = Status.UNDELIVERABLE;
        b.columns.put(Field.ENDED_TIME, "CLEAN_TIME");
      }
      default -> throw new IllegalStateException(file.name());
    }
    b.timeFormats.add("yyyy-MM-dd HH:mm:ss");
    return b;
  }

  /**
   * Starts a listmonk subscriber export (JSON): each subscriber's {@code lists} entries whose list is mapped with
   * {@link Builder#list} become entries, classified by their {@code subscription_status}.
   *
   * @return a builder
   */
  public static Builder listmonk() {
    return new Builder(Format.LISTMONK_JSON);
  }

  /**
   * Starts a generic CSV file with a header row, read through {@link Builder#column} mappings.
   *
   * @return a builder
   */
  public static Builder csv() {
    return new Builder(Format.CSV);
  }

  /** Returns the kind of file. */
  public Format format() {
    return format;
  }

  /** Returns which Mailchimp file this is, if it is one. */
  public Optional<MailchimpFile> mailchimpFile() {
    return Optional.ofNullable(mailchimpFile);
  }

  /** Returns the purposes of every row (Mailchimp, or a CSV without a lists column); empty when lists map them. */
  public Set<PurposeId> purposes() {
    return purposes;
  }

  /** Returns the purpose of each list or tag name (listmonk lists by name or id; a CSV's lists column). */
  public Map<String, PurposeId> lists() {
    return lists;
  }

  /** Returns the column header of each mapped field (CSV and Mailchimp). */
  public Map<Field, String> columns() {
    return columns;
  }

  /** Returns the status values of a CSV's status column and what each says. */
  public Map<String, Status> statuses() {
    return statuses;
  }

  /** Returns the status of every row when the file has one status (a Mailchimp file, or a CSV told so). */
  public Optional<Status> fixedStatus() {
    return Optional.ofNullable(fixedStatus);
  }

  /** Returns the separator of names in a CSV's lists column. */
  public char listSeparator() {
    return listSeparator;
  }

  /**
   * Returns the patterns ({@link DateTimeFormatter}) tried in order on a time without an offset; ISO-8601 times with
   * an offset or {@code Z} are always understood.
   */
  public List<String> timeFormats() {
    return timeFormats;
  }

  /** Returns the zone of times written without an offset. */
  public ZoneId zone() {
    return zone;
  }

  /** Returns the language of the notice recorded with imported consents, or empty for the catalog's default. */
  public Optional<Locale> locale() {
    return Optional.ofNullable(locale);
  }

  /**
   * Returns how long an unproven entry's pending request stays open for re-permission before the retention job may
   * expire it and, after the unconfirmed grace period, purge it.
   */
  public Duration unprovenHold() {
    return unprovenHold;
  }

  /** A short name of the format for evidence: {@code mailchimp-subscribed}, {@code listmonk}, {@code csv}. */
  public String label() {
    return switch (format) {
      case MAILCHIMP -> "mailchimp-" + mailchimpFile.name().toLowerCase(Locale.ROOT);
      case LISTMONK_JSON -> "listmonk";
      case CSV -> "csv";
    };
  }

  @Override
  public String toString() {
    return "ImportSource[" + label() + ", purposes=" + purposes + ", lists=" + lists.keySet() + "]";
  }

  /** Builds an {@link ImportSource}; not thread-safe. */
  public static final class Builder {
    private final Format format;
    private MailchimpFile mailchimpFile;
    private final Set<PurposeId> purposes = new LinkedHashSet<>();
    private final Map<String, PurposeId> lists = new LinkedHashMap<>();
    private final Map<Field, String> columns = new EnumMap<>(Field.class);
    private final Map<String, Status> statuses = new LinkedHashMap<>();
    private Status fixedStatus;
    private char listSeparator = ',';
    private final List<String> timeFormats = new ArrayList<>();
    private ZoneId zone = ZoneOffset.UTC;
    private Locale locale;
    private Duration unprovenHold = DEFAULT_UNPROVEN_HOLD;

    private Builder(Format format) {
      this.format = format;
    }

    /**
     * Imports every row for these purposes (Mailchimp, or a CSV without a lists column).
     *
     * @param ids the purposes
     * @return this builder
     */
    public Builder purposes(PurposeId... ids) {
      for (PurposeId id : ids) {
        purposes.add(Objects.requireNonNull(id, "purpose"));
      }
      return this;
    }

    /**
     * Maps a list (listmonk: its name or numeric id; CSV: a name in the lists column) to a purpose; unmapped lists
     * are not imported.
     *
     * @param name the list's name or id, as the file writes it
     * @param purpose the purpose
     * @return this builder
     */
    public Builder list(String name, PurposeId purpose) {
      lists.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(purpose, "purpose"));
      return this;
    }

    /**
     * Maps a field to a CSV column by its header (for a Mailchimp file: renames one of its columns).
     *
     * @param field the field
     * @param header the column's header, as written in the file's first row
     * @return this builder
     */
    public Builder column(Field field, String header) {
      columns.put(Objects.requireNonNull(field, "field"), Objects.requireNonNull(header, "header"));
      return this;
    }

    /**
     * Says what a value of the CSV's status column means; a row with a value not mapped is invalid.
     *
     * @param value the value, compared ignoring case
     * @param status what it says
     * @return this builder
     */
    public Builder status(String value, Status status) {
      statuses.put(
          Objects.requireNonNull(value, "value").strip().toLowerCase(Locale.ROOT),
          Objects.requireNonNull(status, "status"));
      return this;
    }

    /**
     * Gives every row of a CSV without a status column one status.
     *
     * @param status the status
     * @return this builder
     */
    public Builder allRows(Status status) {
      this.fixedStatus = Objects.requireNonNull(status, "status");
      return this;
    }

    /**
     * Sets the separator of names in the lists column (default {@code ,}).
     *
     * @param separator the separator
     * @return this builder
     */
    public Builder listSeparator(char separator) {
      this.listSeparator = separator;
      return this;
    }

    /**
     * Adds a pattern ({@link DateTimeFormatter#ofPattern}) for times written without an offset, tried in the order
     * added (a Mailchimp file starts with {@code yyyy-MM-dd HH:mm:ss}).
     *
     * @param pattern the pattern
     * @return this builder
     */
    public Builder timeFormat(String pattern) {
      timeFormats.add(Objects.requireNonNull(pattern, "pattern"));
      return this;
    }

    /**
     * Sets the zone of times written without an offset (default UTC).
     *
     * @param zoneId the zone
     * @return this builder
     */
    public Builder zone(ZoneId zoneId) {
      this.zone = Objects.requireNonNull(zoneId, "zone");
      return this;
    }

    /**
     * Sets the language of the notice recorded with imported consents (default: the catalog's default language).
     *
     * @param language the language
     * @return this builder
     */
    public Builder locale(Locale language) {
      this.locale = Objects.requireNonNull(language, "locale");
      return this;
    }

    /**
     * Sets how long unproven entries wait for re-permission (default 90 days, 1 to 365 days).
     *
     * @param hold the period
     * @return this builder
     */
    public Builder unprovenHold(Duration hold) {
      this.unprovenHold = Objects.requireNonNull(hold, "unprovenHold");
      return this;
    }

    /**
     * Builds the source.
     *
     * @return the source
     * @throws IllegalArgumentException naming every problem found
     */
    public ImportSource build() {
      List<String> problems = new ArrayList<>();
      switch (format) {
        case MAILCHIMP -> {
          if (purposes.isEmpty()) {
            problems.add("a Mailchimp file needs purposes(...)");
          }
          if (!lists.isEmpty()) {
            problems.add("a Mailchimp file is for purposes(...), not lists, was " + lists.keySet());
          }
        }
        case LISTMONK_JSON -> {
          if (lists.isEmpty()) {
            problems.add("a listmonk export needs at least one list(name, purpose)");
          }
          if (!purposes.isEmpty()) {
            problems.add("a listmonk export maps lists to purposes, purposes(...) was " + purposes);
          }
          if (!columns.isEmpty() || !statuses.isEmpty() || fixedStatus != null) {
            problems.add(
                "a listmonk export has fixed fields: no column, status or allRows mapping");
          }
        }
        case CSV -> {
          if (!columns.containsKey(Field.EMAIL)) {
            problems.add("a CSV file needs column(EMAIL, header)");
          }
          boolean byList = columns.containsKey(Field.LISTS);
          if (byList == !purposes.isEmpty()) {
            problems.add(
                "a CSV file needs either purposes(...) or column(LISTS, header) with list(...), not both"
                    + " or neither");
          }
          if (byList && lists.isEmpty()) {
            problems.add("column(LISTS, ...) needs at least one list(name, purpose)");
          }
          boolean byStatus = columns.containsKey(Field.STATUS);
          if (byStatus == (fixedStatus != null)) {
            problems.add(
                "a CSV file needs either column(STATUS, header) with status(value, ...) or"
                    + " allRows(status), not both or neither");
          }
          if (byStatus && statuses.isEmpty()) {
            problems.add("column(STATUS, ...) needs at least one status(value, status)");
          }
        }
        default -> throw new IllegalStateException(format.name());
      }
      for (String pattern : timeFormats) {
        try {
          DateTimeFormatter.ofPattern(pattern, Locale.ROOT);
        } catch (IllegalArgumentException e) {
          problems.add(
              "time format \""
                  + pattern
                  + "\" is not a DateTimeFormatter pattern: "
                  + e.getMessage());
        }
      }
      if (unprovenHold.compareTo(Duration.ofDays(1)) < 0
          || unprovenHold.compareTo(Duration.ofDays(365)) > 0) {
        problems.add("unprovenHold must be 1 to 365 days, was " + unprovenHold);
      }
      if (listSeparator == '"' || listSeparator == '\r' || listSeparator == '\n') {
        problems.add("listSeparator must not be a quote or line break");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("invalid import source: " + String.join("; ", problems));
      }
      return new ImportSource(this);
    }
  }
}
