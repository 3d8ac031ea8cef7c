package redisx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/internal/redisx"
)

func TestCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if v, err := redisx.Call(ctx, time.Second, true, func(context.Context) (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Fatalf("inline: %d %v", v, err)
	}
	if _, err := redisx.Call(ctx, time.Second, true, func(context.Context) (int, error) { panic("boom") }); err == nil {
		t.Fatal("panic not turned into an error")
	}
	// A client that ignores its context: Call still returns at the deadline.
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	_, err := redisx.Call(ctx, 50*time.Millisecond, false, func(context.Context) (int, error) { <-block; return 0, nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("hung call: %v after %v", err, time.Since(start))
	}
}

func TestHonorsContext(t *testing.T) {
	t.Parallel()
	on := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	off := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer on.Close()
	defer off.Close()
	if !redisx.HonorsContext(on) || redisx.HonorsContext(off) {
		t.Fatal("HonorsContext misreads ContextTimeoutEnabled")
	}
}
