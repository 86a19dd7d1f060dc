package org.optin4j.internal;

import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a mail report says, read from its raw RFC 5322 bytes: a delivery status notification (RFC 3464
 * {@code multipart/report; report-type=delivery-status}, also the RFC 6533 global form), the plain-text bounce some
 * mail servers still send (Exim's classic form, with {@code X-Failed-Recipients}), or an abuse report (RFC 5965 ARF,
 * {@code report-type=feedback-report}); or why it is none of these. Only the first failed or delayed recipient counts:
 * the library sends every mail to one recipient. Never throws on bad input: a report that cannot be read is a
 * {@link Unreadable} with the reason. Jakarta Mail stays inside this class. Immutable and thread-safe.
 */
sealed interface DeliveryReport {
  /** At most this many bytes of a part are read (a report's machine-readable parts are small). */
  int PART_LIMIT = 256 * 1024;

  /**
   * The addresses a report may name our VERP address in: the report's own envelope recipient headers, the returned
   * original's {@code Return-Path}, ARF's {@code Original-Mail-From}; most trustworthy first.
   *
   * @return the candidate addresses
   */
  List<String> verpCandidates();

  /**
   * A bounce of one recipient.
   *
   * @param permanent whether the failure is permanent (status class 5) rather than temporary (class 4)
   * @param status the RFC 3463 status code, e.g. {@code 5.1.1}
   * @param diagnostic the remote server's answer, if given (bounded), or {@code null}
   * @param verpCandidates where the VERP address may be
   */
  record Bounce(boolean permanent, String status, String diagnostic, List<String> verpCandidates)
      implements DeliveryReport {}

  /**
   * An abuse report (RFC 5965).
   *
   * @param feedbackType the {@code Feedback-Type}, lower case
   * @param verpCandidates where the VERP address may be
   */
  record Complaint(String feedbackType, List<String> verpCandidates) implements DeliveryReport {}

  /**
   * A report that says nothing to act on (a delivery success, a {@code not-spam} feedback).
   *
   * @param reason what it said
   */
  record NothingToDo(String reason) implements DeliveryReport {
    @Override
    public List<String> verpCandidates() {
      return List.of();
    }
  }

  /**
   * Not a report this reader understands.
   *
   * @param reason why, free of personal data
   */
  record Unreadable(String reason) implements DeliveryReport {
    @Override
    public List<String> verpCandidates() {
      return List.of();
    }
  }

