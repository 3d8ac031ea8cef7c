package ratelimit

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// xbucket is the reference: the same operations on a golang.org/x/time/rate
// Limiter, as Memory made them before it kept the arithmetic itself.
type xbucket struct {
	lim   *rate.Limiter
	burst int
}

func (x *xbucket) retune(now time.Time, perSecond float64, burst int) {
	if x.lim.TokensAt(now) >= float64(x.burst) {
		x.lim = rate.NewLimiter(rate.Limit(perSecond), burst)
	} else {
		x.lim.SetLimitAt(now, rate.Limit(perSecond))
		x.lim.SetBurstAt(now, burst)
	}
	x.burst = burst
}

// bucketOps drives a bucket and an x/time Limiter through the same
// operations, read from ops (three bytes each): advance or step the clock
// back, spend n, refund n, change the rate. It fails at the first
// difference in the tokens held or in a spend's outcome.
func bucketOps(t *testing.T, ops []byte) {
	t.Helper()
	rates := []Rate{
		{Limit: 5, Period: time.Second},
		{Limit: 10, Period: time.Second, Burst: 3},
		{Limit: 1, Period: time.Minute},
		{Limit: 100, Period: 10 * time.Millisecond, Burst: 7},
		{Limit: 3, Period: 7 * time.Millisecond},
	}
	base := time.Unix(1_700_000_000, 0)
	var clock int64 // nanoseconds after base
	at := func() time.Time { return base.Add(time.Duration(clock)) }
	r := rates[0]
	b := newBucket(clock, r.perSecond(), r.Capacity())
	x := &xbucket{lim: rate.NewLimiter(rate.Limit(r.perSecond()), r.Capacity()), burst: r.Capacity()}
	for i := 0; i+2 < len(ops); i += 3 {
		op, a1, a2 := ops[i]%5, int(ops[i+1]), int(ops[i+2])
		switch op {
		case 0: // time passes: up to ~65 ms, in uneven steps
			clock += int64(a1<<8|a2) * 997
		case 1: // the clock steps back a little
			clock -= int64(a1) * 101_000
		case 2: // spend n (check first, as Memory does)
			n := a1 % 9
			want := x.lim.TokensAt(at()) >= float64(n) && x.lim.AllowN(at(), n)
			got := b.at(clock) >= float64(n)
			if got {
				b.set(clock, b.at(clock)-float64(n))
			}
			if got != want {
				t.Fatalf("op %d: spend %d at %d: allowed %v, x/time %v", i/3, n, clock, got, want)
			}
		case 3: // refund n, whole tokens, capped
			n := a1 % 9
			tokens := x.lim.TokensAt(at())
			if add := min(float64(n), max(math.Floor(float64(x.lim.Burst())-tokens), 0)); add > 0 {
				x.lim.AllowN(at(), -int(add))
			}
			tokens = b.at(clock)
			if add := min(float64(n), max(math.Floor(b.burst-tokens), 0)); add > 0 {
				b.set(clock, tokens+add)
			}
		case 4: // the key is used under another rate
			r = rates[a1%len(rates)]
			x.retune(at(), r.perSecond(), r.Capacity())
			b.retune(clock, r.perSecond(), r.Capacity())
		}
		if got, want := b.at(clock), x.lim.TokensAt(at()); got != want {
			t.Fatalf("op %d (%d): %v tokens, x/time %v", i/3, op, got, want)
		}
	}
}

// TestBucketMatchesXTimeRate: Memory's bucket decides and counts exactly as
// golang.org/x/time/rate does, bit for bit, over long random sequences.
func TestBucketMatchesXTimeRate(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 42))
		ops := make([]byte, 3*5000)
		for i := range ops {
			ops[i] = byte(rng.UintN(256))
		}
		bucketOps(t, ops)
	}
}

// FuzzBucketMatchesXTimeRate is the same comparison on fuzzed sequences.
func FuzzBucketMatchesXTimeRate(f *testing.F) {
	f.Add([]byte{2, 3, 0, 0, 1, 0, 2, 9, 0, 4, 1, 0, 2, 2, 0, 3, 5, 0, 1, 9, 0, 2, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) { bucketOps(t, ops) })
}
