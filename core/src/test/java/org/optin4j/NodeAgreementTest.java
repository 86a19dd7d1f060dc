package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.NodeRegistration;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** Nodes sharing a store agree on what makes a link valid, or the newcomer refuses to start (issue 21). */
class NodeAgreementTest {
  private static final String A = "https://a.bakery.example/optin";
  private static final String B = "https://b.bakery.example/optin";
  private static final byte[] SECRET_1 =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SECRET_2 =
      "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);

  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final ConsentStore store = InMemoryConsentStore.create();
  private final SigningKeys keys = SigningKeys.builder().active("k1", SECRET_1).build();
  private final List<OptIn> nodes = new ArrayList<>();

  @AfterEach
  void closeAll() {
    nodes.forEach(OptIn::close);
  }

  private OptIn node(String baseUrl, SigningKeys signingKeys, Set<String> accepted) {
    OptIn node =
        Fixtures.builder(store, new RecordingMailer(), clock)
            .baseUrl(baseUrl)
            .signingKeys(signingKeys)
            .acceptedIssuers(accepted)
            .build();
    nodes.add(node);
    return node;
  }

  private List<String> registered() {
    return store.read(tx -> tx.registers().nodes().stream().map(NodeRegistration::issuer).toList());
  }

  @Test
  void startWhenSecondNodeHasAnotherBaseUrlThenRefusesNamingTheSettingAndStaysUnregistered() {
    node(A, keys, Set.of()).start();
    OptIn second = node(B, keys, Set.of());

    ConfigurationException e = assertThrows(ConfigurationException.class, second::start);

    assertEquals(1, e.problems().size(), e.getMessage());
    String message = e.problems().get(0);
    assertTrue(
        message.startsWith("issuer: this node signs links with issuer \"" + B + "\" (its baseUrl)"),
        message);
    assertTrue(message.contains("\"" + A + "\""), message);
    assertTrue(
        message.contains("Set the same baseUrl on every node")
            && message.contains("acceptedIssuers("),
        message);
    assertEquals(List.of(A), registered(), "the refused node left no registration");
  }

  @Test
  void startWhenSameBaseUrlAndKeysThenBothRegisteredAndCloseRemovesEach() {
    OptIn first = node(A, keys, Set.of()).start();
    OptIn second =
        node(A, SigningKeys.builder().active("k1", SECRET_1.clone()).build(), Set.of()).start();

    assertEquals(List.of(A, A), registered());
    first.close();
    assertEquals(List.of(A), registered());
    second.close();
    assertEquals(List.of(), registered());
  }

  @Test
  void startWhenEveryNodeListsTheOtherAddressThenBothStartAndEachAcceptsTheOthersLinks() {
    OptIn a = node(A, keys, Set.of(B)).start();
    OptIn b = node(B, keys, Set.of(A)).start();
    RequestResult.Accepted signup =
        assertInstanceOf(
            RequestResult.Accepted.class,
            a.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));

    String fromA = token(a.preferencesUrl(signup.subjectId()));
    String fromB = token(b.preferencesUrl(signup.subjectId()));

    assertEquals(signup.subjectId(), b.verifyPreferencesToken(fromA).orElseThrow());
    assertEquals(signup.subjectId(), a.verifyPreferencesToken(fromB).orElseThrow());
    OptIn stranger = node("https://c.bakery.example/optin", keys, Set.of(A, B));
    assertTrue(stranger.verifyPreferencesToken(fromA).isPresent(), "c accepts a and b ...");
    assertThrows(ConfigurationException.class, stranger::start, "... but they do not accept c");
  }

  @Test
  void startWhenAcceptedOnlyOneWayThenRefusesSayingWhichSideDoesNotAccept() {
    node(A, keys, Set.of()).start();
    OptIn b = node(B, keys, Set.of(A));

    ConfigurationException e = assertThrows(ConfigurationException.class, b::start);

    assertTrue(e.getMessage().contains("that node does not accept this one"), e.getMessage());
  }

  @Test
  void startWhenSameKeyIdHoldsAnotherSecretThenRefusesNamingSigningKeys() {
    node(A, keys, Set.of()).start();
    OptIn other = node(A, SigningKeys.builder().active("k1", SECRET_2).build(), Set.of());

    ConfigurationException e = assertThrows(ConfigurationException.class, other::start);

    assertEquals(1, e.problems().size(), e.getMessage());
    assertTrue(
        e.problems()
            .get(0)
            .startsWith("signingKeys: key \"k1\" of this node is not the key \"k1\" of node "),
        e.getMessage());
    assertTrue(
        e.getMessage().contains("every node must hold the same secret under a key id"),
        e.getMessage());
  }

  @Test
  void startWhenKeyRotatedInTwoStepsThenEveryStepStartsAndInOneStepRefuses() {
    node(A, keys, Set.of()).start();
    SigningKeys rotated =
        SigningKeys.builder().active("k2", SECRET_2).previous("k1", SECRET_1).build();

    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> node(A, rotated, Set.of()).start());
    assertTrue(
        e.getMessage().contains("this node signs with key \"k2\", which node"), e.getMessage());

    node(A, SigningKeys.builder().active("k1", SECRET_1).previous("k2", SECRET_2).build(), Set.of())
        .start();
    nodes
        .get(0)
        .close(); // step one done: the old node is replaced by one that holds k2 as a previous key
    node(A, rotated, Set.of()).start(); // step two
    assertEquals(3, store.read(tx -> tx.registers().nodes()).size() + 1);
  }

  @Test
  void startWhenOtherNodeWasKilledLongerAgoThanTheLapseThenStartsAndItsEntryIsDeleted() {
    OptIn killed = node(A, keys, Set.of()).start(); // never closed, never refreshed: as if killed
    clock.advance(Duration.ofSeconds(59));
    assertThrows(
        ConfigurationException.class, () -> node(B, keys, Set.of()).start(), "still live at 59 s");

    clock.advance(Duration.ofSeconds(2));
    node(B, keys, Set.of()).start();

    assertEquals(List.of(B), registered());
    nodes.remove(killed);
  }

  @Test
  void startWhenEveryOldNodeClosedThenNewBaseUrlStartsAtOnce() {
    node(A, keys, Set.of()).start();
    node(A, keys, Set.of()).start();
    nodes.forEach(OptIn::close);

    node(B, keys, Set.of()).start();

    assertEquals(List.of(B), registered());
  }

  @Test
  void buildWhenAcceptedIssuerBlankThenNamesTheSetting() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                Fixtures.builder(store, new RecordingMailer(), clock)
                    .acceptedIssuers(List.of(" "))
                    .build());

    assertTrue(
        e.getMessage().contains("acceptedIssuers must be 1 to 2000 characters"), e.getMessage());
  }

  private static String token(String url) {
    return URLDecoder.decode(url.substring(url.indexOf("token=") + 6), StandardCharsets.UTF_8);
  }
}
