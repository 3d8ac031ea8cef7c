package webhook

import (
	"crypto/sha256"
	"fmt"
	"strings"
)

// parsed is a signature header read into fixed storage (no allocation).
type parsed struct {
	t    int64 // SchemeStripe only
	n    int
	sigs [maxSignatures][sha256.Size]byte
}

// parseStripe reads "t=<unix>,v1=<hex>[,v1=<hex>…]". It is strict where
// Stripe is lenient only by accident: t= exactly once, in canonical decimal;
// every v1 exactly 64 lowercase hex digits (what Sign writes), at most
// maxSignatures of them; no empty items. Other keys, such as v0, are
// skipped. A header that parses and verifies is therefore byte for byte a
// Sign output, possibly with extra entries.
func parseStripe(h string) (parsed, error) {
	var p parsed
	if h == "" {
		return p, ErrNoSignature
	}
	if len(h) > maxHeaderBytes {
		return p, fmt.Errorf("%w: %d bytes, limit %d", ErrMalformedSignature, len(h), maxHeaderBytes)
	}
	haveT := false
	for item := range strings.SplitSeq(h, ",") {
		k, val, ok := strings.Cut(item, "=")
		if !ok || k == "" {
			return p, fmt.Errorf("%w: item without key=value", ErrMalformedSignature)
		}
		switch k {
		case "t":
			if haveT {
				return p, fmt.Errorf("%w: t= repeated", ErrMalformedSignature)
			}
			t, ok := parseUnix(val)
			if !ok {
				return p, fmt.Errorf("%w: t= is not a canonical decimal timestamp", ErrMalformedSignature)
			}
			p.t, haveT = t, true
		case "v1":
			if p.n == maxSignatures {
				return p, fmt.Errorf("%w: more than %d v1 entries", ErrMalformedSignature, maxSignatures)
			}
			if !decodeHex(&p.sigs[p.n], val) {
				return p, fmt.Errorf("%w: v1 entry %d is not %d lowercase hex digits", ErrMalformedSignature, p.n, 2*sha256.Size)
			}
			p.n++
		}
	}
	if !haveT {
		return p, fmt.Errorf("%w: no t=", ErrMalformedSignature)
	}
	if p.n == 0 {
		return p, fmt.Errorf("%w: no v1=", ErrMalformedSignature)
	}
	return p, nil
}

// parseGitHub reads "sha256=<64 lowercase hex>".
func parseGitHub(h string) (parsed, error) {
	var p parsed
	if h == "" {
		return p, ErrNoSignature
	}
	val, ok := strings.CutPrefix(h, "sha256=")
	if !ok || !decodeHex(&p.sigs[0], val) {
		return p, fmt.Errorf("%w: want sha256=<%d lowercase hex digits>", ErrMalformedSignature, 2*sha256.Size)
	}
	p.n = 1
	return p, nil
}

// parseUnix accepts 1 to 12 decimal digits without a sign or a leading
// zero (except "0"), so that the value formats back to the same string.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 12 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var t int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		t = t*10 + int64(c-'0')
	}
	return t, true
}

// decodeHex decodes exactly 64 lowercase hex digits into dst.
func decodeHex(dst *[sha256.Size]byte, s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range dst {
		hi, ok1 := nibble(s[2*i])
		lo, ok2 := nibble(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func nibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
