package redistest_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/internal/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

func TestSharedClient(t *testing.T) {
	t.Parallel()
	c := redistest.Client(t)
	ctx := context.Background()
	key := redistest.Prefix(t) + "k"
	if err := c.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	// A second client reaches the same shared server.
	if v, err := redistest.Client(t).Get(ctx, key).Result(); err != nil || v != "v" {
		t.Fatalf("second client: %q, %v", v, err)
	}
	if !redistest.Options(t).ContextTimeoutEnabled {
		t.Error("Options: ContextTimeoutEnabled is off")
	}
}

func TestPrefixUnique(t *testing.T) {
	t.Parallel()
	a, b := redistest.Prefix(t), redistest.Prefix(t)
	if a == b || !strings.HasPrefix(a, "test:TestPrefixUnique:") {
		t.Errorf("Prefix = %q, %q", a, b)
	}
}

func TestServerStopRestartPauseResume(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := srv.Client(t)
	ping := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return c.Ping(ctx).Err()
	}
	if err := ping(); err != nil {
		t.Fatalf("fresh server: %v", err)
	}
	srv.Stop(t)
	if err := ping(); err == nil {
		t.Fatal("stopped server answered PING")
	}
	srv.Restart(t)
	if err := ping(); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	srv.Pause(t)
	if err := ping(); err == nil {
		t.Fatal("paused server answered PING")
	}
	srv.Resume(t)
	deadline := time.Now().Add(5 * time.Second)
	err := ping()
	for err != nil && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		err = ping()
	}
	if err != nil {
		t.Fatalf("resumed server: %v", err)
	}
}

// TestNoRedisFailsWithHelp runs this test binary with no redis-server on PATH
// and no REDIS_URL: the test must fail (not skip) and say how to get Redis.
func TestNoRedisFailsWithHelp(t *testing.T) {
	if os.Getenv("REDISTEST_CHILD") == "1" {
		redistest.Client(t)
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoRedisFailsWithHelp$", "-test.v")
	cmd.Env = append(os.Environ(), "REDISTEST_CHILD=1", "PATH=/nonexistent", "REDIS_URL=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child passed without Redis:\n%s", out)
	}
	for _, want := range []string{"--- FAIL", "apt-get install -y redis-server", "REDIS_URL"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "SKIP") {
		t.Errorf("child skipped:\n%s", out)
	}
}

// The cluster serves every slot, spreads keys over its nodes, refuses a
// script that touches two slots and accepts one whose keys share a hash
// tag; its URL parses with redis.ParseClusterURL.
func TestCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	c := cl.Client(t)
	ctx := context.Background()
	for i := range 20 {
		if err := c.Set(ctx, "k"+strconv.Itoa(i), i, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var masters atomic.Int32 // ForEachMaster runs the nodes concurrently
	if err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		if k, err := n.DBSize(ctx).Result(); err == nil && k > 0 {
			masters.Add(1)
		}
		return nil
	}); err != nil || masters.Load() < 2 {
		t.Fatalf("keys on %d masters (%v), want them spread", masters.Load(), err)
	}
	script := redis.NewScript(`redis.call('SET', KEYS[1], 1); redis.call('SET', KEYS[2], 1); return 1`)
	if err := script.Run(ctx, c, []string{"a", "b"}).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("cross-slot script: %v, want CROSSSLOT", err)
	}
	if err := script.Run(ctx, c, []string{"{t}a", "{t}b"}).Err(); err != nil {
		t.Fatalf("hash-tagged script: %v", err)
	}
	o, err := redis.ParseClusterURL(cl.URL())
	if err != nil || len(o.Addrs) != 3 {
		t.Fatalf("ParseClusterURL(%q): %+v %v", cl.URL(), o, err)
	}
}
