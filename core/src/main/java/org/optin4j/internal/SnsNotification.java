package org.optin4j.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.optin4j.lists.SnsSettings;

/**
 * Reads an Amazon SNS message carrying an Amazon SES notification: checks the topic, the {@code SigningCertURL} and
 * the signature (SignatureVersion 1, SHA1withRSA, or 2, SHA256withRSA, over the documented string of the message's
 * fields: each name, a newline, its value, a newline, in the order {@code Message, MessageId, Subject} (if present)
 * {@code , Timestamp, TopicArn, Type} for notifications, {@code Message, MessageId, SubscribeURL, Timestamp, Token,
 * TopicArn, Type} for (un)subscription confirmations), then reads the SES notification ({@code notificationType} or
 * {@code eventType} {@code Bounce} / {@code Complaint}) as a {@link DeliveryReport} matched by {@code mail.source},
 * the VERP envelope sender. Stateless.
 */
final class SnsNotification {
  private static final Pattern CERT_HOST =
      Pattern.compile("sns\\.[a-z0-9-]{1,30}\\.amazonaws\\.com(\\.cn)?");

  private SnsNotification() {}

  /** Why a message was refused (not stored), or what it is. */
  sealed interface Read {}

  /** Refused: not from SNS for an accepted topic, or not signed right. */
  record Refused(String reason) implements Read {}

  /** A verified subscription confirmation (the operator confirms it). */
  record Confirmation(String topicArn) implements Read {}

  /** A verified notification's report. */
  record Report(DeliveryReport report) implements Read {}

  static Read read(String body, SnsSettings settings) {
    Map<String, Object> sns;
    try {
      sns = JSONObjectUtils.parse(body);
    } catch (java.text.ParseException | RuntimeException e) {
      return new Refused("not an SNS message: not JSON");
    }
    String type = string(sns, "Type");
    String topic = string(sns, "TopicArn");
    if (type == null || topic == null) {
      return new Refused("not an SNS message: no Type or TopicArn");
    }
    if (!settings.topicArns().contains(topic)) {
      return new Refused("SNS topic not accepted");
    }
    List<String> fields =
        type.equals("Notification")
            ? List.of("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
            : List.of(
                "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type");
    StringBuilder signed = new StringBuilder();
    for (String f : fields) {
      String v = string(sns, f);
      if (v == null) {
        if (f.equals("Subject")) {
          continue;
        }
        return new Refused("SNS message without " + f);
      }
      signed.append(f).append('\n').append(v).append('\n');
    }
    String algorithm =
        switch (String.valueOf(string(sns, "SignatureVersion"))) {
          case "1" -> "SHA1withRSA";
          case "2" -> "SHA256withRSA";
          default -> null;
        };
    if (algorithm == null) {
      return new Refused("SNS SignatureVersion must be 1 or 2");
    }
    URI certUrl;
    try {
      certUrl = URI.create(String.valueOf(string(sns, "SigningCertURL")));
    } catch (IllegalArgumentException e) {
      return new Refused("SNS SigningCertURL is not a URL");
    }
    if (!"https".equals(certUrl.getScheme())
        || certUrl.getHost() == null
        || !CERT_HOST.matcher(certUrl.getHost().toLowerCase(Locale.ROOT)).matches()
        || certUrl.getPort() != -1
        || certUrl.getUserInfo() != null
        || certUrl.getPath() == null
        || !certUrl.getPath().endsWith(".pem")) {
      return new Refused("SNS SigningCertURL is not https on sns.<region>.amazonaws.com");
    }
    try {
      X509Certificate cert = settings.certificates().apply(certUrl);
      cert.checkValidity();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(signed.toString().getBytes(StandardCharsets.UTF_8));
      byte[] signature = Base64.getDecoder().decode(String.valueOf(string(sns, "Signature")));
      if (!verifier.verify(signature)) {
        return new Refused("SNS signature does not verify");
      }
    } catch (java.security.GeneralSecurityException | RuntimeException e) {
      return new Refused("SNS signature does not verify: " + e.getClass().getSimpleName());
    }
    if (!type.equals("Notification")) {
      return new Confirmation(topic);
    }
    return new Report(ses(string(sns, "Message")));
  }

  /** The SES notification inside a verified SNS message. */
  static DeliveryReport ses(String message) {
    Map<String, Object> n;
    try {
      n = JSONObjectUtils.parse(message);
    } catch (java.text.ParseException | RuntimeException e) {
      return new DeliveryReport.Unreadable("SES notification is not JSON");
    }
    String kind = string(n, "notificationType");
    if (kind == null) {
      kind = string(n, "eventType");
    }
    List<String> candidates = new ArrayList<>();
    Object mail = n.get("mail");
    if (mail instanceof Map<?, ?> m && m.get("source") instanceof String source) {
      candidates.addAll(DeliveryReport.Parsing.addresses(source));
    }
    if ("Bounce".equals(kind) && n.get("bounce") instanceof Map<?, ?> b) {
      String bounceType = String.valueOf(b.get("bounceType"));
      String status = null;
      String diagnostic = null;
      if (b.get("bouncedRecipients") instanceof List<?> rs
          && !rs.isEmpty()
          && rs.get(0) instanceof Map<?, ?> r) {
        status = r.get("status") instanceof String s ? s : null;
        diagnostic = r.get("diagnosticCode") instanceof String d ? d : null;
      }
      boolean permanent = bounceType.equals("Permanent");
      if (!permanent && !bounceType.equals("Transient")) {
        return new DeliveryReport.Unreadable(
            "SES bounce type " + DeliveryReport.Parsing.bounded(bounceType, 20));
      }
      if (status == null || !status.matches("[45]\\.\\d{1,3}\\.\\d{1,3}")) {
        status = permanent ? "5.0.0" : "4.0.0";
      }
      return new DeliveryReport.Bounce(
          permanent, status, DeliveryReport.Parsing.bounded(diagnostic, 300), candidates);
    }
    if ("Complaint".equals(kind) && n.get("complaint") instanceof Map<?, ?> c) {
      Object feedback = c.get("complaintFeedbackType");
      String type = feedback instanceof String f ? f.toLowerCase(Locale.ROOT) : "abuse";
      if (type.equals("not-spam")) {
        return new DeliveryReport.NothingToDo("SES complaint feedback type not-spam");
      }
      return new DeliveryReport.Complaint(type, candidates);
    }
    if ("Delivery".equals(kind)) {
      return new DeliveryReport.NothingToDo("SES delivery notification");
    }
    return new DeliveryReport.Unreadable("SES notification of an unknown type");
  }

  private static String string(Map<String, Object> map, String key) {
    return map.get(key) instanceof String s ? s : null;
  }
}
