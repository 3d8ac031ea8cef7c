package logthrottle_test

import (
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/logthrottle"
)

// clock is a manual clock for the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestAllowOncePerInterval(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := &logthrottle.Throttle{Now: c.Now}
	if n, ok := th.Allow(); !ok || n != 0 {
		t.Fatalf("first line: (%d, %v), want (0, true)", n, ok)
	}
	for i := range 5 {
		c.Advance(100 * time.Millisecond)
		if _, ok := th.Allow(); ok {
			t.Fatalf("line %d within the second let through", i+2)
		}
	}
	c.Advance(500 * time.Millisecond) // 1 s after the first line
	if n, ok := th.Allow(); !ok || n != 5 {
		t.Fatalf("line after a second: (%d, %v), want (5, true)", n, ok)
	}
	c.Advance(time.Hour)
	if n, ok := th.Allow(); !ok || n != 0 {
		t.Fatalf("line after a quiet hour: (%d, %v), want (0, true): the count restarts", n, ok)
	}
}

func TestAllowInterval(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_000, 0)}
	th := &logthrottle.Throttle{Now: c.Now, Interval: time.Minute}
	th.Allow()
	c.Advance(59 * time.Second)
	if _, ok := th.Allow(); ok {
		t.Fatal("a line 59 s into a 1 min interval was let through")
	}
	c.Advance(time.Second)
	if n, ok := th.Allow(); !ok || n != 1 {
		t.Fatalf("after the interval: (%d, %v), want (1, true)", n, ok)
	}
}

// Concurrent callers in one interval let exactly one line through, and
// every other call is counted.
func TestAllowConcurrent(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_000, 0)}
	th := &logthrottle.Throttle{Now: c.Now}
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range 50 {
		wg.Go(func() {
			if _, ok := th.Allow(); ok {
				mu.Lock()
				passed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if passed != 1 {
		t.Fatalf("%d lines let through in one interval, want 1", passed)
	}
	c.Advance(time.Second)
	if n, ok := th.Allow(); !ok || n != 49 {
		t.Fatalf("next interval: (%d, %v), want (49, true)", n, ok)
	}
}

func TestNilAllowsEverything(t *testing.T) {
	t.Parallel()
	var th *logthrottle.Throttle
	for range 3 {
		if n, ok := th.Allow(); !ok || n != 0 {
			t.Fatalf("nil Throttle: (%d, %v), want (0, true)", n, ok)
		}
	}
}
