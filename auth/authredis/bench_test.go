package authredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/internal/redistest"
)

// The IsRevoked benchmarks check a revoked token (a hit) on every call, as
// a jwt.Verifier with Revocations does on every request; a miss costs the
// same one EXISTS round trip on Redis.

// BenchmarkMemoryRevocationsIsRevoked is the in-process baseline.
func BenchmarkMemoryRevocationsIsRevoked(b *testing.B) {
	m := jwt.NewMemoryRevocations(nil)
	ctx := context.Background()
	if err := m.Revoke(ctx, "tok-1", time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := m.IsRevoked(ctx, "tok-1"); !ok {
			b.Fatal("not revoked")
		}
	}
}

// BenchmarkMemoryRevocationsIsRevokedParallel is the baseline under
// contention (one mutex).
func BenchmarkMemoryRevocationsIsRevokedParallel(b *testing.B) {
	m := jwt.NewMemoryRevocations(nil)
	ctx := context.Background()
	if err := m.Revoke(ctx, "tok-1", time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = m.IsRevoked(ctx, "tok-1")
		}
	})
}

// BenchmarkRedisBareExists is the bare loopback round trip: the same EXISTS
// with go-redis and no store around it.
func BenchmarkRedisBareExists(b *testing.B) {
	client := redistest.Client(b)
	ctx := context.Background()
	key := redistest.Prefix(b) + "tok-1"
	if err := client.Set(ctx, key, 1, time.Hour).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if n, err := client.Exists(ctx, key).Result(); err != nil || n != 1 {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkRedisRevocationsIsRevoked is one IsRevoked on loopback Redis,
// per-call timeout included.
func BenchmarkRedisRevocationsIsRevoked(b *testing.B) {
	r := benchRevocations(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := r.IsRevoked(ctx, "tok-1"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRedisRevocationsIsRevokedParallel spreads calls over the client's
// connection pool, as concurrent requests do.
func BenchmarkRedisRevocationsIsRevokedParallel(b *testing.B) {
	r := benchRevocations(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.IsRevoked(ctx, "tok-1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchRevocations(b *testing.B) *authredis.Revocations {
	b.Helper()
	r, err := authredis.NewRevocations(redistest.Client(b), authredis.Options{Prefix: redistest.Prefix(b), Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Revoke(context.Background(), "tok-1", time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkMemoryRefreshRotate is refresh.Tokens.Rotate (Get, then the
// compare-and-set) on auth's memory store: the baseline.
func BenchmarkMemoryRefreshRotate(b *testing.B) {
	benchRotate(b, refresh.NewMemoryStore(nil))
}

// BenchmarkRedisRefreshRotate is the same on Redis: two round trips (the
// Get script and the Rotate script).
func BenchmarkRedisRefreshRotate(b *testing.B) {
	s, err := authredis.NewRefreshStore(redistest.Client(b), authredis.Options{Prefix: redistest.Prefix(b), Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	benchRotate(b, s)
}

func benchRotate(b *testing.B, store refresh.Store) {
	r, err := refresh.NewTokens(store, refresh.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tok, err := r.Issue(ctx, "user-1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, tok, err = r.Rotate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
