package ratelimit_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

func newMemory(t testing.TB, opts ratelimit.MemoryOptions) *ratelimit.Memory {
	t.Helper()
	m, err := ratelimit.NewMemory(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewMemoryOptions(t *testing.T) {
	t.Parallel()
	if _, err := ratelimit.NewMemory(ratelimit.MemoryOptions{MaxKeys: -1}); !errors.Is(err, rampart.ErrConfig) {
		t.Errorf("MaxKeys -1: err = %v, want rampart.ErrConfig", err)
	}
	for _, tc := range []struct {
		name string
		max  int
		want int
	}{
		{"zero_means_default", 0, ratelimit.DefaultMaxKeys},
		{"one", 1, 1},
		{"small", 100, 100},
		{"not_a_power_of_two", 1000, 1000},
	} {
		m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: tc.max})
		if m.MaxKeys() != tc.want {
			t.Errorf("%s: MaxKeys() = %d, want %d", tc.name, m.MaxKeys(), tc.want)
		}
	}
}

// TestMemoryTableBoundedAtMaxKeys floods small tables with distinct keys: the
// table never holds more than MaxKeys, whatever MaxKeys is.
func TestMemoryTableBoundedAtMaxKeys(t *testing.T) {
	t.Parallel()
	for _, max := range []int{1, 15, 16, 17, 100, 1000, 1025} {
		t.Run(strconv.Itoa(max), func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock()
			m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: max, Now: clk.Now})
			for i := range 3 * max {
				d := mustAllow(t, m, "flood:"+strconv.Itoa(i), slow, 1)
				if !d.Allowed {
					t.Fatalf("fresh key refused: %+v", d)
				}
				if n := m.Len(); n > max {
					t.Fatalf("after %d keys: Len() = %d > MaxKeys %d", i+1, n, max)
				}
			}
			if n := m.Len(); n < max/2 {
				t.Errorf("Len() = %d: the table evicts far more than it must (MaxKeys %d)", n, max)
			}
		})
	}
}

// TestMemoryMillionKeysBoundedMemory is the key-flooding attack: a million
// distinct keys (one per spoofed client) must not grow the heap without bound.
func TestMemoryMillionKeysBoundedMemory(t *testing.T) {
	t.Parallel()
	const keys = 1_000_000
	clk := newFakeClock()
	m := newMemory(t, ratelimit.MemoryOptions{Now: clk.Now}) // default MaxKeys
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	buf := make([]byte, 0, 32)
	for i := range keys {
		buf = strconv.AppendInt(append(buf[:0], "ip:"...), int64(i), 10)
		if _, err := m.Allow(context.Background(), string(buf), slow, 1); err != nil {
			t.Fatal(err)
		}
		if i%100_000 == 0 {
			clk.Advance(time.Millisecond)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := m.Len(); n > m.MaxKeys() {
		t.Errorf("Len() = %d > MaxKeys %d", n, m.MaxKeys())
	}
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// About 180 bytes per kept bucket; a million kept buckets would be ~180 MB.
	const bound = 64 << 20
	if growth > bound {
		t.Errorf("heap grew by %d MB for %d keys (MaxKeys %d), want < %d MB",
			growth>>20, keys, m.MaxKeys(), bound>>20)
	}
	t.Logf("%d keys: table %d, heap growth %.1f MB", keys, m.Len(), float64(growth)/(1<<20))
	runtime.KeepAlive(m)
}

// TestMemoryEvictionPolicy pins the lazy eviction rules with a one-shard table
// (MaxKeys 16).
func TestMemoryEvictionPolicy(t *testing.T) {
	t.Parallel()
	t.Run("refilled_buckets_dropped_on_insert", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: 16, Now: clk.Now})
		for i := range 10 {
			mustAllow(t, m, "k"+strconv.Itoa(i), slow, 1)
		}
		clk.Advance(time.Hour) // every bucket is full again
		mustAllow(t, m, "new", slow, 1)
		if n := m.Len(); n != 9 {
			t.Errorf("Len() = %d, want 9 (two idle buckets dropped, one added)", n)
		}
	})
	t.Run("refilled_buckets_kept_below_half", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: 16, Now: clk.Now})
		for i := range 7 {
			mustAllow(t, m, "k"+strconv.Itoa(i), slow, 1)
		}
		clk.Advance(time.Hour)
		mustAllow(t, m, "new", slow, 1)
		if n := m.Len(); n != 8 {
			t.Errorf("Len() = %d, want 8 (nothing dropped below half of MaxKeys)", n)
		}
	})
	t.Run("limited_buckets_kept_below_max", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: 16, Now: clk.Now})
		for i := range 16 {
			mustAllow(t, m, "k"+strconv.Itoa(i), slow, 1)
		}
		if n := m.Len(); n != 16 {
			t.Errorf("Len() = %d, want 16 (non-full buckets kept up to MaxKeys)", n)
		}
	})
	t.Run("lru_evicted_at_max_favours_caller", func(t *testing.T) {
		t.Parallel()
		clk := newFakeClock()
		m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: 16, Now: clk.Now})
		mustAllow(t, m, "victim", slow, 5)
		mustAllow(t, m, "hot", slow, 5)
		for i := range 40 { // push victim out, many times over; keep hot in use
			mustAllow(t, m, "flood"+strconv.Itoa(i), slow, 1)
			mustAllow(t, m, "hot", slow, 0)
		}
		if d := mustAllow(t, m, "hot", slow, 1); d.Allowed {
			t.Errorf("recently used, empty bucket was evicted: %+v", d)
		}
		// Eviction forgot victim's spent bucket: the only effect is a full
		// bucket for its caller, never a lockout.
		if d := mustAllow(t, m, "victim", slow, 1); !d.Allowed || d.Remaining != 4 {
			t.Errorf("evicted key: %+v, want a fresh bucket", d)
		}
	})
}

