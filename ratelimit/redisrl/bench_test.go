package redisrl_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
)

// benchRate never refuses, so every iteration takes the spending path.
var benchRate = ratelimit.Rate{Limit: 1_000_000_000, Period: time.Second}

// BenchmarkAllow is one Allow against redis-server on loopback. Calls
// that fail (timeouts on a loaded machine) are counted, not fatal.
func BenchmarkAllow(b *testing.B) {
	r, err := redisrl.New(redistest.Client(b), redisrl.Options{Prefix: redistest.Prefix(b), Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	mustAllowB(b, r, "api:user:42")
	b.ReportAllocs()
	var failures int
	for b.Loop() {
		if _, err := r.Allow(ctx, "api:user:42", benchRate, 1); err != nil {
			failures++
		}
	}
	b.ReportMetric(float64(failures), "failures")
}

// BenchmarkAllowParallel runs Allow from GOMAXPROCS goroutines.
func BenchmarkAllowParallel(b *testing.B) {
	r, err := redisrl.New(redistest.Client(b), redisrl.Options{Prefix: redistest.Prefix(b), Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	var seq atomic.Int64
	var failures atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		key := "api:user:" + strconv.FormatInt(seq.Add(1), 10)
		for pb.Next() {
			if _, err := r.Allow(ctx, key, benchRate, 1); err != nil {
				failures.Add(1)
			}
		}
	})
	b.ReportMetric(float64(failures.Load()), "failures")
}

func mustAllowB(b *testing.B, l ratelimit.Limiter, key string) {
	b.Helper()
	if _, err := l.Allow(context.Background(), key, benchRate, 1); err != nil {
		b.Fatal(err)
	}
}
