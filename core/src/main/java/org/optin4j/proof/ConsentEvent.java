package org.optin4j.proof;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * One append-only entry in a subject's consent history: the proof of who agreed to what, when, under which notice,
 * and how (GDPR Art. 7(1); EDPB Guidelines 05/2020, section 7.1).
 *
 * <p>Events are never changed or deleted, except that erasure removes their evidence. The {@code sequence} is assigned
 * by the store and orders events of one subject.
 *
 * <p><b>Tamper evidence.</b> Before the store appends an event, the core {@linkplain #sealed seals} it into its
 * subject's hash chain: the {@link Seal} holds the event's position in the subject's history (1, 2, ...), the hash of the previous
 * event of the same subject ({@link Seal#GENESIS} for the first), a salted digest of the erasable details (source,
 * evidence, token id) and the event's own SHA-256 hash over everything that survives erasure plus those two hashes.
 * Erasure removes the details and the salt but keeps the digest, so a de-identified history still verifies, and the
 * digest (salted with a random value that is erased too) reveals nothing about the erased values. The exact byte
 * layout is documented in {@code docs/proof-and-rights.md}, so that an auditor can recompute it without optin4j.
 *
 * <p>Immutable and thread-safe.
 *
 * @param sequence the store-assigned order, 0 before it is stored
 * @param subjectId whose history
 * @param purpose the purpose concerned
 * @param type what happened
 * @param at when (UTC)
 * @param requestId the request involved, or {@code null}
 * @param notice the notice version involved, or {@code null}
 * @param source the form id or URL the request came from, or {@code null}
 * @param channel how the change reached us
 * @param evidence IP and user agent as the evidence policy allows
 * @param tokenId the id ({@code jti}) of the token used, or {@code null}
 * @param seal the event's link in its subject's hash chain, assigned by the core; {@code null} before it is sealed
 */
public record ConsentEvent(
    long sequence,
    SubjectId subjectId,
    PurposeId purpose,
    Type type,
    Instant at,
    String requestId,
    Consent.NoticeRef notice,
    String source,
    Channel channel,
    Evidence evidence,
    String tokenId,
    Seal seal) {

  private static final String EVENT_DOMAIN = "optin4j.event.v1";
  private static final String DETAILS_DOMAIN = "optin4j.event-details.v1";

  /** Validates the required components. */
  public ConsentEvent {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(channel, "channel");
    evidence = evidence == null ? Evidence.NONE : evidence;
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must not be negative");
    }
  }

  /**
   * Creates an event that is not sealed yet (as the core creates it before sealing it onto its subject's chain).
   *
   * @param sequence the store-assigned order, 0 before it is stored
   * @param subjectId whose history
   * @param purpose the purpose concerned
   * @param type what happened
   * @param at when (UTC)
   * @param requestId the request involved, or {@code null}
   * @param notice the notice version involved, or {@code null}
   * @param source the form id or URL the request came from, or {@code null}
   * @param channel how the change reached us
   * @param evidence IP and user agent as the evidence policy allows
   * @param tokenId the id ({@code jti}) of the token used, or {@code null}
   */
  public ConsentEvent(
      long sequence,
      SubjectId subjectId,
      PurposeId purpose,
      Type type,
      Instant at,
      String requestId,
      Consent.NoticeRef notice,
      String source,
      Channel channel,
      Evidence evidence,
      String tokenId) {
    this(
        sequence, subjectId, purpose, type, at, requestId, notice, source, channel, evidence,
        tokenId, null);
  }

  /**
   * Returns this event with the sequence the store assigned.
   *
   * @param assigned the sequence
   * @return the stored event
   */
  public ConsentEvent withSequence(long assigned) {
    return new ConsentEvent(
        assigned, subjectId, purpose, type, at, requestId, notice, source, channel, evidence,
        tokenId, seal);
  }

  /**
   * Returns this event with another seal, as read back from a store (or {@code null} to drop it).
   *
   * @param newSeal the seal, or {@code null}
   * @return the event
   */
  public ConsentEvent withSeal(Seal newSeal) {
    return new ConsentEvent(
        sequence, subjectId, purpose, type, at, requestId, notice, source, channel, evidence,
        tokenId, newSeal);
  }

  /**
   * Seals this event into its subject's hash chain; called by the core (never by a store) while it holds the
   * subject's history lock.
   *
   * @param position the event's position in its subject's history, 1 for the first
   * @param previousHash the {@link Seal#hash()} of the event at {@code position - 1}, or {@link Seal#GENESIS}
   * @param salt 16 or more random bytes for the details digest (from a {@code SecureRandom}; never reuse one)
   * @return the sealed event
   * @throws IllegalArgumentException if the position is below 1, the hash is not 64 lowercase hex digits or the salt
   *     is shorter than 16 bytes
   */
  public ConsentEvent sealed(int position, String previousHash, byte[] salt) {
    Objects.requireNonNull(salt, "salt");
    if (salt.length < 16) {
      throw new IllegalArgumentException("salt must have at least 16 bytes, had " + salt.length);
    }
    String saltText = Base64.getUrlEncoder().withoutPadding().encodeToString(salt);
    String details = detailsDigest(saltText);
    return withSeal(
        new Seal(
            position, previousHash, saltText, details, chainHash(position, previousHash, details)));
  }

  /**
   * Returns this event as erasure leaves it: source, evidence and token id removed, and the seal's salt with them, so
   * that the kept digest no longer leads back to the erased values. The chain hash is unchanged, so the history still
   * verifies (GDPR Art. 17 and Art. 7(1) at once).
   *
   * @return the de-identified event
   */
  public ConsentEvent deidentified() {
    Seal kept =
        seal == null
            ? null
            : new Seal(
                seal.position(), seal.previousHash(), null, seal.detailsDigest(), seal.hash());
    return new ConsentEvent(
        sequence,
        subjectId,
        purpose,
        type,
        at,
        requestId,
        notice,
        null,
        channel,
        Evidence.NONE,
        null,
        kept);
  }

  /** Returns whether this event still carries no erasable detail (source, evidence, token id). */
  public boolean hasNoDetails() {
    return source == null
        && evidence.ip() == null
        && evidence.userAgent() == null
        && tokenId == null;
  }

  /**
   * Recomputes the salted digest of this event's erasable details (source, IP, user agent, token id).
   *
   * @param salt the salt, base64url as in {@link Seal#detailsSalt()}
   * @return the SHA-256, lowercase hex
   */
  public String detailsDigest(String salt) {
    Objects.requireNonNull(salt, "salt");
    return sha256(DETAILS_DOMAIN, salt, source, evidence.ip(), evidence.userAgent(), tokenId);
  }

  /**
   * Recomputes this event's chain hash from what survives erasure: subject, position, purpose, type, time (to the
   * millisecond, as stores keep it), request, notice, channel, the details digest and the previous hash.
   *
   * @param position the event's position
   * @param previousHash the previous event's hash, or {@link Seal#GENESIS}
   * @param detailsDigest the digest of the erasable details
   * @return the SHA-256, lowercase hex
   */
  public String chainHash(int position, String previousHash, String detailsDigest) {
    return sha256(
        EVENT_DOMAIN,
        subjectId.value(),
        Integer.toString(position),
        purpose.value(),
        type.name(),
        Long.toString(at.toEpochMilli()),
        requestId,
        notice == null ? null : Integer.toString(notice.version()),
        notice == null ? null : notice.hash(),
        notice == null ? null : notice.locale().toLanguageTag(),
        channel.name(),
        detailsDigest,
        previousHash);
  }

  /**
   * SHA-256 over a domain string and fields, each written as a 4-byte big-endian length and its UTF-8 bytes; a
   * {@code null} field is the length -1 and no bytes. Unambiguous: no two field lists give the same bytes.
   */
  private static String sha256(String domain, String... fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    field(out, domain);
    for (String f : fields) {
      field(out, f);
    }
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(out.toByteArray()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  private static void field(ByteArrayOutputStream out, String value) {
    if (value == null) {
      out.writeBytes(ByteBuffer.allocate(4).putInt(-1).array());
      return;
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
    out.writeBytes(bytes);
  }

  /**
   * An event's link in its subject's hash chain (see the class comment). Immutable and thread-safe.
   *
   * @param position the position in the subject's history, from 1, without gaps
   * @param previousHash the previous event's {@code hash}, or {@link #GENESIS} for the first event
   * @param detailsSalt the random salt of the details digest, base64url; {@code null} once erased
   * @param detailsDigest the salted SHA-256 of source, evidence and token id, lowercase hex
   * @param hash this event's chain hash, lowercase hex
   */
  public record Seal(
      int position, String previousHash, String detailsSalt, String detailsDigest, String hash) {
    /** The previous hash of a subject's first event: 64 zeros. */
    public static final String GENESIS = "0".repeat(64);

    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SALT = Pattern.compile("[A-Za-z0-9_-]{22,86}");

    /** Validates the components. */
    public Seal {
      if (position < 1) {
        throw new IllegalArgumentException("chain position must be 1 or more, was " + position);
      }
      hex(previousHash, "previousHash");
      hex(detailsDigest, "detailsDigest");
      hex(hash, "hash");
      if (detailsSalt != null && !SALT.matcher(detailsSalt).matches()) {
        throw new IllegalArgumentException("detailsSalt must be base64url of 16 to 64 bytes");
      }
    }

    private static void hex(String value, String name) {
      Objects.requireNonNull(value, name);
      if (!HEX.matcher(value).matches()) {
        throw new IllegalArgumentException(name + " must be 64 lowercase hex digits");
      }
    }
  }

  /** What happened. */
  public enum Type {
    /** Consent was asked for; a confirmation mail was queued. */
    REQUESTED,
    /** The address was confirmed for the purpose. */
    CONFIRMED,
    /** The person withdrew. */
    WITHDRAWN,
    /** The request lapsed unconfirmed, or the retention period ran out. */
    EXPIRED,
    /** Processing was restricted (Art. 18). */
    RESTRICTED,
    /** A restriction was lifted. */
    RESTRICTION_LIFTED,
    /** Personal data was erased (Art. 17). */
    ERASED,
    /** The consent moved to a new, confirmed address (Art. 16 rectification). */
    ADDRESS_CHANGED,
    /**
     * The address cannot receive mail (a permanent bounce, or a source's "cleaned" mark): the consent ended, and no mail
     * goes to it until the person signs up and confirms again.
     */
    UNDELIVERABLE
  }
}
