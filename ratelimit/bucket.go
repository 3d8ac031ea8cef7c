package ratelimit

import "time"

// bucket is one key's token bucket: golang.org/x/time/rate's arithmetic
// (the same float64 token count, refill and cap, step for step) without its
// mutex. Memory already holds its shard's lock around every bucket
// operation, so x/time's own lock was two more lock round trips per
// decision for nothing; TestBucketMatchesXTimeRate keeps the two in step.
//
// Times are clock readings in nanoseconds (see Memory's clock). A reading
// earlier than the last one (a clock stepped back) refills nothing, as in
// x/time/rate.
type bucket struct {
	tokens    float64
	last      int64   // reading at which tokens was computed
	perSecond float64 // refill rate
	burst     float64 // capacity
}

// newBucket returns a full bucket under perSecond and burst at now.
func newBucket(now int64, perSecond float64, burst int) bucket {
	return bucket{tokens: float64(burst), last: now, perSecond: perSecond, burst: float64(burst)}
}

// at returns the tokens the bucket holds at now, without changing it.
func (b *bucket) at(now int64) float64 {
	last := b.last
	if now < last {
		last = now
	}
	tokens := b.tokens + time.Duration(now-last).Seconds()*b.perSecond
	if tokens > b.burst {
		tokens = b.burst
	}
	return tokens
}

// set records tokens as the bucket's content at now.
func (b *bucket) set(now int64, tokens float64) {
	b.tokens = tokens
	b.last = now
}

// retune moves the bucket to a new rate at now, keeping the tokens it holds
// (capped at the new burst), as x/time's SetLimitAt and SetBurstAt do. A
// bucket that was full under the old rate is full under the new one (a
// fresh bucket).
func (b *bucket) retune(now int64, perSecond float64, burst int) {
	tokens := b.at(now)
	if tokens >= b.burst {
		*b = newBucket(now, perSecond, burst)
		return
	}
	*b = bucket{tokens: min(tokens, float64(burst)), last: now, perSecond: perSecond, burst: float64(burst)}
}
