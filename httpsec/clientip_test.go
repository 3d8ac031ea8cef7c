package httpsec

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/reqctx"
)

type clientIPCase struct {
	name   string
	remote string
	xff    []string
	want   string // "" = no address stored
}

func clientIPCases() []clientIPCase {
	return []clientIPCase{
		// The trusted proxies are 10.0.0.0/8 and 2001:db8::1.
		{name: "no_proxy_peer_is_client", remote: "203.0.113.9:5000", want: "203.0.113.9"},
		{name: "spoofed_xff_from_untrusted_peer_ignored", remote: "203.0.113.9:5000", xff: []string{"1.2.3.4"}, want: "203.0.113.9"},
		{name: "xff_believed_from_trusted_peer", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "spoof_prepended_through_trusted_proxy_ignored", remote: "10.0.0.2:5000", xff: []string{"1.2.3.4, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "two_trusted_hops_skipped", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7, 10.9.9.9"}, want: "198.51.100.7"},
		{name: "multiple_header_lines_merged_in_order", remote: "10.0.0.2:5000", xff: []string{"1.2.3.4", "198.51.100.7, 10.1.1.1"}, want: "198.51.100.7"},
		{name: "garbage_xff_falls_back_to_peer", remote: "10.0.0.2:5000", xff: []string{"not-an-ip"}, want: "10.0.0.2"},
		{name: "garbage_after_trusted_hop_falls_back_to_peer", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7, <script>, 10.1.1.1"}, want: "10.0.0.2"},
		{name: "garbage_left_of_client_ignored", remote: "10.0.0.2:5000", xff: []string{"garbage, 198.51.100.7"}, want: "198.51.100.7"},
		{name: "empty_xff_from_trusted_peer_is_peer", remote: "10.0.0.2:5000", xff: []string{" , "}, want: "10.0.0.2"},
		{name: "all_trusted_leftmost_wins", remote: "10.0.0.2:5000", xff: []string{"10.5.5.5, 10.6.6.6"}, want: "10.5.5.5"},
		{name: "v4_mapped_trusted_alias_folded", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7, ::ffff:10.1.1.1"}, want: "198.51.100.7"},
		{name: "v4_mapped_peer_folded", remote: "[::ffff:10.0.0.2]:5000", xff: []string{"198.51.100.7"}, want: "198.51.100.7"},
		{name: "v4_mapped_client_stored_as_v4", remote: "10.0.0.2:5000", xff: []string{"::ffff:198.51.100.7"}, want: "198.51.100.7"},
		{name: "zone_stripped", remote: "10.0.0.2:5000", xff: []string{"fe80::1%eth0"}, want: "fe80::1"},
		{name: "ipv6_trusted_proxy", remote: "[2001:db8::1]:443", xff: []string{"2001:db8::beef"}, want: "2001:db8::beef"},
		{name: "ipv6_just_outside_trusted_address", remote: "[2001:db8::2]:443", xff: []string{"192.0.2.1"}, want: "2001:db8::2"},
		{name: "ip_just_outside_prefix_is_client", remote: "11.0.0.0:1", xff: []string{"192.0.2.1"}, want: "11.0.0.0"},
		{name: "ip_at_prefix_edge_is_trusted", remote: "10.255.255.255:1", xff: []string{"192.0.2.1"}, want: "192.0.2.1"},
		{name: "ip_with_port_in_xff", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7:61000"}, want: "198.51.100.7"},
		{name: "bracketed_v6_with_port_in_xff", remote: "10.0.0.2:5000", xff: []string{"[2001:db8::9]:61000"}, want: "2001:db8::9"},
		{name: "hops_at_limit_32", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7," + strings.Repeat("10.0.0.3,", 31)}, want: "198.51.100.7"},
		{name: "hops_past_limit_33", remote: "10.0.0.2:5000", xff: []string{"198.51.100.7," + strings.Repeat("10.0.0.3,", 32)}, want: "10.0.0.2"},
		{name: "unix_socket_peer_stores_nothing", remote: "@", xff: []string{"198.51.100.7"}, want: ""},
		{name: "bare_ip_remote_addr", remote: "203.0.113.9", want: "203.0.113.9"},
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	mw := must(ClientIP(ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8", "2001:db8::1"}}))
	for _, tc := range clientIPCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got netip.Addr
			var stored bool
			h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, stored = reqctx.ClientIP(r.Context())
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if tc.want == "" {
				if stored {
					t.Fatalf("stored %v for an unparseable peer", got)
				}
				return
			}
			if !stored || got.String() != tc.want {
				t.Fatalf("client IP = %v (stored %v), want %s", got, stored, tc.want)
			}
		})
	}
}

func TestClientIPNoTrustedProxies(t *testing.T) {
	t.Parallel()
	mw := must(ClientIP(ClientIPOptions{}))
	var got netip.Addr
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, _ = reqctx.ClientIP(r.Context()) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:9"
	r.Header.Set("X-Forwarded-For", "1.2.3.4")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got.String() != "127.0.0.1" {
		t.Fatalf("zero options believed X-Forwarded-For: %v", got)
	}
}

func TestClientIPConfig(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0.0.0/33", "not-a-cidr", "", "fe80::1%eth0", "::ffff:0:0/90"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			if _, err := ClientIP(ClientIPOptions{TrustedProxies: []string{bad}}); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("err = %v, want rampart.ErrConfig", err)
			}
		})
	}
	// A v4-mapped prefix is folded so that it matches folded peers.
	mw := must(ClientIP(ClientIPOptions{TrustedProxies: []string{"::ffff:10.0.0.0/104"}}))
	var got netip.Addr
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, _ = reqctx.ClientIP(r.Context()) }))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.1.1:1"
	r.Header.Set("X-Forwarded-For", "192.0.2.5")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got.String() != "192.0.2.5" {
		t.Fatalf("v4-mapped trusted prefix not applied: %v", got)
	}
}

func FuzzClientIP(f *testing.F) {
	for _, tc := range clientIPCases() {
		f.Add(tc.remote, strings.Join(tc.xff, "\n"))
	}
	trusted := must(parsePrefixes([]string{"10.0.0.0/8", "2001:db8::1"}))
	f.Fuzz(func(t *testing.T, remote, xff string) {
		lines := strings.Split(xff, "\n")
		ip, viaProxy := resolveClientIP(remote, lines, trusted)
		peer, peerOK := parsePeer(remote)
		if !peerOK {
			if ip.IsValid() || viaProxy {
				t.Fatalf("unparseable peer %q gave %v", remote, ip)
			}
			return
		}
		if !ip.IsValid() {
			t.Fatalf("valid peer %q gave no address", remote)
		}
		if ip.Is4In6() || ip.Zone() != "" {
			t.Fatalf("address not normalised: %v", ip)
		}
		// An untrusted peer is always the client, whatever XFF says.
		if !inAny(peer, trusted) && (ip != peer || viaProxy) {
			t.Fatalf("untrusted peer %v: XFF %q believed (%v)", peer, xff, ip)
		}
		// The answer is the peer or an address written in the header.
		if ip != peer {
			found := false
			for _, l := range lines {
				for _, v := range strings.Split(l, ",") {
					if a, ok := parseForwarded(strings.TrimSpace(v)); ok && a == ip {
						found = true
					}
				}
			}
			if !found {
				t.Fatalf("%v is neither the peer nor in XFF %q", ip, xff)
			}
		}
	})
}
