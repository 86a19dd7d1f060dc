package org.optin4j.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.optin4j.ConfigurationException;
import org.optin4j.keys.SigningKeys;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.NodeRegistration;

/**
 * Makes the nodes that share a store agree on what makes a link valid: a link is signed by whichever node sends the
 * mail, with that node's issuer and active key, and opened on whichever node the person reaches. At start a node
 * registers its issuer, the issuers it also accepts and its key ids with their fingerprints (never a secret) in the
 * store's node register, then compares itself with every live registration; if a link from either node would be
 * refused by the other, it removes its registration again and refuses to start with a message naming the setting
 * (RFC 8725 section 3.10: accept tokens only from the issuers expected).
 *
 * <p>Registering before comparing, each in its own committed transaction, makes the check hold for nodes starting at
 * the same moment too: of two nodes, the one that compares last sees the other's registration. A running node
 * refreshes its registration every {@link #HEARTBEAT}; a registration not refreshed for {@link #LAPSE} (its node was
 * killed, or lost the database that long) no longer counts and is deleted by the next node that starts. A node
 * closed cleanly removes its own at once, so a redeploy of every node with a new base URL is refused only while an
 * old node still runs or was killed less than {@link #LAPSE} ago.
 *
 * <p>Thread-safe.
 */
public final class NodeAgreement {
  private static final System.Logger LOG = System.getLogger(NodeAgreement.class.getName());

  /** How often a running node refreshes its registration. */
  public static final Duration HEARTBEAT = Duration.ofSeconds(20);

  /** How long after it was last refreshed a registration stops counting. */
  public static final Duration LAPSE = Duration.ofSeconds(60);

  private final ConsentStore store;
  private final Clock clock;
  private final java.util.function.Supplier<String> newNodeId;
  private volatile String nodeId;
  private final String issuer;
  private final Set<String> acceptedIssuers;
  private final String activeKeyId;
  private final Map<String, String> fingerprints;
  private final String issuerSetting;
  private volatile NodeRegistration registered;

