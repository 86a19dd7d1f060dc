package org.optin4j.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * One application node's entry in the store's node register: what its links are signed with, so that the nodes
 * sharing a store can check at start that each accepts the links the others send (RFC 8725 section 3.10 and RFC 7519
 * section 4.1.1: a token is only accepted from an expected issuer). A node registers at start, refreshes
 * {@code seenAt} while it runs, and removes its entry when it is closed; an entry whose node was killed lapses once
 * it has not been seen for a while.
 *
 * <p>No secret is stored: a signing key appears as its key id and a fingerprint, an HMAC of a fixed label under the
 * key, which tells whether two nodes hold the same secret for a key id and nothing about the secret. Immutable and
 * thread-safe.
 *
 * @param nodeId the node's random id, new at every start
 * @param issuer the issuer ({@code iss}) the node signs its links with: its base URL unless set otherwise
 * @param acceptedIssuers further issuers the node accepts in links (sites with several public addresses); may be empty
 * @param activeKeyId the key id the node signs with
 * @param keyFingerprints every key id the node verifies with (the active one included), to its fingerprint
 * @param startedAt when the node registered
 * @param seenAt when the node last said it was alive
 */
public record NodeRegistration(
    String nodeId,
    String issuer,
    Set<String> acceptedIssuers,
    String activeKeyId,
    Map<String, String> keyFingerprints,
    Instant startedAt,
    Instant seenAt) {
  private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");
  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{16,64}");

  /** Validates the components; an issuer must be single-line, as it travels in a token claim. */
  public NodeRegistration {
    Objects.requireNonNull(nodeId, "nodeId");
    if (!NODE_ID.matcher(nodeId).matches()) {
      throw new IllegalArgumentException("node id must be 1 to 100 letters, digits, '_' or '-'");
    }
    checkIssuer(issuer);
    acceptedIssuers =
        Collections.unmodifiableSet(
            new TreeSet<>(Objects.requireNonNull(acceptedIssuers, "acceptedIssuers")));
    acceptedIssuers.forEach(NodeRegistration::checkIssuer);
    Objects.requireNonNull(activeKeyId, "activeKeyId");
    keyFingerprints =
        Collections.unmodifiableMap(
            new TreeMap<>(Objects.requireNonNull(keyFingerprints, "keyFingerprints")));
    keyFingerprints.forEach(
        (kid, fingerprint) -> {
          if (!KEY_ID.matcher(kid).matches() || !FINGERPRINT.matcher(fingerprint).matches()) {
            throw new IllegalArgumentException("invalid key id or fingerprint for key " + kid);
          }
        });
    if (!keyFingerprints.containsKey(activeKeyId)) {
      throw new IllegalArgumentException("the active key id must be among the key fingerprints");
    }
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(seenAt, "seenAt");
  }

  private static void checkIssuer(String issuer) {
    Objects.requireNonNull(issuer, "issuer");
    if (issuer.isBlank()
        || issuer.length() > 2000
        || issuer.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "an issuer must be 1 to 2000 characters without control characters");
    }
  }

  /**
   * Tells whether this node accepts links signed with an issuer: its own, or one of its accepted issuers.
   *
   * @param other the issuer
   * @return whether links with it verify here
   */
  public boolean accepts(String other) {
    return issuer.equals(other) || acceptedIssuers.contains(other);
  }

  /**
   * Returns this registration seen alive again.
   *
   * @param at when
   * @return the refreshed registration
   */
  public NodeRegistration seen(Instant at) {
    return new NodeRegistration(
        nodeId, issuer, acceptedIssuers, activeKeyId, keyFingerprints, startedAt, at);
  }
}
