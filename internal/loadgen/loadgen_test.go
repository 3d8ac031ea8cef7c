package loadgen_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/loadgen"
)

// fakeClock advances only when a call says so, so that latencies and the
// elapsed time are exact.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// One worker, call i (from 1) takes i ms: latencies are 1..100 ms, so every
// nearest-rank percentile is known.
func TestPercentilesOnDeterministicFake(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(0, 0)}
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 1, Requests: 100, Now: clk.Now},
		func(_ context.Context, _, seq int) (int, error) {
			clk.Advance(time.Duration(seq+1) * time.Millisecond)
			return 200, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 100 || res.Failed != 0 || res.Succeeded() != 100 || res.Status[200] != 100 {
		t.Fatalf("counts = %d requests, %d failed, %v; want 100, 0, map[200:100]", res.Requests, res.Failed, res.Status)
	}
	if res.Elapsed != 5050*time.Millisecond {
		t.Fatalf("Elapsed = %v, want 5.05s (1+2+…+100 ms)", res.Elapsed)
	}
	if got, want := res.RequestsPerSecond(), 100/5.05; got < want-1e-9 || got > want+1e-9 {
		t.Fatalf("RequestsPerSecond = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		name string
		p    float64
		want time.Duration
	}{
		{"p50", 50, 50 * time.Millisecond},
		{"p99", 99, 99 * time.Millisecond},
		{"p99.5_rounds_up", 99.5, 100 * time.Millisecond},
		{"p100_is_max", 100, 100 * time.Millisecond},
		{"p1", 1, 1 * time.Millisecond},
		{"p0_clamps_to_min", 0, 1 * time.Millisecond},
		{"p150_clamps_to_max", 150, 100 * time.Millisecond},
	} {
		if got := res.Percentile(tc.p); got != tc.want {
			t.Errorf("%s: Percentile(%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
	if l := res.Latencies(); len(l) != 100 || l[0] != time.Millisecond || l[99] != 100*time.Millisecond {
		t.Fatalf("Latencies not sorted 1..100 ms: len %d", len(l))
	}
}

// Failures are counted by status and kept out of the latency percentiles.
func TestFailuresCountedApart(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Unix(0, 0)}
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 1, Requests: 10, Now: clk.Now},
		func(_ context.Context, _, seq int) (int, error) {
			if seq%2 == 1 { // fast 429s must not pull the percentiles down
				clk.Advance(time.Microsecond)
				return 429, &loadgen.StatusError{Code: 429}
			}
			clk.Advance(10 * time.Millisecond)
			return 200, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 10 || res.Failed != 5 || res.Status[429] != 5 || res.Status[200] != 5 {
		t.Fatalf("got %d requests, %d failed, %v; want 10, 5, 200×5 429×5", res.Requests, res.Failed, res.Status)
	}
	if p := res.Percentile(50); p != 10*time.Millisecond {
		t.Fatalf("p50 = %v, want 10ms (successes only)", p)
	}
}

func TestEmptyResult(t *testing.T) {
	t.Parallel()
	var r loadgen.Result
	if r.Percentile(50) != 0 || r.RequestsPerSecond() != 0 || r.Succeeded() != 0 || r.CPUPerRequest() != 0 {
		t.Fatal("empty result: want zero percentile, rate and successes")
	}
}

func TestOptionsValidated(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, int, int) (int, error) { return 200, nil }
	for _, tc := range []struct {
		name string
		opts loadgen.Options
		fn   loadgen.Func
		want error
	}{
		{"unbounded", loadgen.Options{}, ok, loadgen.ErrUnbounded},
		{"negative_workers", loadgen.Options{Workers: -1, Requests: 1}, ok, loadgen.ErrInvalid},
		{"negative_requests", loadgen.Options{Requests: -1}, ok, loadgen.ErrInvalid},
		{"negative_duration", loadgen.Options{Duration: -1}, ok, loadgen.ErrInvalid},
		{"nil_func", loadgen.Options{Requests: 1}, nil, loadgen.ErrInvalid},
		{"one_request_is_valid", loadgen.Options{Requests: 1}, ok, nil},
	} {
		_, err := loadgen.Run(context.Background(), tc.opts, tc.fn)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// The count cap is exact with many workers, every sequence number is used
// once, and no more than Workers calls are in flight.
func TestRequestCapExactAcrossWorkers(t *testing.T) {
	t.Parallel()
	const n, workers = 1000, 7
	seen := make([]atomic.Int32, n)
	var inFlight, peak atomic.Int32
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: workers, Requests: n},
		func(_ context.Context, w, seq int) (int, error) {
			if w < 0 || w >= workers {
				t.Errorf("worker %d out of range", w)
			}
			cur := inFlight.Add(1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			seen[seq].Add(1)
			time.Sleep(10 * time.Microsecond)
			inFlight.Add(-1)
			return 200, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != n || res.Succeeded() != n {
		t.Fatalf("Requests = %d, Succeeded = %d; want %d", res.Requests, res.Succeeded(), n)
	}
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("seq %d called %d times, want 1", i, c)
		}
	}
	if p := peak.Load(); p > workers {
		t.Fatalf("%d calls in flight, want at most %d", p, workers)
	}
}

// A duration-bounded run against a server that never answers in time stops
// at the deadline and does not count the cut-off calls.
func TestDurationBoundStopsHangingCalls(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 2, Duration: 200 * time.Millisecond},
		loadgen.HTTP(srv.Client(), getter(srv.URL), nil))
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Fatalf("run took %v despite a 200ms bound", el)
	}
	if res.Requests != 0 {
		t.Fatalf("Requests = %d, want 0 (all cut off by the deadline)", res.Requests)
	}
}

