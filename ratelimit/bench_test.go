package ratelimit_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/rampart-go/rampart/ratelimit"
)

// benchRate never refuses, so every iteration takes the spending path.
var benchRate = ratelimit.Rate{Limit: 1_000_000_000, Period: time.Second}

// BenchmarkXTimeAllowN is the bare baseline: one x/time/rate bucket, no key
// lookup, no Decision.
func BenchmarkXTimeAllowN(b *testing.B) {
	lim := rate.NewLimiter(rate.Limit(1e9), 1_000_000_000)
	b.ReportAllocs()
	for b.Loop() {
		lim.AllowN(time.Now(), 1)
	}
}

// BenchmarkXTimeAllowNFixedTime is the baseline without the clock read
// (time.Now is slow on some virtual machines).
func BenchmarkXTimeAllowNFixedTime(b *testing.B) {
	lim := rate.NewLimiter(rate.Limit(1e9), 1_000_000_000)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		lim.AllowN(now, 1)
	}
}

// BenchmarkMemoryAllowFixedClock is the hot path without the clock read.
func BenchmarkMemoryAllowFixedClock(b *testing.B) {
	now := time.Now()
	m := newMemory(b, ratelimit.MemoryOptions{Now: func() time.Time { return now }})
	ctx := context.Background()
	mustAllowB(b, m, "api:user:42")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = m.Allow(ctx, "api:user:42", benchRate, 1)
	}
}

// BenchmarkTimeNow is the clock read every Allow pays.
func BenchmarkTimeNow(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		time.Now()
	}
}

// BenchmarkMemoryAllow is the hot path: an existing key.
func BenchmarkMemoryAllow(b *testing.B) {
	m := newMemory(b, ratelimit.MemoryOptions{})
	ctx := context.Background()
	mustAllowB(b, m, "api:user:42")
	b.ReportAllocs()
	for b.Loop() {
		_, _ = m.Allow(ctx, "api:user:42", benchRate, 1)
	}
}

// BenchmarkMemoryAllowParallel spreads goroutines over 1024 existing keys.
func BenchmarkMemoryAllowParallel(b *testing.B) {
	m := newMemory(b, ratelimit.MemoryOptions{})
	ctx := context.Background()
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "api:ip:" + strconv.Itoa(i)
		mustAllowB(b, m, keys[i])
	}
	var seq atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(seq.Add(1)) * 97
		for pb.Next() {
			_, _ = m.Allow(ctx, keys[i&1023], benchRate, 1)
			i++
		}
	})
}

// BenchmarkMemoryAllowNewKey is the flooding path: every call a new key in a
// full table (insert plus eviction).
func BenchmarkMemoryAllowNewKey(b *testing.B) {
	m := newMemory(b, ratelimit.MemoryOptions{MaxKeys: 10_000})
	ctx := context.Background()
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = "api:ip:" + strconv.Itoa(i)
	}
	slowRate := ratelimit.Rate{Limit: 1, Period: time.Hour}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, _ = m.Allow(ctx, keys[i&(1<<16-1)], slowRate, 1)
		i++
	}
}

func mustAllowB(b *testing.B, l ratelimit.Limiter, key string) {
	b.Helper()
	if _, err := l.Allow(context.Background(), key, benchRate, 1); err != nil {
		b.Fatal(err)
	}
}
