package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/demo/graph"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/internal/redisx"
	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
	"github.com/rampart-go/rampart/webhook"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/wsredis"
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
	// revoked is revocations' concrete value, closed with the state.
	revoked *replicaRevocations
	// bus carries session revocations between replicas (in process
	// without Redis); cutoffs records revokeSessions.
	bus     wssec.SessionBus
	cutoffs graph.Cutoffs
	redis   redis.UniversalClient // nil in memory mode
}

// newSharedState connects to REDIS_URL if set (failing startup when Redis
// does not answer), else keeps everything in memory. Access-token
// revocations are also kept in db either way (see replicaRevocations).
func newSharedState(ctx context.Context, cfg *config, log *slog.Logger, db *store.Store) (*sharedState, error) {
	url, failOpen, now, timeout := cfg.RedisURL, cfg.RedisFailOpen, cfg.now, cfg.RedisTimeout
	if url == "" {
		mem, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: now})
		if err != nil {
			return nil, err
		}
		revoked, err := newReplicaRevocations(ctx, db, nil, false, timeout, nil, nil)
		if err != nil {
			return nil, err
		}
		cutoffs := &graph.MemoryCutoffs{}
		if err := seedCutoffs(ctx, db, cutoffs); err != nil {
			revoked.close()
			return nil, err
		}
		return &sharedState{limiter: mem, slots: ratelimit.NewMemorySlots(), revocations: revoked, revoked: revoked,
			bus: &wssec.LocalBus{}, cutoffs: durableCutoffs{db, cutoffs}}, nil
	}
	client, addr, err := redisClient(url)
	if err != nil {
		return nil, err
	}
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
	limiter, err := redisrl.New(client, redisrl.Options{OnFailure: mode, Logger: log, Timeout: timeout})
	if err != nil {
		client.Close()
		return nil, err
	}
	redisSlots, err := redisrl.NewSlots(client, redisrl.SlotsOptions{Logger: log, Timeout: timeout})
	if err != nil {
		client.Close()
		return nil, err
	}
	var slots ratelimit.Slots = redisSlots
	if failOpen {
		slots = fallbackSlots{primary: redisSlots, local: ratelimit.NewMemorySlots(), outage: newOutageLog(log, "redis connection caps", nil)}
	}
	rc := redisCutoffs{client, "rampart:cutoff:", timeout}
	// Redis restarted without persistence has lost the cutoffs with the
	// revocations: both are seeded again from the database before the
	// epoch key says Redis can be trusted.
	seed := func(ctx context.Context) error { return seedCutoffs(ctx, db, rc) }
	revoked, err := newReplicaRevocations(ctx, db, client, failOpen, timeout, newOutageLog(log, "redis revocations", nil), seed)
	if err != nil {
		revoked.close()
		client.Close()
		return nil, err
	}
	refreshStore, err := authredis.NewRefreshStore(client, authredis.Options{Timeout: timeout})
	if err != nil {
		client.Close()
		return nil, err
	}
	bus, err := wsredis.New(client, wsredis.Options{Logger: log})
	if err != nil {
		revoked.close()
		client.Close()
		return nil, err
	}
	log.Info("shared state on redis", "addr", addr)
	return &sharedState{limiter: limiter, slots: slots, revocations: revoked, revoked: revoked, refresh: refreshStore,
		usedCodes: redisOnce{client, "rampart:mfa:used:", timeout}, webhookReplays: redisOnce{client, "rampart:webhook:seen:", timeout},
		bus: bus, cutoffs: durableCutoffs{db, sharedCutoffs(rc, failOpen, log)}, redis: client}, nil
}

// durableCutoffs records every session cutoff in the database first (the
// durable copy, which survives a restart of the process or of an
// unpersisted Redis), then in fast, which answers lookups: this process's
// memory, or Redis shared by the replicas. fast is seeded from the
// database at start, and Redis again whenever it comes back empty.
type durableCutoffs struct {
	db   *store.Store
	fast graph.Cutoffs
}

// Cut implements graph.Cutoffs.
func (d durableCutoffs) Cut(ctx context.Context, subject string, at, until time.Time) error {
	if err := d.db.CutSessions(ctx, subject, at, until); err != nil {
		return err
	}
	return d.fast.Cut(ctx, subject, at, until)
}

// Cutoff implements graph.Cutoffs.
func (d durableCutoffs) Cutoff(ctx context.Context, subject string) (time.Time, error) {
	return d.fast.Cutoff(ctx, subject)
}

