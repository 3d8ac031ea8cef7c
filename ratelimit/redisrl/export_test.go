package redisrl

import "time"

// AdvanceClock moves r's view of the Redis server's clock forward by d, so
// that the shared conformance suite can let time pass without sleeping.
func AdvanceClock(r *Limiter, d time.Duration) { r.offset.Add(d.Microseconds()) }