  /**
   * Reads a report.
   *
   * @param raw the message as received
   * @return what it says
   */
  static DeliveryReport read(byte[] raw) {
    try {
      MimeMessage msg =
          new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw));
      List<String> envelope = new ArrayList<>();
      for (String name : List.of("X-Original-To", "Delivered-To", "To", "Envelope-To")) {
        String[] values = msg.getHeader(name);
        if (values != null) {
          for (String v : values) {
            envelope.addAll(Parsing.addresses(v));
          }
        }
      }
      if (msg.isMimeType("multipart/report")) {
        String type = reportType(msg.getContentType());
        Object content = msg.getContent();
        if (!(content instanceof Multipart parts)) {
          return new Unreadable("multipart/report without parts");
        }
        if ("delivery-status".equals(type)) {
          return Parsing.dsn(parts, envelope);
        }
        if ("feedback-report".equals(type)) {
          return Parsing.arf(parts, envelope);
        }
        return new Unreadable("multipart/report of report-type " + Parsing.bounded(type, 40));
      }
      String[] failed = msg.getHeader("X-Failed-Recipients");
      if (failed != null && msg.isMimeType("text/plain")) {
        return Parsing.plainBounce(Parsing.text(msg), envelope);
      }
      return new Unreadable("not a delivery status notification or abuse report");
    } catch (MessagingException | IOException | RuntimeException e) {
      return new Unreadable("unreadable MIME: " + e.getClass().getSimpleName());
    }
  }

  private static String reportType(String contentType) throws MessagingException {
    String t = new ContentType(contentType).getParameter("report-type");
    return t == null ? "" : t.toLowerCase(Locale.ROOT);
  }

  /** The parsing steps. Stateless. */
  final class Parsing {
    private static final Pattern STATUS = Pattern.compile("([245])\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern ADDRESS = Pattern.compile("[^\\s<>\"(),;:]+@[^\\s<>\"(),;:]+");
    private static final Pattern SMTP_REPLY =
        Pattern.compile("(?m)^[ \\t]*([45])\\d\\d[ -](?:([45]\\.\\d{1,3}\\.\\d{1,3})\\b)?");

    private Parsing() {}

    static DeliveryReport dsn(Multipart parts, List<String> envelope)
        throws MessagingException, IOException {
      Map<String, String> recipient = null;
      List<String> candidates = new ArrayList<>(envelope);
      boolean sawStatus = false;
      String nonFailure = null;
      for (int i = 0; i < parts.getCount(); i++) {
        BodyPart part = parts.getBodyPart(i);
        if (part.isMimeType("message/delivery-status")
            || part.isMimeType("message/global-delivery-status")) {
          sawStatus = true;
          List<Map<String, String>> blocks =
              blocks(new String(bytes(part), StandardCharsets.UTF_8));
          for (Map<String, String> block :
              blocks.subList(Math.min(1, blocks.size()), blocks.size())) {
            String action = block.getOrDefault("action", "").toLowerCase(Locale.ROOT).trim();
            if (action.equals("failed") || action.equals("delayed")) {
              recipient = block;
              break;
            }
            if (!action.isEmpty() && nonFailure == null) {
              nonFailure = action;
            }
          }
        } else if (part.isMimeType("message/rfc822")
            || part.isMimeType("text/rfc822-headers")
            || part.isMimeType("message/global")
            || part.isMimeType("message/global-headers")) {
          candidates.addAll(returnPath(part));
        }
      }
      if (!sawStatus) {
        return new Unreadable("delivery-status report without a message/delivery-status part");
      }
      if (recipient == null) {
        return nonFailure != null
            ? new NothingToDo("delivery status: " + bounded(nonFailure, 20))
            : new Unreadable("delivery status without a per-recipient Action");
      }
      String action = recipient.get("action").toLowerCase(Locale.ROOT).trim();
      Matcher status = STATUS.matcher(recipient.getOrDefault("status", ""));
      String diagnostic = recipient.get("diagnostic-code");
      if (status.find()) {
        if (status.group(1).equals("2")) {
          return new NothingToDo("delivery status 2.x.x");
        }
        return new Bounce(
            status.group(1).equals("5"), status.group(), bounded(diagnostic, 300), candidates);
      }
      // No usable Status: the action says it (RFC 3464 section 2.3.3 makes Status required, not
      // every server agrees).
      return new Bounce(
          action.equals("failed"),
          action.equals("failed") ? "5.0.0" : "4.0.0",
          bounded(diagnostic, 300),
          candidates);
    }

    static DeliveryReport arf(Multipart parts, List<String> envelope)
        throws MessagingException, IOException {
      List<String> candidates = new ArrayList<>(envelope);
      String feedbackType = null;
      for (int i = 0; i < parts.getCount(); i++) {
        BodyPart part = parts.getBodyPart(i);
        if (part.isMimeType("message/feedback-report")) {
          List<Map<String, String>> blocks =
              blocks(new String(bytes(part), StandardCharsets.UTF_8));
          if (!blocks.isEmpty()) {
            feedbackType = blocks.get(0).get("feedback-type");
            String from = blocks.get(0).get("original-mail-from");
            if (from != null) {
              candidates.addAll(addresses(from));
            }
          }
        } else if (part.isMimeType("message/rfc822") || part.isMimeType("text/rfc822-headers")) {
          candidates.addAll(0, returnPath(part));
        }
      }
      if (feedbackType == null) {
        return new Unreadable("feedback report without a Feedback-Type");
      }
      String type = feedbackType.trim().toLowerCase(Locale.ROOT);
      return switch (type) {
        case "abuse", "fraud" -> new Complaint(type, candidates);
        case "not-spam" -> new NothingToDo("feedback type not-spam");
        default -> new Unreadable("feedback type " + bounded(type, 40) + " is not handled");
      };
    }

    /**
     * The plain-text bounce (Exim's classic form and those like it): {@code X-Failed-Recipients} names the recipient,
     * the text carries the remote server's reply; "permanent" or a 5xx reply makes it permanent, "temporary", "delayed"
     * or a 4xx reply temporary.
     */
    static DeliveryReport plainBounce(String text, List<String> envelope) {
      List<String> candidates = new ArrayList<>(envelope);
      for (String line : text.split("\r?\n")) {
        if (line.regionMatches(true, 0, "Return-path:", 0, 12)) {
          candidates.addAll(addresses(line.substring(12)));
        }
      }
      String lower = text.toLowerCase(Locale.ROOT);
      Matcher reply = SMTP_REPLY.matcher(text);
      String status = null;
      Boolean permanent = null;
      String diagnostic = null;
      if (reply.find()) {
        permanent = reply.group(1).equals("5");
        status = reply.group(2) != null ? reply.group(2) : reply.group(1) + ".0.0";
        int end = text.indexOf('\n', reply.start() + 1);
        diagnostic = text.substring(reply.start(), end < 0 ? text.length() : end).trim();
      } else if (lower.contains("permanent error") || lower.contains("permanent failure")) {
        permanent = true;
        status = "5.0.0";
      } else if (lower.contains("temporary error")
          || lower.contains("delayed")
          || lower.contains("temporary failure")) {
        permanent = false;
        status = "4.0.0";
      }
      if (permanent == null) {
        return new Unreadable(
            "plain-text bounce without a reply code or a permanent/temporary error");
      }
      return new Bounce(permanent, status, bounded(diagnostic, 300), candidates);
    }

    /** Header-like blocks separated by blank lines (RFC 3464 section 2.1, RFC 5965 section 3.1); names lower case. */
    static List<Map<String, String>> blocks(String text) {
      List<Map<String, String>> out = new ArrayList<>();
      Map<String, String> block = new LinkedHashMap<>();
      String last = null;
      for (String line : text.split("\r?\n", -1)) {
        if (line.isBlank()) {
          if (!block.isEmpty()) {
            out.add(block);
            block = new LinkedHashMap<>();
          }
          last = null;
        } else if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && last != null) {
          block.put(last, block.get(last) + " " + line.trim());
        } else {
          int colon = line.indexOf(':');
          if (colon > 0) {
            last = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            block.putIfAbsent(last, line.substring(colon + 1).trim());
          }
        }
      }
      if (!block.isEmpty()) {
        out.add(block);
      }
      return out;
    }

    /** The {@code Return-Path} of a returned original (full message or headers only). */
    static List<String> returnPath(Part part) throws MessagingException, IOException {
      InternetHeaders headers = new InternetHeaders(new ByteArrayInputStream(bytes(part)));
      String[] values = headers.getHeader("Return-Path");
      List<String> out = new ArrayList<>();
      if (values != null) {
        for (String v : values) {
          out.addAll(addresses(v));
        }
      }
      return out;
    }

    /** The addresses in a header value, or an {@code rfc822;}-typed DSN field. */
    static List<String> addresses(String value) {
      List<String> out = new ArrayList<>();
      Matcher m = ADDRESS.matcher(value);
      while (m.find()) {
        String a = m.group();
        int semicolon = a.lastIndexOf(';');
        out.add(semicolon >= 0 ? a.substring(semicolon + 1) : a);
      }
      return out;
    }

    static String text(Part part) throws MessagingException, IOException {
      return new String(bytes(part), StandardCharsets.UTF_8);
    }

    /** The part's decoded content, at most {@link #PART_LIMIT} bytes. */
    static byte[] bytes(Part part) throws MessagingException, IOException {
      try (InputStream in = part.getInputStream()) {
        return in.readNBytes(PART_LIMIT);
      }
    }

    static String bounded(String s, int max) {
      if (s == null) {
        return null;
      }
      String clean = s.replaceAll("[\\p{Cntrl}]", " ").trim();
      return clean.length() > max ? clean.substring(0, max) : clean;
    }
  }
}
