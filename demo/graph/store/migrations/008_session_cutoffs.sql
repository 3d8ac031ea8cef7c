-- Session cutoffs: when every session of a user was revoked
-- (revokeSessions, a password change, refresh-token reuse). Access tokens
-- and refresh tokens issued at or before at_ms are refused until until_ms
-- (when every token issued before the cutoff has expired). The durable
-- copy: memory and Redis are seeded from it. Times are Unix milliseconds.
CREATE TABLE session_cutoffs (
  subject  TEXT PRIMARY KEY,
  at_ms    INTEGER NOT NULL,
  until_ms INTEGER NOT NULL
);
CREATE INDEX session_cutoffs_until ON session_cutoffs (until_ms);
