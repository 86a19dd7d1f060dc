-- Bounce and complaint reports (issue 15, second part; docs/bounces.md). Reports that could not be read or acted on
-- are kept aside for the operator (never dropped silently) with the start of the raw message, and purged after the
-- retention period; temporary bounces are counted per subject and mail (N within M days mark the address
-- undeliverable) and purged once past the window.
CREATE TABLE optin4j_report_aside (
  id          VARCHAR(40)  NOT NULL,
  received_at BIGINT       NOT NULL,
  reason      VARCHAR(500) NOT NULL,
  excerpt     TEXT NOT NULL,
  CONSTRAINT optin4j_report_aside_pk PRIMARY KEY (id)
);
CREATE INDEX optin4j_report_aside_received ON optin4j_report_aside (received_at);

CREATE TABLE optin4j_soft_bounces (
  subject_id  VARCHAR(22) NOT NULL,
  mail_id     VARCHAR(40) NOT NULL,
  occurred_at BIGINT      NOT NULL,
  CONSTRAINT optin4j_soft_bounces_pk PRIMARY KEY (subject_id, mail_id)
);
CREATE INDEX optin4j_soft_bounces_occurred ON optin4j_soft_bounces (occurred_at);

INSERT INTO optin4j_schema_version (version, description) VALUES (6, 'reports');
