-- Sending rates shared by the nodes of one store (issue 15, "Sending rates"; docs/sending-rates.md). One row per
-- rate name holds the next free send slot (microseconds since the epoch) and is locked while a node reserves slots;
-- the slots handed out are counted per epoch second for the minute and hour caps, and counts older than an hour
-- are deleted as reservations go.
CREATE TABLE optin4j_send_rate (
  name      VARCHAR(100) NOT NULL,
  next_slot BIGINT       NOT NULL,
  CONSTRAINT optin4j_send_rate_pk PRIMARY KEY (name)
);

CREATE TABLE optin4j_send_slots (
  name         VARCHAR(100) NOT NULL,
  epoch_second BIGINT       NOT NULL,
  slots        INT          NOT NULL,
  CONSTRAINT optin4j_send_slots_pk PRIMARY KEY (name, epoch_second)
);

INSERT INTO optin4j_schema_version (version, description) VALUES (8, 'send rates');
