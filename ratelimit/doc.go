// Package ratelimit decides whether a caller, identified by a key, may spend
// tokens now: token buckets behind the Limiter interface.
//
// Two Limiters share one behaviour (and one conformance test suite):
//
//   - Memory (NewMemory), here: golang.org/x/time/rate buckets in a
//     sharded, bounded key table (MaxKeys, default 100,000) with lazy
//     eviction; no goroutines; the clock can be injected.
//   - redisrl.Limiter, in the subpackage ratelimit/redisrl: GCRA in one
//     atomic Lua script on the Redis server's clock, so every replica shares
//     the same buckets; per-call timeout (default 100 ms); fail-closed by
//     default (ErrBackend), fail-open on request (FailureMode).
//
// Keys are namespaced by the caller: "login:ip:203.0.113.9",
// "api:user:42". A Rate is Limit tokens per Period with room for Burst at
// once. Allow(ctx, key, rate, n) spends n tokens or refuses, and its Decision
// carries what WriteHeaders needs for the standard RateLimit-* and Retry-After
// headers. n == 0 peeks without spending; n above the burst is refused without
// spending, RetryAfter being the full refill time; an invalid Rate or a
// negative n is an error (ErrInvalidRate, ErrInvalidN) with a refusing
// Decision.
//
// Slots (NewMemorySlots, redisrl.NewSlots) cap how many things a key holds at
// once, such as open WebSocket connections; Redis slots are leases that
// expire when a replica dies. Lockout (NewLockout) counts failed logins and
// locks a key out after MaxFailures until tokens refill or a success resets
// it.
//
// The package is a leaf: it imports x/time/rate and the root package rampart
// (configuration errors wrap rampart.ErrConfig), and neither go-redis nor
// any other Rampart package.
package ratelimit
