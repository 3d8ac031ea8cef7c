package ssrf

import "net/netip"

// AddrAllowed reports whether a server may connect to a: a public unicast
// address outside every special-purpose range. IPv4-mapped (::ffff:a.b.c.d),
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the
// IPv4 address they carry. A zoned or invalid address is refused.
func AddrAllowed(a netip.Addr) bool { return addrRefusal(a) == "" }

// addrRefusal names the range that refuses a, or returns "" if a is
// allowed. The ranges follow the IANA IPv4 and IPv6 special-purpose address
// registries (RFC 6890 and successors).
func addrRefusal(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid address"
	}
	if a.Zone() != "" {
		return "zoned address"
	}
	if a.Is4In6() {
		if r := v4Refusal(a.Unmap().As4()); r != "" {
			return "IPv4-mapped " + r
		}
		return ""
	}
	if a.Is4() {
		return v4Refusal(a.As4())
	}
	return v6Refusal(a.As16())
}

func v4Refusal(b [4]byte) string {
	switch {
	case b[0] == 0:
		return "0.0.0.0/8 (this network, unspecified)"
	case b[0] == 10:
		return "10.0.0.0/8 (private)"
	case b[0] == 100 && b[1]&0xc0 == 64:
		return "100.64.0.0/10 (carrier-grade NAT)"
	case b[0] == 127:
		return "127.0.0.0/8 (loopback)"
	case b[0] == 169 && b[1] == 254:
		return "169.254.0.0/16 (link-local, cloud metadata)"
	case b[0] == 172 && b[1]&0xf0 == 16:
		return "172.16.0.0/12 (private)"
	case b[0] == 192 && b[1] == 0 && b[2] == 0:
		return "192.0.0.0/24 (IETF protocol assignments)"
	case b[0] == 192 && b[1] == 0 && b[2] == 2:
		return "192.0.2.0/24 (documentation)"
	case b[0] == 192 && b[1] == 88 && b[2] == 99:
		return "192.88.99.0/24 (6to4 relay anycast)"
	case b[0] == 192 && b[1] == 168:
		return "192.168.0.0/16 (private)"
	case b[0] == 198 && b[1]&0xfe == 18:
		return "198.18.0.0/15 (benchmarking)"
	case b[0] == 198 && b[1] == 51 && b[2] == 100:
		return "198.51.100.0/24 (documentation)"
	case b[0] == 203 && b[1] == 0 && b[2] == 113:
		return "203.0.113.0/24 (documentation)"
	case b[0] >= 224 && b[0] < 240:
		return "224.0.0.0/4 (multicast)"
	case b[0] >= 240:
		return "240.0.0.0/4 (reserved, broadcast)"
	}
	return ""
}

func v6Refusal(b [16]byte) string {
	var zero [12]byte
	switch {
	case [12]byte(b[:12]) == zero:
		switch {
		case b == [16]byte{}:
			return "::/128 (unspecified)"
		case b == [16]byte{15: 1}:
			return "::1/128 (loopback)"
		}
		return "::/96 (IPv4-compatible, deprecated)"
	case b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && [8]byte(b[4:12]) == [8]byte{}:
		if r := v4Refusal([4]byte(b[12:16])); r != "" {
			return "NAT64 64:ff9b::/96 of " + r
		}
		return ""
	case b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1:
		return "64:ff9b:1::/48 (local-use NAT64)"
	case b[0] == 0x01 && b[1] == 0x00 && [6]byte(b[2:8]) == [6]byte{}:
		return "100::/64 (discard-only)"
	case b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8:
		return "2001:db8::/32 (documentation)"
	case b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02:
		return "2001::/23 (IETF protocol assignments, Teredo)"
	case b[0] == 0x20 && b[1] == 0x02:
		if r := v4Refusal([4]byte(b[2:6])); r != "" {
			return "6to4 2002::/16 of " + r
		}
		return ""
	case b[0] == 0x3f && b[1] == 0xff && b[2]&0xf0 == 0:
		return "3fff::/20 (documentation)"
	case b[0] == 0x5f && b[1] == 0x00:
		return "5f00::/16 (SRv6 SIDs)"
	case b[0]&0xfe == 0xfc:
		return "fc00::/7 (unique local)"
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return "fe80::/10 (link-local)"
	case b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		return "fec0::/10 (site-local, deprecated)"
	case b[0] == 0xff:
		return "ff00::/8 (multicast)"
	case b[0]&0xe0 != 0x20:
		return "outside 2000::/3 (not global unicast)"
	}
	return ""
}
