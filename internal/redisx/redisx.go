// Package redisx holds what Rampart's Redis-backed stores (ratelimit,
// auth/authredis) share: one bounded, panic-safe way to call go-redis.
package redisx

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

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