// TestMemoryClockBackwards checks a clock stepping back neither panics nor
// grants tokens.
func TestMemoryClockBackwards(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	m := newMemory(t, ratelimit.MemoryOptions{Now: clk.Now})
	mustAllow(t, m, "k", slow, 5)
	clk.Advance(-time.Hour)
	if d := mustAllow(t, m, "k", slow, 1); d.Allowed {
		t.Errorf("clock stepped back granted a token: %+v", d)
	}
}

// TestMemoryAllowZeroAllocs pins the hot path (an existing key) at zero
// allocations.
func TestMemoryAllowZeroAllocs(t *testing.T) {
	m := newMemory(t, ratelimit.MemoryOptions{})
	ctx := context.Background()
	r := ratelimit.Rate{Limit: 1_000_000_000, Period: time.Second}
	mustAllow(t, m, "user:42", r, 1)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = m.Allow(ctx, "user:42", r, 1)
	})
	if allocs != 0 {
		t.Errorf("Allow on an existing key allocates %.1f times, want 0", allocs)
	}
}

// FuzzMemoryAllow feeds arbitrary keys, rates and request sizes at one fixed
// instant: Allow never panics, invalid input always refuses with an error,
// and the tokens allowed never exceed the burst (Remaining is exactly what
// is left).
func FuzzMemoryAllow(f *testing.F) {
	f.Add("login:ip:203.0.113.9", int32(5), int64(time.Hour), int32(0), []byte{9, 9, 9, 9, 9, 9})
	f.Add("", int32(5), int64(time.Hour), int32(5), []byte{13, 14})       // n = burst, then burst+1
	f.Add("k", int32(0), int64(time.Second), int32(1), []byte{9})         // zero limit
	f.Add("k", int32(1), int64(0), int32(1), []byte{9})                   // zero period
	f.Add("k", int32(1), int64(time.Second), int32(-1), []byte{9})        // negative burst
	f.Add("k", int32(3), int64(time.Second), int32(2), []byte{0, 8, 255}) // negative, zero, large n
	f.Add("\x00\xff", int32(1<<30), int64(1), int32(1<<30), []byte{200, 200})
	f.Fuzz(func(t *testing.T, key string, limit int32, period int64, burst int32, ns []byte) {
		clk := newFakeClock()
		m := newMemory(t, ratelimit.MemoryOptions{MaxKeys: 64, Now: clk.Now})
		r := ratelimit.Rate{Limit: int(limit), Period: time.Duration(period), Burst: int(burst)}
		valid := r.Validate() == nil
		b := int(burst)
		if b == 0 {
			b = int(limit)
		}
		spent := 0
		for _, raw := range ns {
			n := int(raw) - 8 // -8 … 247
			d, err := m.Allow(context.Background(), key, r, n)
			switch {
			case !valid:
				if !errors.Is(err, ratelimit.ErrInvalidRate) || d.Allowed {
					t.Fatalf("invalid rate %+v: %+v, %v", r, d, err)
				}
				continue
			case n < 0:
				if !errors.Is(err, ratelimit.ErrInvalidN) || d.Allowed {
					t.Fatalf("n=%d: %+v, %v", n, d, err)
				}
				continue
			case err != nil:
				t.Fatalf("valid call failed: %v", err)
			}
			if d.Allowed {
				spent += n
			} else if d.RetryAfter <= 0 {
				t.Fatalf("refusal without RetryAfter: %+v", d)
			}
			if spent > b {
				t.Fatalf("allowed %d tokens at one instant, burst %d", spent, b)
			}
			if d.Limit != b || d.Remaining != b-spent {
				t.Fatalf("after spending %d of %d: %+v", spent, b, d)
			}
		}
		if m.Len() > 1 {
			t.Fatalf("one key, %d buckets", m.Len())
		}
	})
}
