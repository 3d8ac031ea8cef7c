package authredis_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/internal/redistest"
)

// Revocations plugs into jwt.Config.Revocations. The check lives here, not
// in revocations.go, so that authredis itself does not import auth/jwt
// (and link golang-jwt) for it.
var _ jwt.Revocations = (*authredis.Revocations)(nil)

func TestNewRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	t.Cleanup(func() { _ = client.Close(); _ = cluster.Close(); _ = ring.Close() })
	for _, tc := range []struct {
		name          string
		client        redis.UniversalClient
		opts          authredis.Options
		revocationsOK bool
		refreshOK     bool
	}{
		{"zero_options", client, authredis.Options{}, true, true},
		{"nil_client", nil, authredis.Options{}, false, false},
		{"negative_timeout", client, authredis.Options{Timeout: -time.Millisecond}, false, false},
		{"timeout_1ns", client, authredis.Options{Timeout: time.Nanosecond}, true, true},
		{"cluster_default_prefix_has_tag", cluster, authredis.Options{}, true, true},
		{"cluster_prefix_without_tag", cluster, authredis.Options{Prefix: "app:refresh:"}, true, false},
		{"cluster_prefix_empty_tag", cluster, authredis.Options{Prefix: "app:{}:"}, true, false},
		{"cluster_prefix_unclosed_tag", cluster, authredis.Options{Prefix: "app:{refresh:"}, true, false},
		{"cluster_prefix_with_tag", cluster, authredis.Options{Prefix: "app:{rt}:"}, true, true},
		{"ring_prefix_without_tag", ring, authredis.Options{Prefix: "app:refresh:"}, true, false},
		{"single_server_prefix_without_tag", client, authredis.Options{Prefix: "app:refresh:"}, true, true},
	} {
		_, err := authredis.NewRevocations(tc.client, tc.opts)
		if tc.revocationsOK != (err == nil) || (err != nil && !errors.Is(err, auth.ErrConfig)) {
			t.Errorf("%s: NewRevocations: %v, want ok=%v or ErrConfig", tc.name, err, tc.revocationsOK)
		}
		_, err = authredis.NewRefreshStore(tc.client, tc.opts)
		if tc.refreshOK != (err == nil) || (err != nil && !errors.Is(err, auth.ErrConfig)) {
			t.Errorf("%s: NewRefreshStore: %v, want ok=%v or ErrConfig", tc.name, err, tc.refreshOK)
		}
	}
}

// TestRevocationsConformance runs the same table on jwt.MemoryRevocations
// and on Redis, where one replica revokes and another checks. The stores'
// clock runs an hour ahead of the real one, so that a revocation Redis
// would keep (its own clock decides expiry) but the store's clock says has
// lapsed shows up if it is stored.
func TestRevocationsConformance(t *testing.T) {
	t.Parallel()
	now := time.Now().Add(time.Hour)
	clock := func() time.Time { return now }
	type pair struct{ revoke, check jwt.Revocations }
	stores := map[string]func(t *testing.T) pair{
		"memory": func(t *testing.T) pair {
			m := jwt.NewMemoryRevocations(clock)
			return pair{m, m}
		},
		"redis_two_replicas": func(t *testing.T) pair {
			prefix := redistest.Prefix(t)
			opts := authredis.Options{Prefix: prefix, Timeout: generous, Now: clock}
			a, err := authredis.NewRevocations(redistest.Client(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			b, err := authredis.NewRevocations(redistest.Client(t), opts)
			if err != nil {
				t.Fatal(err)
			}
			return pair{a, b}
		},
	}
	rows := []struct {
		name    string
		until   time.Time
		revoked bool
	}{
		{"until_an_hour_ago", now.Add(-time.Hour), false},
		{"until_1ns_before_now", now.Add(-time.Nanosecond), false},
		{"until_at_now", now, false},
		{"until_1ns_after_now", now.Add(time.Nanosecond), true},
		{"until_in_15m", now.Add(15 * time.Minute), true},
	}
	for name, newPair := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			p := newPair(t)
			for _, row := range rows {
				if err := p.revoke.Revoke(ctx, "tok-"+row.name, row.until); err != nil {
					t.Fatalf("%s: Revoke: %v", row.name, err)
				}
			}
			for _, row := range rows {
				got, err := p.check.IsRevoked(ctx, "tok-"+row.name)
				if err != nil || got != row.revoked {
					t.Errorf("%s: IsRevoked = %v, %v; want %v", row.name, got, err, row.revoked)
				}
			}
			if got, err := p.check.IsRevoked(ctx, "tok-never-revoked"); err != nil || got {
				t.Errorf("a token never revoked: IsRevoked = %v, %v", got, err)
			}
		})
	}
}

