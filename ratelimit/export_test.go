package ratelimit

import "time"

// AdvanceRedisClock moves r's view of the Redis server's clock forward by d,
// so that the shared conformance suite can let time pass without sleeping.
func AdvanceRedisClock(r *Redis, d time.Duration) { r.offset.Add(d.Microseconds()) }
