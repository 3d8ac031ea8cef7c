// Package textctl finds and strips the control characters that pass HTML
// sanitizing untouched and are invisible in most user interfaces: NUL and
// the other C0 controls, DEL, the C1 controls (U+0080–U+009F), ANSI escape
// sequences (which start with ESC, U+001B) and the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069,
// "Trojan Source"). Stored, they rewrite a terminal that prints a log line,
// truncate a C string at the NUL, or make text read differently from what
// it is. Tab, line feed and carriage return may be kept (text with lines).
//
// It imports the standard library only, so that directives (@constraint,
// @sanitize) and wssec (JSONSanitizer) share one definition without either
// importing the other.
package textctl

import (
	"strings"
	"unicode/utf8"
)

// Find returns the byte offset and rune of the first control
// character in s that is not tab, line feed or carriage return (or of the
// first control character at all when whitespace is false), and ok false
// when there is none. Invalid UTF-8 is not reported.
func Find(s string, whitespace bool) (at int, r rune, ok bool) {
	for i, r := range s {
		if isControl(r, whitespace) {
			return i, r, true
		}
	}
	return 0, 0, false
}

// Strip removes from s what Find(s, true) reports: every
// control character but tab, line feed and carriage return, and each ANSI
// escape sequence whole (CSI "ESC [ … final", OSC "ESC ] … BEL or ESC \",
// and two-byte "ESC X"), so that no "[31m" remnant is left behind. The
// result contains no control character, and stripping it again changes
// nothing. When something is removed, invalid UTF-8 bytes become U+FFFD;
// a string with nothing to remove is returned as it is.
func Strip(s string) string {
	if _, _, bad := Find(s, true); !bad {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x1b {
			i += escapeLen(s[i:])
			continue
		}
		switch {
		case r == utf8.RuneError && size == 1:
			// An invalid byte becomes U+FFFD, so that removing a control
			// between two bytes cannot join them into a control (a C1
			// character is two bytes).
			b.WriteRune(utf8.RuneError)
		case !isControl(r, true):
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// escapeLen returns the length of the ANSI escape sequence at the start of
// s (which starts with ESC): the whole of a complete sequence, or ESC alone.
func escapeLen(s string) int {
	if len(s) < 2 {
		return 1
	}
	switch s[1] {
	case '[': // CSI: parameter and intermediate bytes 0x20–0x3F, final 0x40–0x7E
		for j := 2; j < len(s); j++ {
			c := s[j]
			if c >= 0x40 && c <= 0x7e {
				return j + 1
			}
			if c < 0x20 || c > 0x3f {
				return j // not a CSI sequence after all: drop what was read
			}
		}
		return len(s)
	case ']': // OSC: ends with BEL or ST (ESC \)
		for j := 2; j < len(s); j++ {
			switch {
			case s[j] == 0x07:
				return j + 1
			case s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\':
				return j + 2
			case s[j] < 0x20 || s[j] == 0x7f:
				return j
			}
		}
		return len(s)
	}
	if c := s[1]; c >= 0x20 && c <= 0x7e {
		return 2 // two-byte escape such as ESC c (reset)
	}
	return 1
}

func isControl(r rune, whitespace bool) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return !whitespace
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// MaxPasses bounds the passes Sanitize makes to reach a fixed point.
const MaxPasses = 4

// Sanitize runs an HTML sanitizer over s with control characters stripped
// before and after it: HTML sanitizing decodes character references, so
// "&#27;" and "&#x202E;" come out of it as a raw ESC and a bidi override.
// Stripping an escape sequence after sanitizing may remove markup (ESC
// followed by "<" is a two-byte escape), so the two steps repeat, at most
// MaxPasses times, until the output no longer changes: the result is then
// a fixed point, and sanitizing it again changes nothing.
func Sanitize(s string, sanitize func(string) string) string {
	out := Strip(s)
	for range MaxPasses {
		next := Strip(sanitize(out))
		if next == out {
			break
		}
		out = next
	}
	return out
}
