package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.checkLimit;
import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.Channel;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.feed.FeedEntry;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.WebhookDelivery;
import org.optin4j.spi.WebhookStore;
import org.optin4j.spi.WebhookSubscription;

/**
 * The JDBC WebhookStore. Claims read the due deliveries' keys without locks (the eligibility test, one pending
 * delivery per endpoint and subject, is a {@code NOT EXISTS} that no dialect can lock in index order), then lock each
 * by key with {@code FOR UPDATE SKIP LOCKED}, checking again that it is pending, due and free: a delivery another node
 * claimed meanwhile is skipped, never taken twice. One per unit of work; not thread-safe.
 */
record JdbcWebhooks(JdbcTransaction tx, Connection c, Statements sql) implements WebhookStore {

  private WebhookStatements w() {
    return sql.webhooks;
  }

  @Override
  public void insertSubscription(WebhookSubscription s) {
    Objects.requireNonNull(s, "subscription");
    tx.write(
        "store a webhook endpoint",
        "a webhook endpoint with this id exists",
        w().insertEndpoint,
        ps -> {
          ps.setString(1, s.id());
          bindEndpoint(ps, 2, s);
        });
  }

  @Override
  public void updateSubscription(WebhookSubscription s) {
    Objects.requireNonNull(s, "subscription");
    int n =
        tx.update(
            "update a webhook endpoint",
            w().updateEndpoint,
            ps -> ps.setString(bindEndpoint(ps, 1, s), s.id()));
    if (n != 1) {
      throw tx.failed(new org.optin4j.StoreException("no webhook endpoint with that id"));
    }
  }

  @Override
  public Optional<WebhookSubscription> subscription(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("read a webhook endpoint", w().endpointById, id, JdbcWebhooks::endpoint);
  }

  @Override
  public Optional<WebhookSubscription> lockSubscription(String id) {
    Objects.requireNonNull(id, "id");
    tx.checkWritable();
    return tx.byKey("lock a webhook endpoint", w().endpointForUpdate, id, JdbcWebhooks::endpoint);
  }

  @Override
  public List<WebhookSubscription> subscriptions() {
    return List.copyOf(
        tx.query("read webhook endpoints", w().allEndpoints, ps -> {}, JdbcWebhooks::endpoint));
  }

  @Override
  public List<WebhookSubscription> lockSubscriptionsToFanOut(int limit) {
    tx.checkWritable();
    checkLimit(limit);
    return List.copyOf(
        tx.query(
            "lock webhook endpoints",
            w().endpointsToFanOut,
            ps -> {
              ps.setBoolean(1, true);
              ps.setInt(2, limit);
            },
            JdbcWebhooks::endpoint));
  }

  @Override
  public void putDeliveries(List<WebhookDelivery> deliveries) {
    tx.checkOpen();
    tx.checkWritable();
    if (deliveries.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(w().upsertDelivery)) {
      for (WebhookDelivery d : deliveries) {
        bindDelivery(ps, d);
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("store webhook deliveries", e));
    }
  }

  @Override
  public List<WebhookDelivery> claimDeliveries(Instant now, Instant leaseUntil, int limit) {
    tx.checkWritable();
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    checkLimit(limit);
    if (!leaseUntil.isAfter(now)) {
      throw new IllegalArgumentException("leaseUntil must be after now");
    }
    if (limit == 0) {
      return List.of();
    }
    long at = now.toEpochMilli();
    // Twice the limit of candidates: some may be taken by a concurrent claim between the read and
    // the lock.
    List<Object[]> keys =
        tx.query(
            "find due webhook deliveries",
            w().dueDeliveries,
            ps -> {
              ps.setLong(1, at);
              ps.setLong(2, at);
              ps.setBoolean(3, true);
              ps.setInt(4, limit * 2);
            },
            rs -> new Object[] {rs.getString(1), rs.getLong(2)});
    List<WebhookDelivery> claimed = new ArrayList<>();
    for (Object[] key : keys) {
      if (claimed.size() == limit) {
        break;
      }
      tx.queryOne(
              "claim a webhook delivery",
              w().lockDueDelivery,
              ps -> {
                ps.setString(1, (String) key[0]);
                ps.setLong(2, (Long) key[1]);
                ps.setLong(3, at);
                ps.setLong(4, at);
              },
              JdbcWebhooks::delivery)
          .ifPresent(d -> claimed.add(d.leased(leaseUntil)));
    }
    for (WebhookDelivery d : claimed) {
      tx.update(
          "claim a webhook delivery",
          w().leaseDelivery,
          ps -> {
            ps.setLong(1, leaseUntil.toEpochMilli());
            ps.setString(2, d.endpointId());
            ps.setLong(3, d.entry().position());
          });
    }
    return List.copyOf(claimed);
  }