// TestRevocationIDsAreOpaque revokes token IDs that look like Redis syntax
// (glob patterns, protocol line breaks, hash tags): each is one key, byte
// for byte, and revokes nothing else.
func TestRevocationIDsAreOpaque(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := redistest.Client(t)
	prefix := redistest.Prefix(t)
	r := newRevocations(t, client, prefix)
	until := time.Now().Add(time.Hour)
	ids := []string{
		"*", "tok-?", "[a-z]*", "x\r\nDEL y\r\n", "*1\r\n$8\r\nFLUSHALL\r\n", "{tag}", "\x00bin\xff",
		"ünïcödé", strings.Repeat("j", 8<<10),
	}
	for _, id := range ids {
		if err := r.Revoke(ctx, id, until); err != nil {
			t.Fatalf("Revoke(%q): %v", id, err)
		}
		if n, err := client.Exists(ctx, prefix+id).Result(); err != nil || n != 1 {
			t.Fatalf("Revoke(%q) did not write key prefix+id: %d, %v", id, n, err)
		}
	}
	for _, benign := range []string{"tok-1", "a", "x", "y", "tag", "bin", ""} {
		if got, err := r.IsRevoked(ctx, benign); err != nil || got {
			t.Errorf("IsRevoked(%q) = %v, %v after revoking look-alikes", benign, got, err)
		}
	}
	if n, err := client.DBSize(ctx).Result(); err != nil || n < int64(len(ids)) {
		t.Fatalf("DBSIZE = %d, %v: keys vanished (FLUSHALL injected?)", n, err)
	}
	if err := r.Revoke(ctx, "", until); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("Revoke of the empty id: %v, want ErrInvalidToken", err)
	}
}

// TestRevocationTTL checks the key layout and that a key expires when the
// token would have: a later Revoke may extend it, never shorten it.
func TestRevocationTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := redistest.Client(t)
	prefix := redistest.Prefix(t)
	r := newRevocations(t, client, prefix)
	key := prefix + "tok-1"

	if err := r.Revoke(ctx, "tok-1", time.Now().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d := pttl(t, client, key); d <= 9*time.Minute || d > 10*time.Minute+slack {
		t.Fatalf("TTL = %v, want about 10m", d)
	}
	if err := r.Revoke(ctx, "tok-1", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if d := pttl(t, client, key); d <= 9*time.Minute {
		t.Fatalf("a shorter second Revoke shortened the TTL to %v", d)
	}
	if err := r.Revoke(ctx, "tok-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d := pttl(t, client, key); d <= 59*time.Minute || d > time.Hour+slack {
		t.Fatalf("a longer second Revoke: TTL = %v, want about 1h", d)
	}
	if n, _ := client.Exists(ctx, authredis.DefaultRevocationsPrefix+"tok-1", "tok-1").Result(); n != 0 {
		t.Fatal("key written outside the prefix")
	}

	// The default prefix.
	d, err := authredis.NewRevocations(client, authredis.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSuffix(prefix, ":") // unique to this test
	if err := d.Revoke(ctx, id, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Del(context.Background(), authredis.DefaultRevocationsPrefix+id) })
	if n, _ := client.Exists(ctx, authredis.DefaultRevocationsPrefix+id).Result(); n != 1 {
		t.Fatalf("default prefix: key %q not found", authredis.DefaultRevocationsPrefix+id)
	}
}

// TestRevocationLapses revokes a token until now+300ms: revoked before,
// gone after, on another replica, without anyone deleting it.
func TestRevocationLapses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := redistest.Prefix(t)
	a := newRevocations(t, redistest.Client(t), prefix)
	bClient := redistest.Client(t)
	b := newRevocations(t, bClient, prefix)

	until := time.Now().Add(300 * time.Millisecond)
	if err := a.Revoke(ctx, "short", until); err != nil {
		t.Fatal(err)
	}
	got, err := b.IsRevoked(ctx, "short")
	if err != nil {
		t.Fatal(err)
	}
	if checked := time.Now(); checked.Before(until) && !got {
		t.Fatalf("not revoked %v before until", until.Sub(checked))
	}
	if d := pttl(t, bClient, prefix+"short"); d > 300*time.Millisecond+slack {
		t.Fatalf("TTL = %v, want at most 300ms", d)
	}
	time.Sleep(time.Until(until))
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := b.IsRevoked(ctx, "short")
		after := time.Now()
		if err != nil {
			t.Fatal(err)
		}
		if !got {
			if after.Before(until) {
				t.Fatalf("revocation lapsed %v early", until.Sub(after))
			}
			break
		}
		if after.After(deadline) {
			t.Fatalf("still revoked %v after until", after.Sub(until))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, _ := bClient.Exists(ctx, prefix+"short").Result(); n != 0 {
		t.Fatal("the key outlived its revocation")
	}
}
