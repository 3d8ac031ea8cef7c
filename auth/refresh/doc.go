// Package refresh issues the refresh tokens behind package auth's logins:
// opaque (256 random bits, base64url), stored only as SHA-256 hashes,
// rotated on every use, with reuse detection.
//
// Tokens.Issue starts a family at login; Tokens.Rotate exchanges a token
// for the next one of its family; presenting a token that was already
// rotated revokes the whole family (OAuth 2.0 Security BCP, RFC 9700
// §4.14.2) and fails with an error wrapping auth.ErrRevoked and ErrReuse.
// Tokens.Revoke ends the family at logout.
//
// Records live in a Store whose Rotate is an atomic compare-and-set:
// MemoryStore serves tests and single-process servers, auth/authredis
// shares the records between replicas, and a SQL table works too. A store
// that fails makes rotation fail closed with an error wrapping
// auth.ErrUnavailable.
package refresh