  @Override
  public boolean recordDelivery(WebhookDelivery d, Instant heldUntil) {
    Objects.requireNonNull(d, "delivery");
    Objects.requireNonNull(heldUntil, "heldUntil");
    return tx.update(
            "record a webhook delivery",
            w().recordDelivery,
            ps -> {
              ps.setString(1, d.status().name());
              ps.setInt(2, d.attempts());
              setInstant(ps, 3, d.firstAttemptAt());
              setInstant(ps, 4, d.nextAttemptAt());
              setInstant(ps, 5, d.leaseUntil());
              setInstant(ps, 6, d.finishedAt());
              ps.setString(7, d.lastError());
              ps.setString(8, d.endpointId());
              ps.setLong(9, d.entry().position());
              ps.setLong(10, heldUntil.toEpochMilli());
            })
        == 1;
  }

  @Override
  public int restartDeliveries(String endpointId, Instant now) {
    Objects.requireNonNull(endpointId, "endpointId");
    Objects.requireNonNull(now, "now");
    return tx.update(
        "restart webhook deliveries",
        w().restartDeliveries,
        ps -> {
          ps.setLong(1, now.toEpochMilli());
          ps.setString(2, endpointId);
        });
  }

  @Override
  public List<WebhookDelivery> deliveries(String endpointId, long afterPosition, int limit) {
    Objects.requireNonNull(endpointId, "endpointId");
    checkLimit(limit);
    return List.copyOf(
        tx.query(
            "read webhook deliveries",
            w().deliveriesAfter,
            ps -> {
              ps.setString(1, endpointId);
              ps.setLong(2, afterPosition);
              ps.setInt(3, limit);
            },
            JdbcWebhooks::delivery));
  }

  @Override
  public int deleteFinishedBefore(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    tx.checkWritable();
    List<Object[]> keys =
        tx.query(
            "purge webhook deliveries",
            w().finishedDeliveries,
            ps -> {
              ps.setLong(1, before.toEpochMilli());
              ps.setInt(2, limit);
            },
            rs -> new Object[] {rs.getString(1), rs.getLong(2)});
    int n = 0;
    for (Object[] key : keys) {
      n +=
          tx.update(
              "purge webhook deliveries",
              w().deleteDelivery,
              ps -> {
                ps.setString(1, (String) key[0]);
                ps.setLong(2, (Long) key[1]);
              });
    }
    return n;
  }

  /** Binds an endpoint's columns after the id, from parameter {@code i}; returns the next parameter. */
  private static int bindEndpoint(PreparedStatement ps, int i, WebhookSubscription s)
      throws SQLException {
    ps.setString(i++, s.url());
    ps.setString(i++, s.description());
    ps.setString(i++, String.join(" ", s.sealedSecrets()));
    ps.setLong(i++, s.createdAt().toEpochMilli());
    ps.setBoolean(i++, s.enabled());
    setInstant(ps, i++, s.disabledAt());
    ps.setString(i++, s.disabledReason());
    setInstant(ps, i++, s.lastFailureAt());
    ps.setString(i++, s.lastFailure());
    ps.setLong(i++, s.feedPosition());
    return i;
  }

  private static WebhookSubscription endpoint(ResultSet rs) throws SQLException {
    String secrets = rs.getString("secrets");
    return new WebhookSubscription(
        rs.getString("id"),
        rs.getString("url"),
        rs.getString("description"),
        secrets.isEmpty() ? List.of() : Arrays.asList(secrets.split(" ")),
        instant(rs, "created_at"),
        rs.getBoolean("enabled"),
        instant(rs, "disabled_at"),
        rs.getString("disabled_reason"),
        instant(rs, "last_failure_at"),
        rs.getString("last_failure"),
        rs.getLong("feed_position"));
  }

  private static void bindDelivery(PreparedStatement ps, WebhookDelivery d) throws SQLException {
    FeedEntry e = d.entry();
    ps.setString(1, d.endpointId());
    ps.setLong(2, e.position());
    ps.setString(3, e.subjectId().value());
    ps.setString(4, e.purpose().value());
    ps.setString(5, e.type().name());
    ps.setLong(6, e.at().toEpochMilli());
    ps.setString(7, e.channel().name());
    ps.setString(8, d.status().name());
    ps.setInt(9, d.attempts());
    setInstant(ps, 10, d.firstAttemptAt());
    setInstant(ps, 11, d.nextAttemptAt());
    setInstant(ps, 12, d.leaseUntil());
    setInstant(ps, 13, d.finishedAt());
    ps.setString(14, d.lastError());
  }

  private static WebhookDelivery delivery(ResultSet rs) throws SQLException {
    FeedEntry entry =
        new FeedEntry(
            rs.getLong("feed_position"),
            new SubjectId(rs.getString("subject_id")),
            new PurposeId(rs.getString("purpose")),
            ConsentEvent.Type.valueOf(rs.getString("event_type")),
            Instant.ofEpochMilli(rs.getLong("occurred_at")),
            Channel.valueOf(rs.getString("channel")));
    return new WebhookDelivery(
        rs.getString("endpoint_id"),
        entry,
        WebhookDelivery.Status.valueOf(rs.getString("status")),
        rs.getInt("attempts"),
        instant(rs, "first_attempt_at"),
        instant(rs, "next_attempt_at"),
        instant(rs, "lease_until"),
        instant(rs, "finished_at"),
        rs.getString("last_error"));
  }
}
