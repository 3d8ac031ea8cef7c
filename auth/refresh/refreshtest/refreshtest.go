// Package refreshtest checks a refresh.Store against the contract
// refresh.Tokens relies on: records read back as written, Create and Rotate
// refuse to overwrite, Rotate is a compare-and-set (one winner among
// concurrent rotations of one token), RevokeFamily revokes every record of a
// family and only it; and, through refresh.Tokens, rotation with reuse
// detection, logout and expiry. Run it from a test of your own store:
//
//	func TestMyStore(t *testing.T) {
//		refreshtest.Run(t, func(t *testing.T) [2]refresh.Store {
//			s := openMyStore(t) // a fresh, empty store
//			return [2]refresh.Store{s, s}
//		})
//	}
//
// The two stores returned by newStores must share their data, like two
// replicas on one database: every check writes through the first and reads
// through the second (return the same store twice for a single process).
// auth/refresh runs it on its MemoryStore, auth/authredis on two Redis
// clients, and the demo on two handles of one SQLite file.
package refreshtest

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
)

// Stores is what a check runs on.
type Stores struct {
	// Writer and Reader must share their data, like two replicas on one
	// database: every check writes through Writer and reads through
	// Reader (set both to the same store for a single process).
	Writer, Reader refresh.Store
	// Subject is the user the records and tokens belong to; empty means
	// "user-1". A store whose records must name an existing user (a
	// foreign key) creates one and names it here.
	Subject string
}

// Run runs every check as a parallel subtest of t, each on stores of its
// own from newStores. Record times are the real clock's, at millisecond
// precision (stores that expire records by their own clock, such as Redis,
// see nothing expire), and refresh.Tokens gets a fake clock that starts
// there.
func Run(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Helper()
	for _, c := range []struct {
		name string
		run  func(t *testing.T, st [2]refresh.Store, subject string)
	}{
		{"store_contract", storeContract},
		{"rotation_then_reuse_revokes_family", rotationThenReuse},
		{"logout_revokes_family", logoutRevokesFamily},
		{"expiry_at_limit_and_past_it", expiry},
		{"concurrent_rotations_one_winner", concurrentRotations},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := newStores(t)
			if st.Writer == nil || st.Reader == nil {
				t.Fatal("refreshtest: newStores returned a nil store")
			}
			if st.Subject == "" {
				st.Subject = "user-1"
			}
			c.run(t, [2]refresh.Store{st.Writer, st.Reader}, st.Subject)
		})
	}
}

func record(family, subject string, now time.Time) refresh.Record {
	return refresh.Record{
		Hash:            refresh.HashToken(rand.Text()),
		FamilyID:        family,
		Subject:         subject,
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

// storeContract checks the Store methods, step by step.
func storeContract(t *testing.T, st [2]refresh.Store, subject string) {
	ctx := context.Background()
	w, r := st[0], st[1]
	now := time.Now().Truncate(time.Millisecond) // what every store can keep

	first := record("fam-a", subject, now)
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
	if err := w.Rotate(ctx, "unknown", now, record("fam-a", subject, now)); !errors.Is(err, auth.ErrNotFound) && !errors.Is(err, refresh.ErrConflict) {
		t.Fatalf("Rotate of an unknown hash: %v, want ErrNotFound or ErrConflict", err)
	}

	// Rotating into a hash that exists changes nothing.
	if err := w.Rotate(ctx, first.Hash, now, first); !errors.Is(err, refresh.ErrConflict) {
		t.Fatalf("Rotate into an existing hash: %v, want ErrConflict", err)
	}
	if got, _ := r.Get(ctx, first.Hash); !got.UsedAt.IsZero() {
		t.Fatal("a failed Rotate marked the old record used")
	}

	usedAt := now.Add(time.Minute)
	second := record("fam-a", subject, usedAt)
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
	third := record("fam-a", subject, usedAt)
	if err := w.Rotate(ctx, first.Hash, usedAt, third); !errors.Is(err, refresh.ErrConflict) {
		t.Fatalf("second Rotate of a used record: %v, want ErrConflict", err)
	}
	if _, err := r.Get(ctx, third.Hash); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a lost Rotate stored its next record: %v", err)
	}

	// RevokeFamily revokes every record of the family, and only it.
	other := record("fam-b", subject, now)
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
}

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// replicas returns refresh.Tokens on each store, on one fake clock.
func replicas(t *testing.T, st [2]refresh.Store, opts refresh.Options) (*clock, [2]*refresh.Tokens) {
	t.Helper()
	c := &clock{now: time.Now()}
	opts.Now = c.Now
	var out [2]*refresh.Tokens
	for i, s := range st {
		r, err := refresh.NewTokens(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return c, out
}

func rotationThenReuse(t *testing.T, st [2]refresh.Store, subject string) {
	ctx := context.Background()
	_, r := replicas(t, st, refresh.Options{})
	a, b := r[0], r[1]
	t1, err := a.Issue(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st[1].Get(ctx, t1); !errors.Is(err, auth.ErrNotFound) {
		t.Fatal("token stored in clear")
	}
	sub, t2, err := b.Rotate(ctx, t1)
	if err != nil || sub != subject || t2 == t1 {
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
	other, _ := a.Issue(ctx, subject)
	if _, _, err := b.Rotate(ctx, other); err != nil {
		t.Fatalf("another login's family: %v", err)
	}
}

func logoutRevokesFamily(t *testing.T, st [2]refresh.Store, subject string) {
	ctx := context.Background()
	_, r := replicas(t, st, refresh.Options{})
	a, b := r[0], r[1]
	t1, _ := a.Issue(ctx, subject)
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
}

func expiry(t *testing.T, st [2]refresh.Store, subject string) {
	ctx := context.Background()
	c, r := replicas(t, st, refresh.Options{TTL: time.Hour, FamilyLifetime: 90 * time.Minute})
	t1, _ := r[0].Issue(ctx, subject)
	c.Advance(time.Hour - time.Nanosecond)
	_, t2, err := r[0].Rotate(ctx, t1)
	if err != nil {
		t.Fatalf("1ns before expiry: %v", err)
	}
	c.Advance(30*time.Minute + time.Nanosecond)
	if _, _, err := r[0].Rotate(ctx, t2); !errors.Is(err, auth.ErrExpired) {
		t.Fatalf("past the family lifetime: %v", err)
	}
	t3, _ := r[0].Issue(ctx, subject)
	c.Advance(time.Hour)
	if _, _, err := r[0].Rotate(ctx, t3); !errors.Is(err, auth.ErrExpired) {
		t.Fatalf("at expiry: %v", err)
	}
}

// concurrentRotations rotates one token from 32 goroutines spread over
// both stores: exactly one wins, the others count as reuse or find the
// family revoked, and the winner's token is refused afterwards.
func concurrentRotations(t *testing.T, st [2]refresh.Store, subject string) {
	ctx := context.Background()
	_, r := replicas(t, st, refresh.Options{})
	tok, err := r[0].Issue(ctx, subject)
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
			_, nt, err := r[i%2].Rotate(ctx, tok)
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
	if _, _, err := r[1].Rotate(ctx, winners[0]); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("winner's token after concurrent reuse: %v", err)
	}
}
