// Package redisx holds what Rampart's Redis-backed stores
// (ratelimit/redisrl, auth/authredis) share: their option handling (client,
// key prefix, per-call timeout; Conn) and one bounded, panic-safe way to call
// go-redis (Call).
package redisx

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
)

// Options are the settings every Rampart Redis store takes: a key prefix and
// a per-call timeout. Zero values mean the store's defaults.
type Options struct {
	// Prefix is prepended to every key.
	Prefix string
	// Timeout bounds each call, including the wait for a pooled connection.
	Timeout time.Duration
}

// Conn is a validated go-redis client with its key prefix and per-call
// timeout.
type Conn struct {
	// Client is the go-redis client; never nil.
	Client redis.UniversalClient
	// Prefix is prepended to every key; never empty.
	Prefix string
	// Timeout bounds each call; always positive.
	Timeout time.Duration

	honorsContext bool
}

// New checks client and opts and fills the zero values of opts from
// defaults. what names the store in errors ("ratelimit/redisrl",
// "authredis: refresh"); a nil client or a negative Timeout is an error
// wrapping rampart.ErrConfig.
func New(what string, client redis.UniversalClient, opts, defaults Options) (Conn, error) {
	if client == nil {
		return Conn{}, fmt.Errorf("%w: %s: nil Redis client", rampart.ErrConfig, what)
	}
	if opts.Timeout < 0 {
		return Conn{}, fmt.Errorf("%w: %s: Timeout %v must not be negative", rampart.ErrConfig, what, opts.Timeout)
	}
	c := Conn{Client: client, Prefix: opts.Prefix, Timeout: opts.Timeout, honorsContext: HonorsContext(client)}
	if c.Prefix == "" {
		c.Prefix = defaults.Prefix
	}
	if c.Timeout == 0 {
		c.Timeout = defaults.Timeout
	}
	return c, nil
}

// Do runs f with c's client under c's timeout (see Call).
func Do[T any](ctx context.Context, c *Conn, f func(context.Context) (T, error)) (T, error) {
	return Call(ctx, c.Timeout, c.honorsContext, f)
}

// HonorsContext reports whether client applies context deadlines to its
// network I/O (go-redis's ContextTimeoutEnabled).
func HonorsContext(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// Call runs f under timeout. When the client honours context deadlines
// (see HonorsContext) f runs inline; otherwise it runs in a goroutine that
// Call stops waiting for at the deadline, so a hung server never blocks the
// caller for longer than the timeout. A panic in the client becomes an
// error.
func Call[T any](ctx context.Context, timeout time.Duration, honorsContext bool, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if honorsContext {
		return guarded(ctx, f)
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := guarded(ctx, f)
		ch <- result{v, err}
	}()
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func guarded[T any](ctx context.Context, f func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("redis client panicked: %v", p)
		}
	}()
	return f(ctx)
}
