package redisrl

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/redisx"
	"github.com/rampart-go/rampart/ratelimit"
)

// Defaults of SlotsOptions.
const (
	// DefaultSlotsPrefix is the key prefix of Slots.
	DefaultSlotsPrefix = "rampart:slots:"
	// DefaultLeaseTTL is how long a slot outlives its holder's last refresh.
	DefaultLeaseTTL = 30 * time.Second
)

// SlotsOptions configures NewSlots. The zero value is the hardened default.
type SlotsOptions struct {
	// Prefix is prepended to every key. Empty means DefaultSlotsPrefix
	// ("rampart:slots:").
	Prefix string
	// LeaseTTL is how long a slot outlives its holder's last refresh: the
	// longest a crashed replica's slots stay taken. Zero means
	// DefaultLeaseTTL (30 s). Values below 10 ms are an error.
	LeaseTTL time.Duration
	// RefreshInterval is how often a held slot's lease is renewed. Zero
	// means LeaseTTL/3. It must be below LeaseTTL.
	RefreshInterval time.Duration
	// Timeout bounds each Redis call. Zero means DefaultTimeout
	// (100 ms). Negative is an error.
	Timeout time.Duration
	// Logger receives refresh and release failures. Nil means discard.
	Logger *slog.Logger
}

// acquireScript removes key's expired leases and, if fewer than max remain,
// adds one expiring ttl ms from the server's clock. KEYS[1] sorted set of
// lease ids scored by expiry (ms); ARGV max, ttl, lease id. Returns 1 or 0.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// refreshScript extends lease ARGV[2] of KEYS[1] to ARGV[1] ms from now if it
// is still there. Returns 1, or 0 when the lease was lost.
var refreshScript = redis.NewScript(`
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 1
`)

// Slots is a ratelimit.Slots shared by every replica using the same Redis. A slot
// is a lease: a random id in a sorted set per key, scored by its expiry on the
// Redis server's clock. Acquire drops expired leases and adds one in a single
// atomic Lua script, so the cap holds across replicas. While a slot is held, a
// goroutine renews its lease every RefreshInterval; release stops that
// goroutine and deletes the lease. If the holder dies (or loses Redis for
// longer than LeaseTTL) its leases simply expire, so counts never leak.
//
// Backend failures fail closed: Acquire returns an error wrapping
// ratelimit.ErrBackend
// and no slot; the caller decides whether to serve anyway. A lease lost while
// held (Redis unreachable for longer than LeaseTTL) is logged; the holder
// keeps its release function, which then does nothing harmful.
type Slots struct {
	conn    redisx.Conn
	ttl     time.Duration
	every   time.Duration
	limiter *Limiter // reuses its failure logging
}

var _ ratelimit.Slots = (*Slots)(nil)

// NewSlots returns a Slots backed by client. It does not contact Redis; it
// fails only on a nil client or invalid options, with an error wrapping
// rampart.ErrConfig.
func NewSlots(client redis.UniversalClient, opts SlotsOptions) (*Slots, error) {
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.LeaseTTL < 10*time.Millisecond {
		return nil, fmt.Errorf("%w: ratelimit/redisrl: LeaseTTL %v is below 10ms", rampart.ErrConfig, opts.LeaseTTL)
	}
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = opts.LeaseTTL / 3
	}
	if opts.RefreshInterval < 0 || opts.RefreshInterval >= opts.LeaseTTL {
		return nil, fmt.Errorf("%w: ratelimit/redisrl: RefreshInterval %v must be positive and below LeaseTTL %v",
			rampart.ErrConfig, opts.RefreshInterval, opts.LeaseTTL)
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultSlotsPrefix
	}
	l, err := New(client, Options{Prefix: opts.Prefix, Timeout: opts.Timeout, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	return &Slots{conn: l.conn, ttl: opts.LeaseTTL, every: opts.RefreshInterval, limiter: l}, nil
}

// Acquire takes one of key's max slots as a lease. It returns
// ratelimit.ErrNoSlot when max unexpired leases are held, an error wrapping
// rampart.ErrConfig when max < 1, and an error wrapping ratelimit.ErrBackend
// when Redis fails. The release
// function stops the lease's refresh and deletes it (waiting at most the
// timeout); it is safe to call more than once.
func (s *Slots) Acquire(ctx context.Context, key string, max int) (func(), error) {
	if max < 1 {
		return nil, fmt.Errorf("%w: ratelimit/redisrl: max %d slots must be positive", rampart.ErrConfig, max)
	}
	k := s.conn.Prefix + key
	id := rand.Text()
	res, err := redisx.Do(ctx, &s.conn, func(ctx context.Context) ([]int64, error) {
		v, err := acquireScript.Run(ctx, s.conn.Client, []string{k}, max, s.ttl.Milliseconds(), id).Int64()
		return []int64{v}, err
	})
	if err != nil {
		err = fmt.Errorf("%w: acquire slot: %w", ratelimit.ErrBackend, err)
		s.limiter.logFailure(ctx, err)
		return nil, err
	}
	if res[0] != 1 {
		return nil, ratelimit.ErrNoSlot
	}
	stop := make(chan struct{})
	go s.keepAlive(k, id, stop)
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			bg := context.WithoutCancel(ctx)
			if _, err := redisx.Do(bg, &s.conn, func(ctx context.Context) ([]int64, error) {
				return nil, s.conn.Client.ZRem(ctx, k, id).Err()
			}); err != nil {
				s.limiter.logFailure(bg, fmt.Errorf("%w: release slot (the lease expires in %v): %w", ratelimit.ErrBackend, s.ttl, err))
			}
		})
	}, nil
}

// keepAlive renews lease id of k every s.every until stop is closed.
func (s *Slots) keepAlive(k, id string, stop <-chan struct{}) {
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		res, err := redisx.Do(context.Background(), &s.conn, func(ctx context.Context) ([]int64, error) {
			v, err := refreshScript.Run(ctx, s.conn.Client, []string{k}, s.ttl.Milliseconds(), id).Int64()
			return []int64{v}, err
		})
		switch {
		case err != nil:
			s.limiter.logFailure(context.Background(), fmt.Errorf("%w: refresh slot lease: %w", ratelimit.ErrBackend, err))
		case res[0] != 1:
			s.limiter.log.Warn("ratelimit/redisrl: slot lease lost (expired while held)", slog.String("key", k))
			return
		}
	}
}

// countScript counts KEYS[1]'s unexpired leases on the server's clock.
var countScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')
`)

// Held returns how many unexpired leases key holds, across all replicas.
func (s *Slots) Held(ctx context.Context, key string) (int, error) {
	res, err := redisx.Do(ctx, &s.conn, func(ctx context.Context) ([]int64, error) {
		v, err := countScript.Run(ctx, s.conn.Client, []string{s.conn.Prefix + key}).Int64()
		return []int64{v}, err
	})
	if err != nil {
		return 0, fmt.Errorf("%w: count slots: %w", ratelimit.ErrBackend, err)
	}
	return int(res[0]), nil
}
