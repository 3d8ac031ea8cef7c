// Package authredis implements auth's storage interfaces on Redis, so that
// several replicas of a server share them: a logout on one replica is
// honoured by every other one.
//
//   - Revocations implements auth/jwt's Revocations: a denylist of
//     access-token IDs ("jti"), one key per token, expiring when the token
//     would have expired anyway.
//   - RefreshStore implements auth/refresh's Store: refresh-token records
//     (only the token's hash, never the token), rotated by an atomic
//     compare-and-set in one Lua script, revoked a family at a time. Every
//     key expires at its family's end of life, so Redis does not grow
//     without bound.
//
// Both take a go-redis/v9 UniversalClient (a *redis.Client, a failover
// client, a *redis.ClusterClient or a *redis.Ring) and Options whose zero
// value is the hardened default. Every call is bounded by a per-call timeout
// (DefaultTimeout, 100 ms); a Redis that is down, slow or unreachable makes
// calls fail with an error wrapping auth.ErrUnavailable, so a jwt.Verifier
// refuses tokens it cannot check (fail closed) and auth.Middleware answers
// 503 with code auth.CodeAuthUnavailable, never a hang, a panic or a 500.
//
// Expiry is decided by the Redis server's clock (PXAT / PEXPIREAT); Options.Now
// only decides whether a revocation has already lapsed before it is sent.
package authredis
