// Package logthrottle keeps a repeated log line from flooding the log
// while a dependency is down: at most one line per interval goes through,
// carrying how many were held back since the previous one. It imports the
// standard library only, so any package may use it.
package logthrottle

import (
	"sync"
	"time"
)

// DefaultInterval is the interval of a Throttle whose Interval is zero.
const DefaultInterval = time.Second

// Throttle lets one line through per Interval and counts the others. The
// zero value is ready (one line a second, time.Now); set Now to drive it
// from a test clock. It is safe for concurrent use and must not be copied
// after first use.
type Throttle struct {
	// Interval is the shortest time between two lines let through; zero
	// means DefaultInterval.
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu         sync.Mutex
	last       time.Time // when the last line went through; zero before the first
	suppressed int
}

// Allow reports whether a line may be written now and, when it may, how
// many lines were suppressed since the previous one (the caller logs that
// number with the line). A nil Throttle lets every line through.
func (t *Throttle) Allow() (suppressed int, ok bool) {
	if t == nil {
		return 0, true
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	interval := t.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	at := now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.last.IsZero() && at.Sub(t.last) < interval {
		t.suppressed++
		return 0, false
	}
	t.last = at
	n := t.suppressed
	t.suppressed = 0
	return n, true
}
