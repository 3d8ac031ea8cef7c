package directives_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/directives"
)

// FuzzSanitize: for both built-in policies, sanitizing is idempotent and the
// output carries no script element, event-handler attribute or javascript:
// URL.
func FuzzSanitize(f *testing.F) {
	for _, tt := range xssPayloads {
		f.Add(tt.in)
	}
	f.Add(`<a href="JaVaScRiPt:alert(1)">x</a>`)
	f.Add(`<<script>script>alert(1)<</script>/script>`)
	f.Add(`<img """><script>alert(1)</script>">`)
	f.Add("&#27;[31m&#x202E;x\x00<b>&#x9b;</b>")
	d, err := directives.New(directives.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, policy := range []string{directives.PolicyStrict, directives.PolicyUGC} {
			once, err := d.SanitizeString(policy, in)
			if err != nil {
				t.Fatal(err)
			}
			twice, _ := d.SanitizeString(policy, once)
			if once != twice {
				t.Fatalf("%s: not idempotent:\nin:    %q\nonce:  %q\ntwice: %q", policy, in, once, twice)
			}
			assertInert(t, once)
			if at, r, bad := directives.FindControl(once, true); bad {
				t.Fatalf("%s: output %q of %q keeps control U+%04X at %d", policy, once, in, r, at)
			}
			if policy == directives.PolicyStrict && strings.ContainsAny(once, "<>") {
				t.Fatalf("strict output %q contains a raw angle bracket", once)
			}
		}
	})
}

// FuzzConstraint: arbitrary strings against every format (a context-aware
// one included), a pattern and the length limits never panic, and every
// refusal is a BAD_USER_INPUT error that names its constraint and never
// carries a context format's internal detail.
func FuzzConstraint(f *testing.F) {
	seeds := []string{
		"", "a", "a.b+tag@example.co.uk", "Eve <eve@example.com>", "eve@localhost",
		"https://example.com/a?b=c", "javascript:alert(1)", "https://trusted@evil", "http://[::1]:80/",
		"123e4567-e89b-12d3-a456-426614174000", "1' OR '1'='1", "my-post-1", "ok\nevil",
		"\xff\xfe", "世界世界世界世界世界x", "%00", "http://a\x00b",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	// CTX_URL is a context-aware format whose error carries detail that
	// must never reach the client.
	d, err := directives.New(directives.Options{FormatsContext: map[string]directives.FormatContextFunc{
		"CTX_URL": func(ctx context.Context, s string) error {
			if err := directives.CheckURL(s); err != nil {
				return fmt.Errorf("internal-detail 10.9.8.7: %w", err)
			}
			return ctx.Err()
		},
	}})
	if err != nil {
		f.Fatal(err)
	}
	if err := d.ValidateSchema(loadSchema(f, `type Query { a(s: String @constraint(pattern: "[a-z0-9-]+"), u: String @constraint(format: "CTX_URL")): String @public }`)); err != nil {
		f.Fatal(err)
	}
	minLen, maxLen := 1, 10
	pattern := "[a-z0-9-]+"
	formats := []string{directives.FormatEmail, directives.FormatURL, directives.FormatUUID}
	f.Fuzz(func(t *testing.T, in string) {
		next := func(context.Context) (any, error) { return in, nil }
		_, _, hasControl := directives.FindControl(in, true)
		check := func(v any, err error, want string) {
			if hasControl {
				want = "control" // checked before every other limit
			}
			if err == nil {
				if v != in {
					t.Fatalf("accepted value changed: %q -> %v", in, v)
				}
				return
			}
			var gqlErr *gqlerror.Error
			if !errors.As(err, &gqlErr) || !errors.Is(err, directives.ErrInvalidInput) ||
				gqlErr.Extensions["code"] != rampart.CodeBadUserInput || gqlErr.Extensions["constraint"] != want {
				t.Fatalf("%q: unexpected error %v (%v)", in, err, gqlErr)
			}
		}
		for _, format := range formats {
			v, err := d.Constraint(context.Background(), nil, next, nil, nil, nil, &format, nil, nil)
			check(v, err, "format")
			if err == nil && (!utf8.ValidString(in) || strings.ContainsAny(in, " \n\r\t<>\"")) {
				t.Fatalf("%s accepted %q", format, in)
			}
		}
		ctxFormat := "CTX_URL"
		v, err := d.Constraint(context.Background(), nil, next, nil, nil, nil, &ctxFormat, nil, nil)
		check(v, err, "format")
		if !hasControl && (err == nil) != (directives.CheckURL(in) == nil) {
			t.Fatalf("CTX_URL decided %v for %q, CheckURL %v", err, in, directives.CheckURL(in))
		}
		if err != nil && strings.Contains(err.Error(), "internal-detail") {
			t.Fatalf("context format detail reached the client: %v", err)
		}
		v, err = d.Constraint(context.Background(), nil, next, nil, nil, &pattern, nil, nil, nil)
		check(v, err, "pattern")
		v, err = d.Constraint(context.Background(), nil, next, &minLen, &maxLen, nil, nil, nil, nil)
		if err == nil {
			if n := utf8.RuneCountInString(in); n < minLen || n > maxLen {
				t.Fatalf("length %d accepted", n)
			}
		} else if n := utf8.RuneCountInString(in); n >= minLen && n <= maxLen && !hasControl {
			t.Fatalf("length %d refused: %v", n, err)
		}
		_ = v
	})
}
