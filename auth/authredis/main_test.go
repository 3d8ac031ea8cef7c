package authredis_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/internal/redistest"
)

// TestMain stops the shared redis-server that redistest may start.
func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// fakeClock is a settable clock safe for concurrent use. Tests against Redis
// start it at the real time, because Redis expires keys on its own clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// generous is the per-call timeout of tests about semantics, not latency
// (the race detector and a loaded machine slow everything down).
const generous = 5 * time.Second

func newRevocations(t testing.TB, client redis.UniversalClient, prefix string) *authredis.Revocations {
	t.Helper()
	r, err := authredis.NewRevocations(client, authredis.Options{Prefix: prefix, Timeout: generous})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newRefreshStore(t testing.TB, client redis.UniversalClient, prefix string) *authredis.RefreshStore {
	t.Helper()
	s, err := authredis.NewRefreshStore(client, authredis.Options{Prefix: prefix, Timeout: generous})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRefreshTokens(t testing.TB, store refresh.Store, clock *fakeClock, opts refresh.Options) *refresh.Tokens {
	t.Helper()
	opts.Now = clock.Now
	r, err := refresh.NewTokens(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// slack is how far a TTL may exceed the ideal: expiry times are rounded up
// to the millisecond, and Redis reads its clock once per event-loop turn, so
// it may lag the test's clock a little.
const slack = 50 * time.Millisecond

// pttl returns key's remaining time to live.
func pttl(t testing.TB, client redis.UniversalClient, key string) time.Duration {
	t.Helper()
	d, err := client.PTTL(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("PTTL %s: %v", key, err)
	}
	return d
}
