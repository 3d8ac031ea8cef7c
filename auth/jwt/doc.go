// Package jwt mints and checks short-lived access tokens (RFC 9068
// "at+jwt") for package auth.
//
// An Issuer signs tokens at login; a Verifier checks them and implements
// auth.Authenticator for auth.CredentialBearer credentials, so it plugs
// into auth.Middleware directly or through auth.MultiAuthenticator. The
// algorithm is pinned per key (HS256, RS256, ES256 or EdDSA), keys rotate
// by "kid", and "exp", "iat", "iss", "aud", "sub" and "jti" are always
// required. Unsafe configurations fail at construction with an error
// wrapping auth.ErrConfig.
//
// Logout revokes a token by its "jti" in a Revocations list until it would
// have expired anyway: MemoryRevocations serves one process, and
// auth/authredis shares the list between replicas. A failing lookup
// refuses the token (fail closed) with an error wrapping
// auth.ErrUnavailable, which auth.Middleware answers with 503.
//
// The package is the only part of auth that links
// github.com/golang-jwt/jwt/v5. Clocks are injected through Config.Now;
// nothing here keeps global state.
package jwt
