package ssrf

import (
	"net/netip"
	"strings"
)

// endsInNumber reports whether the WHATWG URL parser (browsers, and curl
// and libc's inet_aton in similar ways) would read host as an IPv4
// address: its last label, ignoring one trailing dot, is all decimal digits
// or 0x followed by hex digits. Such a host that is not a canonical
// dotted quad ("2130706433", "0x7f.1", "0177.0.0.1", "127.1",
// "127.0.0.1.") is refused outright, see Guard.Check.
func endsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if allDigits(last, 10) {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		return allDigits(last[2:], 16)
	}
	return false
}

// parseIPv4Loose decodes the numeric forms inet_aton accepts: one to four
// parts separated by dots (one trailing dot allowed), each decimal, octal
// (leading 0) or hex (leading 0x), the last part filling the remaining
// bytes. It is used to tell the operator what a refused host meant, never
// to accept one.
func parseIPv4Loose(s string) (netip.Addr, bool) {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return netip.Addr{}, false
	}
	var parts [4]uint64
	n := 0
	for p := range strings.SplitSeq(s, ".") {
		if n == 4 {
			return netip.Addr{}, false
		}
		v, ok := parseNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		parts[n] = v
		n++
	}
	for i := 0; i < n-1; i++ {
		if parts[i] > 0xff {
			return netip.Addr{}, false
		}
	}
	last := parts[n-1]
	if last >= 1<<(8*(5-n)) {
		return netip.Addr{}, false
	}
	var v uint64
	for i := 0; i < n-1; i++ {
		v |= parts[i] << (8 * (3 - i))
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// parseNumber reads one inet_aton part, refusing values above 2^32 (no
// overflow) and empty parts. "0x" alone is zero, as in the WHATWG parser.
func parseNumber(p string) (uint64, bool) {
	base := uint64(10)
	switch {
	case p == "":
		return 0, false
	case len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'):
		base, p = 16, p[2:]
	case len(p) >= 2 && p[0] == '0':
		base, p = 8, p[1:]
	}
	if len(p) > 32 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		d, ok := digit(p[i])
		if !ok || d >= base {
			return 0, false
		}
		v = v*base + d
		if v > 0xffffffff {
			return 0, false
		}
	}
	return v, true
}

func digit(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

func allDigits(s string, base uint64) bool {
	for i := 0; i < len(s); i++ {
		d, ok := digit(s[i])
		if !ok || d >= base {
			return false
		}
	}
	return true
}
