// Package rampart is the entry point to Rampart's documentation: a Go
// toolkit that hardens gqlgen GraphQL servers and WebSocket endpoints
// against the OWASP API Security Top 10. The code lives in its packages:
//
//   - auth: who is calling (Principal, JWT, refresh tokens, passwords, API
//     keys, HTTP middleware); auth/authredis shares revocations and refresh
//     families through Redis.
//   - complexity: measures an operation (depth, aliases, fields, cost).
//   - gqlsec: gqlgen extensions that refuse hostile operations before any
//     resolver runs, mask internal errors and lock down introspection.
//   - directives: @auth, @owner, @constraint, @sanitize, @public,
//     @rateLimit, @stepUp for gqlgen schemas.
//   - httpsec: HTTP middleware (headers, CSRF, CORS, body limit, request id,
//     client IP, rate limit, TLS, audit).
//   - reqctx: the request id and client IP that httpsec stores and every
//     other layer reads.
//   - ratelimit: token buckets by caller, in memory; ratelimit/redisrl keeps
//     them in Redis, shared by replicas.
//   - wssec and wssec/gqlws: guarded WebSocket connections, plain and for
//     gqlgen subscriptions.
//   - harden: the one-call preset that puts every layer in front of a
//     gqlgen schema; cmd/rampart prints the directive SDL.
//   - webhook, ssrf, upload, mfa: signed webhooks, SSRF-safe URLs, upload
//     limits, TOTP second factors.
//
// This package itself holds what every other one shares, and imports
// nothing: ErrConfig, which every configuration error wraps (test with
// errors.Is(err, rampart.ErrConfig)); Unlimited, which turns a limit off;
// and the error codes several packages answer with (CodeUnauthenticated,
// CodeForbidden, CodeRateLimited, ...).
//
// harden.Handler (the README's quick start) puts every layer in front of a
// gqlgen server in one call.
package rampart
