package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// outageLog reports a dependency's failures without flooding the log: at
// most one line a second, carrying how many were suppressed since the last
// one, and one "recovered" line when the dependency works again. It is safe
// for concurrent use.
type outageLog struct {
	log  *slog.Logger
	what string // the dependency, e.g. "redis revocations"
	now  func() time.Time

	mu         sync.Mutex
	down       bool
	since      time.Time // first failure of the current outage
	last       time.Time // last line written
	suppressed int
}

func newOutageLog(log *slog.Logger, what string, now func() time.Time) *outageLog {
	if now == nil {
		now = time.Now
	}
	return &outageLog{log: log, what: what, now: now}
}

// failure records one failure; msg says what the caller does about it
// (fails closed, serves degraded).
func (o *outageLog) failure(ctx context.Context, msg string, err error) {
	now := o.now()
	o.mu.Lock()
	if !o.down {
		o.down, o.since = true, now
	} else if now.Sub(o.last) < time.Second {
		o.suppressed++
		o.mu.Unlock()
		return
	}
	o.last = now
	n := o.suppressed
	o.suppressed = 0
	o.mu.Unlock()
	o.log.LogAttrs(ctx, slog.LevelWarn, o.what+": "+msg,
		slog.String("dependency", o.what), slog.Int("suppressed", n), slog.String("error", err.Error()))
}

// ok records a success, logging "recovered" once after an outage.
func (o *outageLog) ok(ctx context.Context) {
	o.mu.Lock()
	if !o.down {
		o.mu.Unlock()
		return
	}
	o.down = false
	d := o.now().Sub(o.since)
	n := o.suppressed
	o.suppressed = 0
	o.mu.Unlock()
	o.log.LogAttrs(ctx, slog.LevelInfo, o.what+": recovered",
		slog.String("dependency", o.what), slog.String("outage", d.Round(time.Millisecond).String()), slog.Int("suppressed", n))
}

// isDown reports whether the last call failed.
func (o *outageLog) isDown() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down
}

// fallbackSlots is the WebSocket connection caps of a fail-open server: the
// shared caps on Redis while Redis answers, this replica's own caps (the
// same numbers, per replica) while it does not, logged as degraded.
type fallbackSlots struct {
	primary ratelimit.Slots
	local   ratelimit.Slots
	outage  *outageLog
}

// Acquire implements ratelimit.Slots.
func (f fallbackSlots) Acquire(ctx context.Context, key string, max int) (func(), error) {
	release, err := f.primary.Acquire(ctx, key, max)
	if !errors.Is(err, ratelimit.ErrBackend) {
		if err == nil {
			f.outage.ok(ctx)
		}
		return release, err
	}
	f.outage.failure(ctx, "connection caps counted per replica (degraded, REDIS_FAIL_MODE=open)", err)
	return f.local.Acquire(ctx, key, max)
}