// seedCutoffs copies the database's cutoffs in force into c (Cut keeps
// the later cutoff, so seeding twice is harmless).
func seedCutoffs(ctx context.Context, db *store.Store, c graph.Cutoffs) error {
	list, err := db.SessionCutoffs(ctx)
	if err != nil {
		return err
	}
	for _, x := range list {
		if err := c.Cut(ctx, x.Subject, x.At, x.Until); err != nil {
			return fmt.Errorf("seeding session cutoffs: %w", err)
		}
	}
	return nil
}

// sharedCutoffs is the revokeSessions record on Redis; in fail-open mode a
// lookup that Redis cannot answer is no cutoff (logged as degraded, as the
// revocation check is), so that logged-in users keep working through an
// outage. Recording a cutoff still needs Redis.
func sharedCutoffs(c graph.Cutoffs, failOpen bool, log *slog.Logger) graph.Cutoffs {
	if !failOpen {
		return c
	}
	return openCutoffs{c, newOutageLog(log, "redis session cutoffs", nil)}
}

type openCutoffs struct {
	graph.Cutoffs
	outage *outageLog
}

// Cutoff implements graph.Cutoffs.
func (o openCutoffs) Cutoff(ctx context.Context, subject string) (time.Time, error) {
	t, err := o.Cutoffs.Cutoff(ctx, subject)
	if err != nil {
		o.outage.failure(ctx, "degraded: session cutoffs not checked", err)
		return time.Time{}, nil
	}
	o.outage.ok(ctx)
	return t, nil
}

// redisClient connects to REDIS_URL: a Redis Cluster when the URL names
// more than one node (go-redis's cluster form,
// redis://host:port?addr=host:port&addr=host:port), else one server.
// Every key Rampart uses is single-slot or hash-tagged, so both work. No
// retries, of commands or of dials: every call has its own short budget
// (REDIS_TIMEOUT), and go-redis's retries (five dials with backoff by
// default) made each call to a stopped Redis wait out the whole budget;
// the next request tries again anyway.
func redisClient(url string) (redis.UniversalClient, string, error) {
	if strings.Contains(url, "addr=") {
		o, err := redis.ParseClusterURL(url)
		if err != nil {
			return nil, "", fmt.Errorf("REDIS_URL: %w", err)
		}
		o.ContextTimeoutEnabled = true
		o.MaxRetries, o.DialerRetries = -1, 1
		return redis.NewClusterClient(o), strings.Join(o.Addrs, ","), nil
	}
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, "", fmt.Errorf("REDIS_URL: %w", err)
	}
	o.ContextTimeoutEnabled = true
	o.MaxRetries, o.DialerRetries = -1, 1
	return redis.NewClient(o), o.Addr, nil
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
	c       redis.UniversalClient
	prefix  string
	timeout time.Duration
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
	return redisx.Call(ctx, o.timeout, true, func(ctx context.Context) (bool, error) {
		ok, err := o.c.SetArgs(ctx, o.prefix+key, 1, redis.SetArgs{Mode: "NX", ExpireAt: until}).Result()
		if errors.Is(err, redis.Nil) {
			return false, nil // already recorded
		}
		return ok == "OK", err
	})
}

// redisCutoffs is graph.Cutoffs on Redis: one key per subject holding the
// cutoff in Unix milliseconds, kept (PXAT) until every token it revokes
// has expired. A later cutoff is never replaced by an earlier one.
type redisCutoffs struct {
	c       redis.UniversalClient
	prefix  string
	timeout time.Duration
}

var cutScript = redis.NewScript(`
local old = tonumber(redis.call('GET', KEYS[1]))
if old and old >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1
`)

// Cut implements graph.Cutoffs.
func (r redisCutoffs) Cut(ctx context.Context, subject string, at, until time.Time) error {
	_, err := redisx.Call(ctx, r.timeout, true, func(ctx context.Context) (int64, error) {
		return cutScript.Run(ctx, r.c, []string{r.prefix + subject}, at.UnixMilli(), until.UnixMilli()).Int64()
	})
	return err
}

// Cutoff implements graph.Cutoffs.
func (r redisCutoffs) Cutoff(ctx context.Context, subject string) (time.Time, error) {
	return redisx.Call(ctx, r.timeout, true, func(ctx context.Context) (time.Time, error) {
		ms, err := r.c.Get(ctx, r.prefix+subject).Int64()
		if errors.Is(err, redis.Nil) {
			return time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, err
		}
		return time.UnixMilli(ms), nil
	})
}
