-- The application's own first migration (StarterFlywayPostgresTest): a V1 next to optin4j's V1.
CREATE TABLE orders (
  id   BIGINT       NOT NULL PRIMARY KEY,
  note VARCHAR(100) NOT NULL
);
