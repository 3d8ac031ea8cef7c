-- TOTP second factor: the active secret, a pending one awaiting its first
-- code, and the hashes of the unused recovery codes (space-separated).
ALTER TABLE users ADD COLUMN mfa_secret TEXT;
ALTER TABLE users ADD COLUMN mfa_pending TEXT;
ALTER TABLE users ADD COLUMN mfa_recovery TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN mfa_pending_recovery TEXT NOT NULL DEFAULT '';
