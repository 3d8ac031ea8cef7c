package redisrl

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/redisx"
	"github.com/rampart-go/rampart/ratelimit"
)

// Defaults of Options.
const (
	// DefaultPrefix is the key prefix of Limiter.
	DefaultPrefix = "rampart:rl:"
	// DefaultTimeout bounds each call to Redis.
	DefaultTimeout = 100 * time.Millisecond
)

// Options configures New. The zero value is the hardened default.
type Options struct {
	// Prefix is prepended to every key. Empty means DefaultPrefix
	// ("rampart:rl:").
	Prefix string
	// Timeout bounds each call, including the wait for a pooled connection.
	// Zero means DefaultTimeout (100 ms). Negative is an error. Allow
	// returns within Timeout even with a client that ignores context
	// deadlines (go-redis's ContextTimeoutEnabled = false), but such a client
	// leaves a goroutine waiting for its own ReadTimeout; enable
	// ContextTimeoutEnabled.
	Timeout time.Duration
	// OnFailure is ratelimit.FailClosed (default) or ratelimit.FailOpen.
	OnFailure ratelimit.FailureMode
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

// Limiter is a ratelimit.Limiter whose buckets live in Redis, so that every
// replica of a service shares them. Each Allow is one atomic round trip: a Lua script
// (EVALSHA, falling back to EVAL when the server does not have it cached)
// implementing GCRA on the server's clock. Buckets expire once full, so idle
// keys cost nothing. On backend failure Allow follows Options.OnFailure.
//
// Limiter implements ratelimit.Resetter. It is safe for concurrent use and
// never panics.
type Limiter struct {
	conn       redisx.Conn
	mode       ratelimit.FailureMode
	log        *slog.Logger
	offset     atomic.Int64 // µs added to the server's clock; set only by tests
	lastLog    atomic.Int64 // unix nanoseconds of the last failure log
	suppressed atomic.Int64 // failures not logged since then
}

var (
	_ ratelimit.Limiter  = (*Limiter)(nil)
	_ ratelimit.Resetter = (*Limiter)(nil)
)

// New returns a Limiter backed by client. It does not contact Redis; it
// fails only on a nil client or invalid options, with an error wrapping
// rampart.ErrConfig.
func New(client redis.UniversalClient, opts Options) (*Limiter, error) {
	conn, err := redisx.New("ratelimit/redisrl", client,
		redisx.Options{Prefix: opts.Prefix, Timeout: opts.Timeout},
		redisx.Options{Prefix: DefaultPrefix, Timeout: DefaultTimeout})
	if err != nil {
		return nil, err
	}
	if opts.OnFailure != ratelimit.FailClosed && opts.OnFailure != ratelimit.FailOpen {
		return nil, fmt.Errorf("%w: ratelimit/redisrl: unknown %v", rampart.ErrConfig, opts.OnFailure)
	}
	r := &Limiter{conn: conn, mode: opts.OnFailure, log: opts.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Allow spends n tokens from key's bucket under rt if it holds at least n,
// with the same semantics as ratelimit.Memory.Allow (n == 0 peeks; n above the burst is
// refused with RetryAfter the full refill time). Decision durations have
// microsecond resolution.
//
// If Redis fails or does not answer within the timeout, a FailClosed limiter
// returns a refusing Decision (RetryAfter one second) and an error wrapping
// ratelimit.ErrBackend; a FailOpen one returns an allowing Decision and a nil
// error.
func (r *Limiter) Allow(ctx context.Context, key string, rt ratelimit.Rate, n int) (ratelimit.Decision, error) {
	if err := checkRate(rt); err != nil {
		return ratelimit.Decision{}, err
	}
	burst := rt.Capacity()
	if n < 0 {
		return ratelimit.Decision{Limit: burst}, fmt.Errorf("%w: %d", ratelimit.ErrInvalidN, n)
	}
	res, err := r.run(ctx, gcraScript, "allow", 4, key, rt, n)
	if err != nil {
		if r.mode == ratelimit.FailOpen {
			return ratelimit.Decision{Allowed: true, Limit: burst, Remaining: max(burst-n, 0)}, nil
		}
		return ratelimit.Decision{Limit: burst, RetryAfter: time.Second}, err
	}
	d := ratelimit.Decision{
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

// Reset deletes key's bucket. It implements ratelimit.Resetter; failures
// wrap ratelimit.ErrBackend whatever the failure mode.
func (r *Limiter) Reset(ctx context.Context, key string) error {
	_, err := redisx.Do(ctx, &r.conn, func(ctx context.Context) ([]int64, error) {
		return nil, r.conn.Client.Del(ctx, r.conn.Prefix+key).Err()
	})
	if err != nil {
		err = fmt.Errorf("%w: reset: %w", ratelimit.ErrBackend, err)
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

// logFailure logs err at most once a second, counting the rest.
func (r *Limiter) logFailure(ctx context.Context, err error) {
	now := time.Now().UnixNano()
	last := r.lastLog.Load()
	if now-last < int64(time.Second) || !r.lastLog.CompareAndSwap(last, now) {
		r.suppressed.Add(1)
		return
	}
	r.log.LogAttrs(ctx, slog.LevelWarn, "ratelimit/redisrl: redis backend failure",
		slog.String("mode", r.mode.String()),
		slog.Int64("suppressed", r.suppressed.Swap(0)),
		slog.String("error", err.Error()))
}

// checkRate refuses what Validate refuses and periods below the script's
// microsecond resolution.
func checkRate(rt ratelimit.Rate) error {
	if err := rt.Validate(); err != nil {
		return err
	}
	if rt.Period < time.Microsecond {
		return fmt.Errorf("%w: period %v is below the 1µs resolution of the Redis limiter", ratelimit.ErrInvalidRate, rt.Period)
	}
	return nil
}

// run calls script on key's bucket under rt with n and the clock offset,
// and checks that it answered want values. A failure wraps
// ratelimit.ErrBackend, names op, and is logged (throttled).
func (r *Limiter) run(ctx context.Context, script *redis.Script, op string, want int, key string, rt ratelimit.Rate, n int) ([]int64, error) {
	res, err := redisx.Do(ctx, &r.conn, func(ctx context.Context) ([]int64, error) {
		return script.Run(ctx, r.conn.Client, []string{r.conn.Prefix + key},
			rt.Limit, rt.Period.Microseconds(), rt.Capacity(), n, r.offset.Load()).Int64Slice()
	})
	if err == nil && len(res) != want {
		err = fmt.Errorf("unexpected script reply of %d values", len(res))
	}
	if err != nil {
		err = fmt.Errorf("%w: %s: %w", ratelimit.ErrBackend, op, err)
		r.logFailure(ctx, err)
		return nil, err
	}
	return res, nil
}
