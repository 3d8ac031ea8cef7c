package ssrf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
)

// fakeResolver answers from a table; unknown names fail like NXDOMAIN.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	if network != "ip" {
		return nil, errors.New("unexpected network " + network)
	}
	ss, ok := f[strings.ToLower(host)]
	if !ok {
		return nil, errors.New("no such host")
	}
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

var _ Resolver = fakeResolver(nil)

// testResolver is the world the tests live in.
func testResolver() fakeResolver {
	return fakeResolver{
		"example.com":          {"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"},
		"api.example.com":      {"93.184.215.15"},
		"localhost":            {"127.0.0.1", "::1"},
		"internal.corp.test":   {"10.0.0.5"},
		"metadata.google.test": {"169.254.169.254"},
		"half-internal.test":   {"93.184.215.14", "10.0.0.5"},
		"mapped-loopback.test": {"::ffff:127.0.0.1"},
		"empty.test":           {},
	}
}

// rebindingResolver answers a public address the first time a name is
// looked up and loopback afterwards: a DNS rebinding attack between Check
// and the connection.
type rebindingResolver struct {
	mu    sync.Mutex
	calls int
}

func (r *rebindingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls == 1 {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}
