package authredis_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/auth/refresh/refreshtest"
	"github.com/rampart-go/rampart/internal/redistest"
)

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

// TestRefreshStoreConformance runs refreshtest's contract on two replicas
// sharing one Redis (each check writes through the first and reads
// through the second).
func TestRefreshStoreConformance(t *testing.T) {
	t.Parallel()
	refreshtest.Run(t, func(t *testing.T) refreshtest.Stores {
		prefix := redistest.Prefix(t)
		return refreshtest.Stores{
			Writer: newRefreshStore(t, redistest.Client(t), prefix),
			Reader: newRefreshStore(t, redistest.Client(t), prefix),
		}
	})
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
