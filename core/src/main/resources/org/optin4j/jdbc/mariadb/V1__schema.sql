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
-- subject (eraseSubject: evidence, source, token id and details salt cleared, or the rows deleted). No foreign key: a
-- de-identified history may outlive its subject row. Each subject's events form a hash chain (chain_position from 1,
-- previous_hash, chain_hash; details_digest is the salted hash of source, evidence and token id): see
-- docs/proof-and-rights.md. The unique (subject_id, chain_position) key keeps a chain from forking across nodes.
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
  chain_position      INTEGER      NOT NULL,
  previous_hash       CHAR(64)     NOT NULL,
  details_salt        VARCHAR(86),
  details_digest      CHAR(64)     NOT NULL,
  chain_hash          CHAR(64)     NOT NULL,
  CONSTRAINT optin4j_events_pk PRIMARY KEY (seq),
  CONSTRAINT optin4j_events_chain_uq UNIQUE (subject_id, chain_position)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX optin4j_consents_retention_idx ON optin4j_consents (purpose, state, confirmed_at);
CREATE INDEX optin4j_events_subject_idx ON optin4j_events (subject_id, seq);

-- The end of each subject's hash chain (position and hash of its last event), updated with every append and locked
-- (SELECT ... FOR UPDATE) to serialise appends per subject across nodes. Kept with a de-identified history stub, so
-- that removing events from the end of a history is detected. No foreign key, no personal data.
CREATE TABLE optin4j_history_heads (
  subject_id     VARCHAR(22) NOT NULL,
  chain_position INTEGER     NOT NULL,
  head_hash      CHAR(64)    NOT NULL,
  CONSTRAINT optin4j_history_heads_pk PRIMARY KEY (subject_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

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
CREATE INDEX optin4j_outbox_request_idx ON optin4j_outbox (request_id, status);

-- The breach register (GDPR Art. 33(5), security rule 22). Lists are newline-separated (data and subject categories)
-- or comma-separated (purpose ids; empty means every subject). The notice columns hold the notification mailed to the
-- affected subjects, once, rather than a copy per recipient.
CREATE TABLE optin4j_incidents (
  id                    VARCHAR(100) NOT NULL,
  discovered_at         BIGINT       NOT NULL,
  recorded_at           BIGINT       NOT NULL,
  nature                TEXT NOT NULL,
  data_categories       TEXT NOT NULL,
  subject_categories    TEXT NOT NULL,
  purposes              VARCHAR(2000) NOT NULL,
  status                VARCHAR(32)  NOT NULL,
  authority_notified_at BIGINT,
  closed_at             BIGINT,
  notice_subject        VARCHAR(200),
  notice_text           TEXT,
  notice_queued_at      BIGINT,
  CONSTRAINT optin4j_incidents_pk PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The app's own mailings for a purpose (OptIn.send): the content is stored once here; each recipient is an outbox row
-- (kind CAMPAIGN, request_id = the campaign id) whose consent is checked again when it is sent.
CREATE TABLE optin4j_campaigns (
  id         VARCHAR(100) NOT NULL,
  purpose    VARCHAR(63)  NOT NULL,
  subject    VARCHAR(200) NOT NULL,
  body_text  MEDIUMTEXT NOT NULL,
  body_html  MEDIUMTEXT,
  created_at BIGINT       NOT NULL,
  CONSTRAINT optin4j_campaigns_pk PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Data subjects' requests run by an operator, with the Art. 12(3) deadline (received + 1 month, or 3 once extended):
-- the controller's accountability record (Art. 5(2)). The opaque subject id only; no foreign key, so the record of an
-- erasure request outlives the erased subject.
CREATE TABLE optin4j_rights_requests (
  id           VARCHAR(100) NOT NULL,
  subject_id   VARCHAR(22)  NOT NULL,
  request_type VARCHAR(32)  NOT NULL,
  received_at  BIGINT       NOT NULL,
  due_at       BIGINT       NOT NULL,
  extended     BOOLEAN      NOT NULL,
  completed_at BIGINT,
  outcome      VARCHAR(500),
  CONSTRAINT optin4j_rights_requests_pk PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX optin4j_rights_requests_open_idx ON optin4j_rights_requests (completed_at, due_at);

INSERT INTO optin4j_schema_version (version, description) VALUES (1, 'initial schema');
