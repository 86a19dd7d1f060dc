package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.feed.FeedCursor;
import org.optin4j.feed.FeedEntry;
import org.optin4j.feed.WebhookEndpoint;
import org.optin4j.feed.WebhookMessage;
import org.optin4j.feed.WebhookReceiver;
import org.optin4j.feed.WebhookSecret;
import org.optin4j.feed.WebhookVerifier;
import org.optin4j.spi.WebhookDelivery;

/**
 * Issue 14, the webhooks' "done when": the receiver is down for a while and the sending node is killed with SIGKILL
 * mid-delivery; after both come back every entry was delivered, every signature verifies, and a message delivered
 * more than once carries the same {@code webhook-id} and body each time. The sending node runs in a JVM of its own
 * ({@link WebhookNode}) against PostgreSQL; the receiver is the JDK's HTTP server on a loopback port.
 */
class JdbcWebhookKillPostgresTest {
  /** The lease of both nodes: just above a batch of 5 at the timeouts (7.5 s). */
  static final Duration LEASE = Duration.ofSeconds(8);

  private static final int SUBJECTS = 60;

  private TestDatabase database;
  private Process child;
  private WebhookReceiver receiver;
  private final List<WebhookReceiver.Received> received = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    database = new TestDatabase.Postgres();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (child != null && child.isAlive()) {
      child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.close();
    }
    database.close();
  }

  @Test
  void deliverWhenReceiverDownAndNodeKilledMidDeliveryThenEveryEntryDeliveredVerifiedSameIds()
      throws Exception {
    String prefix = database.nextPrefix();
    JdbcConsentStore store =
        JdbcConsentStore.builder(database.dataSource())
            .tablePrefix(prefix)
            .createSchema(true)
            .build();
    WebhookSecret secret = WebhookSecret.generate(new SecureRandom());
    receiver = new WebhookReceiver(0);
    int port = receiver.port();
    // A slow receiver, so that the kill finds requests on the wire.
    receiver.answer(
        r -> {
          sleep(40);
          return 200;
        });
    WebhookEndpoint endpoint;
    try (OptIn queueing = WebhookNode.node(store)) { // not started: it only signs up and registers
      endpoint = queueing.webhooks().register(receiver.url(), "kill test", List.of(secret));
      for (int i = 0; i < SUBJECTS; i++) {
        assertInstanceOf(
            RequestResult.Accepted.class,
            queueing.request(
                ConsentRequest.of("p" + i + "@example.org", Locale.ENGLISH, NEWSLETTER)));
      }
    }
    Set<String> expected = new HashSet<>();
    for (FeedEntry e : store.read(tx -> tx.feed().after(0, 1000))) {
      expected.add("msg_" + e.position());
    }
    assertEquals(SUBJECTS, expected.size());

    Path log = Files.createTempFile("webhook-node", ".log");
    child = ChildJvm.start(WebhookNode.class, log, ChildJvm.currentSchema(database), prefix);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (receiver.received().size() < 12) { // into the third batch of 5
      assertTrue(child.isAlive(), () -> "the node died by itself: " + ChildJvm.read(log.toFile()));
      assertTrue(
          System.nanoTime() < deadline,
          () -> "the node sent too little: " + ChildJvm.read(log.toFile()));
      Thread.sleep(2);
    }
    child.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no close()
    assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    long killedAt = System.nanoTime();
    // The receiver goes down too: connections are refused while the survivor starts and retries.
    received.addAll(receiver.received());
    receiver.close();
    long leased = pending(store, endpoint).stream().filter(d -> d.leaseUntil() != null).count();
    assertTrue(leased > 0, "killed mid-delivery: claims left behind");
    assertTrue(received.size() < SUBJECTS, "killed before the end");

    try (OptIn survivor =
        WebhookNode.node(
            JdbcConsentStore.builder(database.dataSource()).tablePrefix(prefix).build())) {
      survivor.start();
      Thread.sleep(
          3000); // the receiver stays down meanwhile: the survivor's attempts fail and are retried
      WebhookEndpoint failing = survivor.webhooks().endpoint(endpoint.id()).orElseThrow();
      assertTrue(failing.enabled());
      assertTrue(
          failing.lastFailure() != null && failing.lastFailure().contains("ConnectException"),
          failing::toString);
      receiver = new WebhookReceiver(port); // back up, fast now
      while (!pending(store, endpoint).isEmpty()) {
        assertTrue(
            System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(90),
            () -> "not all delivered: " + pending(store, endpoint));
        Thread.sleep(100);
      }
      received.addAll(receiver.received());
    }

    WebhookVerifier verifier = WebhookVerifier.of(Clock.systemUTC(), secret);
    Map<String, List<String>> bodiesById = new HashMap<>();
    for (WebhookReceiver.Received r : received) {
      WebhookMessage m = verifier.verify(r.headers(), r.body());
      assertTrue(m.body().contains("\"data\":{\"id\":\"" + m.id() + "\""), m.body());
      bodiesById.computeIfAbsent(m.id(), k -> new ArrayList<>()).add(m.body());
    }
    assertEquals(expected, bodiesById.keySet(), "every entry delivered");
    int twice = 0;
    for (List<String> bodies : bodiesById.values()) {
      assertEquals(1, new HashSet<>(bodies).size(), "a copy is the same message: " + bodies);
      twice += bodies.size() > 1 ? 1 : 0;
    }
    System.out.println(
        "webhooks: "
            + received.size()
            + " requests for "
            + expected.size()
            + " entries, "
            + twice
            + " delivered more than once, all done "
            + Duration.ofNanos(System.nanoTime() - killedAt).toMillis()
            + " ms after the kill");
    assertEquals(FeedCursor.start().position() + expected.size(), bodiesById.size());
  }

  private static List<WebhookDelivery> pending(JdbcConsentStore store, WebhookEndpoint endpoint) {
    return store.read(tx -> tx.webhooks().deliveries(endpoint.id(), 0, 1000)).stream()
        .filter(d -> d.status() != WebhookDelivery.Status.DELIVERED)
        .toList();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
