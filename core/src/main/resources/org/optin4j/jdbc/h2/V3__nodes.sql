-- The node register (issue 21): each application node sharing this database registers what its links are signed
-- with at start (issuer, accepted issuers, key ids with fingerprints: never a secret), refreshes seen_at while it runs
-- and deletes its row when it is closed; a node whose issuer or keys disagree with a live node's refuses to start.
-- accepted_issuers is newline-separated; key_fingerprints is "kid=fingerprint" pairs, comma-separated.
CREATE TABLE optin4j_nodes (
  node_id          VARCHAR(100)  NOT NULL,
  issuer           VARCHAR(2000) NOT NULL,
  accepted_issuers CHARACTER VARYING NOT NULL,
  active_key_id    VARCHAR(64)   NOT NULL,
  key_fingerprints CHARACTER VARYING NOT NULL,
  started_at       BIGINT        NOT NULL,
  seen_at          BIGINT        NOT NULL,
  CONSTRAINT optin4j_nodes_pk PRIMARY KEY (node_id)
);

INSERT INTO optin4j_schema_version (version, description) VALUES (3, 'node register');
