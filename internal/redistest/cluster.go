package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters (no replicas) on loopback,
// owned by a test: every hash slot is served, so keys of different slots
// land on different processes, and a Lua script or transaction that
// touches keys of two slots fails with CROSSSLOT, as in production.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts three redis-server processes in cluster mode, each in
// its own temporary directory, joins them with `redis-cli --cluster create`
// and waits until every node reports cluster_state:ok. The processes stop
// when t ends. It fails t when redis-server or redis-cli is not on PATH.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redistest: redis-cli not on PATH (%v); %s", err, Help)
	}
	c := &Cluster{}
	for range 3 {
		s, err := startWith(func(int) ([]string, error) {
			bus, err := freePort() // the cluster bus; port+10000 may not exist
			if err != nil {
				return nil, err
			}
			return []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-port", strconv.Itoa(bus), "--cluster-node-timeout", "5000"}, nil
		})
		if err != nil {
			t.Fatalf("redistest: cannot start a cluster node (%v); %s", err, Help)
		}
		t.Cleanup(s.close)
		c.nodes = append(c.nodes, s)
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitOK(30 * time.Second); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return c
}

// waitOK waits until every node says cluster_state:ok and knows all three
// masters.
func (c *Cluster) waitOK(within time.Duration) error {
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		ok := true
		for _, n := range c.nodes {
			cl := redis.NewClient(n.Options())
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := cl.ClusterInfo(ctx).Result()
			cancel()
			cl.Close()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				ok, last = false, fmt.Sprintf("%s: %v %q", n.Addr(), err, info)
				break
			}
		}
		if ok {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("cluster not ready within %v: %s", within, last)
}

// Addrs returns the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.Addr()
	}
	return out
}

// URL returns the cluster in go-redis's cluster URL form
// (redis://host:port?addr=host:port&addr=host:port), which
// redis.ParseClusterURL reads.
func (c *Cluster) URL() string {
	q := url.Values{}
	for _, a := range c.Addrs()[1:] {
		q.Add("addr", a)
	}
	return "redis://" + c.Addrs()[0] + "?" + q.Encode()
}

// Options returns fresh cluster client options with ContextTimeoutEnabled
// on.
func (c *Cluster) Options() *redis.ClusterOptions {
	return &redis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true}
}

// Client returns a new cluster client, closed when t ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	cl := redis.NewClusterClient(c.Options())
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}
