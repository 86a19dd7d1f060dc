package org.optin4j.benchmarks;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.sql.DataSource;

/**
 * The same-proof floor (issue 17): a hand-rolled double opt-in that writes the rows the library writes for the same
 * request, in tables made by the library's own schema scripts (prefix {@value #PREFIX}, so the same columns, keys,
 * foreign keys and indexes), on the same pool and database, with none of the library's generality.
 *
 * <p>Subscribe, in one transaction: the subject; per purpose a {@code REQUESTED} event sealed into the subject's hash
 * chain (a salted SHA-256 digest of the details, a SHA-256 chain hash over the previous hash and the event, as the
 * library computes them) and a {@code PENDING} consent, each kind in one JDBC batch; the chain head; the request with
 * its evidence (IP, user agent); the confirmation mail's outbox row; the feed entries with their commit-order
 * positions (the counter row claimed last, as the library does). The link is an HMAC-SHA256-signed id handed to the
 * load driver instead of a mail. Confirm page: the signature checked, the request read. Confirm, in one transaction:
 * the head locked, the token's single use, the request closed, per purpose the consent confirmed and a
 * {@code CONFIRMED} event (one batch each), the head moved, the receipt's outbox row, the feed entries. No suppression
 * list, no mail cap, no notice rendering, no address-change or superseded-request checks, no token claims beyond an
 * HMAC: what is left is the proof and the mails' rows. Each answer is a fixed page.
 *
 * <p>Thread-safe: per request state only; {@link SecureRandom} and a {@link Mac} per call.
 */
final class SameProofFloor {
  static final String PREFIX = "benchproof_";
  private static final String GENESIS = "0".repeat(64);
  private static final String NOTICE_HASH = "a".repeat(64);

  final BlockingQueue<String> tokens = new LinkedBlockingQueue<>();
  private final DataSource ds;
  private final boolean postgres;
  private final SecureRandom random = new SecureRandom();
  private final byte[] key = Fixtures.secret(32);
  private final String insertEvent;
  private final String insertFeed;
  private final String claimFeed;

  SameProofFloor(DataSource ds, boolean postgres) {
    this.ds = ds;
    this.postgres = postgres;
    Fixtures.freshStore(ds, PREFIX); // the library's schema, under the floor's prefix
    insertEvent =
        "INSERT INTO "
            + PREFIX
            + "events (subject_id, purpose, event_type, occurred_at, request_id, notice_version,"
            + " notice_hash, notice_locale, source, channel, evidence_ip, evidence_user_agent,"
            + " token_id, chain_position, previous_hash, details_salt, details_digest, chain_hash)"
            + " VALUES (?, ?, ?, ?, ?, 1, ?, 'en', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    insertFeed =
        "INSERT INTO "
            + PREFIX
            + "feed (feed_position, subject_id, purpose, event_type, occurred_at, channel)"
            + " VALUES (?, ?, ?, ?, ?, ?)";
    String claim =
        "UPDATE " + PREFIX + "feed_counter SET last_position = last_position + ? WHERE id = 1";
    claimFeed =
        postgres
            ? claim + " RETURNING last_position"
            : "SELECT last_position FROM FINAL TABLE (" + claim + ")";
  }

