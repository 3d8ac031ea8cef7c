package wssec

import (
	"bytes"
	"encoding/json"

	"github.com/microcosm-cc/bluemonday"

	"github.com/rampart-go/rampart/internal/textctl"
)

// Sanitizer cleans the payload of an incoming text message. It is never
// called for binary messages. Implementations must be safe for concurrent
// use, must not retain data, and should return data itself when nothing
// changed.
type Sanitizer interface {
	Sanitize(data []byte) []byte
}

// SanitizerFunc adapts a function to the Sanitizer interface.
type SanitizerFunc func(data []byte) []byte

// Sanitize calls f(data).
func (f SanitizerFunc) Sanitize(data []byte) []byte { return f(data) }

// JSONSanitizer runs a bluemonday policy over text messages. A message that
// is valid JSON keeps its structure: only string values are sanitised;
// object keys, numbers, booleans and nulls are left as they are. When a value
// changed, the message is re-encoded deterministically (object keys sorted,
// no HTML escaping by the encoder, numbers kept verbatim); when nothing
// changed, the original bytes are returned untouched. A text that is not JSON
// is sanitised as a whole.
//
// Sanitised strings are HTML-safe text: tags the policy does not allow are
// removed, and the characters & < > " ' come out as HTML entities
// ("a & b" becomes "a &amp; b"), so clients must render them as HTML or
// unescape them before displaying as plain text. Control characters, which
// HTML sanitizing lets through, are removed too: NUL and the other C0
// controls but tab, line feed and carriage return, DEL, the C1 controls,
// ANSI escape sequences (whole) and the bidirectional overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), whether raw or written as JSON
// \u escapes or HTML character references. Object keys are left as they
// are. Sanitising is idempotent.
type JSONSanitizer struct {
	policy *bluemonday.Policy
}

var _ Sanitizer = (*JSONSanitizer)(nil)

// NewJSONSanitizer returns a JSONSanitizer using p, or bluemonday's strict
// policy (no HTML at all) when p is nil.
func NewJSONSanitizer(p *bluemonday.Policy) *JSONSanitizer {
	if p == nil {
		p = strictPolicy()
	}
	return &JSONSanitizer{policy: p}
}

// Sanitize returns data with its text cleaned; see JSONSanitizer.
func (s *JSONSanitizer) Sanitize(data []byte) []byte {
	if !needsSanitizing(data) {
		return data
	}
	if !json.Valid(data) {
		return []byte(s.sanitize(string(data)))
	}
	out, _ := s.SanitizeJSON(data)
	return out
}

// sanitize strips control characters, runs the policy, and strips again
// what the policy decoded from character references (&#27; is ESC), until
// nothing changes (textctl.Sanitize).
func (s *JSONSanitizer) sanitize(v string) string {
	return textctl.Sanitize(v, s.policy.Sanitize)
}

// SanitizeJSON sanitises the string values of the JSON document data. It
// returns data itself when no value changed, and data with an error wrapping
// ErrNotJSON when data is not one valid JSON value.
func (s *JSONSanitizer) SanitizeJSON(data []byte) ([]byte, error) {
	if !json.Valid(data) {
		return data, ErrNotJSON
	}
	if special, _ := scanSpecial(data); !special {
		return data, nil // valid JSON: a bare quote can only be a string's delimiter
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return data, err
	}
	v, changed := s.walk(v)
	if !changed {
		return data, nil
	}
	return encodeJSON(v)
}

// SanitizeString sanitises one string value.
func (s *JSONSanitizer) SanitizeString(v string) string {
	if !stringNeedsSanitizing(v) {
		return v
	}
	return s.sanitize(v)
}

func (s *JSONSanitizer) walk(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		out := s.SanitizeString(t)
		return out, out != t
	case []any:
		changed := false
		for i, e := range t {
			ne, c := s.walk(e)
			if c {
				t[i], changed = ne, true
			}
		}
		return t, changed
	case map[string]any:
		changed := false
		for k, e := range t {
			ne, c := s.walk(e)
			if c {
				t[k], changed = ne, true
			}
		}
		return t, changed
	default:
		return v, false
	}
}

func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// needsSanitizing reports whether a raw message could contain text that a
// bluemonday policy would change, or a control character. bluemonday leaves
// text without markup, entity or quote characters (and without carriage
// returns, which the HTML tokenizer normalises) as it is; in JSON such
// characters can also hide behind a backslash escape, and a double quote
// can only appear inside a JSON string escaped. So a message without those
// bytes and without a control character needs no work unless it holds a
// bare double quote and is not JSON.
func needsSanitizing(data []byte) bool {
	special, quote := scanSpecial(data)
	return special || (quote && !json.Valid(data))
}

// scanSpecial reports whether data holds a byte bluemonday may change (or
// a backslash that may hide one), and whether it holds a double quote.
func scanSpecial(data []byte) (special, quote bool) {
	for i, b := range data {
		switch {
		case b == '<', b == '>', b == '&', b == '\'', b == '\r', b == '\\':
			return true, quote
		case b == '"':
			quote = true
		case isControlAt(data, i):
			return true, quote
		}
	}
	return false, quote
}

// isControlAt reports whether a control character textctl strips starts at
// data[i]: a C0 control but tab and line feed (carriage return is special
// anyway), DEL, a C1 control (0xC2 0x80–0x9F) or a bidirectional override
// or isolate (0xE2 0x80 0xAA–0xAE, 0xE2 0x81 0xA6–0xA9). It looks at the
// bytes only, so that the common case costs no UTF-8 decoding.
func isControlAt[T string | []byte](data T, i int) bool {
	b := data[i]
	switch {
	case b < 0x20:
		return b != '\t' && b != '\n'
	case b == 0x7f:
		return true
	case b == 0xc2:
		return i+1 < len(data) && data[i+1] >= 0x80 && data[i+1] <= 0x9f
	case b == 0xe2 && i+2 < len(data):
		c, d := data[i+1], data[i+2]
		return (c == 0x80 && d >= 0xaa && d <= 0xae) || (c == 0x81 && d >= 0xa6 && d <= 0xa9)
	}
	return false
}

func stringNeedsSanitizing(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '\'', '"', '\r':
			return true
		}
		if isControlAt(s, i) {
			return true
		}
	}
	return false
}
