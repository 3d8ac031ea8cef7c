package redisx_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
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

func TestNew(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer client.Close()
	defaults := redisx.Options{Prefix: "p:", Timeout: time.Second}
	if _, err := redisx.New("x", nil, redisx.Options{}, defaults); !errors.Is(err, rampart.ErrConfig) {
		t.Errorf("nil client: %v, want ErrConfig", err)
	}
	if _, err := redisx.New("x", client, redisx.Options{Timeout: -1}, defaults); !errors.Is(err, rampart.ErrConfig) {
		t.Errorf("negative timeout: %v, want ErrConfig", err)
	}
	c, err := redisx.New("x", client, redisx.Options{}, defaults)
	if err != nil || c.Prefix != "p:" || c.Timeout != time.Second || c.Client != client {
		t.Fatalf("defaults not applied: %+v, %v", c, err)
	}
	c, err = redisx.New("x", client, redisx.Options{Prefix: "q:", Timeout: time.Minute}, defaults)
	if err != nil || c.Prefix != "q:" || c.Timeout != time.Minute {
		t.Fatalf("options not kept: %+v, %v", c, err)
	}
	if v, err := redisx.Do(context.Background(), &c, func(context.Context) (int, error) { return 3, nil }); v != 3 || err != nil {
		t.Fatalf("Do: %d %v", v, err)
	}
}
