package org.optin4j.examples;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.optin4j.Consent;

/**
 * Small helpers shared by the admin pages: hidden fields and one-button forms carrying the form token, UTC
 * date-time inputs, multi-line inputs and "time left" texts. Every value is encoded with the OWASP Encoder through
 * {@link Html}. Stateless and thread-safe.
 */
final class AdminForms {
  private static final DateTimeFormatter LOCAL_INPUT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm");

  private AdminForms() {}

  static String hidden(String name, String value) {
    return "<input type=\"hidden\" name=\""
        + Html.attr(name)
        + "\" value=\""
        + Html.attr(value)
        + "\">\n";
  }

  /**
   * A form with one button, the form token and the given hidden fields.
   *
   * @param token the form token
   * @param action the path posted to
   * @param label the button label, plain text
   * @param cssClass the button's class
   * @param fields hidden fields, as name, value, name, value...
   * @return the form
   */
  static String postButton(
      String token, String action, String label, String cssClass, String... fields) {
    StringBuilder b =
        new StringBuilder("<form method=\"post\" action=\"")
            .append(Html.attr(action))
            .append("\" class=\"button-form\">")
            .append(hidden("csrf", token));
    for (int i = 0; i + 1 < fields.length; i += 2) {
      b.append(hidden(fields[i], fields[i + 1]));
    }
    return b.append("<button type=\"submit\" class=\"")
        .append(Html.attr(cssClass))
        .append("\">")
        .append(Html.text(label))
        .append("</button></form>\n")
        .toString();
  }

  /** The value for a {@code datetime-local} input showing this instant in UTC, to the minute. */
  static String dateTimeValue(Instant at) {
    return LOCAL_INPUT.format(
        LocalDateTime.ofInstant(at.truncatedTo(ChronoUnit.MINUTES), ZoneOffset.UTC));
  }

  /**
   * Reads a {@code datetime-local} value ({@code 2025-03-01T14:30}, seconds optional) as UTC, years 1970 to 9999.
   *
   * @param value the parameter, possibly {@code null}
   * @return the instant, or empty if absent or malformed
   */
  static Optional<Instant> parseUtc(String value) {
    if (value == null || value.isBlank() || value.length() > 40) {
      return Optional.empty();
    }
    try {
      LocalDateTime t = LocalDateTime.parse(value.strip());
      // A plausible year only: the store keeps epoch milliseconds.
      return t.getYear() < 1970 || t.getYear() > 9999
          ? Optional.empty()
          : Optional.of(t.toInstant(ZoneOffset.UTC));
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  /** The non-blank lines of a textarea, stripped. */
  static List<String> lines(String value) {
    List<String> out = new ArrayList<>();
    if (value != null) {
      for (String line : value.split("\\R")) {
        if (!line.isBlank()) {
          out.add(line.strip());
        }
      }
    }
    return out;
  }

  /**
   * Says how long until a deadline, or how long past it: {@code 71 h 59 min left}, {@code overdue by 2 h 3 min},
   * {@code 30 days 4 h left}.
   */
  static String timeLeft(Instant now, Instant deadline) {
    Duration d = Duration.between(now, deadline);
    return d.isNegative() || d.isZero() ? "overdue by " + span(d.negated()) : span(d) + " left";
  }

  /** A duration in days and hours (four days or more), else hours and minutes (the 72 hours of Art. 33). */
  static String span(Duration d) {
    long minutes = Math.max(0, d.toMinutes());
    long days = minutes / (24 * 60);
    long hours = minutes / 60;
    if (days >= 4) {
      return days + " days " + (hours - days * 24) + " h";
    }
    return hours + " h " + (minutes - hours * 60) + " min";
  }

  /** A consent's state as a coloured label, with the restriction if any. */
  static String state(Consent c) {
    String state = c.state().name().toLowerCase(Locale.ROOT);
    return "<span class=\"state state-"
        + Html.attr(state)
        + "\">"
        + Html.text(c.purpose().value())
        + ": "
        + Html.text(state)
        + (c.restricted() ? " (restricted)" : "")
        + "</span> ";
  }

  /** A problem page: what was wrong with the form, and the way back. */
  static String problems(String title, List<String> problems, String backPath, String backLabel) {
    StringBuilder b =
        new StringBuilder("<div class=\"card error\" role=\"alert\"><h1>")
            .append(Html.text(title))
            .append("</h1>\n<ul>\n");
    for (String p : problems) {
      b.append("<li>").append(Html.text(p)).append("</li>\n");
    }
    return b.append("</ul>\n<p><a href=\"")
        .append(Html.attr(backPath))
        .append("\">")
        .append(Html.text(backLabel))
        .append("</a> (your browser's Back button keeps what you typed)</p></div>\n")
        .toString();
  }
}
