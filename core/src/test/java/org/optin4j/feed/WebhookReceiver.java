package org.optin4j.feed;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * A webhook receiver for tests: a JDK HTTP server on a loopback port that keeps every request (headers, body) and
 * answers with the status a test chooses per request. Thread-safe.
 */
public final class WebhookReceiver implements AutoCloseable {

  /** One request as received. */
  public record Received(Map<String, List<String>> headers, byte[] body) {
    /** The webhook-id header. */
    public String id() {
      return headers.get("webhook-id").get(0);
    }

    /** The body as text. */
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final HttpServer server;
  private final List<Received> received = new ArrayList<>();
  private volatile ToIntFunction<Received> status = r -> 204;

  /**
   * Starts a receiver on a free port, or on the given one.
   *
   * @param port the port, or 0 for a free one
   * @throws IOException if the port cannot be bound
   */
  public WebhookReceiver(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.createContext(
        "/hook",
        exchange -> {
          byte[] body;
          try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
          }
          Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
          exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
          Received r = new Received(headers, body);
          synchronized (received) {
            received.add(r);
          }
          exchange.sendResponseHeaders(status.applyAsInt(r), -1);
          exchange.close();
        });
    server.start();
  }

  /** Sets the answer per request. */
  public void answer(ToIntFunction<Received> answer) {
    this.status = answer;
  }

  /** Returns the requests received so far, in order. */
  public List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** Returns the URL to register. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
  }

  /** Returns the port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
