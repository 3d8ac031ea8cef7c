package mfa_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/mfa"
)

// TestMemoryUsedCodes: first use, replay, expiry, and the bound.
func TestMemoryUsedCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newClock(t0)
	m, err := mfa.NewMemoryUsedCodes(mfa.MemoryUsedCodesOptions{MaxEntries: 2, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mark := func(key string, until time.Time, wantFirst bool, wantErr error) {
		t.Helper()
		first, err := m.MarkUsed(ctx, key, until)
		if first != wantFirst || !errors.Is(err, wantErr) {
			t.Fatalf("MarkUsed(%q) = %v, %v; want %v, %v", key, first, err, wantFirst, wantErr)
		}
	}
	mark("a", t0.Add(time.Minute), true, nil)
	mark("a", t0.Add(time.Minute), false, nil)
	mark("b", t0.Add(2*time.Minute), true, nil)
	// Full of live entries: refuse rather than forget.
	mark("c", t0.Add(time.Minute), false, mfa.ErrUsedCodesFull)
	// A replay is still detected when full.
	mark("b", t0.Add(2*time.Minute), false, nil)
	// Already expired: nothing to record.
	mark("d", t0, true, nil)
	// At a's expiry (until is exclusive) its slot frees.
	clock.Set(t0.Add(time.Minute))
	mark("c", t0.Add(3*time.Minute), true, nil)
	mark("a", t0.Add(3*time.Minute), false, mfa.ErrUsedCodesFull)
	clock.Set(t0.Add(2 * time.Minute))
	mark("a", t0.Add(3*time.Minute), true, nil)
	if m.Len() != 2 {
		t.Fatalf("Len = %d, want 2", m.Len())
	}
	if _, err := mfa.NewMemoryUsedCodes(mfa.MemoryUsedCodesOptions{MaxEntries: -1}); !errors.Is(err, rampart.ErrConfig) {
		t.Fatalf("negative MaxEntries: %v", err)
	}
}

// TestVerifyUsedCodesFull: a full store refuses the right code (fail
// closed) instead of letting a replay through.
func TestVerifyUsedCodesFull(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	used, err := mfa.NewMemoryUsedCodes(mfa.MemoryUsedCodesOptions{MaxEntries: 1, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tp := newTOTP(t, clock, mfa.Options{UsedCodes: used})
	code := codeAt(t, tp, testSecret, t0)
	if err := tp.Verify(context.Background(), "alice", testSecret, code); err != nil {
		t.Fatal(err)
	}
	err = tp.Verify(context.Background(), "bob", testSecret, code)
	if !errors.Is(err, mfa.ErrUnavailable) || !errors.Is(err, mfa.ErrUsedCodesFull) {
		t.Fatalf("full store: %v, want ErrUnavailable wrapping ErrUsedCodesFull", err)
	}
}
