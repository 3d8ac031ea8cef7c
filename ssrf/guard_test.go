package ssrf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  string
		want error // nil: accepted
	}{
		// Accepted.
		{"public_name_https", "https://example.com/hook", nil},
		{"public_name_http", "http://example.com", nil},
		{"public_ipv4_literal", "http://93.184.215.14/", nil},
		{"public_ipv6_literal", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/", nil},
		{"uppercase_scheme_and_host", "HTTPS://EXAMPLE.COM/", nil},
		{"trailing_dot_name", "https://example.com./", nil},
		{"ipv4_mapped_public", "http://[::ffff:93.184.215.14]/", nil},
		{"nat64_of_public", "http://[64:ff9b::5db8:d70e]/", nil},
		{"explicit_port_443", "https://example.com:443/", nil},
		{"port_80_on_https", "https://example.com:80/", nil},
		{"fragment_with_at_sign", "https://example.com/#@127.0.0.1", nil},

		// Schemes.
		{"file_scheme", "file:///etc/passwd", ErrSchemeNotAllowed},
		{"gopher_scheme", "gopher://example.com/_SET%20x", ErrSchemeNotAllowed},
		{"ftp_scheme", "ftp://example.com/", ErrSchemeNotAllowed},
		{"data_scheme", "data:text/html,<script>", ErrSchemeNotAllowed},
		{"javascript_scheme", "javascript:alert(1)", ErrSchemeNotAllowed},
		{"dict_scheme", "dict://127.0.0.1:11211/stat", ErrSchemeNotAllowed},
		{"ws_scheme", "ws://example.com/", ErrSchemeNotAllowed},
		{"relative_url", "/admin", ErrInvalidURL},
		{"no_scheme", "example.com", ErrInvalidURL},
		{"opaque_http", "http:example.com", ErrInvalidURL},
		{"unparsable", "http://[::1", ErrInvalidURL},
		{"url_over_limit", "https://example.com/" + strings.Repeat("a", MaxURLBytes), ErrInvalidURL},

		// Credentials.
		{"user_and_password", "http://user:pass@example.com", ErrCredentialsInURL},
		{"user_only", "http://user@example.com", ErrCredentialsInURL},
		{"empty_userinfo", "http://@example.com", ErrCredentialsInURL},
		{"at_sign_host_confusion", "http://example.com@127.0.0.1/", ErrCredentialsInURL},

		// Literal addresses.
		{"loopback", "http://127.0.0.1", ErrAddressNotAllowed},
		{"loopback_top_of_range", "http://127.255.255.254/", ErrAddressNotAllowed},
		{"cloud_metadata", "http://169.254.169.254/latest/meta-data", ErrAddressNotAllowed},
		{"ipv6_loopback", "http://[::1]", ErrAddressNotAllowed},
		{"ipv6_unspecified", "http://[::]/", ErrAddressNotAllowed},
		{"private_10", "http://10.0.0.1", ErrAddressNotAllowed},
		{"private_172_16_first", "http://172.16.0.0/", ErrAddressNotAllowed},
		{"private_172_31_last", "http://172.31.255.255/", ErrAddressNotAllowed},
		{"public_172_15_just_below", "http://172.15.255.255/", nil},
		{"public_172_32_just_above", "http://172.32.0.0/", nil},
		{"private_192_168", "http://192.168.1.1/", ErrAddressNotAllowed},
		{"cgnat_first", "http://100.64.0.0/", ErrAddressNotAllowed},
		{"cgnat_last", "http://100.127.255.255/", ErrAddressNotAllowed},
		{"public_100_128_just_above_cgnat", "http://100.128.0.0/", nil},
		{"unspecified_v4", "http://0.0.0.0/", ErrAddressNotAllowed},
		{"this_network", "http://0.1.2.3/", ErrAddressNotAllowed},
		{"multicast", "http://224.0.0.1/", ErrAddressNotAllowed},
		{"broadcast", "http://255.255.255.255/", ErrAddressNotAllowed},
		{"benchmarking", "http://198.18.0.1/", ErrAddressNotAllowed},
		{"ipv4_mapped_loopback", "http://[::ffff:127.0.0.1]", ErrAddressNotAllowed},
		{"ipv4_mapped_metadata_hex", "http://[::ffff:a9fe:a9fe]/", ErrAddressNotAllowed},
		{"ipv4_compatible_loopback", "http://[::127.0.0.1]/", ErrAddressNotAllowed},
		{"nat64_of_loopback", "http://[64:ff9b::7f00:1]/", ErrAddressNotAllowed},
		{"6to4_of_loopback", "http://[2002:7f00:1::]/", ErrAddressNotAllowed},
		{"teredo", "http://[2001::1]/", ErrAddressNotAllowed},
		{"unique_local", "http://[fd00::1]/", ErrAddressNotAllowed},
		{"ipv6_link_local", "http://[fe80::1]/", ErrAddressNotAllowed},
		{"ipv6_multicast", "http://[ff02::1]/", ErrAddressNotAllowed},
		{"ipv6_documentation", "http://[2001:db8::1]/", ErrAddressNotAllowed},
		{"zoned_link_local", "http://[fe80::1%25eth0]/", ErrHostNotAllowed},

		// Numeric host forms that browsers and libc normalise.
		{"decimal_dword", "http://2130706433", ErrHostNotAllowed},
		{"hex_dword", "http://0x7f000001", ErrHostNotAllowed},
		{"octal_dotted", "http://0177.0.0.1", ErrHostNotAllowed},
		{"short_form", "http://127.1", ErrHostNotAllowed},
		{"hex_short_form", "http://0x7f.1", ErrHostNotAllowed},
		{"trailing_dot_ip", "http://127.0.0.1./", ErrHostNotAllowed},
		{"leading_zero_public", "http://093.184.215.014/", ErrHostNotAllowed},
		{"decimal_dword_public", "http://1572395790/", ErrHostNotAllowed},
		{"overflowing_number", "http://4294967296/", ErrHostNotAllowed},
		{"percent_encoded_ip", "http://%31%32%37.0.0.1/", ErrInvalidURL},

		// Names and resolution.
		{"localhost", "http://localhost", ErrAddressNotAllowed},
		{"localhost_uppercase", "http://LOCALHOST:80/", ErrAddressNotAllowed},
		{"name_to_private", "https://internal.corp.test/", ErrAddressNotAllowed},
		{"name_to_metadata", "http://metadata.google.test/", ErrAddressNotAllowed},
		{"any_address_private", "https://half-internal.test/", ErrAddressNotAllowed},
		{"name_to_mapped_loopback", "https://mapped-loopback.test/", ErrAddressNotAllowed},
		{"unresolvable", "https://nxdomain.test/", ErrResolve},
		{"resolves_to_nothing", "https://empty.test/", ErrResolve},
		{"empty_host", "http:///path", ErrHostNotAllowed},
		{"empty_host_with_port", "http://:80/", ErrHostNotAllowed},
		{"non_ascii_host", "https://exämple.com/", ErrHostNotAllowed},
		{"label_too_long", "https://" + strings.Repeat("a", 64) + ".com/", ErrHostNotAllowed},

		// Ports.
		{"port_8443", "https://example.com:8443/", ErrPortNotAllowed},
		{"port_22", "http://example.com:22/", ErrPortNotAllowed},
		{"port_6379_redis", "http://example.com:6379/", ErrPortNotAllowed},
		{"port_0", "http://example.com:0/", ErrPortNotAllowed},
		{"port_65536", "http://example.com:65536/", ErrPortNotAllowed},
	}
	g := &Guard{Resolver: testResolver()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := g.Check(context.Background(), tt.url)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want accepted", tt.url, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check(%q) = %v, want %v", tt.url, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "ssrf: ") {
				t.Errorf("error lacks the package prefix: %v", err)
			}
		})
	}
}

