// Package auth says who is calling: the Principal carried in a request's
// context, and the Authenticator that produces it from a credential.
//
// The pieces, each usable alone:
//
//   - JWTIssuer and JWTVerifier mint and check short-lived access tokens
//     (RFC 9068 "at+jwt"): the algorithm is pinned per key, keys rotate by
//     "kid", and "exp", "iss" and "aud" are always required.
//   - RefreshTokens issues opaque refresh tokens, stores only their SHA-256
//     hashes in a RefreshStore, rotates them on every use and revokes the
//     whole family when an already-used token comes back.
//   - PasswordHasher hashes passwords with argon2id in PHC format and
//     verifies them in constant time, with a dummy verification so that an
//     unknown e-mail address costs as long as a wrong password.
//   - NewAPIKey and APIKeyAuthenticator handle prefixed, hashed API keys.
//   - MultiAuthenticator dispatches on the credential kind, and Middleware
//     puts the Principal in the request context, answering 401 with a
//     generic body for any credential that is present but not valid.
//
// Nothing in this package keeps global state; clocks are injected through
// the Now fields of the option structs.
package auth
