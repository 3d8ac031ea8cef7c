package directives

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// Control characters in input: NUL and the other C0 controls, DEL, the C1
// controls (U+0080–U+009F), ANSI escape sequences (which start with ESC,
// U+001B) and the bidirectional embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069, "Trojan Source") pass HTML sanitizing
// untouched and are invisible in most user interfaces. Stored, they rewrite
// a terminal that prints a log line, truncate a C string at the NUL, or make
// text read differently from what it is. @constraint refuses them and
// @sanitize strips them, keeping tab, line feed and carriage return (text
// with lines); Options.AllowControl opts a field out.

// FindControl returns the byte offset and rune of the first control
// character in s that is not tab, line feed or carriage return (or of the
// first control character at all when whitespace is false), and ok false
// when there is none. Invalid UTF-8 is not reported.
func FindControl(s string, whitespace bool) (at int, r rune, ok bool) {
	for i, r := range s {
		if isControl(r, whitespace) {
			return i, r, true
		}
	}
	return 0, 0, false
}

// StripControl removes from s what FindControl(s, true) reports: every
// control character but tab, line feed and carriage return, and each ANSI
// escape sequence whole (CSI "ESC [ … final", OSC "ESC ] … BEL or ESC \",
// and two-byte "ESC X"), so that no "[31m" remnant is left behind. The
// result contains no control character, and stripping it again changes
// nothing. When something is removed, invalid UTF-8 bytes become U+FFFD;
// a string with nothing to remove is returned as it is.
func StripControl(s string) string {
	if _, _, bad := FindControl(s, true); !bad {
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

// controlMessage says, for a client, which character was refused.
func controlMessage(r rune) string {
	kind := "a control character"
	switch {
	case r == 0:
		kind = "a NUL byte"
	case r == 0x1b:
		kind = "an escape sequence"
	case r >= 0x202a:
		kind = "a bidirectional text override"
	}
	return fmt.Sprintf("must not contain %s (U+%04X)", kind, r)
}

// allowsControl reports whether the input being resolved is one that
// Options.AllowControl lets keep its control characters.
func (d *Directives) allowsControl(ctx context.Context) bool {
	if len(d.allowControl) == 0 {
		return false
	}
	return d.allowControl[InputCoordinate(ctx)]
}

// InputCoordinate names the argument or input field a directive is
// running on, as Options.AllowControl lists them: the field's type and
// name, then the argument and any input fields down to the value, dot
// separated, without list indexes: "Mutation.createPost.input.body" for
// the body of createPost's input argument, "Mutation.setWebsite.url" for
// an argument. It returns "" outside a field's arguments.
func InputCoordinate(ctx context.Context) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return ""
	}
	var names []string
	for pc := graphql.GetPathContext(ctx); pc != nil && pc.ParentField == fc; pc = pc.Parent {
		if pc.Field != nil {
			names = append(names, *pc.Field)
		}
	}
	var b strings.Builder
	b.WriteString(fc.Object + "." + fc.Field.Name)
	for i := len(names) - 1; i >= 0; i-- {
		b.WriteString("." + names[i])
	}
	return b.String()
}

// checkControl refuses a string with a control character, unless the
// field opted out.
func (l *limits) checkControl(s string) (string, string, bool) {
	if !l.refuseControl {
		return "", "", false
	}
	if _, r, bad := FindControl(s, true); bad {
		return "control", controlMessage(r), true
	}
	return "", "", false
}

// stripControl applies StripControl to the string values @sanitize
// rewrites, unless the field opted out; other values are returned as they
// are.
func (d *Directives) stripControl(ctx context.Context, v any) any {
	if d.allowsControl(ctx) {
		return v
	}
	switch v := v.(type) {
	case string:
		return StripControl(v)
	case *string:
		if v != nil {
			s := StripControl(*v)
			return &s
		}
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = StripControl(s)
		}
		return out
	case []*string:
		out := make([]*string, len(v))
		for i, s := range v {
			if s != nil {
				c := StripControl(*s)
				out[i] = &c
			}
		}
		return out
	}
	return v
}

// setOf returns the elements of list as a set (nil when empty).
func setOf(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}
