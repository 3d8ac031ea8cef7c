// Package apikey issues and checks prefixed, hashed API keys for package
// auth.
//
// A key looks like "rpk_" + 16 hex characters of key ID + "_" + 52 base32
// characters of secret (256 bits). New returns the key, to show its owner
// once, and the Record to keep in a Store: only the key's SHA-256 is
// stored. Authenticator implements auth.Authenticator for
// auth.CredentialAPIKey credentials (the X-API-Key header): it checks the
// layout before any lookup, compares hashes in constant time, then
// revocation and expiry. A Store that fails makes it refuse the key with
// an error wrapping auth.ErrUnavailable (fail closed); MemoryStore serves
// tests and single-process servers.
package apikey
