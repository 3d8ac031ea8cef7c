package redisrl_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
)

func TestConformanceRedis(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	harness := func(t *testing.T) conformance.Harness {
		// A generous timeout: this suite is about semantics, not latency.
		r, err := redisrl.New(client, redisrl.Options{Prefix: redistest.Prefix(t), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		// The script still reads the server's TIME; the test hook adds an
		// offset to it. tol covers wall time elapsing during a subtest.
		advance := func(d time.Duration) { redisrl.AdvanceClock(r, d) }
		return conformance.Harness{Limiter: r, Advance: advance, Tol: 20 * time.Millisecond}
	}
	conformance.Limiter(t, harness)
	conformance.Refunder(t, harness)
}

func TestNewRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		opts   redisrl.Options
	}{
		{"nil_client", nil, redisrl.Options{}},
		{"negative_timeout", client, redisrl.Options{Timeout: -time.Second}},
		{"unknown_failure_mode", client, redisrl.Options{OnFailure: 7}},
	} {
		if _, err := redisrl.New(tc.client, tc.opts); !errors.Is(err, rampart.ErrConfig) {
			t.Errorf("%s: err = %v, want rampart.ErrConfig", tc.name, err)
		}
	}
	if _, err := redisrl.New(client, redisrl.Options{}); err != nil {
		t.Errorf("zero options: %v", err)
	}
}

