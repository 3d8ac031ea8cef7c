package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/internal/redisx"
	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
	"github.com/rampart-go/rampart/webhook"
)

// sharedState is where limits, connection caps and revocations live: in
// this process's memory by default, in Redis when REDIS_URL is set so that
// every replica behind a load balancer enforces the same numbers.
type sharedState struct {
	limiter     ratelimit.Limiter
	slots       ratelimit.Slots
	revocations jwt.Revocations
	// refresh is the refresh-token store; nil means the SQLite database.
	refresh refresh.Store
	// usedCodes remembers accepted TOTP codes; nil means per process.
	usedCodes mfa.UsedCodes
	// webhookReplays remembers verified webhook deliveries; nil means per
	// process.
	webhookReplays webhook.ReplayStore
	redis          *redis.Client // nil in memory mode
	// revoked is revocations' concrete value, closed with the state.
	revoked *replicaRevocations
}

// newSharedState connects to REDIS_URL if set (failing startup when Redis
// does not answer), else keeps everything in memory. Access-token
// revocations are also kept in db either way (see replicaRevocations).
func newSharedState(ctx context.Context, url string, failOpen bool, now func() time.Time, log *slog.Logger, db *store.Store) (*sharedState, error) {
	if url == "" {
		mem, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: now})
		if err != nil {
			return nil, err
		}
		revoked, err := newReplicaRevocations(ctx, db, nil, false, nil)
		if err != nil {
			return nil, err
		}
		return &sharedState{limiter: mem, slots: ratelimit.NewMemorySlots(), revocations: revoked, revoked: revoked}, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.ContextTimeoutEnabled = true
	// No retries: every call has a 100 ms budget, and go-redis's retries
	// (with backoff) made each call to a stopped Redis take hundreds of
	// milliseconds; the next request tries again anyway.
	opts.MaxRetries = -1
	client := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("REDIS_URL: redis does not answer: %w", err)
	}
	mode := ratelimit.FailClosed
	if failOpen {
		mode = ratelimit.FailOpen
	}
	limiter, err := redisrl.New(client, redisrl.Options{OnFailure: mode, Logger: log})
	if err != nil {
		client.Close()
		return nil, err
	}
	redisSlots, err := redisrl.NewSlots(client, redisrl.SlotsOptions{Logger: log})
	if err != nil {
		client.Close()
		return nil, err
	}
	var slots ratelimit.Slots = redisSlots
	if failOpen {
		slots = fallbackSlots{primary: redisSlots, local: ratelimit.NewMemorySlots(), outage: newOutageLog(log, "redis connection caps", nil)}
	}
	revoked, err := newReplicaRevocations(ctx, db, client, failOpen, newOutageLog(log, "redis revocations", nil))
	if err != nil {
		revoked.close()
		client.Close()
		return nil, err
	}
	refreshStore, err := authredis.NewRefreshStore(client, authredis.Options{})
	if err != nil {
		client.Close()
		return nil, err
	}
	log.Info("shared state on redis", "addr", opts.Addr)
	return &sharedState{limiter: limiter, slots: slots, revocations: revoked, revoked: revoked, refresh: refreshStore,
		usedCodes: redisOnce{client, "rampart:mfa:used:"}, webhookReplays: redisOnce{client, "rampart:webhook:seen:"}, redis: client}, nil
}

// Close stops the revocation sync and disconnects from Redis.
func (s *sharedState) Close() error {
	if s.revoked != nil {
		s.revoked.close()
	}
	if s.redis != nil {
		return s.redis.Close()
	}
	return nil
}

// redisOnce remembers keys until a deadline with SET NX and an absolute
// expiry, so that a TOTP code or a webhook delivery accepted by one replica
// is refused by all. It is mfa.UsedCodes and webhook.ReplayStore.
type redisOnce struct {
	c      *redis.Client
	prefix string
}

// MarkUsed implements mfa.UsedCodes.
func (o redisOnce) MarkUsed(ctx context.Context, key string, until time.Time) (bool, error) {
	return o.first(ctx, key, until)
}

// MarkSeen implements webhook.ReplayStore.
func (o redisOnce) MarkSeen(ctx context.Context, key string, until time.Time) (bool, error) {
	return o.first(ctx, key, until)
}

func (o redisOnce) first(ctx context.Context, key string, until time.Time) (bool, error) {
	return redisx.Call(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		ok, err := o.c.SetArgs(ctx, o.prefix+key, 1, redis.SetArgs{Mode: "NX", ExpireAt: until}).Result()
		if errors.Is(err, redis.Nil) {
			return false, nil // already recorded
		}
		return ok == "OK", err
	})
}
