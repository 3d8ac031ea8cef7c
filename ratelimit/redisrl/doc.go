// Package redisrl keeps ratelimit's buckets and slots in Redis, so that every
// replica of a service shares them: Limiter (New) is a ratelimit.Limiter and
// ratelimit.Resetter implementing GCRA in one atomic Lua script on the
// server's clock; Slots (NewSlots) is a ratelimit.Slots whose slots are
// leases that expire when a replica dies. Both bound every call with a
// per-call timeout and fail closed by default.
//
// It is the only package of ratelimit that imports go-redis: a program that
// limits in memory links ratelimit alone. The name is not "redis" so that
// call sites can import go-redis under its own name beside it:
//
//	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
//	limiter, err := redisrl.New(client, redisrl.Options{})
package redisrl
