-- Signed webhooks from the event feed (issue 14, second part; docs/webhooks.md). One row per endpoint: secrets are
-- sealed by the library (AES-GCM under a key derived from the installation's pepper, which is not in the database),
-- feed_position is how far its deliveries have been queued, advanced in the unit that inserts them.
CREATE TABLE optin4j_webhook_endpoints (
  id              VARCHAR(40)   NOT NULL,
  url             VARCHAR(2000) NOT NULL,
  description     VARCHAR(200)  NOT NULL,
  secrets         TEXT NOT NULL,
  created_at      BIGINT        NOT NULL,
  enabled         BOOLEAN       NOT NULL,
  disabled_at     BIGINT,
  disabled_reason VARCHAR(500),
  last_failure_at BIGINT,
  last_failure    VARCHAR(500),
  feed_position   BIGINT        NOT NULL,
  CONSTRAINT optin4j_webhook_endpoints_pk PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per (endpoint, feed entry) to deliver, with the entry's fields (no address), so that feed retention cannot
-- take an undelivered entry away. Per endpoint and subject only the pending row of the lowest position is claimed.
CREATE TABLE optin4j_webhook_deliveries (
  endpoint_id      VARCHAR(40) NOT NULL,
  feed_position    BIGINT      NOT NULL,
  subject_id       VARCHAR(22) NOT NULL,
  purpose          VARCHAR(63) NOT NULL,
  event_type       VARCHAR(24) NOT NULL,
  occurred_at      BIGINT      NOT NULL,
  channel          VARCHAR(32) NOT NULL,
  status           VARCHAR(16) NOT NULL,
  attempts         INTEGER     NOT NULL,
  first_attempt_at BIGINT,
  next_attempt_at  BIGINT      NOT NULL,
  lease_until      BIGINT,
  finished_at      BIGINT,
  last_error       VARCHAR(500),
  CONSTRAINT optin4j_webhook_deliveries_pk PRIMARY KEY (endpoint_id, feed_position),
  CONSTRAINT optin4j_webhook_deliveries_endpoint_fk FOREIGN KEY (endpoint_id)
    REFERENCES optin4j_webhook_endpoints (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE INDEX optin4j_webhook_deliveries_due_idx ON optin4j_webhook_deliveries (status, next_attempt_at);

CREATE INDEX optin4j_webhook_deliveries_subject_idx
  ON optin4j_webhook_deliveries (endpoint_id, subject_id, status, feed_position);

INSERT INTO optin4j_schema_version (version, description) VALUES (5, 'webhooks');