  /** POST: {@code email} and one {@code purpose} parameter per purpose. */
  HttpServlet subscribe() {
    return new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
        String email = req.getParameter("email");
        String[] purposes = req.getParameterValues("purpose");
        String subject = randomId(16);
        String request = randomId(24);
        long now = System.currentTimeMillis();
        String ip = req.getRemoteAddr();
        String agent = req.getHeader("User-Agent");
        try (Connection c = ds.getConnection()) {
          c.setAutoCommit(false);
          try {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO "
                        + PREFIX
                        + "subjects (id, email, created_at, address_generation) VALUES (?, ?, ?, 0)")) {
              ps.setString(1, subject);
              ps.setString(2, email);
              ps.setLong(3, now);
              ps.executeUpdate();
            }
            String head =
                events(
                    c,
                    subject,
                    purposes,
                    "REQUESTED",
                    "FORM",
                    request,
                    now,
                    ip,
                    agent,
                    null,
                    0,
                    GENESIS);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO "
                        + PREFIX
                        + "consents (subject_id, purpose, purpose_version, state, request_id,"
                        + " notice_version, notice_hash, notice_locale, requested_at, restricted)"
                        + " VALUES (?, ?, 1, 'PENDING', ?, 1, ?, 'en', ?, FALSE)")) {
              for (String p : purposes) {
                ps.setString(1, subject);
                ps.setString(2, p);
                ps.setString(3, request);
                ps.setString(4, NOTICE_HASH);
                ps.setLong(5, now);
                ps.addBatch();
              }
              ps.executeBatch();
            }
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO "
                        + PREFIX
                        + "requests (id, subject_id, purposes, notice_version, notice_hash,"
                        + " notice_locale, source, evidence_ip, evidence_user_agent, requested_at,"
                        + " expires_at, generation, status) VALUES (?, ?, ?, 1, ?, 'en', 'signup', ?, ?,"
                        + " ?, ?, 1, 'OPEN')")) {
              ps.setString(1, request);
              ps.setString(2, subject);
              ps.setString(3, String.join(",", purposes));
              ps.setString(4, NOTICE_HASH);
              ps.setString(5, ip);
              ps.setString(6, agent);
              ps.setLong(7, now);
              ps.setLong(8, now + 48 * 3_600_000L);
              ps.executeUpdate();
            }
            outbox(
                c,
                "CONFIRMATION",
                subject,
                email,
                request,
                purposes,
                "confirmation:" + request,
                now);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO "
                        + PREFIX
                        + "history_heads (subject_id, chain_position, head_hash) VALUES (?, ?, ?)")) {
              ps.setString(1, subject);
              ps.setInt(2, purposes.length);
              ps.setString(3, head);
              ps.executeUpdate();
            }
            feed(c, subject, purposes, "REQUESTED", "FORM", now);
            c.commit();
          } catch (SQLException e) {
            c.rollback();
            throw e;
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        tokens.add(sign(request + "." + subject + "." + String.join(",", purposes)));
        page(res, "<!DOCTYPE html><p>Check your inbox: we have sent you a link.</p>");
      }
    };
  }

  /** GET: the confirm page for {@code token}; POST: the confirmation. */
  HttpServlet confirm() {
    return new HttpServlet() {
      private static final long serialVersionUID = 1L;

      @Override
      protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        String token = req.getParameter("token");
        String[] parts = verify(token);
        boolean open;
        try (Connection c = ds.getConnection();
            PreparedStatement ps =
                c.prepareStatement("SELECT status FROM " + PREFIX + "requests WHERE id = ?")) {
          ps.setString(1, parts[0]);
          try (ResultSet rs = ps.executeQuery()) {
            open = rs.next() && "OPEN".equals(rs.getString(1));
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        if (!open) {
          res.sendError(404);
          return;
        }
        page(
            res,
            "<!DOCTYPE html><form method=\"post\"><input type=\"hidden\" name=\"token\" value=\""
                + token
                + "\"><button>Confirm</button></form>");
      }

      @Override
      protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
        String token = req.getParameter("token");
        String[] parts = verify(token);
        String request = parts[0];
        String subject = parts[1];
        String[] purposes = parts[2].split(",");
        long now = System.currentTimeMillis();
        try (Connection c = ds.getConnection()) {
          c.setAutoCommit(false);
          try {
            int position;
            String hash;
            try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT chain_position, head_hash FROM "
                        + PREFIX
                        + "history_heads WHERE subject_id = ? FOR UPDATE")) {
              ps.setString(1, subject);
              try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                position = rs.getInt(1);
                hash = rs.getString(2);
              }
            }
            try (PreparedStatement ps =
                c.prepareStatement(
                    "INSERT INTO " + PREFIX + "used_tokens (token_id, expires_at) VALUES (?, ?)")) {
              ps.setString(1, request);
              ps.setLong(2, now + 48 * 3_600_000L);
              ps.executeUpdate();
            }
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE "
                        + PREFIX
                        + "requests SET status = 'CONFIRMED', closed_at = ? WHERE id = ? AND status = 'OPEN'")) {
              ps.setLong(1, now);
              ps.setString(2, request);
              if (ps.executeUpdate() != 1) {
                throw new SQLException("request not open");
              }
            }
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE "
                        + PREFIX
                        + "consents SET state = 'CONFIRMED', confirmed_at = ? WHERE subject_id = ? AND purpose = ?")) {
              for (String p : purposes) {
                ps.setLong(1, now);
                ps.setString(2, subject);
                ps.setString(3, p);
                ps.addBatch();
              }
              ps.executeBatch();
            }
            String head =
                events(
                    c,
                    subject,
                    purposes,
                    "CONFIRMED",
                    "CONFIRMATION_LINK",
                    request,
                    now,
                    req.getRemoteAddr(),
                    req.getHeader("User-Agent"),
                    request,
                    position,
                    hash);
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE "
                        + PREFIX
                        + "history_heads SET chain_position = ?, head_hash = ? WHERE subject_id = ?")) {
              ps.setInt(1, position + purposes.length);
              ps.setString(2, head);
              ps.setString(3, subject);
              ps.executeUpdate();
            }
            outbox(c, "RECEIPT", subject, "-", request, purposes, "receipt:" + request, now);
            feed(c, subject, purposes, "CONFIRMED", "CONFIRMATION_LINK", now);
            c.commit();
          } catch (SQLException e) {
            c.rollback();
            throw e;
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        page(res, "<!DOCTYPE html><p>Thank you: your subscription is confirmed.</p>");
      }
    };
  }

  /** Seals and inserts one event per purpose in one batch; returns the new head's hash. */
  private String events(
      Connection c,
      String subject,
      String[] purposes,
      String type,
      String channel,
      String request,
      long at,
      String ip,
      String agent,
      String tokenId,
      int position,
      String previous)
      throws SQLException {
    String hash = previous;
    try (PreparedStatement ps = c.prepareStatement(insertEvent)) {
      for (String p : purposes) {
        position++;
        byte[] saltBytes = new byte[16];
        random.nextBytes(saltBytes);
        String salt = Base64.getUrlEncoder().withoutPadding().encodeToString(saltBytes);
        String digest = sha256("optin4j.details", salt, "signup", ip, agent, tokenId);
        String chained =
            sha256(
                "optin4j.chain",
                subject,
                Integer.toString(position),
                p,
                type,
                Long.toString(at),
                request,
                "1",
                NOTICE_HASH,
                "en",
                channel,
                hash,
                digest);
        ps.setString(1, subject);
        ps.setString(2, p);
        ps.setString(3, type);
        ps.setLong(4, at);
        ps.setString(5, request);
        ps.setString(6, NOTICE_HASH);
        ps.setString(7, "signup");
        ps.setString(8, channel);
        ps.setString(9, ip);
        ps.setString(10, agent);
        ps.setString(11, tokenId);
        ps.setInt(12, position);
        ps.setString(13, hash);
        ps.setString(14, salt);
        ps.setString(15, digest);
        ps.setString(16, chained);
        ps.addBatch();
        hash = chained;
      }
      ps.executeBatch();
    }
    return hash;
  }

  private static void outbox(
      Connection c,
      String kind,
      String subject,
      String recipient,
      String request,
      String[] purposes,
      String dedupe,
      long now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + PREFIX
                + "outbox (id, kind, subject_id, recipient, request_id, generation, locale, purposes,"
                + " dedupe_key, status, attempts, next_attempt_at, created_at)"
                + " VALUES (?, ?, ?, ?, ?, 1, 'en', ?, ?, 'QUEUED', 0, ?, ?)")) {
      ps.setString(1, request + ":" + kind);
      ps.setString(2, kind);
      ps.setString(3, subject);
      ps.setString(4, recipient);
      ps.setString(5, request);
      ps.setString(6, String.join(",", purposes));
      ps.setString(7, dedupe);
      ps.setLong(8, now);
      ps.setLong(9, now);
      ps.executeUpdate();
    }
  }

  /** Claims the feed positions (the counter row, locked to the commit) and inserts the entries in one batch. */
  private void feed(
      Connection c, String subject, String[] purposes, String type, String channel, long at)
      throws SQLException {
    long last;
    try (PreparedStatement ps = c.prepareStatement(claimFeed)) {
      ps.setInt(1, purposes.length);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        last = rs.getLong(1);
      }
    }
    try (PreparedStatement ps = c.prepareStatement(insertFeed)) {
      long position = last - purposes.length;
      for (String p : purposes) {
        ps.setLong(1, ++position);
        ps.setString(2, subject);
        ps.setString(3, p);
        ps.setString(4, type);
        ps.setLong(5, at);
        ps.setString(6, channel);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private String randomId(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String sign(String payload) {
    String body =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(payload.getBytes(StandardCharsets.UTF_8));
    return body + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(mac(body));
  }

  /** Checks the token's HMAC; returns request id, subject id and purposes. */
  private String[] verify(String token) {
    int dot = token == null ? -1 : token.indexOf('.');
    if (dot < 0
        || !MessageDigest.isEqual(
            mac(token.substring(0, dot)),
            Base64.getUrlDecoder().decode(token.substring(dot + 1)))) {
      throw new IllegalArgumentException("bad token");
    }
    String payload =
        new String(Base64.getUrlDecoder().decode(token.substring(0, dot)), StandardCharsets.UTF_8);
    String[] parts = payload.split("\\.", 3);
    return Arrays.copyOf(parts, 3);
  }

  private byte[] mac(String body) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      return m.doFinal(body.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(String... fields) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      List<byte[]> parts = new ArrayList<>(fields.length);
      for (String f : fields) {
        parts.add(f == null ? new byte[0] : f.getBytes(StandardCharsets.UTF_8));
      }
      for (byte[] p : parts) {
        d.update((byte) (p.length >>> 8));
        d.update((byte) p.length);
        d.update(p);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void page(HttpServletResponse res, String html) throws IOException {
    res.setContentType("text/html;charset=UTF-8");
    res.getWriter().write(html);
  }
}
