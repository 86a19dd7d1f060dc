package org.optin4j.jdbc;

import org.optin4j.jdbc.JdbcConsentStore.Dialect;

/**
 * The SQL of the webhook tables ({@link JdbcWebhooks}), built once per (dialect, table prefix) with the other
 * {@link Statements}. Immutable.
 */
final class WebhookStatements {
  static final String ENDPOINT_COLUMNS =
      "id, url, description, secrets, created_at, enabled, disabled_at, disabled_reason,"
          + " last_failure_at, last_failure, feed_position";
  static final String DELIVERY_COLUMNS =
      "endpoint_id, feed_position, subject_id, purpose, event_type, occurred_at, channel, status,"
          + " attempts, first_attempt_at, next_attempt_at, lease_until, finished_at, last_error";

  final String insertEndpoint;
  final String updateEndpoint;
  final String endpointById;
  final String endpointForUpdate;
  final String allEndpoints;
  final String endpointsToFanOut;
  final String upsertDelivery;

  /**
   * Due deliveries' keys, read without locks: pending, due, lease free, endpoint enabled, and no pending delivery of a
   * lower position for the same endpoint and subject (one in flight per subject, in feed order).
   */
  final String dueDeliveries;

  /** Locks one due delivery by key unless another unit holds it, checking again that it is still claimable. */
  final String lockDueDelivery;

  final String leaseDelivery;
  final String recordDelivery;
  final String restartDeliveries;
  final String deliveriesAfter;
  final String finishedDeliveries;
  final String deleteDelivery;

  WebhookStatements(Statements sql, String prefix) {
    String endpoints = prefix + "webhook_endpoints";
    String deliveries = prefix + "webhook_deliveries";
    insertEndpoint = Statements.insert(endpoints, ENDPOINT_COLUMNS);
    updateEndpoint =
        "UPDATE "
            + endpoints
            + " SET url = ?, description = ?, secrets = ?, created_at = ?, enabled = ?, disabled_at = ?,"
            + " disabled_reason = ?, last_failure_at = ?, last_failure = ?, feed_position = ? WHERE id = ?";
    endpointById = "SELECT " + ENDPOINT_COLUMNS + " FROM " + endpoints + " WHERE id = ?";
    endpointForUpdate = endpointById + " FOR UPDATE";
    allEndpoints = "SELECT " + ENDPOINT_COLUMNS + " FROM " + endpoints + " ORDER BY created_at, id";
    endpointsToFanOut =
        "SELECT "
            + ENDPOINT_COLUMNS
            + " FROM "
            + endpoints
            + " WHERE enabled = ? ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED";
    upsertDelivery = sql.upsert(deliveries, DELIVERY_COLUMNS, "endpoint_id, feed_position");
    String claimable =
        "status = 'PENDING' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)";
    dueDeliveries =
        "SELECT d.endpoint_id, d.feed_position FROM "
            + deliveries
            + " d WHERE d.status = 'PENDING' AND d.next_attempt_at <= ?"
            + " AND (d.lease_until IS NULL OR d.lease_until <= ?)"
            + " AND EXISTS (SELECT 1 FROM "
            + endpoints
            + " e WHERE e.id = d.endpoint_id AND e.enabled = ?)"
            + " AND NOT EXISTS (SELECT 1 FROM "
            + deliveries
            + " o WHERE o.endpoint_id = d.endpoint_id AND o.subject_id = d.subject_id"
            + " AND o.status = 'PENDING' AND o.feed_position < d.feed_position)"
            + " ORDER BY d.next_attempt_at, d.feed_position LIMIT ?";
    lockDueDelivery =
        "SELECT "
            + DELIVERY_COLUMNS
            + " FROM "
            + deliveries
            + " WHERE endpoint_id = ? AND feed_position = ? AND "
            + claimable
            + " FOR UPDATE SKIP LOCKED";
    leaseDelivery =
        "UPDATE " + deliveries + " SET lease_until = ? WHERE endpoint_id = ? AND feed_position = ?";
    recordDelivery =
        "UPDATE "
            + deliveries
            + " SET status = ?, attempts = ?, first_attempt_at = ?, next_attempt_at = ?, lease_until = ?,"
            + " finished_at = ?, last_error = ?"
            + " WHERE endpoint_id = ? AND feed_position = ? AND status = 'PENDING' AND lease_until = ?";
    restartDeliveries =
        "UPDATE "
            + deliveries
            + " SET attempts = 0, first_attempt_at = NULL, next_attempt_at = ?, lease_until = NULL,"
            + " last_error = NULL WHERE endpoint_id = ? AND status = 'PENDING'";
    deliveriesAfter =
        "SELECT "
            + DELIVERY_COLUMNS
            + " FROM "
            + deliveries
            + " WHERE endpoint_id = ? AND feed_position > ? ORDER BY feed_position LIMIT ?";
    finishedDeliveries =
        "SELECT endpoint_id, feed_position FROM "
            + deliveries
            + " WHERE status IN ('DELIVERED', 'FAILED') AND finished_at < ? ORDER BY finished_at LIMIT ?"
            + (sql.dialect == Dialect.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "");
    deleteDelivery = "DELETE FROM " + deliveries + " WHERE endpoint_id = ? AND feed_position = ?";
  }
}
