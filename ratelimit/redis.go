package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/internal/redisx"
)

// Redis defaults.
const (
	DefaultRedisPrefix  = "rampart:rl:"
	DefaultRedisTimeout = 100 * time.Millisecond
)

// FailureMode says what a Redis-backed limiter decides when Redis cannot be
// reached or does not answer in time.
type FailureMode int

const (
	// FailClosed refuses the request and returns an error wrapping ErrBackend.
	// It is the default: an attacker who can slow Redis down must not thereby
	// switch rate limiting off.
	FailClosed FailureMode = iota
	// FailOpen allows the request, as if the caller's bucket were full, and
	// logs the failure (at most once a second). Choose it only where
	// availability matters more than the limit.
	FailOpen
)

// String returns "fail-closed" or "fail-open".
func (f FailureMode) String() string {
	switch f {
	case FailClosed:
		return "fail-closed"
	case FailOpen:
		return "fail-open"
	}
	return fmt.Sprintf("FailureMode(%d)", int(f))
}

// RedisOptions configures NewRedis. The zero value is the hardened default.
type RedisOptions struct {
	// Prefix is prepended to every key. Empty means DefaultRedisPrefix
	// ("rampart:rl:").
	Prefix string
	// Timeout bounds each call, including the wait for a pooled connection.
	// Zero means DefaultRedisTimeout (100 ms). Negative is an error. Allow
	// returns within Timeout even with a client that ignores context
	// deadlines (go-redis's ContextTimeoutEnabled = false), but such a client
	// leaves a goroutine waiting for its own ReadTimeout; enable
	// ContextTimeoutEnabled.
	Timeout time.Duration
	// OnFailure is FailClosed (default) or FailOpen.
	OnFailure FailureMode
	// Logger receives backend failures. Nil means discard.
	Logger *slog.Logger
}

// gcraScript decides one Allow call atomically with GCRA (the generic cell
// rate algorithm): a bucket is stored as its theoretical arrival time "t" (in
// microseconds of the Redis server's clock), the time at which it would be
// full again, along with the rate it was last used with ("l", "p", "b"). The
// server's TIME is used, never the caller's, so replicas with skewed clocks
// agree. When the rate changes, the tokens available are kept (capped at the
// new burst), as x/time/rate's SetLimitAt/SetBurstAt do for Memory. A full
// bucket is the same as no bucket: the key expires (or is deleted) when the
// bucket is full again.
//
// KEYS[1] bucket; ARGV limit, period (µs), burst, n, clock offset (µs; zero
// except in this package's tests).
// Returns {allowed, remaining, retry_after_µs, reset_after_µs}.
var gcraScript = redis.NewScript(`
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[5])
local interval = period / limit
local tolerance = interval * burst
-- Absolute µs times near 1.7e15 carry ~0.25µs of floating-point error, and
-- TIME has 1µs resolution: decisions tolerate 1µs.
local slack = 1

local tat = now
local dirty = false
local stored = redis.call('HMGET', KEYS[1], 't', 'l', 'p', 'b')
local st = tonumber(stored[1])
if st and st > now then
  tat = st
  local ol, op, ob = tonumber(stored[2]), tonumber(stored[3]), tonumber(stored[4])
  if ol ~= limit or op ~= period or ob ~= burst then
    local avail = ob - (tat - now) / (op / ol)
    if avail > burst then avail = burst end
    if avail < 0 then avail = 0 end
    tat = now + (burst - avail) * interval
    dirty = true
  end
end

local allowed = 0
local retry = 0
if n > burst then
  retry = tolerance
else
  local allow_at = tat + n * interval - tolerance
  if allow_at <= now + slack then
    allowed = 1
    if n > 0 then
      tat = tat + n * interval
      dirty = true
    end
  else
    retry = allow_at - now
  end
end

if dirty then
  if tat > now then
    redis.call('HSET', KEYS[1], 't', string.format('%.17g', tat),
      'l', ARGV[1], 'p', ARGV[2], 'b', ARGV[3])
    redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000) + 1)
  else
    redis.call('DEL', KEYS[1])
  end
end

local remaining = math.floor((tolerance - (tat - now) + slack) / interval)
if remaining < 0 then remaining = 0 end
if remaining > burst then remaining = burst end
return {allowed, remaining, math.ceil(retry), math.ceil(tat - now)}
`)

// Redis is a Limiter whose buckets live in Redis, so that every replica of a
// service shares them. Each Allow is one atomic round trip: a Lua script
// (EVALSHA, falling back to EVAL when the server does not have it cached)
// implementing GCRA on the server's clock. Buckets expire once full, so idle
// keys cost nothing. On backend failure Allow follows RedisOptions.OnFailure.
//
// Redis implements Resetter. It is safe for concurrent use and never panics.
type Redis struct {
	client     redis.UniversalClient
	prefix     string
	timeout    time.Duration
	mode       FailureMode
	log        *slog.Logger
	ctxHonored bool
	offset     atomic.Int64 // µs added to the server's clock; set only by tests
	lastLog    atomic.Int64 // unix nanoseconds of the last failure log
	suppressed atomic.Int64 // failures not logged since then
}