// TestRedisKeysNamespacedAndExpire checks the prefix and that an idle bucket
// expires once it would be full again.
func TestRedisKeysNamespacedAndExpire(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t)
	prefix := redistest.Prefix(t)
	r, err := redisrl.New(client, redisrl.Options{Prefix: prefix, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Allow(ctx, "user:1", ratelimit.Rate{Limit: 10, Period: 10 * time.Second}, 3); err != nil {
		t.Fatal(err)
	}
	ttl, err := client.PTTL(ctx, prefix+"user:1").Result()
	if err != nil {
		t.Fatal(err)
	}
	// 3 tokens at 1s each: the bucket is full again in 3s.
	if ttl <= 2*time.Second || ttl > 3100*time.Millisecond {
		t.Errorf("TTL = %v, want about 3s", ttl)
	}
	if n, _ := client.Exists(ctx, "user:1", redisrl.DefaultPrefix+"user:1").Result(); n != 0 {
		t.Errorf("key written outside the prefix")
	}
	// A peek does not create a key.
	if _, err := r.Allow(ctx, "peeked", ratelimit.PerSecond(5), 0); err != nil {
		t.Fatal(err)
	}
	if n, _ := client.Exists(ctx, prefix+"peeked").Result(); n != 0 {
		t.Errorf("a peek created a key")
	}
}

// TestRedisScriptCacheFlushed checks the EVALSHA → EVAL fallback.
func TestRedisScriptCacheFlushed(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	r, err := redisrl.New(client, redisrl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conformance.MustAllow(t, r, "k", conformance.Slow, 1)
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if d := conformance.MustAllow(t, r, "k", conformance.Slow, 1); !d.Allowed || d.Remaining != 3 {
		t.Fatalf("after SCRIPT FLUSH: %+v, want allowed, remaining 3", d)
	}
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRedisFailureModes stops, pauses and restarts Redis under both failure
// modes: fail-closed refuses with ErrBackend within the timeout, fail-open
// allows and logs, and both recover when Redis is back.
func TestRedisFailureModes(t *testing.T) {
	srv := redistest.Start(t)
	const timeout = 100 * time.Millisecond
	var logs syncBuffer
	newLimiter := func(mode ratelimit.FailureMode, client redis.UniversalClient) *redisrl.Limiter {
		r, err := redisrl.New(client, redisrl.Options{
			OnFailure: mode, Timeout: timeout,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// A client that ignores context deadlines exercises the goroutine guard.
	legacy := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = legacy.Close() })
	limiters := []struct {
		name string
		mode ratelimit.FailureMode
		l    *redisrl.Limiter
	}{
		{"fail_closed", ratelimit.FailClosed, newLimiter(ratelimit.FailClosed, srv.Client(t))},
		{"fail_open", ratelimit.FailOpen, newLimiter(ratelimit.FailOpen, srv.Client(t))},
		{"fail_closed_no_ctx_timeout_client", ratelimit.FailClosed, newLimiter(ratelimit.FailClosed, legacy)},
		{"fail_open_no_ctx_timeout_client", ratelimit.FailOpen, newLimiter(ratelimit.FailOpen, legacy)},
	}
	r := ratelimit.Rate{Limit: 2, Period: time.Hour}
	ctx := context.Background()

	checkDown := func(t *testing.T, how string) {
		for _, tc := range limiters {
			// The bound is the timeout plus generous scheduling slack, not a
			// latency measurement: a hung call would wait for go-redis's 5s
			// read timeout, or forever.
			begin := time.Now()
			d, err := tc.l.Allow(ctx, tc.name, r, 1)
			took := time.Since(begin)
			if took > timeout+2*time.Second {
				t.Errorf("%s, %s: Allow took %v with a %v timeout", how, tc.name, took, timeout)
			}
			switch tc.mode {
			case ratelimit.FailClosed:
				if d.Allowed || !errors.Is(err, ratelimit.ErrBackend) {
					t.Errorf("%s, %s: Allow = %+v, %v; want refused, ErrBackend", how, tc.name, d, err)
				}
				if d.RetryAfter <= 0 || d.Limit != 2 {
					t.Errorf("%s, %s: refusal %+v lacks Limit/RetryAfter", how, tc.name, d)
				}
			case ratelimit.FailOpen:
				if !d.Allowed || err != nil {
					t.Errorf("%s, %s: Allow = %+v, %v; want allowed, nil", how, tc.name, d, err)
				}
			}
		}
	}
	checkUp := func(t *testing.T, how string) {
		for _, tc := range limiters {
			// Pooled connections died with the server; allow a few attempts
			// for the client to redial.
			var d ratelimit.Decision
			var err error
			for range 20 {
				if d, err = tc.l.Allow(ctx, tc.name+how, r, 1); err == nil && d.Allowed {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil || !d.Allowed || d.Remaining != 1 {
				t.Errorf("%s, %s: Allow = %+v, %v; want a real allowed decision, remaining 1", how, tc.name, d, err)
			}
		}
		for _, tc := range limiters { // and it really limits again
			conformance.MustAllow(t, tc.l, tc.name+how, r, 1)
			if d := conformance.MustAllow(t, tc.l, tc.name+how, r, 1); d.Allowed {
				t.Errorf("%s, %s: third request allowed with burst 2", how, tc.name)
			}
		}
	}

	checkUp(t, "before")
	srv.Stop(t)
	checkDown(t, "stopped")
	srv.Restart(t)
	checkUp(t, "restarted")
	srv.Pause(t)
	checkDown(t, "paused")
	srv.Resume(t)
	checkUp(t, "resumed")

	if !bytes.Contains([]byte(logs.String()), []byte("redis backend failure")) {
		t.Errorf("failures were not logged; log:\n%s", logs.String())
	}
}

// panickyClient is a go-redis client whose EVALSHA and EVAL panic.
type panickyClient struct{ *redis.Client }

func (panickyClient) EvalSha(context.Context, string, []string, ...any) *redis.Cmd {
	panic("boom")
}

func (panickyClient) Eval(context.Context, string, []string, ...any) *redis.Cmd {
	panic("boom")
}

// TestRedisClientPanicIsBackendError: a panicking client is a backend
// failure, never a crash.
func TestRedisClientPanicIsBackendError(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = c.Close() })
	r, err := redisrl.New(panickyClient{c}, redisrl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Allow(context.Background(), "k", conformance.Slow, 1)
	if d.Allowed || !errors.Is(err, ratelimit.ErrBackend) {
		t.Fatalf("Allow = %+v, %v; want refused, ErrBackend", d, err)
	}
}
