-- Revoked access tokens (JWT ids) until they would have expired anyway:
-- the durable copy of the revocation list, from which an emptied Redis is
-- re-seeded. until_ms is Unix milliseconds.
CREATE TABLE revoked_tokens (
  token_id TEXT PRIMARY KEY,
  until_ms INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_until ON revoked_tokens (until_ms);
