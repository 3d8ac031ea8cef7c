package redisrl

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
)

// refundScript gives n tokens back to a GCRA bucket atomically: the
// theoretical arrival time moves n emission intervals earlier, never
// before now (a full bucket, which is deleted). A bucket that does not
// exist (full or expired) is left alone.
//
// KEYS[1] bucket; ARGV limit, period (µs), burst, n, clock offset (µs).
// Returns {remaining, reset_after_µs}.
var refundScript = redis.NewScript(`
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[5])
local interval = period / limit
local tolerance = interval * burst
local slack = 1

local st = tonumber(redis.call('HGET', KEYS[1], 't'))
if not st or st <= now then
  return {burst, 0}
end
local tat = st - n * interval
if tat > now then
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tat))
  redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000) + 1)
else
  tat = now
  redis.call('DEL', KEYS[1])
end
local remaining = math.floor((tolerance - (tat - now) + slack) / interval)
if remaining < 0 then remaining = 0 end
if remaining > burst then remaining = burst end
return {remaining, math.ceil(tat - now)}
`)

var _ ratelimit.Refunder = (*Limiter)(nil)

// Refund implements ratelimit.Refunder in one atomic round trip on the
// server's clock. Failures wrap ratelimit.ErrBackend whatever the failure
// mode (a lost refund only makes the caller wait longer than it had to).
func (r *Limiter) Refund(ctx context.Context, key string, rt ratelimit.Rate, n int) (ratelimit.Decision, error) {
	if err := checkRate(rt); err != nil {
		return ratelimit.Decision{}, err
	}
	if n < 0 {
		return ratelimit.Decision{}, fmt.Errorf("%w: %d", ratelimit.ErrInvalidN, n)
	}
	burst := rt.Capacity()
	res, err := r.run(ctx, refundScript, "refund", 2, key, rt, n)
	if err != nil {
		return ratelimit.Decision{Limit: burst}, err
	}
	return ratelimit.Decision{
		Allowed:    true,
		Limit:      burst,
		Remaining:  int(min(max(res[0], 0), int64(burst))),
		ResetAfter: micros(res[1]),
	}, nil
}

// Backend returns "redis", the limiter's name in metrics
// (ratelimit.BackendName).
func (r *Limiter) Backend() string { return "redis" }
