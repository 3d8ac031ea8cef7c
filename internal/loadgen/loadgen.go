package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for a zero Options.
const (
	// DefaultWorkers is the number of concurrent callers when
	// Options.Workers is zero.
	DefaultWorkers = 8
	// DefaultMaxDuration bounds every run whose Options.MaxDuration is
	// zero, even one bounded by Requests alone.
	DefaultMaxDuration = 2 * time.Minute
)

// Errors returned by Run.
var (
	// ErrUnbounded: neither Requests nor Duration was set.
	ErrUnbounded = errors.New("loadgen: set Requests or Duration")
	// ErrInvalid: a negative or otherwise impossible option.
	ErrInvalid = errors.New("loadgen: invalid options")
)

// Func makes one call. worker is the caller's index in [0, Workers) and seq
// the call's sequence number in [0, Requests), unique across workers.
// status is the HTTP status where there was a response (0 otherwise); a
// non-nil err marks the call failed.
type Func func(ctx context.Context, worker, seq int) (status int, err error)

// Options bound and shape a run. At least one of Requests and Duration must
// be set; the run stops at whichever comes first.
type Options struct {
	// Workers is the number of concurrent callers, each calling the Func
	// back to back (closed loop). Zero means DefaultWorkers.
	Workers int
	// Requests caps the number of calls. Zero means no count cap.
	Requests int
	// Duration caps the run's wall time; calls still in flight are
	// cancelled and not counted. Zero means no time cap other than
	// MaxDuration.
	Duration time.Duration
	// MaxDuration is a hard bound on any run. Zero means DefaultMaxDuration.
	MaxDuration time.Duration
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
}

// Result is what a run did.
type Result struct {
	// Requests is the number of calls that completed, successful or not.
	Requests int
	// Failed is the number of those calls that returned an error.
	Failed int
	// Status counts completed calls by HTTP status (0: no response).
	Status map[int]int
	// Elapsed is the wall time from the first call's start to the last
	// call's end.
	Elapsed time.Duration
	// CPU is the CPU time (user plus system) the whole process used during
	// the run: the load generator's own share plus, when the server runs in
	// the same process, the server's. Unlike throughput it hardly depends
	// on what else the machine runs. Zero where not measured (non-Unix).
	CPU time.Duration
	// latencies of the successful calls, sorted ascending.
	latencies []time.Duration
}

// Succeeded is the number of calls that returned no error.
func (r *Result) Succeeded() int { return r.Requests - r.Failed }

// RequestsPerSecond is completed calls (successful or not) per second of
// Elapsed; 0 for an empty run.
func (r *Result) RequestsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// CPUPerRequest is CPU divided by completed calls; 0 for an empty run.
func (r *Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of the
// successful calls' latencies: the smallest latency that at least p % of
// them do not exceed. It returns 0 when no call succeeded; p outside
// (0, 100] is clamped.
func (r *Result) Percentile(p float64) time.Duration {
	return percentile(r.latencies, p)
}

// Latencies returns a copy of the successful calls' latencies, sorted.
func (r *Result) Latencies() []time.Duration { return slices.Clone(r.latencies) }

func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Run calls fn from opts.Workers goroutines until opts.Requests calls have
// completed, opts.Duration has passed, opts.MaxDuration has passed or ctx is
// done. It returns an error only for invalid options; failed calls are in
// the Result.
func Run(ctx context.Context, opts Options, fn Func) (*Result, error) {
	if fn == nil {
		return nil, fmt.Errorf("%w: nil Func", ErrInvalid)
	}
	if opts.Workers < 0 || opts.Requests < 0 || opts.Duration < 0 || opts.MaxDuration < 0 {
		return nil, fmt.Errorf("%w: negative Workers, Requests, Duration or MaxDuration", ErrInvalid)
	}
	if opts.Requests == 0 && opts.Duration == 0 {
		return nil, ErrUnbounded
	}
	workers := opts.Workers
	if workers == 0 {
		workers = DefaultWorkers
	}
	if opts.Requests > 0 {
		workers = min(workers, opts.Requests)
	}
	limit := opts.MaxDuration
	if limit == 0 {
		limit = DefaultMaxDuration
	}
	if opts.Duration > 0 {
		limit = min(limit, opts.Duration)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	type tally struct {
		lat    []time.Duration
		failed int
		status map[int]int
	}
	tallies := make([]tally, workers)
	var seq atomic.Int64
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := now()
	for w := range workers {
		wg.Go(func() {
			t := &tallies[w]
			t.status = map[int]int{}
			for ctx.Err() == nil {
				s := int(seq.Add(1) - 1)
				if opts.Requests > 0 && s >= opts.Requests {
					return
				}
				t0 := now()
				status, err := fn(ctx, w, s)
				d := now().Sub(t0)
				if err != nil && ctx.Err() != nil {
					return // cut off by the deadline: not counted
				}
				t.status[status]++
				if err != nil {
					t.failed++
					continue
				}
				t.lat = append(t.lat, d)
			}
		})
	}
	wg.Wait()
	res := &Result{Status: map[int]int{}, Elapsed: now().Sub(start), CPU: processCPU() - cpu0}
	for _, t := range tallies {
		res.Failed += t.failed
		res.latencies = append(res.latencies, t.lat...)
		for code, n := range t.status {
			res.Status[code] += n
			res.Requests += n
		}
	}
	slices.Sort(res.latencies)
	return res, nil
}

// StatusError is the error HTTP returns for a response whose status is not
// 2xx.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("loadgen: HTTP status %d", e.Code) }

// HTTP returns a Func that sends the request newRequest builds with client,
// reads the whole body, and fails on a transport error, a non-2xx status
// (*StatusError) or an error from check (nil check: none). newRequest is
// called once per call with the call's worker and sequence number, so that
// it can vary headers or bodies; the request must carry ctx.
func HTTP(client *http.Client, newRequest func(ctx context.Context, worker, seq int) (*http.Request, error), check func(status int, body []byte) error) Func {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context, worker, seq int) (int, error) {
		req, err := newRequest(ctx, worker, seq)
		if err != nil {
			return 0, err
		}
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return res.StatusCode, err
		}
		if res.StatusCode < 200 || res.StatusCode > 299 {
			return res.StatusCode, &StatusError{Code: res.StatusCode}
		}
		if check != nil {
			if err := check(res.StatusCode, body); err != nil {
				return res.StatusCode, err
			}
		}
		return res.StatusCode, nil
	}
}
