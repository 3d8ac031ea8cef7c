package ssrf

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// fuzzResolver maps every name to a public or a private address, so that
// both outcomes of the resolution step are reached.
type fuzzResolver struct{}

func (fuzzResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	switch len(host) % 3 {
	case 0:
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	case 1:
		return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.5")}, nil
	}
	return nil, errors.New("no such host")
}

// FuzzCheck: never panics; an error wraps a sentinel; an accepted URL
// parses with scheme http or https, no userinfo, a non-empty host, and a
// literal host that AddrAllowed accepts and that is canonical.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hook", "http://127.0.0.1", "http://169.254.169.254/latest/meta-data", "http://[::1]",
		"http://10.0.0.1", "http://user:pass@example.com", "file:///etc/passwd", "gopher://example.com",
		"http://2130706433", "http://0x7f000001", "http://0177.0.0.1", "http://127.1", "http://[::ffff:127.0.0.1]",
		"http://localhost", "http://[fe80::1%25eth0]/", "http://[64:ff9b::7f00:1]/", "http://example.com:8443/",
		"HTTPS://EXAMPLE.COM./", "http://example.com#@127.0.0.1", "http://93.184.215.14/", "javascript:alert(1)",
		"http:///x", "http://a..b/", "http://0x/", "http://1.2.3.4.5/",
	} {
		f.Add(s)
	}
	g := &Guard{Resolver: fuzzResolver{}}
	sentinels := []error{ErrInvalidURL, ErrSchemeNotAllowed, ErrCredentialsInURL, ErrHostNotAllowed,
		ErrPortNotAllowed, ErrAddressNotAllowed, ErrResolve}
	f.Fuzz(func(t *testing.T, raw string) {
		err := g.Check(context.Background(), raw)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("Check(%q) = %v: wraps no sentinel", raw, err)
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("accepted %q which does not parse: %v", raw, perr)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			t.Fatalf("accepted %q with scheme %q", raw, u.Scheme)
		}
		if u.User != nil {
			t.Fatalf("accepted %q with userinfo", raw)
		}
		h := u.Hostname()
		if h == "" {
			t.Fatalf("accepted %q with an empty host", raw)
		}
		if a, err := netip.ParseAddr(h); err == nil && !AddrAllowed(a) {
			t.Fatalf("accepted %q, literal %s is refused by AddrAllowed", raw, a)
		}
		if _, ok := parseIPv4Loose(h); ok {
			if a, err := netip.ParseAddr(h); err != nil || a.String() != h {
				t.Fatalf("accepted %q with non-canonical numeric host %q", raw, h)
			}
		}
		if strings.HasSuffix(h, ".") && endsInNumber(h) {
			t.Fatalf("accepted %q with a trailing-dot numeric host", raw)
		}
	})
}

// FuzzParseIPv4Loose: never panics; agrees with netip on canonical dotted
// quads; whatever it parses, endsInNumber flags (so Check refuses it unless
// canonical).
func FuzzParseIPv4Loose(f *testing.F) {
	for _, s := range []string{"2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "127.0.0.1", "1.2.3.4.", "0x", "08", "4294967296"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := parseIPv4Loose(s)
		if !ok {
			return
		}
		if !a.Is4() {
			t.Fatalf("parseIPv4Loose(%q) = %v, not IPv4", s, a)
		}
		if !endsInNumber(s) {
			t.Fatalf("parseIPv4Loose(%q) parses but endsInNumber is false", s)
		}
		if c, err := netip.ParseAddr(s); err == nil && c != a {
			t.Fatalf("parseIPv4Loose(%q) = %v, netip says %v", s, a, c)
		}
	})
}