func TestCheckErrorNamesRange(t *testing.T) {
	t.Parallel()
	g := &Guard{}
	err := g.Check(context.Background(), "http://169.254.169.254/latest/meta-data")
	if err == nil || !strings.Contains(err.Error(), "cloud metadata") {
		t.Errorf("error does not name the range: %v", err)
	}
	err = g.Check(context.Background(), "http://0x7f.1/")
	if err == nil || !strings.Contains(err.Error(), "reads as 127.0.0.1") {
		t.Errorf("error does not decode the numeric host: %v", err)
	}
}

func TestCheckPorts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	custom := &Guard{Resolver: testResolver(), AllowPorts: []uint16{443, 8443}}
	if err := custom.Check(ctx, "https://example.com:8443/"); err != nil {
		t.Errorf("listed port: %v", err)
	}
	if err := custom.Check(ctx, "http://example.com/"); !errors.Is(err, ErrPortNotAllowed) {
		t.Errorf("implicit port 80 not listed: %v", err)
	}
	anyPort := &Guard{Resolver: testResolver(), InsecureAllowAnyPort: true}
	if err := anyPort.Check(ctx, "https://example.com:65535/"); err != nil {
		t.Errorf("any port: %v", err)
	}
	if err := anyPort.Check(ctx, "http://127.0.0.1:8080/"); !errors.Is(err, ErrAddressNotAllowed) {
		t.Errorf("any port still checks the address: %v", err)
	}
}

