package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
)

// heldCounter is implemented by both Slots in this package.
type heldCounter func(key string) int

// runSlotsConformance is the behaviour suite every Slots must pass.
func runSlotsConformance(t *testing.T, newSlots func(t *testing.T) (ratelimit.Slots, heldCounter)) {
	ctx := context.Background()
	t.Run("cap_at_limit_and_past_it", func(t *testing.T) {
		t.Parallel()
		s, held := newSlots(t)
		var releases []func()
		for i := range 3 {
			rel, err := s.Acquire(ctx, "conn:alice", 3)
			if err != nil {
				t.Fatalf("slot %d of 3: %v", i+1, err)
			}
			releases = append(releases, rel)
		}
		if _, err := s.Acquire(ctx, "conn:alice", 3); !errors.Is(err, ratelimit.ErrNoSlot) {
			t.Fatalf("slot 4 of 3: err = %v, want ErrNoSlot", err)
		}
		if rel, err := s.Acquire(ctx, "conn:bob", 3); err != nil {
			t.Fatalf("another key is capped too: %v", err)
		} else {
			rel()
		}
		if n := held("conn:alice"); n != 3 {
			t.Errorf("held = %d, want 3", n)
		}
		releases[0]()
		releases[0]() // a second release gives back nothing more
		if n := held("conn:alice"); n != 2 {
			t.Errorf("after a double release: held = %d, want 2", n)
		}
		rel, err := s.Acquire(ctx, "conn:alice", 3)
		if err != nil {
			t.Fatalf("released slot not reusable: %v", err)
		}
		if _, err := s.Acquire(ctx, "conn:alice", 3); !errors.Is(err, ratelimit.ErrNoSlot) {
			t.Fatalf("double release freed two slots: err = %v", err)
		}
		rel()
		releases[1]()
		releases[2]()
		if n := held("conn:alice"); n != 0 {
			t.Errorf("after releasing all: held = %d, want 0", n)
		}
	})
	t.Run("invalid_max_fails_closed", func(t *testing.T) {
		t.Parallel()
		s, _ := newSlots(t)
		for _, max := range []int{0, -1} {
			if rel, err := s.Acquire(ctx, "k", max); !errors.Is(err, ratelimit.ErrInvalidOptions) || rel != nil {
				t.Errorf("max %d: err = %v, want ErrInvalidOptions and no release", max, err)
			}
		}
	})
	t.Run("concurrent_exactly_max", func(t *testing.T) {
		t.Parallel()
		s, held := newSlots(t)
		var wins atomic.Int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		var releases []func()
		for range 40 {
			wg.Go(func() {
				rel, err := s.Acquire(ctx, "hot", 7)
				switch {
				case err == nil:
					wins.Add(1)
					mu.Lock()
					releases = append(releases, rel)
					mu.Unlock()
				case !errors.Is(err, ratelimit.ErrNoSlot):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 7 {
			t.Errorf("%d of 40 concurrent acquires won, want exactly 7", got)
		}
		for _, rel := range releases {
			rel()
		}
		if n := held("hot"); n != 0 {
			t.Errorf("held = %d after releasing all", n)
		}
	})
}

func TestSlotsConformanceMemory(t *testing.T) {
	t.Parallel()
	runSlotsConformance(t, func(t *testing.T) (ratelimit.Slots, heldCounter) {
		s := ratelimit.NewMemorySlots()
		return s, s.Held
	})
	t.Run("canceled_context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ratelimit.NewMemorySlots().Acquire(ctx, "k", 1); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func newRedisSlots(t *testing.T, c redis.UniversalClient, opts ratelimit.RedisSlotsOptions) *ratelimit.RedisSlots {
	t.Helper()
	s, err := ratelimit.NewRedisSlots(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func redisHeld(t *testing.T, s *ratelimit.RedisSlots) heldCounter {
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
	runSlotsConformance(t, func(t *testing.T) (ratelimit.Slots, heldCounter) {
		s := newRedisSlots(t, client, ratelimit.RedisSlotsOptions{Prefix: redistest.Prefix(t), Timeout: 5 * time.Second})
		return s, redisHeld(t, s)
	})
}

func TestNewRedisSlotsRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		opts   ratelimit.RedisSlotsOptions
	}{
		{"nil_client", nil, ratelimit.RedisSlotsOptions{}},
		{"ttl_below_10ms", client, ratelimit.RedisSlotsOptions{LeaseTTL: 9 * time.Millisecond}},
		{"refresh_at_ttl", client, ratelimit.RedisSlotsOptions{LeaseTTL: time.Second, RefreshInterval: time.Second}},
		{"negative_refresh", client, ratelimit.RedisSlotsOptions{RefreshInterval: -1}},
		{"negative_timeout", client, ratelimit.RedisSlotsOptions{Timeout: -1}},
	} {
		if _, err := ratelimit.NewRedisSlots(tc.client, tc.opts); !errors.Is(err, ratelimit.ErrInvalidOptions) {
			t.Errorf("%s: err = %v, want ErrInvalidOptions", tc.name, err)
		}
	}
}

// TestRedisSlotsCapAcrossReplicas: two clients (two replicas) share one cap.
func TestRedisSlotsCapAcrossReplicas(t *testing.T) {
	t.Parallel()
	prefix := redistest.Prefix(t)
	a := newRedisSlots(t, redistest.Client(t), ratelimit.RedisSlotsOptions{Prefix: prefix})
	b := newRedisSlots(t, redistest.Client(t), ratelimit.RedisSlotsOptions{Prefix: prefix})
	ctx := context.Background()
	var releases []func()
	for i, s := range []*ratelimit.RedisSlots{a, b, a, b} {
		rel, err := s.Acquire(ctx, "conn:mallory", 4)
		if err != nil {
			t.Fatalf("slot %d of 4: %v", i+1, err)
		}
		releases = append(releases, rel)
	}
	for name, s := range map[string]*ratelimit.RedisSlots{"a": a, "b": b} {
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
	// Refreshing every TTL/10 leaves 450ms of slack for a loaded machine.
	const ttl = 500 * time.Millisecond
	opts := ratelimit.RedisSlotsOptions{Prefix: prefix, LeaseTTL: ttl, RefreshInterval: ttl / 10}
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
	deadline := time.Now().Add(10 * time.Second)
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
	s := newRedisSlots(t, srv.Client(t), ratelimit.RedisSlotsOptions{})
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
