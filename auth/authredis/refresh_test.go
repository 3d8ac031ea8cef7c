package authredis_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/internal/redistest"
)

// refreshStores are the stores the conformance tests run on: auth's memory
// store, the reference, and two replicas sharing one Redis (each test's
// first store writes, the second reads).
var refreshStores = map[string]func(t *testing.T) [2]refresh.Store{
	"memory": func(t *testing.T) [2]refresh.Store {
		m := refresh.NewMemoryStore(nil)
		return [2]refresh.Store{m, m}
	},
	"redis_two_replicas": func(t *testing.T) [2]refresh.Store {
		prefix := redistest.Prefix(t)
		return [2]refresh.Store{
			newRefreshStore(t, redistest.Client(t), prefix),
			newRefreshStore(t, redistest.Client(t), prefix),
		}
	},
}

func record(family string, now time.Time) refresh.Record {
	return refresh.Record{
		Hash:            refresh.HashToken(rand.Text()),
		FamilyID:        family,
		Subject:         "user-1",
		CreatedAt:       now,
		ExpiresAt:       now.Add(time.Hour),
		FamilyExpiresAt: now.Add(2 * time.Hour),
	}
}

func sameRecord(a, b refresh.Record) bool {
	return a.Hash == b.Hash && a.FamilyID == b.FamilyID && a.Subject == b.Subject &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt) &&
		a.FamilyExpiresAt.Equal(b.FamilyExpiresAt) && a.UsedAt.Equal(b.UsedAt) && a.Revoked == b.Revoked
}

// TestRefreshStoreConformance checks the RefreshStore contract, step by
// step, on every store.
func TestRefreshStoreConformance(t *testing.T) {
	t.Parallel()
	for name, newStores := range refreshStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := newStores(t)
			w, r := st[0], st[1]
			now := time.Now().Round(0) // nanoseconds kept, monotonic reading dropped

			first := record("fam-a", now)
			if err := w.Create(ctx, first); err != nil {
				t.Fatalf("Create: %v", err)
			}
			got, err := r.Get(ctx, first.Hash)
			if err != nil || !sameRecord(got, first) {
				t.Fatalf("Get after Create = %+v, %v; want %+v", got, err, first)
			}
			if err := w.Create(ctx, first); !errors.Is(err, refresh.ErrConflict) {
				t.Fatalf("Create of an existing hash: %v, want ErrConflict", err)
			}
			for _, h := range []string{"", "unknown", strings.ToUpper(first.Hash)} {
				if _, err := r.Get(ctx, h); !errors.Is(err, auth.ErrNotFound) {
					t.Fatalf("Get(%q): %v, want ErrNotFound", h, err)
				}
			}
			if err := w.Rotate(ctx, "unknown", now, record("fam-a", now)); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("Rotate of an unknown hash: %v, want ErrNotFound", err)
			}

			// Rotating into a hash that exists changes nothing.
			if err := w.Rotate(ctx, first.Hash, now, first); !errors.Is(err, refresh.ErrConflict) {
				t.Fatalf("Rotate into an existing hash: %v, want ErrConflict", err)
			}
			if got, _ := r.Get(ctx, first.Hash); !got.UsedAt.IsZero() {
				t.Fatal("a failed Rotate marked the old record used")
			}

			usedAt := now.Add(time.Minute)
			second := record("fam-a", usedAt)
			if err := w.Rotate(ctx, first.Hash, usedAt, second); err != nil {
				t.Fatalf("Rotate: %v", err)
			}
			got, err = r.Get(ctx, first.Hash)
			if err != nil || !got.UsedAt.Equal(usedAt) || got.Revoked {
				t.Fatalf("old record after Rotate = %+v, %v; want UsedAt %v", got, err, usedAt)
			}
			if got, err := r.Get(ctx, second.Hash); err != nil || !sameRecord(got, second) {
				t.Fatalf("next record after Rotate = %+v, %v", got, err)
			}

			// The compare-and-set: a used record cannot be rotated again.
			third := record("fam-a", usedAt)
			if err := w.Rotate(ctx, first.Hash, usedAt, third); !errors.Is(err, refresh.ErrConflict) {
				t.Fatalf("second Rotate of a used record: %v, want ErrConflict", err)
			}
			if _, err := r.Get(ctx, third.Hash); !errors.Is(err, auth.ErrNotFound) {
				t.Fatalf("a lost Rotate stored its next record: %v", err)
			}

			// RevokeFamily revokes every record of the family, and only it.
			other := record("fam-b", now)
			if err := w.Create(ctx, other); err != nil {
				t.Fatal(err)
			}
			if err := w.RevokeFamily(ctx, "fam-a"); err != nil {
				t.Fatalf("RevokeFamily: %v", err)
			}
			for _, h := range []string{first.Hash, second.Hash} {
				if got, err := r.Get(ctx, h); err != nil || !got.Revoked {
					t.Fatalf("record of a revoked family = %+v, %v; want Revoked", got, err)
				}
			}
			if err := w.Rotate(ctx, second.Hash, usedAt, third); !errors.Is(err, refresh.ErrConflict) {
				t.Fatalf("Rotate of a revoked, unused record: %v, want ErrConflict", err)
			}
			if got, err := r.Get(ctx, other.Hash); err != nil || got.Revoked {
				t.Fatalf("another family = %+v, %v; want untouched", got, err)
			}
			for _, fam := range []string{"fam-a", "never-seen"} {
				if err := w.RevokeFamily(ctx, fam); err != nil {
					t.Fatalf("RevokeFamily(%q) again / unknown: %v", fam, err)
				}
			}
		})
	}
}

