// Package auth says who is calling: the Principal carried in a request's
// context, and the Authenticator that produces it from a credential.
//
// This package is the vocabulary every guard shares, and nothing more:
//
//   - Principal, WithPrincipal and PrincipalFrom carry the caller through
//     a request; a nil Principal is an anonymous caller.
//   - Credential, CredentialFromRequest and ParseAuthorization read a
//     bearer token or an API key from HTTP headers (or a WebSocket
//     connection_init payload) and nothing else.
//   - Authenticator turns a Credential into a Principal;
//     MultiAuthenticator dispatches on the credential kind.
//   - Middleware puts the Principal in the request context, answering 401
//     with a generic body for any credential that is present but not
//     valid, and 503 when it could not be checked.
//   - The sentinel errors (ErrInvalidToken, ErrExpired, ErrRevoked,
//     ErrUnavailable, ...) and the client codes.
//
// The jobs that need heavy dependencies live in subpackages, so that the
// guards that only read the caller (gqlsec, directives, wssec, httpsec)
// link none of them:
//
//   - auth/jwt: Issuer and Verifier of short-lived access tokens (RFC 9068
//     "at+jwt"), and the Revocations list for logout.
//   - auth/refresh: rotating refresh tokens with reuse detection.
//   - auth/password: argon2id password hashes, the password policy and
//     zxcvbn strength checks.
//   - auth/apikey: prefixed, hashed API keys.
//   - auth/authredis: the Redis Revocations and refresh Store.
//
// Nothing in these packages keeps global state; clocks are injected through
// the Now fields of the option structs.
package auth
