package redisrl_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
)

func TestLockoutRedis(t *testing.T) {
	t.Parallel()
	r, err := redisrl.New(redistest.Client(t), redisrl.Options{Prefix: redistest.Prefix(t), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	conformance.Lockout(t, r, func(d time.Duration) { redisrl.AdvanceClock(r, d) }, 15*time.Minute)
}

// TestLockoutRedisDownFailsClosed: with Redis down a fail-closed lockout
// refuses attempts rather than letting guesses through unlimited.
func TestLockoutRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	r, err := redisrl.New(srv.Client(t), redisrl.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lo, err := ratelimit.NewLockout(r, ratelimit.LockoutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	if d, err := lo.Check(context.Background(), "login:user:alice"); d.Allowed || !errors.Is(err, ratelimit.ErrBackend) {
		t.Errorf("Check with Redis down = %+v, %v; want refused, ErrBackend", d, err)
	}
	if err := lo.Success(context.Background(), "login:user:alice"); !errors.Is(err, ratelimit.ErrBackend) {
		t.Errorf("Success with Redis down: err = %v, want ErrBackend", err)
	}
}
