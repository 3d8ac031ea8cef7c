package directives

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart/internal/textctl"
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
	return textctl.Find(s, whitespace)
}

// StripControl removes from s what FindControl(s, true) reports: every
// control character but tab, line feed and carriage return, and each ANSI
// escape sequence whole (CSI "ESC [ … final", OSC "ESC ] … BEL or ESC \",
// and two-byte "ESC X"), so that no "[31m" remnant is left behind. The
// result contains no control character, and stripping it again changes
// nothing. When something is removed, invalid UTF-8 bytes become U+FFFD;
// a string with nothing to remove is returned as it is.
func StripControl(s string) string { return textctl.Strip(s) }

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