func TestAllowHosts(t *testing.T) {
	t.Parallel()
	g := &Guard{Resolver: testResolver(), AllowHosts: []string{"Example.com.", "*.example.com", "93.184.215.14", "internal.corp.test"}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url  string
		want error
	}{
		{"https://example.com/", nil},
		{"https://EXAMPLE.COM./", nil},
		{"https://api.example.com/", nil},
		{"http://93.184.215.14/", nil},
		{"https://notexample.com/", ErrHostNotAllowed},
		{"https://example.com.evil.test/", ErrHostNotAllowed},
		{"http://93.184.215.15/", ErrHostNotAllowed},
		{"https://localhost/", ErrHostNotAllowed},
		// Listed, but it resolves to a private address: still refused.
		{"https://internal.corp.test/", ErrAddressNotAllowed},
	} {
		if err := g.Check(context.Background(), tt.url); !errors.Is(err, tt.want) {
			t.Errorf("Check(%q) = %v, want %v", tt.url, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		g    Guard
		ok   bool
	}{
		{"zero_value", Guard{}, true},
		{"good_patterns", Guard{AllowHosts: []string{"a.example", "*.b.example", "2606:2800::1"}}, true},
		{"pattern_with_scheme", Guard{AllowHosts: []string{"https://a.example"}}, false},
		{"pattern_with_port", Guard{AllowHosts: []string{"a.example:443"}}, false},
		{"wildcard_in_middle", Guard{AllowHosts: []string{"a.*.example"}}, false},
		{"numeric_pattern", Guard{AllowHosts: []string{"0x7f.1"}}, false},
		{"empty_pattern", Guard{AllowHosts: []string{""}}, false},
		{"port_zero", Guard{AllowPorts: []uint16{0}}, false},
		{"negative_timeout", Guard{Timeout: -1}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.g.Validate()
			if (err == nil) != tt.ok || err != nil && !errors.Is(err, rampart.ErrConfig) {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestAddrAllowed(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr string
		ok   bool
	}{
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"9.255.255.255", true},
		{"10.0.0.0", false},
		{"11.0.0.0", true},
		{"169.253.255.255", true},
		{"169.254.0.0", false},
		{"169.255.0.0", true},
		{"192.0.0.170", false},
		{"192.0.1.1", true},
		{"198.17.255.255", true},
		{"198.19.255.255", false},
		{"198.20.0.0", true},
		{"223.255.255.255", true},
		{"224.0.0.0", false},
		{"2606:4700:4700::1111", true},
		{"2001:1ff::1", false},
		{"2001:200::1", true},
		{"2001:4860:4860::8888", true},
		{"2002:5db8:d70e::1", true},
		{"3fff::1", false},
		{"4000::1", false},
		{"fec0::1", false},
		{"64:ff9b:1::1", false},
		{"100::1", false},
		{"fe80::1%eth0", false},
	} {
		if got := AddrAllowed(netip.MustParseAddr(tt.addr)); got != tt.ok {
			t.Errorf("AddrAllowed(%s) = %v, want %v (%s)", tt.addr, got, tt.ok, addrRefusal(netip.MustParseAddr(tt.addr)))
		}
	}
	if AddrAllowed(netip.Addr{}) {
		t.Error("zero Addr allowed")
	}
}

func TestParseIPv4Loose(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want string // "" = not parsed
	}{
		{"2130706433", "127.0.0.1"},
		{"0x7f000001", "127.0.0.1"},
		{"0177.0.0.1", "127.0.0.1"},
		{"127.1", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"127.0.1", "127.0.0.1"},
		{"127.0.0.1.", "127.0.0.1"},
		{"0xA9.0376.43518", "169.254.169.254"},
		{"4294967295", "255.255.255.255"},
		{"4294967296", ""},
		{"256.1", ""},
		{"1.2.3.4.5", ""},
		{"1..2", ""},
		{"08", ""},
		{"0x", "0.0.0.0"},
		{"", ""},
		{"1.16777216", ""},
		{"1.16777215", "1.255.255.255"},
	} {
		a, ok := parseIPv4Loose(tt.in)
		got := ""
		if ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("parseIPv4Loose(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResolverGetsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &Guard{Resolver: ctxResolver{}}
	if err := g.Check(ctx, "https://example.com/"); !errors.Is(err, ErrResolve) || !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

type ctxResolver struct{}

func (ctxResolver) LookupNetIP(ctx context.Context, _, _ string) ([]netip.Addr, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
}