// TestRefreshTokensOnStores runs auth's refresh-token behaviours (the ones
// auth's own tests run on its memory store) on every store.
func TestRefreshTokensOnStores(t *testing.T) {
	t.Parallel()
	for name, newStores := range refreshStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			t.Run("rotation_then_reuse_revokes_family", func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				st := newStores(t)
				clock := &fakeClock{now: time.Now()}
				a := newRefreshTokens(t, st[0], clock, refresh.Options{})
				b := newRefreshTokens(t, st[1], clock, refresh.Options{})

				t1, err := a.Issue(ctx, "user-1")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st[1].Get(ctx, t1); !errors.Is(err, auth.ErrNotFound) {
					t.Fatal("token stored in clear")
				}
				sub, t2, err := b.Rotate(ctx, t1)
				if err != nil || sub != "user-1" || t2 == t1 {
					t.Fatalf("rotate: %q %q %v", sub, t2, err)
				}
				_, t3, err := a.Rotate(ctx, t2)
				if err != nil {
					t.Fatalf("second rotate: %v", err)
				}
				// The attacker replays the first token: family revoked.
				if _, _, err := b.Rotate(ctx, t1); !errors.Is(err, auth.ErrRevoked) || !errors.Is(err, refresh.ErrReuse) {
					t.Fatalf("reuse: %v", err)
				}
				if _, _, err := a.Rotate(ctx, t3); !errors.Is(err, auth.ErrRevoked) {
					t.Fatalf("newest token after reuse: %v", err)
				}
				other, _ := a.Issue(ctx, "user-1")
				if _, _, err := b.Rotate(ctx, other); err != nil {
					t.Fatalf("another login's family: %v", err)
				}
			})
			t.Run("logout_revokes_family", func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				st := newStores(t)
				clock := &fakeClock{now: time.Now()}
				a := newRefreshTokens(t, st[0], clock, refresh.Options{})
				b := newRefreshTokens(t, st[1], clock, refresh.Options{})
				t1, _ := a.Issue(ctx, "u")
				_, t2, err := a.Rotate(ctx, t1)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.Revoke(ctx, t2); err != nil {
					t.Fatal(err)
				}
				if _, _, err := b.Rotate(ctx, t2); !errors.Is(err, auth.ErrRevoked) {
					t.Fatalf("after logout on another replica: %v", err)
				}
				if err := b.Revoke(ctx, t2); err != nil {
					t.Fatalf("second logout: %v", err)
				}
				if err := b.Revoke(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, auth.ErrInvalidToken) {
					t.Fatalf("unknown token logout: %v", err)
				}
			})
			t.Run("expiry_at_limit_and_past_it", func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				st := newStores(t)
				clock := &fakeClock{now: time.Now()}
				r := newRefreshTokens(t, st[0], clock, refresh.Options{TTL: time.Hour, FamilyLifetime: 90 * time.Minute})
				t1, _ := r.Issue(ctx, "u")
				clock.Advance(time.Hour - time.Nanosecond)
				_, t2, err := r.Rotate(ctx, t1)
				if err != nil {
					t.Fatalf("1ns before expiry: %v", err)
				}
				clock.Advance(30*time.Minute + time.Nanosecond)
				if _, _, err := r.Rotate(ctx, t2); !errors.Is(err, auth.ErrExpired) {
					t.Fatalf("past the family lifetime: %v", err)
				}
				t3, _ := r.Issue(ctx, "u")
				clock.Advance(time.Hour)
				if _, _, err := r.Rotate(ctx, t3); !errors.Is(err, auth.ErrExpired) {
					t.Fatalf("at expiry: %v", err)
				}
			})
			t.Run("concurrent_rotations_one_winner", func(t *testing.T) {
				t.Parallel()
				concurrentRotations(t, newStores(t))
			})
		})
	}
}

