package org.optin4j.examples;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.optin4j.OptIn;
import org.optin4j.feed.WebhookEndpoint;
import org.optin4j.feed.WebhookMessage;
import org.optin4j.feed.WebhookSecret;
import org.optin4j.feed.WebhookVerificationException;
import org.optin4j.feed.WebhookVerifier;

/**
 * {@code POST /dev/webhooks}: the sample's own webhook receiver, standing in for a CRM. The app registers it as an
 * endpoint at start (docs/webhooks.md), with a secret made anew each start (older secrets of the endpoint are
 * retired), verifies every message with {@link WebhookVerifier} and keeps the last {@value #KEPT}, which the admin page
 * shows ({@link #section}). A message that does not verify is answered 400 and not kept. Thread-safe.
 */
final class WebhookInbox extends HttpServlet {
  @Serial private static final long serialVersionUID = 1L;
  static final int KEPT = 20;
  private static final int MAX_BODY = 64 * 1024;

  private final transient WebhookSecret secret = WebhookSecret.generate(new SecureRandom());
  private final transient WebhookVerifier verifier;
  private final transient Deque<WebhookMessage> last = new ArrayDeque<>();
  private transient volatile String endpointId;

  WebhookInbox(Clock clock) {
    this.verifier = WebhookVerifier.of(clock, secret);
  }

  /** Registers this inbox at {@code url}, or gives the endpoint registered there before this start's secret. */
  void register(OptIn optIn, URI url) {
    for (WebhookEndpoint e : optIn.webhooks().endpoints()) {
      if (e.url().equals(url)) {
        optIn.webhooks().addSecret(e.id(), secret);
        for (String old : e.secretIds()) {
          optIn.webhooks().retireSecret(e.id(), old);
        }
        if (!e.enabled()) {
          optIn.webhooks().enable(e.id());
        }
        endpointId = e.id();
        return;
      }
    }
    endpointId = optIn.webhooks().register(url, "sample inbox", List.of(secret)).id();
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
    byte[] body;
    try (InputStream in = req.getInputStream()) {
      body = in.readNBytes(MAX_BODY + 1);
    }
    if (body.length > MAX_BODY) {
      res.sendError(413);
      return;
    }
    try {
      WebhookMessage m = verifier.verify(req::getHeader, body);
      synchronized (last) {
        if (last.stream()
            .noneMatch(x -> x.id().equals(m.id()))) { // at least once: a repeat is dropped by id
          last.addFirst(m);
          while (last.size() > KEPT) {
            last.removeLast();
          }
        }
      }
      res.setStatus(204);
    } catch (WebhookVerificationException e) {
      res.sendError(400, e.reason().name());
    }
  }

  /** Returns the messages kept, newest first. */
  List<WebhookMessage> messages() {
    synchronized (last) {
      return List.copyOf(last);
    }
  }

  /** Renders the admin page's card: the endpoint's state and the last messages received. */
  void section(OptIn optIn, StringBuilder b) {
    b.append(
        "<section class=\"card\" aria-labelledby=\"webhooks-h\"><h2 id=\"webhooks-h\">Webhooks</h2>\n");
    String id = endpointId;
    WebhookEndpoint e = id == null ? null : optIn.webhooks().endpoint(id).orElse(null);
    if (e == null) {
      b.append("<p>No endpoint registered.</p></section>\n");
      return;
    }
    b.append("<p>Endpoint <code>")
        .append(Html.text(e.url().toString()))
        .append("</code>: ")
        .append(e.enabled() ? "enabled" : "disabled (" + Html.text(e.disabledReason()) + ")")
        .append(e.lastFailure() == null ? "" : ", last failure " + Html.text(e.lastFailure()))
        .append(". Every message is verified with its signature before it is kept.</p>\n");
    List<WebhookMessage> messages = messages();
    if (messages.isEmpty()) {
      b.append("<p>No message received yet.</p></section>\n");
      return;
    }
    b.append(
            "<div class=\"table-wrap\"><table class=\"compact\"><thead><tr><th scope=\"col\">webhook-id")
        .append(
            "</th><th scope=\"col\">Sent</th><th scope=\"col\">Body</th></tr></thead><tbody>\n");
    for (WebhookMessage m : messages) {
      b.append("<tr><td><code>")
          .append(Html.text(m.id()))
          .append("</code></td><td>")
          .append(Html.time(m.timestamp()))
          .append("</td><td><code>")
          .append(Html.text(m.body()))
          .append("</code></td></tr>\n");
    }
    b.append("</tbody></table></div></section>\n");
  }
}
