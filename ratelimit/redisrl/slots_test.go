package redisrl_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
)

func newRedisSlots(t *testing.T, c redis.UniversalClient, opts redisrl.SlotsOptions) *redisrl.Slots {
	t.Helper()
	s, err := redisrl.NewSlots(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func redisHeld(t *testing.T, s *redisrl.Slots) conformance.HeldCounter {
	return func(key string) int {
		n, err := s.Held(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func TestSlotsConformanceRedis(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	conformance.Slots(t, func(t *testing.T) (ratelimit.Slots, conformance.HeldCounter) {
		s := newRedisSlots(t, client, redisrl.SlotsOptions{Prefix: redistest.Prefix(t), Timeout: 5 * time.Second})
		return s, redisHeld(t, s)
	})
}

func TestNewSlotsRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		opts   redisrl.SlotsOptions
	}{
		{"nil_client", nil, redisrl.SlotsOptions{}},
		{"ttl_below_10ms", client, redisrl.SlotsOptions{LeaseTTL: 9 * time.Millisecond}},
		{"refresh_at_ttl", client, redisrl.SlotsOptions{LeaseTTL: time.Second, RefreshInterval: time.Second}},
		{"negative_refresh", client, redisrl.SlotsOptions{RefreshInterval: -1}},
		{"negative_timeout", client, redisrl.SlotsOptions{Timeout: -1}},
	} {
		if _, err := redisrl.NewSlots(tc.client, tc.opts); !errors.Is(err, rampart.ErrConfig) {
			t.Errorf("%s: err = %v, want rampart.ErrConfig", tc.name, err)
		}
	}
}

// TestRedisSlotsCapAcrossReplicas: two clients (two replicas) share one cap.
func TestRedisSlotsCapAcrossReplicas(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	a := newRedisSlots(t, redistest.Client(t), redisrl.SlotsOptions{Prefix: prefix, Timeout: 5 * time.Second})
	b := newRedisSlots(t, redistest.Client(t), redisrl.SlotsOptions{Prefix: prefix, Timeout: 5 * time.Second})
	ctx := context.Background()
	var releases []func()
	for i, s := range []*redisrl.Slots{a, b, a, b} {
		rel, err := s.Acquire(ctx, "conn:mallory", 4)
		if err != nil {
			t.Fatalf("slot %d of 4: %v", i+1, err)
		}
		releases = append(releases, rel)
	}
	for name, s := range map[string]*redisrl.Slots{"a": a, "b": b} {
		if _, err := s.Acquire(ctx, "conn:mallory", 4); !errors.Is(err, ratelimit.ErrNoSlot) {
			t.Errorf("replica %s took slot 5 of 4: err = %v", name, err)
		}
	}
	releases[1]() // b's slot, freed for a
	rel, err := a.Acquire(ctx, "conn:mallory", 4)
	if err != nil {
		t.Fatalf("slot released by b not available to a: %v", err)
	}
	rel()
	for _, rel := range releases {
		rel()
	}
}

// TestRedisSlotsDeadReplicaLeaseExpires: a replica that dies holding slots
// (its connection closes, refreshes stop, release never runs) gives them up
// after LeaseTTL; a live holder keeps its slot past LeaseTTL by refreshing.
func TestRedisSlotsDeadReplicaLeaseExpires(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	// Refreshing every TTL/10 leaves 1.8 s of slack for a loaded machine
	// running -race: the lease is a wall-clock mechanism on Redis's clock.
	const ttl = 2 * time.Second
	opts := redisrl.SlotsOptions{Prefix: prefix, LeaseTTL: ttl, RefreshInterval: ttl / 10, Timeout: 5 * time.Second}
	deadClient := redis.NewClient(redistest.Options(t))
	dead := newRedisSlots(t, deadClient, opts)
	live := newRedisSlots(t, redistest.Client(t), opts)
	ctx := context.Background()

	relDead, err := dead.Acquire(ctx, "conn:k", 2)
	if err != nil {
		t.Fatal(err)
	}
	relLive, err := live.Acquire(ctx, "conn:k", 2)
	if err != nil {
		t.Fatal(err)
	}
	_ = deadClient.Close() // the replica dies: no refresh, no release reaches Redis
	t.Cleanup(relDead)     // stops its refresh goroutine; the ZREM fails harmlessly
	defer relLive()

	if _, err := live.Acquire(ctx, "conn:k", 2); !errors.Is(err, ratelimit.ErrNoSlot) {
		t.Fatalf("cap not enforced while both leases live: err = %v", err)
	}
	// Poll (not a timing assertion): the dead lease must expire, and the
	// live one must survive several TTLs thanks to its refreshes.
	deadline := time.Now().Add(30 * time.Second)
	var rel func()
	for rel == nil && time.Now().Before(deadline) {
		time.Sleep(ttl / 4)
		if rel, err = live.Acquire(ctx, "conn:k", 2); err != nil && !errors.Is(err, ratelimit.ErrNoSlot) {
			t.Fatal(err)
		}
	}
	if rel == nil {
		t.Fatal("the dead replica's lease never expired")
	}
	defer rel()
	time.Sleep(3 * ttl)
	if n := redisHeld(t, live)("conn:k"); n != 2 {
		t.Errorf("held = %d after 3 TTLs, want 2: refreshed leases expired", n)
	}
	if _, err := live.Acquire(ctx, "conn:k", 2); !errors.Is(err, ratelimit.ErrNoSlot) {
		t.Errorf("refreshed leases did not keep their slots: err = %v", err)
	}
}

// TestRedisSlotsBackendDownFailsClosed: no Redis, no slot.
func TestRedisSlotsBackendDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	s := newRedisSlots(t, srv.Client(t), redisrl.SlotsOptions{})
	srv.Stop(t)
	rel, err := s.Acquire(context.Background(), "k", 5)
	if !errors.Is(err, ratelimit.ErrBackend) || rel != nil {
		t.Fatalf("Acquire with Redis down = %v, want ErrBackend and no release", err)
	}
	if _, err := s.Held(context.Background(), "k"); !errors.Is(err, ratelimit.ErrBackend) {
		t.Errorf("Held with Redis down: err = %v, want ErrBackend", err)
	}
	srv.Restart(t)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rel, err = s.Acquire(context.Background(), "k", 5); err == nil {
			rel()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no recovery after restart: %v", err)
}
