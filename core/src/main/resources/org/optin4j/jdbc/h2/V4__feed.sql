-- The durable, ordered feed of consent changes (issue 14; docs/feed.md). One row per history event, written in the
-- event's transaction, without the address, the evidence or the form (erasure must not leave them here).
-- feed_position is handed out in commit order: a unit that wrote entries updates the one row of optin4j_feed_counter
-- as its last statements before the commit and holds that row's lock until it commits, so a later-committing unit
-- always gets higher positions and a reader polling "position > cursor" never skips an entry.
CREATE TABLE optin4j_feed (
  feed_position BIGINT      NOT NULL,
  subject_id    VARCHAR(22) NOT NULL,
  purpose       VARCHAR(63) NOT NULL,
  event_type    VARCHAR(24) NOT NULL,
  occurred_at   BIGINT      NOT NULL,
  channel       VARCHAR(32) NOT NULL,
  CONSTRAINT optin4j_feed_pk PRIMARY KEY (feed_position)
);

CREATE INDEX optin4j_feed_age_idx ON optin4j_feed (occurred_at);

CREATE TABLE optin4j_feed_counter (
  id            INTEGER NOT NULL,
  last_position BIGINT  NOT NULL,
  CONSTRAINT optin4j_feed_counter_pk PRIMARY KEY (id)
);

INSERT INTO optin4j_feed_counter (id, last_position) VALUES (1, 0);

INSERT INTO optin4j_schema_version (version, description) VALUES (4, 'event feed');
