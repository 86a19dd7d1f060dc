package org.optin4j.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

class WebhooksTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final InMemoryConsentStore store = InMemoryConsentStore.create();
  private final WebhookReceiver receiver;
  private final OptIn optIn;
  private final WebhookSecret secret = WebhookSecret.generate(new SecureRandom());

  WebhooksTest() throws IOException {
    receiver = new WebhookReceiver(0);
    optIn =
        Fixtures.builder(store, new RecordingMailer(), clock)
            .webhooks(WebhookSettings.defaults().allowingLoopbackHttp())
            .build();
  }

  @AfterEach
  void close() {
    optIn.close();
    receiver.close();
  }

  private SubjectId signUp(String email) {
    RequestResult r = optIn.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER, EVENTS));
    return assertInstanceOf(RequestResult.Accepted.class, r).subjectId();
  }

  private WebhookEndpoint register() {
    return optIn.webhooks().register(receiver.url(), "crm", List.of(secret));
  }

  private WebhookMessage verified(WebhookReceiver.Received r, WebhookSecret... secrets) {
    return WebhookVerifier.of(clock, secrets).verify(r.headers(), r.body());
  }

  @Test
  void deliverWhenEntriesThenEachPostedOnceSignedWithSharedJsonShape() {
    register();
    SubjectId ann = signUp("ann@example.org");

    int delivered = optIn.webhooks().deliverNow();

    List<FeedEntry> entries = optIn.feed().after(FeedCursor.start(), 100).entries();
    assertEquals(entries.size(), delivered);
    assertEquals(entries.size(), receiver.received().size());
    FeedEntry first = entries.get(0);
    WebhookReceiver.Received r = receiver.received().get(0);
    WebhookMessage m = verified(r, secret);
    assertEquals("msg_" + first.position(), m.id());
    assertEquals(clock.instant().getEpochSecond(), m.timestamp().getEpochSecond());
    assertEquals("application/json", r.headers().get("content-type").get(0));
    assertEquals(
        "{\"type\":\"consent."
            + first.type().name().toLowerCase(Locale.ROOT)
            + "\",\"timestamp\":\""
            + first.at()
            + "\",\"data\":{\"id\":\"msg_"
            + first.position()
            + "\",\"cursor\":\""
            + first.cursor()
            + "\",\"subjectId\":\""
            + ann.value()
            + "\",\"purpose\":\""
            + first.purpose().value()
            + "\",\"type\":\""
            + first.type().name()
            + "\",\"at\":\""
            + first.at()
            + "\",\"channel\":\""
            + first.channel().name()
            + "\"}}",
        m.body());
    assertFalse(m.body().contains("ann@example.org"));
    assertEquals(0, optIn.webhooks().deliverNow());
    assertEquals(entries.size(), receiver.received().size());
  }

  @Test
  void deliverWhenReceiverDownThenRetriesWithBackoffAndSameId() {
    WebhookEndpoint ep = register();
    signUp("ann@example.org");
    receiver.answer(r -> 503);

    optIn.webhooks().deliverNow();
    int afterFirst = receiver.received().size();
    assertEquals(1, afterFirst, "one subject: one delivery in flight");
    WebhookEndpoint failing = optIn.webhooks().endpoint(ep.id()).orElseThrow();
    assertEquals("HTTP 503", failing.lastFailure());
    assertTrue(failing.enabled());

    clock.advance(Duration.ofSeconds(3));
    optIn.webhooks().deliverNow();
    assertEquals(afterFirst, receiver.received().size(), "not before the first wait (4 to 5 s)");

    clock.advance(Duration.ofSeconds(2));
    receiver.answer(r -> 200);
    optIn.webhooks().deliverNow();

    List<WebhookReceiver.Received> all = receiver.received();
    assertEquals(all.get(0).id(), all.get(1).id());
    assertTrue(all.size() > 2, "then the rest of the subject's entries");
  }

  @Test
  void deliverWhenFailingForThreeDaysThenGivenUpAndEndpointDisabledWithReason() {
    WebhookEndpoint ep = register();
    signUp("ann@example.org");
    receiver.answer(r -> 500);

    int rounds = 0;
    while (optIn.webhooks().endpoint(ep.id()).orElseThrow().enabled() && rounds++ < 100) {
      optIn.webhooks().deliverNow();
      clock.advance(Duration.ofHours(1));
    }

    WebhookEndpoint disabled = optIn.webhooks().endpoint(ep.id()).orElseThrow();
    assertFalse(disabled.enabled());
    assertTrue(disabled.disabledReason().contains("failed for PT72H"), disabled.disabledReason());
    assertTrue(disabled.disabledReason().contains("HTTP 500"), disabled.disabledReason());
    assertNotNull(disabled.disabledAt());
    // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h x 6 within 3 days: 11 to 13 attempts, all of one message
    int attempts = receiver.received().size();
    assertTrue(attempts >= 10 && attempts <= 14, "attempts: " + attempts);
    assertEquals(
        1, receiver.received().stream().map(WebhookReceiver.Received::id).distinct().count());

    int before = receiver.received().size();
    clock.advance(Duration.ofDays(1));
    optIn.webhooks().deliverNow();
    assertEquals(before, receiver.received().size(), "disabled: nothing delivered");
  }

  @Test
  void deliverWhenOneSubjectFailsThenItsLaterEntriesWaitAndOtherSubjectsGoOn() {
    register();
    SubjectId ann = signUp("ann@example.org");
    SubjectId bob = signUp("bob@example.org");
    List<FeedEntry> entries = optIn.feed().after(FeedCursor.start(), 100).entries();
    String annFirst =
        "msg_"
            + entries.stream()
                .filter(e -> e.subjectId().equals(ann))
                .findFirst()
                .orElseThrow()
                .position();
    receiver.answer(r -> r.id().equals(annFirst) ? 503 : 200);

    optIn.webhooks().deliverNow();

    Set<String> got =
        receiver.received().stream().map(WebhookReceiver.Received::id).collect(Collectors.toSet());
    Set<String> bobs =
        entries.stream()
            .filter(e -> e.subjectId().equals(bob))
            .map(e -> "msg_" + e.position())
            .collect(Collectors.toSet());
    assertTrue(got.containsAll(bobs), "bob not held up by ann");
    assertEquals(
        Set.of(annFirst),
        entries.stream()
            .filter(e -> e.subjectId().equals(ann))
            .map(e -> "msg_" + e.position())
            .filter(got::contains)
            .collect(Collectors.toSet()),
        "ann's later entries wait for her first");

    receiver.answer(r -> 200);
    clock.advance(Duration.ofSeconds(5));
    optIn.webhooks().deliverNow();
    List<Long> annOrder =
        receiver.received().stream()
            .map(WebhookReceiver.Received::id)
            .distinct()
            .filter(
                id ->
                    entries.stream()
                        .anyMatch(
                            e -> e.subjectId().equals(ann) && id.equals("msg_" + e.position())))
            .map(id -> Long.parseLong(id.substring(4)))
            .toList();
    assertEquals(annOrder.stream().sorted().toList(), annOrder, "ann's entries in feed order");
  }

  @Test
  void deliverWhenEndpointTimesOutThenRestOfItsBatchNotTriedAndOtherEndpointsServed()
      throws Exception {
    try (WebhookReceiver slow = new WebhookReceiver(0);
        OptIn node =
            Fixtures.builder(InMemoryConsentStore.create(), new RecordingMailer(), clock)
                .webhooks(
                    WebhookSettings.defaults()
                        .allowingLoopbackHttp()
                        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .build()) {
      slow.answer(
          r -> {
            try {
              Thread.sleep(2_500);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return 200;
          });
      WebhookEndpoint stuck = node.webhooks().register(slow.url(), "stuck", List.of(secret));
      node.webhooks().register(receiver.url(), "crm", List.of(secret));
      for (String who : List.of("ann", "bob", "cy", "dee")) {
        node.request(ConsentRequest.of(who + "@example.org", Locale.ENGLISH, NEWSLETTER));
      }

      node.webhooks().deliverNow();

      assertTrue(slow.received().size() <= 1, "one timeout, then the endpoint's rest waits");
      assertEquals(4, receiver.received().size(), "the healthy endpoint got every subject's entry");
      String failure = node.webhooks().endpoint(stuck.id()).orElseThrow().lastFailure();
      assertEquals(
          "not sent: endpoint unreachable earlier in the batch (timeout)",
          failure,
          "not tried again");
    }
  }

  @Test
  void rotateWhenSecretAddedThenBothSignThenOldRetiredOnlyNewSigns() {
    WebhookEndpoint ep = register();
    WebhookSecret fresh = WebhookSecret.generate(new SecureRandom());
    WebhookEndpoint rotated = optIn.webhooks().addSecret(ep.id(), fresh);
    assertEquals(List.of(secret.id(), fresh.id()), rotated.secretIds());
    signUp("ann@example.org");

    optIn.webhooks().deliverNow();
    WebhookReceiver.Received during = receiver.received().get(0);
    assertEquals(2, during.headers().get("webhook-signature").get(0).split(" ").length);
    verified(during, fresh);
    verified(during, secret);

    optIn.webhooks().retireSecret(ep.id(), secret.id());
    optIn.webhooks().redeliver(ep.id(), FeedCursor.start());
    optIn.webhooks().deliverNow();
    WebhookReceiver.Received after = receiver.received().get(receiver.received().size() - 1);
    verified(after, fresh);
    assertThrows(WebhookVerificationException.class, () -> verified(after, secret));
    assertThrows(
        IllegalArgumentException.class, () -> optIn.webhooks().retireSecret(ep.id(), fresh.id()));
    assertThrows(IllegalArgumentException.class, () -> optIn.webhooks().addSecret(ep.id(), fresh));
  }

  @Test
  void redeliverFromCursorThenSameIdsAgain() {
    WebhookEndpoint ep = register();
    signUp("ann@example.org");
    optIn.webhooks().deliverNow();
    List<String> first = receiver.received().stream().map(WebhookReceiver.Received::id).toList();
    FeedCursor afterFirst = new FeedCursor(Long.parseLong(first.get(0).substring(4)));

    int queued = optIn.webhooks().redeliver(ep.id(), afterFirst);
    optIn.webhooks().deliverNow();

    assertEquals(first.size() - 1, queued);
    assertEquals(
        first.subList(1, first.size()),
        receiver.received().stream()
            .map(WebhookReceiver.Received::id)
            .toList()
            .subList(first.size(), first.size() + queued));
  }

  @Test
  void disableThenNothingDeliveredEnableThenDelivered() {
    WebhookEndpoint ep = register();
    WebhookEndpoint off = optIn.webhooks().disable(ep.id(), "maintenance");
    assertFalse(off.enabled());
    assertEquals("maintenance", off.disabledReason());
    signUp("ann@example.org");

    assertEquals(0, optIn.webhooks().deliverNow());

    WebhookEndpoint on = optIn.webhooks().enable(ep.id());
    assertTrue(on.enabled());
    assertEquals(null, on.disabledReason());
    assertTrue(optIn.webhooks().deliverNow() > 0);
  }

  @Test
  void registerWhenUrlNotHttpsOrCredentialsThenRefused() {
    List<WebhookSecret> s = List.of(secret);
    optIn.webhooks().register(URI.create("https://crm.example/hook"), "crm", s);
    assertThrows(
        IllegalArgumentException.class,
        () -> optIn.webhooks().register(URI.create("http://crm.example/hook"), "x", s));
    assertThrows(
        IllegalArgumentException.class,
        () -> optIn.webhooks().register(URI.create("https://u:p@crm.example/hook"), "x", s));
    assertThrows(
        IllegalArgumentException.class,
        () -> optIn.webhooks().register(URI.create("ftp://crm.example/hook"), "x", s));
    assertThrows(
        IllegalArgumentException.class,
        () -> optIn.webhooks().register(URI.create("https://crm.example/hook"), "x", List.of()));
    try (OptIn strict =
        Fixtures.builder(InMemoryConsentStore.create(), new RecordingMailer(), clock).build()) {
      assertThrows(
          IllegalArgumentException.class, () -> strict.webhooks().register(receiver.url(), "x", s));
    }
  }

  @Test
  void endpointAndStoreThenNoSecretValue() {
    WebhookEndpoint ep = register();
    String raw = secret.encoded().substring("whsec_".length());

    assertFalse(ep.toString().contains(raw));
    assertFalse(optIn.webhooks().endpoints().toString().contains(raw));
    String stored =
        store
            .read(tx -> tx.webhooks().subscription(ep.id()))
            .orElseThrow()
            .sealedSecrets()
            .toString();
    assertFalse(stored.contains(raw), stored);
    assertTrue(stored.startsWith("[" + secret.id() + ":"), stored);
  }

  @Test
  void backoffThenScheduleJitteredDownByAtMostAFifth() {
    AtomicInteger seen = new AtomicInteger();
    WebhookEndpoint ep = register();
    signUp("ann@example.org");
    receiver.answer(
        r -> {
          seen.incrementAndGet();
          return 503;
        });
    optIn.webhooks().deliverNow();
    // second attempt: 4 to 5 minutes after the 5 s retry
    clock.advance(Duration.ofSeconds(5));
    optIn.webhooks().deliverNow();
    assertEquals(2, seen.get());
    clock.advance(Duration.ofMinutes(4).minusSeconds(1));
    optIn.webhooks().deliverNow();
    assertEquals(2, seen.get());
    clock.advance(Duration.ofMinutes(1).plusSeconds(1));
    optIn.webhooks().deliverNow();
    assertEquals(3, seen.get());
    assertTrue(optIn.webhooks().endpoint(ep.id()).orElseThrow().enabled());
  }
}
