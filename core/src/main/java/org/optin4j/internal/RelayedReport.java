package org.optin4j.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the generic bounce and complaint JSON a relay posts ({@code docs/bounces.md}, "Generic JSON"): one report per
 * body, any mail provider's webhook turned into this shape by a few lines of the operator's own code.
 *
 * <pre>{@code
 * {"type": "bounce", "returnPath": "bounces+<tag>@bounces.example", "permanent": true,
 *  "status": "5.1.1", "diagnostic": "550 5.1.1 user unknown", "time": "2026-12-03T17:00:00Z"}
 * {"type": "complaint", "returnPath": "bounces+<tag>@bounces.example", "feedbackType": "abuse"}
 * }</pre>
 *
 * {@code returnPath} is the VERP envelope sender of the mail the report is about (the address the bounce was sent
 * back to; SES calls it {@code mail.source}): the mail is found by its verified tag, never by a recipient address a
 * relay could get wrong. A body that does not have this shape is {@link DeliveryReport.Unreadable}, which the caller
 * sets aside. Stateless; thread-safe.
 */
final class RelayedReport {
  private RelayedReport() {}

  /**
   * Reads one relayed report.
   *
   * @param json the body, already verified as coming from the holder of the shared secret
   * @return the report, or {@link DeliveryReport.Unreadable} with the reason
   */
  static DeliveryReport read(String json) {
    Map<String, Object> r;
    try {
      r = JSONObjectUtils.parse(json);
    } catch (java.text.ParseException | RuntimeException e) {
      return new DeliveryReport.Unreadable("relayed report is not a JSON object");
    }
    if (r == null) {
      return new DeliveryReport.Unreadable("relayed report is not a JSON object");
    }
    if (!(r.get("returnPath") instanceof String returnPath) || returnPath.isBlank()) {
      return new DeliveryReport.Unreadable("relayed report has no returnPath (the VERP address)");
    }
    List<String> candidates = DeliveryReport.Parsing.addresses(returnPath);
    if (r.containsKey("time")) {
      if (!(r.get("time") instanceof String time)) {
        return new DeliveryReport.Unreadable("relayed report time is not an ISO-8601 instant");
      }
      try {
        Instant.parse(time);
      } catch (DateTimeParseException e) {
        return new DeliveryReport.Unreadable("relayed report time is not an ISO-8601 instant");
      }
    }
    Object type = r.get("type");
    if ("bounce".equals(type)) {
      if (!(r.get("permanent") instanceof Boolean permanent)) {
        return new DeliveryReport.Unreadable("relayed bounce has no permanent true or false");
      }
      Object statusValue = r.get("status");
      String status = statusValue instanceof String s ? s.strip() : null;
      if (statusValue != null
          && (status == null || !status.matches("[45]\\.\\d{1,3}\\.\\d{1,3}"))) {
        return new DeliveryReport.Unreadable("relayed bounce status is not an RFC 3463 code");
      }
      if (status != null && (status.charAt(0) == '5') != permanent) {
        return new DeliveryReport.Unreadable("relayed bounce status class contradicts permanent");
      }
      if (status == null) {
        status = permanent ? "5.0.0" : "4.0.0";
      }
      String diagnostic = r.get("diagnostic") instanceof String d ? d : null;
      return new DeliveryReport.Bounce(
          permanent, status, DeliveryReport.Parsing.bounded(diagnostic, 300), candidates);
    }
    if ("complaint".equals(type)) {
      String feedback =
          r.get("feedbackType") instanceof String f ? f.strip().toLowerCase(Locale.ROOT) : "abuse";
      if (feedback.equals("not-spam")) {
        return new DeliveryReport.NothingToDo("relayed complaint feedback type not-spam");
      }
      return new DeliveryReport.Complaint(feedback, candidates);
    }
    return new DeliveryReport.Unreadable("relayed report type is not bounce or complaint");
  }
}
