package httpsec

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/reqctx"
)

// ClientIPOptions configures ClientIP. The zero value trusts no proxy: the
// client is the TCP peer (r.RemoteAddr) and X-Forwarded-For is ignored.
type ClientIPOptions struct {
	// TrustedProxies lists the CIDR prefixes ("10.0.0.0/8",
	// "2600:9000::/28") or single addresses ("127.0.0.1") of the reverse
	// proxies in front of this server. Only a request whose TCP peer is in
	// the list has its X-Forwarded-For read, and only the entries those
	// proxies appended are skipped. An invalid entry is an error from
	// ClientIP.
	//
	// List exactly your own proxies. Trusting a range an attacker can send
	// from (a whole cloud provider, 0.0.0.0/0) lets that attacker choose
	// its address, and with it its rate-limit bucket.
	TrustedProxies []string
}

// maxXFFHops bounds the X-Forwarded-For walk: a chain longer than this
// through trusted proxies is treated as garbage (see ClientIP).
const maxXFFHops = 32

// ClientIP returns middleware that resolves the client's address and stores
// it with reqctx.WithClientIP (read it with reqctx.ClientIP). The rules, after chi's
// ClientIPFromXFF:
//
//   - The candidate is the TCP peer, r.RemoteAddr.
//   - If the peer is not a trusted proxy, it is the client: a spoofed
//     X-Forwarded-For from an untrusted peer is ignored.
//   - If the peer is trusted, every X-Forwarded-For header line is merged
//     in order and walked from the right, skipping trusted addresses; the
//     first untrusted address is the client. If every entry is trusted, the
//     leftmost is the client. No header means the peer is the client.
//   - Garbage fails closed to the peer: an unparseable entry met during the
//     walk, or more than 32 hops, makes the peer (the proxy) the client, so
//     the attacker shares the proxy's rate-limit bucket instead of choosing
//     one.
//   - IPv4-mapped IPv6 (::ffff:a.b.c.d) is folded to IPv4 and zones are
//     dropped before any prefix check, so a trusted address cannot be
//     aliased past the list. Entries of the form ip:port and [ipv6]:port,
//     which some load balancers write, are accepted.
//
// When the peer is trusted and sends X-Forwarded-Proto: https, the request
// counts as TLS for SecureHeaders' HSTS.
//
// A RemoteAddr that does not parse (a Unix socket) stores no address;
// reqctx.ClientIP then reports false. Check the result before going live: log
// reqctx.ClientIP behind your real proxies and compare with your proxy logs.
func ClientIP(opts ClientIPOptions) (func(http.Handler) http.Handler, error) {
	trusted, err := parsePrefixes(opts.TrustedProxies)
	if err != nil {
		return nil, err
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip, viaProxy := resolveClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted)
			if ip.IsValid() {
				ctx := reqctx.WithClientIP(r.Context(), ip)
				if viaProxy && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
					ctx = context.WithValue(ctx, forwardedTLSKey{}, true)
				}
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

func parsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Zone() != "" {
				return nil, fmt.Errorf("%w: httpsec: client ip: trusted proxy %q has a zone", rampart.ErrConfig, s)
			}
			if p.Addr().Is4In6() {
				// ::ffff:10.0.0.0/104 → 10.0.0.0/8, to match folded addresses.
				if p.Bits() < 96 {
					return nil, fmt.Errorf("%w: httpsec: client ip: trusted proxy %q spans beyond the IPv4-mapped range", rampart.ErrConfig, s)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%w: httpsec: client ip: trusted proxy %q is neither a CIDR prefix nor an IP address", rampart.ErrConfig, s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// resolveClientIP applies ClientIP's rules. viaProxy reports that the peer
// was trusted (whatever the header said).
func resolveClientIP(remoteAddr string, xff []string, trusted []netip.Prefix) (ip netip.Addr, viaProxy bool) {
	peer, ok := parsePeer(remoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !inAny(peer, trusted) {
		return peer, false
	}
	var leftmost netip.Addr
	hops := 0
	for hi := len(xff) - 1; hi >= 0; hi-- {
		h := xff[hi]
		for h != "" {
			var v string
			if i := strings.LastIndexByte(h, ','); i >= 0 {
				v, h = h[i+1:], h[:i]
			} else {
				v, h = h, ""
			}
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if hops++; hops > maxXFFHops {
				return peer, true
			}
			a, ok := parseForwarded(v)
			if !ok {
				return peer, true
			}
			if !inAny(a, trusted) {
				return a, true
			}
			leftmost = a
		}
	}
	if leftmost.IsValid() {
		return leftmost, true
	}
	return peer, true
}

func parsePeer(remoteAddr string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func parseForwarded(v string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		ap, err2 := netip.ParseAddrPort(v)
		if err2 != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type forwardedTLSKey struct{}

func (forwardedTLSKey) String() string { return "rampart/httpsec.forwardedTLS" }

// forwardedTLS reports whether ClientIP saw X-Forwarded-Proto: https from a
// trusted proxy.
func forwardedTLS(ctx context.Context) bool {
	v, _ := ctx.Value(forwardedTLSKey{}).(bool)
	return v
}

// peerHost returns RemoteAddr without its port, for use as a rate-limit key
// when ClientIP did not run.
func peerHost(remoteAddr string) string {
	if host, _, err := net.SplitHostPort(remoteAddr); err == nil {
		return host
	}
	return remoteAddr
}