// concurrentRotations rotates one token from 32 goroutines spread over two
// replicas: exactly one wins, the others count as reuse or find the family
// revoked, and the winner's token is refused afterwards.
func concurrentRotations(t *testing.T, st [2]refresh.Store) {
	ctx := context.Background()
	clock := &fakeClock{now: time.Now()}
	replicas := [2]*refresh.Tokens{
		newRefreshTokens(t, st[0], clock, refresh.Options{}),
		newRefreshTokens(t, st[1], clock, refresh.Options{}),
	}
	tok, err := replicas[0].Issue(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	const n = 32
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		winners []string
		losers  int
		reuses  int
	)
	for i := range n {
		wg.Go(func() {
			<-start
			_, nt, err := replicas[i%2].Rotate(ctx, tok)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				winners = append(winners, nt)
			case errors.Is(err, auth.ErrRevoked):
				losers++
				if errors.Is(err, refresh.ErrReuse) {
					reuses++
				}
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 || losers != n-1 || reuses < 1 {
		t.Fatalf("winners = %d, losers = %d, reuses = %d; want 1, %d, >= 1", len(winners), losers, reuses, n-1)
	}
	if _, _, err := replicas[1].Rotate(ctx, winners[0]); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("winner's token after concurrent reuse: %v", err)
	}
}

// TestRefreshKeysExpireWithFamily checks that every key the store writes
// has a TTL ending at the family's expiry, so Redis does not grow.
func TestRefreshKeysExpireWithFamily(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := redistest.Client(t)
	prefix := redistest.Prefix(t)
	store := newRefreshStore(t, client, prefix)
	clock := &fakeClock{now: time.Now()}
	r := newRefreshTokens(t, store, clock, refresh.Options{TTL: time.Hour, FamilyLifetime: 3 * time.Hour})

	t1, err := r.Issue(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.Get(ctx, refresh.HashToken(t1))
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Minute)
	_, t2, err := r.Rotate(ctx, t1)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Revoke(ctx, t2); err != nil {
		t.Fatal(err)
	}
	keys, err := client.Keys(ctx, prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		prefix + "r:" + refresh.HashToken(t1): true,
		prefix + "r:" + refresh.HashToken(t2): true,
		prefix + "f:" + rec.FamilyID:          true,
	}
	if len(keys) != len(want) {
		t.Fatalf("keys = %q, want %d: two records and one family", keys, len(want))
	}
	for _, k := range keys {
		if !want[k] {
			t.Fatalf("unexpected key %q", k)
		}
		// Created by the real clock plus at most the fake 10 minutes:
		// the family ends 3h after Issue.
		if d := pttl(t, client, k); d <= 3*time.Hour-time.Minute || d > 3*time.Hour+slack {
			t.Errorf("%s: TTL = %v, want about 3h (the family lifetime)", k, d)
		}
	}
	if n, _ := client.Exists(ctx, prefix+"f:never-seen").Result(); n != 0 {
		t.Fatal("RevokeFamily of an unknown family created a key")
	}
	if err := store.RevokeFamily(ctx, "never-seen"); err != nil {
		t.Fatal(err)
	}
	if n, _ := client.Exists(ctx, prefix+"f:never-seen").Result(); n != 0 {
		t.Fatal("RevokeFamily of an unknown family created a key (without a TTL)")
	}

	// The default prefix carries the {refresh} hash tag.
	def := newRefreshStore(t, client, "")
	fam := strings.TrimSuffix(prefix, ":")
	if err := def.Create(ctx, record(fam, time.Now())); err != nil {
		t.Fatal(err)
	}
	if n, _ := client.Exists(ctx, "rampart:{refresh}:f:"+fam).Result(); n != 1 {
		t.Fatal("default prefix is not rampart:{refresh}:")
	}
}

// TestRefreshRevokedFamilyStaysRevoked: a record stored in a revoked family
// after the revocation is revoked too, and an expired family's records are
// gone rather than kept forever.
func TestRefreshRevokedFamilyStaysRevoked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := redistest.Client(t)
	store := newRefreshStore(t, client, redistest.Prefix(t))
	now := time.Now()
	first := record("fam", now)
	if err := store.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeFamily(ctx, "fam"); err != nil {
		t.Fatal(err)
	}
	late := record("fam", now)
	if err := store.Create(ctx, late); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(ctx, late.Hash); err != nil || !got.Revoked {
		t.Fatalf("record created in a revoked family = %+v, %v; want Revoked", got, err)
	}

	dead := record("dead", now.Add(-3*time.Hour)) // family ended an hour ago
	if err := store.Create(ctx, dead); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, dead.Hash); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("record of an expired family: %v, want ErrNotFound", err)
	}
}

