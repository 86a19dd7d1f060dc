package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.SURVEYS;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.node;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.breach.Incident;
import org.optin4j.campaign.Campaign;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.NodeRegistration;

/**
 * The part of the store contract for the small registers: cluster nodes, breach incidents, campaigns and rights
 * requests, each saved, found and replaced exactly.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class RegisterStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected RegisterStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void saveNodeThenListedByNodeIdWithEveryComponent() {
    NodeRegistration b = node("node-b", "https://bakery.example/optin", at(10));
    NodeRegistration a =
        new NodeRegistration(
            "node-a",
            "https://bakery.example/optin",
            java.util.Set.of(),
            "k1",
            java.util.Map.of("k1", "0011223344556677"),
            at(1),
            at(2));

    tx(
        tx -> {
          tx.registers().saveNode(b);
          tx.registers().saveNode(a);
        });

    assertEquals(List.of(a, b), read((ConsentStore.Transaction unit) -> unit.registers().nodes()));
  }

  @Test
  void saveNodeWhenSameNodeIdThenReplaced() {
    NodeRegistration first = node("node-a", "https://bakery.example/optin", at(10));
    tx(tx -> tx.registers().saveNode(first));

    tx(tx -> tx.registers().saveNode(first.seen(at(40))));

    assertEquals(
        List.of(first.seen(at(40))),
        read((ConsentStore.Transaction unit) -> unit.registers().nodes()));
  }

  @Test
  void deleteNodeThenGoneAndSecondDeleteSaysSo() {
    tx(
        tx -> {
          tx.registers().saveNode(node("node-a", "https://a.example", at(1)));
          tx.registers().saveNode(node("node-b", "https://b.example", at(1)));
        });

    boolean first = read(tx -> tx.registers().deleteNode("node-a"));
    boolean second = read(tx -> tx.registers().deleteNode("node-a"));
    assertTrue(first);
    assertFalse(second);
    assertEquals(
        List.of("node-b"),
        read(tx -> tx.registers().nodes().stream().map(NodeRegistration::nodeId).toList()));
  }

  @Test
  void saveNodeWhenWorkThrowsThenNothingRegistered() {
    throwAfter(tx -> tx.registers().saveNode(node("node-a", "https://a.example", at(1))));

    assertEquals(List.of(), read((ConsentStore.Transaction unit) -> unit.registers().nodes()));
  }

  private static Incident incident(
      String id, Instant discoveredAt, Set<org.optin4j.PurposeId> purposes) {
    return new Incident(
        id,
        discoveredAt,
        discoveredAt.plusSeconds(600),
        "Backup copy left on a public bucket.\n" + "Second line, \u00fcnicode.",
        List.of("email address", "consent history"),
        List.of("newsletter subscribers"),
        purposes,
        Incident.Status.OPEN,
        null,
        null,
        null);
  }

  @Test
  void saveIncidentThenFoundWithEveryComponentAndReplacedOnUpdate() {
    Incident open = incident("inc-1", at(0), Set.of(NEWSLETTER, OFFERS));
    tx(tx -> tx.registers().saveIncident(open));
    assertEquals(Optional.of(open), read(tx -> tx.registers().incident("inc-1")));

    Incident notified =
        open.authorityNotified(at(3600))
            .withSubjectNotice(
                new Incident.SubjectNotice(
                    "About your data", "What happened.\n\nWhat we did.", at(7200)));
    tx(tx -> tx.registers().saveIncident(notified));
    assertEquals(Optional.of(notified), read(tx -> tx.registers().incident("inc-1")));
    Incident closed = notified.closed(at(9000));
    tx(tx -> tx.registers().saveIncident(closed));
    assertEquals(Optional.of(closed), read(tx -> tx.registers().incident("inc-1")));
    assertEquals(Optional.empty(), read(tx -> tx.registers().incident("inc-2")));
  }

  @Test
  void incidentsThenLatestDiscoveryFirstAndAllPurposesKeptAsEmpty() {
    Incident all = incident("inc-all", at(100), Set.of());
    Incident older = incident("inc-old", at(50), Set.of(SURVEYS));
    tx(
        tx -> {
          tx.registers().saveIncident(older);
          tx.registers().saveIncident(all);
        });

    assertEquals(
        List.of(all, older), read((ConsentStore.Transaction unit) -> unit.registers().incidents()));
    assertTrue(read(tx -> tx.registers().incident("inc-all")).orElseThrow().affectsEverySubject());
  }

  @Test
  void saveIncidentWhenWorkThrowsThenNothingKept() {
    throwAfter(tx -> tx.registers().saveIncident(incident("inc-1", at(0), Set.of())));

    assertEquals(List.of(), read((ConsentStore.Transaction unit) -> unit.registers().incidents()));
  }

  @Test
  void insertCampaignThenFoundAndDuplicateIdRefused() {
    Campaign c =
        new Campaign(
            "camp-1", NEWSLETTER, "Bread of the month", "Rye.\n\nSpelt.", "<p>Rye</p>", at(5));
    Campaign textOnly = new Campaign("camp-2", OFFERS, "Offers", "Cheap rolls.", null, at(6));
    tx(
        tx -> {
          tx.registers().insertCampaign(c);
          tx.registers().insertCampaign(textOnly);
        });

    assertEquals(Optional.of(c), read(tx -> tx.registers().campaign("camp-1")));
    assertEquals(Optional.of(textOnly), read(tx -> tx.registers().campaign("camp-2")));
    assertEquals(Optional.empty(), read(tx -> tx.registers().campaign("camp-3")));
    assertThrows(DuplicateKeyException.class, () -> tx(tx -> tx.registers().insertCampaign(c)));
  }

  @Test
  void saveRightsRequestThenFoundReplacedAndOpenOnesListedByDeadline() {
    RightsRequest late =
        RightsRequest.received("rr-1", subjectId("ann"), RightsRequest.Type.ERASURE, at(100));
    RightsRequest early =
        RightsRequest.received("rr-2", subjectId("bob"), RightsRequest.Type.ACCESS, at(50));
    RightsRequest done =
        RightsRequest.received("rr-3", subjectId("cy"), RightsRequest.Type.WITHDRAWAL, at(10))
            .completed(at(20), "withdrawn: [newsletter]");
    tx(
        tx -> {
          tx.registers().saveRightsRequest(late);
          tx.registers().saveRightsRequest(early);
          tx.registers().saveRightsRequest(done);
        });

    assertEquals(Optional.of(late), read(tx -> tx.registers().rightsRequest("rr-1")));
    assertEquals(Optional.of(done), read(tx -> tx.registers().rightsRequest("rr-3")));
    assertEquals(Optional.empty(), read(tx -> tx.registers().rightsRequest("rr-9")));
    assertEquals(
        List.of(early, late),
        read((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests()));

    RightsRequest extended = early.extendedDeadline();
    tx(tx -> tx.registers().saveRightsRequest(extended));
    assertEquals(
        List.of(late, extended),
        read((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests()));
    tx(tx -> tx.registers().saveRightsRequest(late.completed(at(200), "subject erased")));
    assertEquals(
        List.of(extended),
        read((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests()));
  }
}