// MaxDuration bounds a run that set only a (huge) request count.
func TestMaxDurationBoundsCountOnlyRun(t *testing.T) {
	t.Parallel()
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 1, Requests: 1 << 30, MaxDuration: 50 * time.Millisecond},
		func(ctx context.Context, _, _ int) (int, error) {
			time.Sleep(time.Millisecond)
			return 200, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Requests >= 1<<30 {
		t.Fatalf("Requests = %d, want a few dozen", res.Requests)
	}
}

func getter(url string) func(context.Context, int, int) (*http.Request, error) {
	return func(ctx context.Context, _, _ int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}
}

// Against a real server: 200s succeed, 429s and bodies the check refuses
// are failures, each counted under its status.
func TestHTTPAgainstServer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("k") {
		case "limited":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "bad":
			_, _ = w.Write([]byte(`{"errors":[{"message":"x"}]}`))
		default:
			_, _ = w.Write([]byte(`{"data":{}}`))
		}
	}))
	defer srv.Close()
	kinds := []string{"ok", "ok", "limited", "bad"}
	check := func(_ int, body []byte) error {
		if strings.Contains(string(body), `"errors"`) {
			return errors.New("graphql errors")
		}
		return nil
	}
	newReq := func(ctx context.Context, _, seq int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?k="+kinds[seq%4], nil)
	}
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 4, Requests: 400}, loadgen.HTTP(srv.Client(), newReq, check))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 400 || res.Succeeded() != 200 || res.Failed != 200 || res.Status[429] != 100 || res.Status[200] != 300 {
		t.Fatalf("got %d requests, %d ok, %d failed, %v; want 400, 200, 200, 200×300 429×100", res.Requests, res.Succeeded(), res.Failed, res.Status)
	}
	if res.Percentile(50) <= 0 || res.Percentile(99) < res.Percentile(50) || res.RequestsPerSecond() <= 0 {
		t.Fatalf("p50 %v p99 %v rate %v: want positive, p99 ≥ p50", res.Percentile(50), res.Percentile(99), res.RequestsPerSecond())
	}
}

func TestHTTPTransportErrorIsFailure(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 1, Requests: 3}, loadgen.HTTP(nil, getter(url), nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 3 || res.Status[0] != 3 {
		t.Fatalf("Failed = %d, Status = %v; want 3 failures with no status", res.Failed, res.Status)
	}
}

var sink uint64

// CPU time is measured for the run: fixed busy work (about 10 ms of CPU per
// call on this class of machine, whatever the load) shows up, and
// per-request CPU divides it by the calls made.
func TestCPUMeasured(t *testing.T) {
	t.Parallel()
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 1, Requests: 5},
		func(context.Context, int, int) (int, error) {
			x := uint64(1)
			for i := range uint64(20_000_000) {
				x = x*6364136223846793005 + i
			}
			atomic.AddUint64(&sink, x)
			return 200, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.CPU < 5*time.Millisecond {
		t.Fatalf("CPU = %v after 100M multiply-adds, want at least 5ms", res.CPU)
	}
	if got := res.CPUPerRequest(); got != res.CPU/5 {
		t.Fatalf("CPUPerRequest = %v, want %v", got, res.CPU/5)
	}
}