var (
	_ Limiter  = (*Redis)(nil)
	_ Resetter = (*Redis)(nil)
)

// NewRedis returns a Limiter backed by client. It does not contact Redis; it
// fails only on a nil client or invalid options.
func NewRedis(client redis.UniversalClient, opts RedisOptions) (*Redis, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalidOptions)
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: Timeout %v must not be negative", ErrInvalidOptions, opts.Timeout)
	}
	if opts.OnFailure != FailClosed && opts.OnFailure != FailOpen {
		return nil, fmt.Errorf("%w: unknown %v", ErrInvalidOptions, opts.OnFailure)
	}
	r := &Redis{
		client:     client,
		prefix:     opts.Prefix,
		timeout:    opts.Timeout,
		mode:       opts.OnFailure,
		log:        opts.Logger,
		ctxHonored: redisx.HonorsContext(client),
	}
	if r.prefix == "" {
		r.prefix = DefaultRedisPrefix
	}
	if r.timeout == 0 {
		r.timeout = DefaultRedisTimeout
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Allow spends n tokens from key's bucket under rt if it holds at least n,
// with the same semantics as Memory.Allow (n == 0 peeks; n above the burst is
// refused with RetryAfter the full refill time). Decision durations have
// microsecond resolution.
//
// If Redis fails or does not answer within the timeout, a FailClosed limiter
// returns a refusing Decision (RetryAfter one second) and an error wrapping
// ErrBackend; a FailOpen one returns an allowing Decision and a nil error.
func (r *Redis) Allow(ctx context.Context, key string, rt Rate, n int) (Decision, error) {
	if err := rt.Validate(); err != nil {
		return Decision{}, err
	}
	if rt.Period < time.Microsecond {
		return Decision{}, fmt.Errorf("%w: period %v is below the 1µs resolution of the Redis limiter", ErrInvalidRate, rt.Period)
	}
	if n < 0 {
		return refused(rt, 0), fmt.Errorf("%w: %d", ErrInvalidN, n)
	}
	burst := rt.burst()
	res, err := r.run(ctx, func(ctx context.Context) ([]int64, error) {
		return gcraScript.Run(ctx, r.client, []string{r.prefix + key},
			rt.Limit, rt.Period.Microseconds(), burst, n, r.offset.Load()).Int64Slice()
	})
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("unexpected script reply of %d values", len(res))
	}
	if err != nil {
		err = fmt.Errorf("%w: allow: %w", ErrBackend, err)
		if r.mode == FailOpen {
			r.logFailure(ctx, err)
			return Decision{Allowed: true, Limit: burst, Remaining: max(burst-n, 0)}, nil
		}
		r.logFailure(ctx, err)
		return refused(rt, time.Second), err
	}
	d := Decision{
		Allowed:    res[0] == 1,
		Limit:      burst,
		Remaining:  int(min(max(res[1], 0), int64(burst))),
		ResetAfter: micros(res[3]),
	}
	if !d.Allowed {
		d.RetryAfter = max(micros(res[2]), time.Microsecond)
	}
	return d, nil
}

// Reset deletes key's bucket. It implements Resetter; failures wrap
// ErrBackend whatever the failure mode.
func (r *Redis) Reset(ctx context.Context, key string) error {
	_, err := r.run(ctx, func(ctx context.Context) ([]int64, error) {
		return nil, r.client.Del(ctx, r.prefix+key).Err()
	})
	if err != nil {
		err = fmt.Errorf("%w: reset: %w", ErrBackend, err)
		r.logFailure(ctx, err)
	}
	return err
}

func micros(us int64) time.Duration {
	if us <= 0 {
		return 0
	}
	if us > math.MaxInt64/int64(time.Microsecond) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(us) * time.Microsecond
}

// run calls f under the per-call timeout (redisx.Call: bounded even with a
// client that ignores deadlines, panics turned into errors).
func (r *Redis) run(ctx context.Context, f func(context.Context) ([]int64, error)) ([]int64, error) {
	return redisx.Call(ctx, r.timeout, r.ctxHonored, f)
}

// logFailure logs err at most once a second, counting the rest.
func (r *Redis) logFailure(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	last := r.lastLog.Load()
	if now-last < int64(time.Second) || !r.lastLog.CompareAndSwap(last, now) {
		r.suppressed.Add(1)
		return
	}
	r.log.LogAttrs(ctx, slog.LevelWarn, "ratelimit: redis backend failure",
		slog.String("mode", r.mode.String()),
		slog.Int64("suppressed", r.suppressed.Swap(0)),
		slog.String("error", err.Error()))
}
