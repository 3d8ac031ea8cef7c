package ssrf_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/rampart-go/rampart/ssrf"
)

// staticResolver stands in for DNS so the example runs offline.
type staticResolver map[string]string

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	a, ok := r[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

// Check a user-supplied URL (a webhook target, say) before storing it.
// Production code leaves Resolver nil (the system resolver).
func Example() {
	g := &ssrf.Guard{Resolver: staticResolver{
		"example.com": "93.184.215.14",
		"localhost":   "127.0.0.1",
		"db.internal": "10.0.0.5",
	}}
	for _, u := range []string{
		"https://example.com/hooks",
		"http://169.254.169.254/latest/meta-data",
		"http://localhost:80/admin",
		"https://db.internal/",
		"http://0x7f.1/",
		"http://user:pass@example.com/",
		"file:///etc/passwd",
	} {
		err := g.Check(context.Background(), u)
		if err != nil {
			// Log err; send the client ssrf.CodeURLNotAllowed only.
			fmt.Printf("%-42s %s\n", u, ssrf.CodeURLNotAllowed)
			continue
		}
		fmt.Printf("%-42s ok\n", u)
	}
	// Output:
	// https://example.com/hooks                  ok
	// http://169.254.169.254/latest/meta-data    URL_NOT_ALLOWED
	// http://localhost:80/admin                  URL_NOT_ALLOWED
	// https://db.internal/                       URL_NOT_ALLOWED
	// http://0x7f.1/                             URL_NOT_ALLOWED
	// http://user:pass@example.com/              URL_NOT_ALLOWED
	// file:///etc/passwd                         URL_NOT_ALLOWED
}

// The error says why, for the log.
func ExampleGuard_Check() {
	var g ssrf.Guard
	err := g.Check(context.Background(), "http://[::ffff:169.254.169.254]/")
	fmt.Println(errors.Is(err, ssrf.ErrAddressNotAllowed))
	fmt.Println(err)
	fmt.Println(g.Check(context.Background(), "http://2130706433/"))
	// Output:
	// true
	// ssrf: address not allowed: ::ffff:169.254.169.254 is in IPv4-mapped 169.254.0.0/16 (link-local, cloud metadata)
	// ssrf: host not allowed: non-canonical numeric host "2130706433" (reads as 127.0.0.1)
}

// Fetch through the guarded client: it checks again when it connects and
// on every redirect. (No output: it needs the network.)
func ExampleGuard_Client() {
	g := &ssrf.Guard{AllowHosts: []string{"*.example.com"}}
	if err := g.Validate(); err != nil {
		panic(err)
	}
	client := g.Client()
	resp, err := client.Get("https://hooks.example.com/ping")
	if err != nil {
		fmt.Println("refused or failed:", err)
		return
	}
	resp.Body.Close()
}

func ExampleAddrAllowed() {
	for _, s := range []string{"93.184.215.14", "100.64.1.1", "fd12::1", "2606:4700::1111"} {
		fmt.Println(s, ssrf.AddrAllowed(netip.MustParseAddr(s)))
	}
	// Output:
	// 93.184.215.14 true
	// 100.64.1.1 false
	// fd12::1 false
	// 2606:4700::1111 true
}
