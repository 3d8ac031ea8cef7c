package password_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/password"
)

// The cap holds: with MaxConcurrent 2 and every computation held open, two
// run, the rest wait and then fail with ErrBusy (never a verdict); once
// released, the two finish correctly and a later call runs again.
func TestMaxConcurrentHashes(t *testing.T) {
	t.Parallel()
	h, err := password.NewHasher(password.Params{Memory: 64, Iterations: 1, MaxConcurrent: 2, MaxWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	entered := make(chan struct{}, 16)
	hold := make(chan struct{})
	password.SetOnHash(h, func() {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		entered <- struct{}{}
		<-hold
		running.Add(-1)
	})
	const callers = 6
	type result struct {
		ok  bool
		err error
	}
	results := make(chan result, callers)
	for i := range callers {
		go func() {
			pw := "correct horse battery staple"
			if i%2 == 1 {
				pw = "wrong password entirely"
			}
			ok, err := h.Verify(pw, stored)
			results <- result{ok, err}
		}()
	}
	// Two computations start; the other four give up with ErrBusy while
	// those two are held, however slow the machine.
	for range 2 {
		<-entered
	}
	busy := 0
	for range callers - 2 {
		r := <-results
		if !errors.Is(r.err, password.ErrBusy) || r.ok {
			t.Fatalf("a call past the cap got ok=%v err=%v, want ErrBusy", r.ok, r.err)
		}
		busy++
	}
	close(hold)
	for range 2 {
		if r := <-results; r.err != nil {
			t.Fatalf("a call within the cap failed: %v", r.err)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrent computations %d, want 2", p)
	}
	if busy != callers-2 {
		t.Fatalf("%d busy, want %d", busy, callers-2)
	}
	// The slots were released: the benign call goes through.
	if ok, err := h.Verify("correct horse battery staple", stored); !ok || err != nil {
		t.Fatalf("after the flood: ok=%v err=%v", ok, err)
	}
}

// A caller whose context ends stops waiting at once, with ErrBusy.
func TestHashWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	h, err := password.NewHasher(password.Params{Memory: 64, Iterations: 1, MaxConcurrent: 1, MaxWait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	entered, hold := make(chan struct{}), make(chan struct{})
	password.SetOnHash(h, func() { entered <- struct{}{}; <-hold })
	done := make(chan error, 1)
	go func() { _, err := h.HashContext(context.Background(), "first password here"); done <- err }()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	go func() { waited <- h.VerifyDummyContext(ctx, "x") }()
	cancel()
	if err := <-waited; !errors.Is(err, password.ErrBusy) {
		t.Fatalf("cancelled wait: %v, want ErrBusy", err)
	}
	close(hold)
	password.SetOnHash(h, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestConcurrencyParams(t *testing.T) {
	t.Parallel()
	h, err := password.NewHasher(password.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if p := h.Params(); p.MaxConcurrent != password.DefaultMemoryBudget/19456 || p.MaxWait != password.DefaultMaxWait {
		t.Fatalf("defaults: MaxConcurrent %d MaxWait %v", p.MaxConcurrent, p.MaxWait)
	}
	for _, p := range []password.Params{{MaxConcurrent: -2}, {MaxWait: -time.Second}} {
		p.Memory, p.Iterations = 64, 1
		if _, err := password.NewHasher(p); !errors.Is(err, auth.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", p, err)
		}
	}
	if _, err := password.NewHasher(password.Params{Memory: 64, Iterations: 1, MaxConcurrent: -1}); err != nil {
		t.Errorf("Unlimited: %v", err)
	}
}

// BenchmarkLoginFlood runs 32 concurrent verifications with the OWASP
// defaults and reports the peak Go heap in use. With the default cap (3 at
// once, 19 MiB each) it is bounded by the cap, not by the number of
// callers: about 160 MiB (the 57 MiB the cap holds plus garbage the
// collector has not reclaimed yet, GOGC=100), where the same flood without
// a cap (MaxConcurrent: rampart.Unlimited) peaked at about 1,130 MiB. Run
// it with go test -run '^$' -bench LoginFlood ./auth/password.
func BenchmarkLoginFlood(b *testing.B) {
	h, err := password.NewHasher(password.Params{MaxWait: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	stored, _ := h.Hash("correct horse battery staple")
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	})
	for b.Loop() {
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() { _, _ = h.Verify("correct horse battery staple", stored) })
		}
		wg.Wait()
	}
	close(stop)
	sampler.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
