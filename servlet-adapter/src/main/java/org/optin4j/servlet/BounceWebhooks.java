package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.optin4j.OptIn;
import org.optin4j.StoreException;
import org.optin4j.feed.WebhookVerifier;
import org.optin4j.lists.ReportOutcome;
import org.optin4j.lists.SnsSettings;

/**
 * The bounce and complaint webhooks of mail providers (issue 15), each off unless configured: {@code POST
 * {prefix}/bounces/sns} takes Amazon SES notifications through Amazon SNS (signature verified by the core, the
 * subscription confirmation verified and left to the operator), {@code POST {prefix}/bounces/relay} the generic JSON
 * shape signed with a shared secret as Standard Webhooks signs ({@code docs/bounces.md}). The body is read up to a cap
 * before anything else; the core verifies before it parses or keeps anything.
 *
 * <p>Answers: 200 when handled (acted on, or nothing to do), 202 when verified but set aside (kept for the operator:
 * the sender must not retry), 403 when refused (bad or missing signature, foreign topic: nothing kept or changed), 405
 * for another method, 413 over the cap, 415 for another content type, 503 when the store fails (the sender retries).
 * Never a 500, never a stack trace. Immutable and thread-safe.
 */
final class BounceWebhooks {
  /** The sub-path under the prefix. */
  static final String ROOT = "/bounces";

  /** Largest body read: SES notifications and relayed reports are a few KB. */
  static final int MAX_BODY = 256 * 1024;

  private final OptIn optIn;
  private final SnsSettings sns;
  private final WebhookVerifier relay;

  BounceWebhooks(OptIn optIn, SnsSettings sns, WebhookVerifier relay) {
    this.optIn = optIn;
    this.sns = sns;
    this.relay = relay;
  }

  /** Whether any endpoint is on; the filter passes {@code {prefix}/bounces/...} here only then. */
  boolean on() {
    return sns != null || relay != null;
  }

  /**
   * Handles a request to {@code {prefix}/bounces<sub>}.
   *
   * @return {@code false} if no endpoint is configured at that path (the filter answers as for any unknown path)
   */
  boolean handle(HttpServletRequest req, HttpServletResponse res, String sub) throws IOException {
    boolean isSns = sub.equals("/sns") && sns != null;
    boolean isRelay = sub.equals("/relay") && relay != null;
    if (!isSns && !isRelay) {
      return false;
    }
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Content-Type-Options", "nosniff");
    if (!"POST".equals(req.getMethod())) {
      res.setHeader("Allow", "POST");
      answer(res, 405, "POST only");
      return true;
    }
    String type = req.getContentType();
    String media = type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    // SNS posts its JSON as text/plain; a relay sends application/json.
    boolean accepted = media.equals("application/json") || (isSns && media.equals("text/plain"));
    if (!accepted) {
      answer(res, 415, isSns ? "application/json or text/plain" : "application/json");
      return true;
    }
    if (req.getContentLengthLong() > MAX_BODY) {
      answer(res, 413, "body over " + MAX_BODY + " bytes");
      return true;
    }
    byte[] raw;
    try (InputStream in = req.getInputStream()) {
      raw = in.readNBytes(MAX_BODY + 1);
    }
    if (raw.length > MAX_BODY) {
      answer(res, 413, "body over " + MAX_BODY + " bytes");
      return true;
    }
    String body;
    try {
      body =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(raw))
              .toString();
    } catch (CharacterCodingException e) {
      // Not verifiable as sent: a signature covers bytes, and these are not the UTF-8 the scheme
      // signs.
      answer(res, 400, "body is not UTF-8");
      return true;
    }
    ReportOutcome outcome;
    try {
      outcome =
          isSns
              ? optIn.bounces().sns(body, sns)
              : optIn.bounces().relayed(body, headers(req), relay);
    } catch (StoreException e) {
      answer(res, 503, "store unavailable; retry");
      return true;
    }
    if (outcome instanceof ReportOutcome.Refused) {
      answer(res, 403, "refused");
    } else if (outcome instanceof ReportOutcome.SetAside) {
      answer(res, 202, "set aside");
    } else {
      answer(res, 200, "ok");
    }
    return true;
  }

  /** The three Standard Webhooks headers, the only ones the core reads. */
  private static Map<String, String> headers(HttpServletRequest req) {
    Map<String, String> out = new HashMap<>();
    for (String name : new String[] {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
      String v = req.getHeader(name);
      if (v != null) {
        out.put(name, v);
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** A short plain-text answer; never the reason of a refusal (it would help a forger). */
  private static void answer(HttpServletResponse res, int status, String text) throws IOException {
    byte[] b = (text + "\n").getBytes(StandardCharsets.UTF_8);
    res.setStatus(status);
    res.setContentType("text/plain;charset=UTF-8");
    res.setContentLength(b.length);
    res.getOutputStream().write(b);
  }
}
