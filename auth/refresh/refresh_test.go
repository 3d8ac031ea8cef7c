package refresh_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/auth/refresh/refreshtest"
)

func newRefresh(t testing.TB, clock *fakeClock, opts refresh.Options) (*refresh.Tokens, *refresh.MemoryStore) {
	t.Helper()
	store := refresh.NewMemoryStore(clock.Now)
	opts.Now = clock.Now
	r, err := refresh.NewTokens(store, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, store
}

func TestRotationAndReuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: t0}
	r, store := newRefresh(t, clock, refresh.Options{})

	t1, err := r.Issue(ctx, "user-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(t1) != 43 || strings.ContainsAny(t1, "+/=") {
		t.Fatalf("token %q is not 256-bit base64url", t1)
	}
	// Only the hash is stored.
	if _, err := store.Get(ctx, t1); !errors.Is(err, auth.ErrNotFound) {
		t.Fatal("token stored in clear")
	}
	if _, err := store.Get(ctx, refresh.HashToken(t1)); err != nil {
		t.Fatal(err)
	}

	sub, t2, err := r.Rotate(ctx, t1)
	if err != nil || sub != "user-1" || t2 == t1 {
		t.Fatalf("rotate: %q %q %v", sub, t2, err)
	}
	sub, t3, err := r.Rotate(ctx, t2)
	if err != nil || sub != "user-1" {
		t.Fatalf("second rotate: %v", err)
	}

	// The attacker replays the first token: reuse detected, family revoked.
	if _, _, err := r.Rotate(ctx, t1); !errors.Is(err, auth.ErrRevoked) || !errors.Is(err, refresh.ErrReuse) {
		t.Fatalf("reuse: err = %v", err)
	}
	// The newest token of the family is refused too.
	if _, _, err := r.Rotate(ctx, t3); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("newest token after reuse: err = %v", err)
	}

	// Another login's family is untouched.
	other, _ := r.Issue(ctx, "user-1")
	if _, _, err := r.Rotate(ctx, other); err != nil {
		t.Fatalf("other family: %v", err)
	}
}

// TestMemoryStoreConformance runs refreshtest's contract (the store
// methods; rotation with reuse detection, logout, expiry and concurrent
// rotations through Tokens) on MemoryStore.
func TestMemoryStoreConformance(t *testing.T) {
	t.Parallel()
	refreshtest.Run(t, func(t *testing.T) refreshtest.Stores {
		m := refresh.NewMemoryStore(nil)
		return refreshtest.Stores{Writer: m, Reader: m}
	})
}

func TestMalformedTokens(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, _ := newRefresh(t, &fakeClock{now: t0}, refresh.Options{})
	good, _ := r.Issue(ctx, "u")
	for _, tok := range []string{
		"", "short", good + "A", good[:42], strings.Repeat("!", 43),
		good[:42] + "=", // padding where a character belongs
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.sig", // an access token
	} {
		if sub, nt, err := r.Rotate(ctx, tok); !errors.Is(err, auth.ErrInvalidToken) || sub != "" || nt != "" {
			t.Errorf("Rotate(%q) = %q %q %v", tok, sub, nt, err)
		}
	}
	// A well-formed token that was never issued.
	if _, _, err := r.Rotate(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: t0}
	r, store := newRefresh(t, clock, refresh.Options{TTL: time.Minute, FamilyLifetime: time.Minute})
	for range 5000 {
		if _, err := r.Issue(ctx, "u"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	if n := store.Len(); n > 2048 {
		t.Fatalf("store grew to %d records", n)
	}
}

func TestNewTokensConfig(t *testing.T) {
	t.Parallel()
	store := refresh.NewMemoryStore(nil)
	if _, err := refresh.NewTokens(nil, refresh.Options{}); !errors.Is(err, auth.ErrConfig) {
		t.Fatalf("nil store: %v", err)
	}
	if _, err := refresh.NewTokens(store, refresh.Options{TTL: 2 * time.Hour, FamilyLifetime: time.Hour}); !errors.Is(err, auth.ErrConfig) {
		t.Fatalf("family shorter than TTL: %v", err)
	}
	if _, err := refresh.NewTokens(store, refresh.Options{TTL: -time.Hour}); !errors.Is(err, auth.ErrConfig) {
		t.Fatalf("negative TTL: %v", err)
	}
	if _, err := refresh.NewTokens(store, refresh.Options{TTL: time.Hour, FamilyLifetime: time.Hour}); err != nil {
		t.Fatalf("TTL equal to family lifetime: %v", err)
	}
}
