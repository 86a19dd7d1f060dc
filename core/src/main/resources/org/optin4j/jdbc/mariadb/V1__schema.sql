-- optin4j schema version 1 for MariaDB 10.6 or later (InnoDB; 10.6 brings SELECT ... SKIP LOCKED).
--
-- Apply once, for example:
--   mariadb --database=yourdb < V1__schema.sql
-- MariaDB commits each DDL statement, so a failure half way leaves the tables created so far: drop them and rerun.
-- Consents, requests and mails belong to a subject (foreign keys); events may outlive it (see optin4j_events).
-- Every table and index name starts with "optin4j_", the default table prefix. With another prefix, replace every
-- "optin4j_" in this file by it. Times are BIGINT milliseconds since 1970-01-01T00:00:00Z (UTC).
-- Statements end with ";" at the end of a line; lines starting with "--" are comments.
-- Tables use utf8mb4 with a binary collation: ids are case-sensitive, and comparisons are exact.

CREATE TABLE optin4j_schema_version (
  version     INTEGER      NOT NULL,
  description VARCHAR(200) NOT NULL,
  applied_at  TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT optin4j_schema_version_pk PRIMARY KEY (version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per data subject; the address is the normalised address (unique).
CREATE TABLE optin4j_subjects (
  id         VARCHAR(22)  NOT NULL,
  email      VARCHAR(254) NOT NULL,
  created_at BIGINT       NOT NULL,
  CONSTRAINT optin4j_subjects_pk PRIMARY KEY (id),
  CONSTRAINT optin4j_subjects_email_uq UNIQUE (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The current state per (subject, purpose); the history is in optin4j_events.
CREATE TABLE optin4j_consents (
  subject_id      VARCHAR(22)  NOT NULL,
  purpose         VARCHAR(63)  NOT NULL,
  purpose_version INTEGER      NOT NULL,
  state           VARCHAR(16)  NOT NULL,
  request_id      VARCHAR(100) NOT NULL,
  notice_version  INTEGER      NOT NULL,
  notice_hash     CHAR(64)     NOT NULL,
  notice_locale   VARCHAR(35)  NOT NULL,
  requested_at    BIGINT       NOT NULL,
  confirmed_at    BIGINT,
  ended_at        BIGINT,
  restricted      BOOLEAN      NOT NULL,
  CONSTRAINT optin4j_consents_pk PRIMARY KEY (subject_id, purpose),
  CONSTRAINT optin4j_consents_subject_fk FOREIGN KEY (subject_id) REFERENCES optin4j_subjects (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Proof of consent (security rule 16), append-only: the store INSERTs here, and changes rows only when it erases a
-- subject (eraseSubject: evidence, source and token id cleared, or the rows deleted). No foreign key: a
-- de-identified history may outlive its subject row.
CREATE TABLE optin4j_events (
  seq                 BIGINT       NOT NULL AUTO_INCREMENT,
  subject_id          VARCHAR(22)  NOT NULL,
  purpose             VARCHAR(63)  NOT NULL,
  event_type          VARCHAR(24)  NOT NULL,
  occurred_at         BIGINT       NOT NULL,
  request_id          VARCHAR(100),
  notice_version      INTEGER,
  notice_hash         CHAR(64),
  notice_locale       VARCHAR(35),
  source              TEXT,
  channel             VARCHAR(32)  NOT NULL,
  evidence_ip         VARCHAR(45),
  evidence_user_agent VARCHAR(512),
  token_id            VARCHAR(128),
  CONSTRAINT optin4j_events_pk PRIMARY KEY (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX optin4j_consents_retention_idx ON optin4j_consents (purpose, state, confirmed_at);
CREATE INDEX optin4j_events_subject_idx ON optin4j_events (subject_id, seq);

-- Every notice text ever shown, immutable; the version counts per key (language and purposes).
CREATE TABLE optin4j_notices (
  hash       CHAR(64)      NOT NULL,
  notice_key VARCHAR(700)  NOT NULL,
  version    INTEGER       NOT NULL,
  locale     VARCHAR(35)   NOT NULL,
  purposes   VARCHAR(2000) NOT NULL,
  body       MEDIUMTEXT    NOT NULL,
  created_at BIGINT        NOT NULL,
  CONSTRAINT optin4j_notices_pk PRIMARY KEY (hash),
  CONSTRAINT optin4j_notices_key_version_uq UNIQUE (notice_key, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Double opt-in requests; generation is the current confirmation link generation (security rule 5).
CREATE TABLE optin4j_requests (
  id                  VARCHAR(100)  NOT NULL,
  subject_id          VARCHAR(22)   NOT NULL,
  purposes            VARCHAR(2000) NOT NULL,
  notice_version      INTEGER       NOT NULL,
  notice_hash         CHAR(64)      NOT NULL,
  notice_locale       VARCHAR(35)   NOT NULL,
  source              TEXT,
  evidence_ip         VARCHAR(45),
  evidence_user_agent VARCHAR(512),
  requested_at        BIGINT        NOT NULL,
  expires_at          BIGINT        NOT NULL,
  generation          INTEGER       NOT NULL,
  status              VARCHAR(16)   NOT NULL,
  closed_at           BIGINT,
  CONSTRAINT optin4j_requests_pk PRIMARY KEY (id),
  CONSTRAINT optin4j_requests_subject_fk FOREIGN KEY (subject_id) REFERENCES optin4j_subjects (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX optin4j_requests_subject_idx ON optin4j_requests (subject_id, status);
CREATE INDEX optin4j_requests_expiry_idx ON optin4j_requests (status, expires_at);

-- The new address a request confirms, when the request is a change of address (rectification by double opt-in).
CREATE TABLE optin4j_address_changes (
  request_id VARCHAR(100) NOT NULL,
  email      VARCHAR(254) NOT NULL,
  CONSTRAINT optin4j_address_changes_pk PRIMARY KEY (request_id),
  CONSTRAINT optin4j_address_changes_request_fk FOREIGN KEY (request_id) REFERENCES optin4j_requests (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Suppression list (security rule 20): keyed hashes (HMAC with a secret pepper) of erased addresses, never addresses.
CREATE TABLE optin4j_suppressions (
  address_key   VARCHAR(128) NOT NULL,
  suppressed_at BIGINT       NOT NULL,
  CONSTRAINT optin4j_suppressions_pk PRIMARY KEY (address_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Single use of tokens across nodes (security rule 26): the primary key is the guard.
CREATE TABLE optin4j_used_tokens (
  token_id   VARCHAR(128) NOT NULL,
  expires_at BIGINT       NOT NULL,
  CONSTRAINT optin4j_used_tokens_pk PRIMARY KEY (token_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX optin4j_used_tokens_expiry_idx ON optin4j_used_tokens (expires_at);

-- Transactional outbox (security rules 25-27). seq orders mails enqueued at the same instant.
CREATE TABLE optin4j_outbox (
  seq             BIGINT        NOT NULL AUTO_INCREMENT,
  id              VARCHAR(100)  NOT NULL,
  kind            VARCHAR(32)   NOT NULL,
  subject_id      VARCHAR(22)   NOT NULL,
  recipient       VARCHAR(254)  NOT NULL,
  request_id      VARCHAR(100),
  generation      INTEGER       NOT NULL,
  locale          VARCHAR(35)   NOT NULL,
  purposes        VARCHAR(2000) NOT NULL,
  dedupe_key      VARCHAR(255)  NOT NULL,
  status          VARCHAR(16)   NOT NULL,
  attempts        INTEGER       NOT NULL,
  next_attempt_at BIGINT        NOT NULL,
  lease_until     BIGINT,
  created_at      BIGINT        NOT NULL,
  sent_at         BIGINT,
  last_error      TEXT,
  CONSTRAINT optin4j_outbox_pk PRIMARY KEY (seq),
  CONSTRAINT optin4j_outbox_subject_fk FOREIGN KEY (subject_id) REFERENCES optin4j_subjects (id),
  CONSTRAINT optin4j_outbox_id_uq UNIQUE (id),
  CONSTRAINT optin4j_outbox_dedupe_uq UNIQUE (dedupe_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX optin4j_outbox_due_idx ON optin4j_outbox (status, next_attempt_at, seq);
CREATE INDEX optin4j_outbox_caps_idx ON optin4j_outbox (recipient, kind, created_at);
CREATE INDEX optin4j_outbox_subject_idx ON optin4j_outbox (subject_id, created_at);
CREATE INDEX optin4j_outbox_finished_idx ON optin4j_outbox (status, created_at);

INSERT INTO optin4j_schema_version (version, description) VALUES (1, 'initial schema');
