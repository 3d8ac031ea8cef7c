// Package ratelimit decides whether a caller, identified by a key, may spend
// tokens now: token buckets behind the Limiter interface.
package ratelimit
