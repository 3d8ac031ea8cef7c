-- API keys: only the SHA-256 of the key is stored; the key is shown once.
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  subject      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  hash         TEXT NOT NULL,
  name         TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  expires_at   TEXT,
  last_used_at TEXT,
  revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_subject ON api_keys(subject);