// TestRefreshStoreRejectsBadRecords: records the store could not expire or
// find again are refused before any Redis call.
func TestRefreshStoreRejectsBadRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newRefreshStore(t, redistest.Client(t), redistest.Prefix(t))
	now := time.Now()
	good := record("fam", now)
	for _, tc := range []struct {
		name string
		edit func(*refresh.Record)
	}{
		{"no_hash", func(r *refresh.Record) { r.Hash = "" }},
		{"no_family", func(r *refresh.Record) { r.FamilyID = "" }},
		{"no_family_expiry", func(r *refresh.Record) { r.FamilyExpiresAt = time.Time{} }},
	} {
		rec := good
		tc.edit(&rec)
		if err := store.Create(ctx, rec); err == nil || errors.Is(err, auth.ErrUnavailable) {
			t.Errorf("%s: Create: %v, want a plain error", tc.name, err)
		}
	}
	if err := store.Create(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := store.Rotate(ctx, good.Hash, time.Time{}, record("fam", now)); err == nil {
		t.Error("Rotate with a zero usedAt succeeded")
	}
	if err := store.Rotate(ctx, good.Hash, now, record("another-family", now)); err == nil || errors.Is(err, refresh.ErrConflict) {
		t.Errorf("Rotate into another family: %v, want a plain error", err)
	}
	if got, err := store.Get(ctx, good.Hash); err != nil || !got.UsedAt.IsZero() {
		t.Fatalf("a refused Rotate changed the record: %+v, %v", got, err)
	}
}