  /**
   * Creates the agreement of one node; nothing is registered until {@link #join()}.
   *
   * @param store the shared store
   * @param clock the clock
   * @param newNodeId draws a random node id, at each {@link #join()}
   * @param issuer the issuer this node signs links with
   * @param issuerSetting the builder setting the issuer comes from, for messages ({@code baseUrl} or {@code issuer})
   * @param acceptedIssuers further issuers this node accepts
   * @param keys this node's signing keys
   */
  public NodeAgreement(
      ConsentStore store,
      Clock clock,
      java.util.function.Supplier<String> newNodeId,
      String issuer,
      String issuerSetting,
      Set<String> acceptedIssuers,
      SigningKeys keys) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.newNodeId = Objects.requireNonNull(newNodeId, "newNodeId");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.issuerSetting = Objects.requireNonNull(issuerSetting, "issuerSetting");
    this.acceptedIssuers = Set.copyOf(acceptedIssuers);
    this.activeKeyId = keys.activeKid();
    Map<String, String> byKid = new TreeMap<>();
    for (String kid : keys.kids()) {
      byKid.put(kid, fingerprint(keys.secret(kid)));
    }
    this.fingerprints = Map.copyOf(byKid);
  }

  /**
   * Registers this node and checks it against the live registrations of the others.
   *
   * @throws ConfigurationException naming each disagreement and the setting to change; this node's registration is
   *     then removed again
   */
  public void join() {
    Instant now = clock.instant();
    nodeId = newNodeId.get();
    NodeRegistration self =
        new NodeRegistration(nodeId, issuer, acceptedIssuers, activeKeyId, fingerprints, now, now);
    store.inTransaction(
        tx -> {
          for (NodeRegistration other : tx.registers().nodes()) {
            if (other.seenAt().isBefore(now.minus(LAPSE))) {
              tx.registers().deleteNode(other.nodeId());
            }
          }
          tx.registers().saveNode(self);
          return null;
        });
    registered = self;
    List<String> problems = disagreements(self, live(now));
    if (!problems.isEmpty()) {
      leave();
      throw new ConfigurationException(problems);
    }
  }

  /**
   * Refreshes this node's registration (re-creating it if it had lapsed and was deleted) and logs an error for any
   * live node it disagrees with, which can only have started while this node's registration had lapsed. No-op
   * before {@link #join()} and after {@link #leave()}.
   */
  public void heartbeat() {
    NodeRegistration self = registered;
    if (self == null) {
      return;
    }
    Instant now = clock.instant();
    NodeRegistration seen = self.seen(now);
    store.inTransaction(
        tx -> {
          tx.registers().saveNode(seen);
          return null;
        });
    registered = seen;
    for (String problem : disagreements(seen, live(now))) {
      LOG.log(System.Logger.Level.ERROR, "nodes sharing the store disagree: " + problem);
    }
  }

  /** Removes this node's registration, if it has one. Idempotent. */
  public void leave() {
    if (registered != null) {
      registered = null;
      store.inTransaction(tx -> tx.registers().deleteNode(nodeId));
    }
  }

  private List<NodeRegistration> live(Instant now) {
    return store.read(tx -> tx.registers().nodes()).stream()
        .filter(n -> !n.nodeId().equals(nodeId) && !n.seenAt().isBefore(now.minus(LAPSE)))
        .toList();
  }

  /** Each way in which a link one of the nodes sends would be refused by another, in words an operator can act on. */
  List<String> disagreements(NodeRegistration self, List<NodeRegistration> others) {
    List<String> problems = new ArrayList<>();
    for (NodeRegistration other : others) {
      String who =
          "node "
              + other.nodeId()
              + " (registered in the store, started "
              + other.startedAt()
              + ", last seen "
              + other.seenAt()
              + ")";
      if (!self.accepts(other.issuer()) || !other.accepts(self.issuer())) {
        problems.add(
            "issuer: this node signs links with issuer \""
                + self.issuer()
                + "\" (its "
                + issuerSetting
                + ") and "
                + who
                + " with \""
                + other.issuer()
                + "\", and "
                + (!self.accepts(other.issuer())
                    ? "this node does not accept that one"
                    : "that node does not accept this one")
                + ": links one of them sends would not work on the other. Set the same "
                + issuerSetting
                + " on every node sharing the store, or, for a site with several public addresses, list every other"
                + " address with acceptedIssuers(...) on every node. A node that is gone stops counting "
                + LAPSE.toSeconds()
                + " s after it was last seen (at once if it was closed cleanly)");
      }
      for (Map.Entry<String, String> key : self.keyFingerprints().entrySet()) {
        String theirs = other.keyFingerprints().get(key.getKey());
        if (theirs != null && !theirs.equals(key.getValue())) {
          problems.add(
              "signingKeys: key \""
                  + key.getKey()
                  + "\" of this node is not the key \""
                  + key.getKey()
                  + "\" of "
                  + who
                  + ": every node must hold the same secret under a key id");
        }
      }
      if (!self.keyFingerprints().containsKey(other.activeKeyId())) {
        problems.add(
            "signingKeys: "
                + who
                + " signs with key \""
                + other.activeKeyId()
                + "\", which this node does"
                + " not hold: add it as a previous key (rotate in two steps: first every node gets the new key as a"
                + " previous key, then every node makes it active)");
      }
      if (!other.keyFingerprints().containsKey(self.activeKeyId())) {
        problems.add(
            "signingKeys: this node signs with key \""
                + self.activeKeyId()
                + "\", which "
                + who
                + " does not hold: give that node the key as a previous key first, or sign with a key both hold");
      }
    }
    return problems;
  }

  /**
   * A key's fingerprint: HMAC-SHA256 of a fixed label under the key, 16 bytes in hex. Equal for equal secrets; says
   * nothing about the secret (HMAC is a pseudo-random function of its key).
   *
   * @param secret the key
   * @return the fingerprint
   */
  static String fingerprint(byte[] secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      byte[] digest =
          mac.doFinal("optin4j signing key fingerprint".getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }
}
