package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfigurationException;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.NodeRegistration;
import org.optin4j.testing.TestClock;

/** A running node keeps its registration alive, and a fingerprint names a secret without showing it. */
class NodeAgreementHeartbeatTest {
  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final ConsentStore store = InMemoryConsentStore.create();
  private final SigningKeys keys = SigningKeys.generate("k1");

  private NodeAgreement agreement(String id, String issuer) {
    return new NodeAgreement(store, clock, () -> id, issuer, "baseUrl", Set.of(), keys);
  }

  private List<NodeRegistration> nodes() {
    return store.read((ConsentStore.Transaction unit) -> unit.registers().nodes());
  }

  @Test
  void heartbeatThenSeenAtRefreshedSoTheNodeNeverLapsesWhileItRuns() {
    NodeAgreement a = agreement("node-a", "https://a.example");
    a.join();
    for (int i = 0; i < 5; i++) {
      clock.advance(NodeAgreement.HEARTBEAT);
      a.heartbeat();
    }

    assertEquals(clock.instant(), nodes().get(0).seenAt());
    NodeAgreement b = agreement("node-b", "https://b.example");
    assertThrows(
        ConfigurationException.class, b::join, "a node that keeps beating is live after 100 s");
  }

  @Test
  void heartbeatWhenEntryLapsedAndWasDeletedThenRegistersAgain() {
    NodeAgreement a = agreement("node-a", "https://a.example");
    a.join();
    clock.advance(NodeAgreement.LAPSE.plus(Duration.ofSeconds(1)));
    agreement("node-b", "https://a.example").join(); // deletes a's lapsed entry

    a.heartbeat();

    assertEquals(
        List.of("node-a", "node-b"), nodes().stream().map(NodeRegistration::nodeId).toList());
  }

  @Test
  void heartbeatBeforeJoinOrAfterLeaveThenNothingRegistered() {
    NodeAgreement a = agreement("node-a", "https://a.example");
    a.heartbeat();
    assertEquals(List.of(), nodes());

    a.join();
    a.leave();
    a.heartbeat();
    assertEquals(List.of(), nodes());
  }

  @Test
  void fingerprintThenEqualForEqualSecretsAndNotTheSecret() {
    byte[] secret = keys.secret("k1");

    String fingerprint = NodeAgreement.fingerprint(secret);

    assertEquals(fingerprint, NodeAgreement.fingerprint(secret.clone()));
    assertNotEquals(
        fingerprint, NodeAgreement.fingerprint(SigningKeys.generate("k1").secret("k1")));
    assertEquals(32, fingerprint.length());
    assertNotEquals(HexFormat.of().formatHex(secret, 0, 16), fingerprint);
  }
}
