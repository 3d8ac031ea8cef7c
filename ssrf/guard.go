package ssrf

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-go/rampart"
)

// Defaults for a zero Guard.
const (
	// MaxURLBytes is the longest URL Check reads.
	MaxURLBytes = 8 << 10
	// DefaultDialTimeout bounds each connection attempt.
	DefaultDialTimeout = 10 * time.Second
	// DefaultTimeout bounds a whole request made with Client, redirects and
	// body included.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRedirects is how many redirects Client follows.
	DefaultMaxRedirects = 10
)

// Resolver looks host names up. *net.Resolver implements it; tests inject a
// fake.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Guard decides which URLs a server may fetch. The zero value is the
// hardened default; fields must not change once the Guard is in use, and a
// Guard is then safe for concurrent use.
type Guard struct {
	// Resolver resolves host names in Check and at dial time; nil means
	// net.DefaultResolver.
	Resolver Resolver
	// AllowHosts, when not empty, is the only set of hosts allowed: exact
	// names ("api.example.com"), subdomain wildcards ("*.example.com",
	// which does not match example.com itself) or canonical IP literals.
	// Matching ignores case and one trailing dot. An allowed host must
	// still resolve to allowed addresses. Empty means any public host.
	AllowHosts []string
	// AllowPorts is the set of ports allowed; nil means 80 and 443 (the
	// default port of each scheme counts as explicit). Ports are where
	// internal services hide on public hosts too (SMTP, Redis, admin
	// consoles), hence the short default.
	AllowPorts []uint16
	// InsecureAllowAnyPort allows every port from 1 to 65535.
	InsecureAllowAnyPort bool
	// DialTimeout bounds each connection attempt; zero means
	// DefaultDialTimeout.
	DialTimeout time.Duration
	// Timeout bounds a whole request made with Client; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxRedirects is how many redirects Client follows; zero means
	// DefaultMaxRedirects, negative means none (Client returns the 3xx).
	MaxRedirects int
}

// Validate reports malformed AllowHosts patterns (which Check would
// otherwise treat as matching nothing). Call it at startup; the error wraps
// rampart.ErrConfig.
func (g *Guard) Validate() error {
	for _, p := range g.AllowHosts {
		name := strings.TrimPrefix(normalizeHost(p), "*.")
		if _, err := netip.ParseAddr(name); err == nil && !strings.HasPrefix(p, "*.") {
			continue
		}
		if !validName(name) || endsInNumber(name) {
			return fmt.Errorf("%w: ssrf: AllowHosts pattern %q", rampart.ErrConfig, p)
		}
	}
	for _, p := range g.AllowPorts {
		if p == 0 {
			return fmt.Errorf("%w: ssrf: AllowPorts contains 0", rampart.ErrConfig)
		}
	}
	if g.DialTimeout < 0 || g.Timeout < 0 {
		return fmt.Errorf("%w: ssrf: negative timeout", rampart.ErrConfig)
	}
	return nil
}

// Check reports whether rawURL is safe to fetch now: it parses, has scheme
// http or https, no userinfo, an allowed host and port, and every address
// the host resolves to is allowed (AddrAllowed). Numeric hosts must be
// canonical: "127.0.0.1" is judged as an address, but "2130706433",
// "0x7f.1", "0177.0.0.1", "127.1" and "127.0.0.1." are refused whatever
// they decode to, because parsers disagree on them (Go's net reads none,
// browsers and libc read all) and no legitimate URL needs them.
//
// A nil error is a statement about now: use Client or Transport to fetch,
// which check again at connection time. The error wraps one of
// ErrInvalidURL, ErrSchemeNotAllowed, ErrCredentialsInURL,
// ErrHostNotAllowed, ErrPortNotAllowed, ErrAddressNotAllowed or ErrResolve
// and may name the host, the address and the range: log it, and show
// clients CodeURLNotAllowed only.
func (g *Guard) Check(ctx context.Context, rawURL string) error {
	_, err := g.check(ctx, rawURL)
	return err
}

func (g *Guard) check(ctx context.Context, rawURL string) (*url.URL, error) {
	if len(rawURL) > MaxURLBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalidURL, len(rawURL), MaxURLBytes)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		return nil, fmt.Errorf("%w: not absolute", ErrInvalidURL)
	default:
		return nil, fmt.Errorf("%w: %q", ErrSchemeNotAllowed, u.Scheme)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("%w: opaque URL", ErrInvalidURL)
	}
	if u.User != nil {
		return nil, ErrCredentialsInURL
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if err := g.checkPort(port); err != nil {
		return nil, err
	}
	if _, err := g.resolve(ctx, u.Hostname()); err != nil {
		return nil, err
	}
	return u, nil
}

func (g *Guard) checkPort(port string) error {
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return fmt.Errorf("%w: %q", ErrPortNotAllowed, port)
	}
	if g.InsecureAllowAnyPort {
		return nil
	}
	allowed := g.AllowPorts
	if allowed == nil {
		allowed = []uint16{80, 443}
	}
	if !slices.Contains(allowed, uint16(p)) {
		return fmt.Errorf("%w: %d", ErrPortNotAllowed, p)
	}
	return nil
}

// resolve checks host (no brackets, no port) and returns the addresses it
// stands for, every one allowed.
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if host == "" {
		return nil, fmt.Errorf("%w: empty host", ErrHostNotAllowed)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return nil, fmt.Errorf("%w: zoned address %q", ErrHostNotAllowed, host)
		}
		if len(g.AllowHosts) > 0 && !g.hostListed(a.String()) {
			return nil, fmt.Errorf("%w: %s not in AllowHosts", ErrHostNotAllowed, a)
		}
		if r := addrRefusal(a); r != "" {
			return nil, fmt.Errorf("%w: %s is in %s", ErrAddressNotAllowed, a, r)
		}
		return []netip.Addr{a}, nil
	}
	if endsInNumber(host) {
		if a, ok := parseIPv4Loose(host); ok {
			return nil, fmt.Errorf("%w: non-canonical numeric host %q (reads as %s)", ErrHostNotAllowed, host, a)
		}
		return nil, fmt.Errorf("%w: malformed numeric host %q", ErrHostNotAllowed, host)
	}
	name := normalizeHost(host)
	if !validName(name) {
		return nil, fmt.Errorf("%w: %q is not a valid host name", ErrHostNotAllowed, host)
	}
	if !g.hostListed(name) {
		return nil, fmt.Errorf("%w: %q not in AllowHosts", ErrHostNotAllowed, name)
	}
	res := g.Resolver
	if res == nil {
		res = net.DefaultResolver
	}
	addrs, err := res.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrResolve, name, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%w: %q: no addresses", ErrResolve, name)
	}
	for _, a := range addrs {
		if r := addrRefusal(a); r != "" {
			return nil, fmt.Errorf("%w: %q resolves to %s, in %s", ErrAddressNotAllowed, name, a, r)
		}
	}
	return addrs, nil
}

// hostListed reports whether host (normalized) passes AllowHosts.
func (g *Guard) hostListed(host string) bool {
	if len(g.AllowHosts) == 0 {
		return true
	}
	for _, p := range g.AllowHosts {
		p = normalizeHost(p)
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}
		if host == p {
			return true
		}
	}
	return false
}

func normalizeHost(h string) string {
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// validName accepts ASCII host names: 1 to 253 bytes, labels of 1 to 63
// letters, digits, '-' or '_' (seen in real DNS names). Non-ASCII names
// must arrive in punycode (xn--…).
func validName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
