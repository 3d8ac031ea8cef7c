package directives_test

import (
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/directives"
)

// controlAttacks are values that pass HTML sanitizing untouched but carry a
// control character.
var controlAttacks = []struct{ name, in, stripped string }{
	{"nul", "ab\x00cd", "abcd"},
	{"bell_and_backspace", "a\x07\x08b", "ab"},
	{"del", "a\x7fb", "ab"},
	{"c1_csi", "a\u009b31mb", "a31mb"},
	{"c1_nel", "a\u0085b", "ab"},
	{"ansi_color", "\x1b[31mred\x1b[0m", "red"},
	{"ansi_clear_screen", "x\x1b[2J\x1b[Hy", "xy"},
	{"ansi_osc_title", "a\x1b]0;pwned\x07b", "ab"},
	{"ansi_osc_st", "a\x1b]8;;https://evil.example\x1b\\b", "ab"},
	{"ansi_reset", "a\x1bcb", "ab"},
	{"lone_escape", "a\x1b", "a"},
	{"bidi_override_rlo", "invoice_\u202Efdp.exe", "invoice_fdp.exe"},
	{"bidi_isolates", "a\u2066b\u2069c\u2067d\u2068e", "abcde"},
	{"bidi_embeddings", "\u202Aa\u202Bb\u202Cc\u202D", "abc"},
}

func TestStripAndFindControl(t *testing.T) {
	t.Parallel()
	for _, tt := range controlAttacks {
		if _, _, bad := directives.FindControl(tt.in, true); !bad {
			t.Errorf("%s: FindControl missed %q", tt.name, tt.in)
		}
		if got := directives.StripControl(tt.in); got != tt.stripped {
			t.Errorf("%s: StripControl(%q) = %q, want %q", tt.name, tt.in, got, tt.stripped)
		}
	}
	for _, ok := range []string{"plain", "tab\there", "lines\nand\r\nmore", "héllo 世界 🚀", "a\u200db", "\u202F"} {
		if _, _, bad := directives.FindControl(ok, true); bad {
			t.Errorf("FindControl refused benign %q", ok)
		}
		if got := directives.StripControl(ok); got != ok {
			t.Errorf("StripControl changed benign %q to %q", ok, got)
		}
	}
	if _, r, bad := directives.FindControl("a\tb", false); !bad || r != '\t' {
		t.Error("FindControl without whitespace should report the tab")
	}
}

// @constraint refuses control characters with BAD_USER_INPUT and a clear
// message; @sanitize (written before @constraint) strips them; a field in
// Options.AllowControl keeps them; benign text passes.
func TestControlCharactersInInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, directives.Options{})
	for _, tt := range controlAttacks {
		// The control check comes before the others (slug's pattern).
		res := h.do(t, alice, `mutation($in: PostInput!) { createPost(input: $in) { title } }`,
			map[string]any{"in": map[string]any{"title": "t", "body": "b", "slug": tt.in}})
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != rampart.CodeBadUserInput || res.Errors[0].Extensions["constraint"] != "control" {
			t.Fatalf("%s: want BAD_USER_INPUT control, got %s", tt.name, res.raw)
		}
		if msg := res.Errors[0].Message; !strings.Contains(msg, "must not contain") {
			t.Fatalf("%s: unclear message %q", tt.name, msg)
		}
	}
	if h.r.CallCount("createPost") != 0 {
		t.Fatal("resolver ran with a control character")
	}
	// List elements are checked one by one.
	if res := h.do(t, alice, `query($t: [String!]!) { checkTags(tags: $t) }`, map[string]any{"t": []string{"ab", "a\x00b"}}); len(res.Errors) != 1 || res.Errors[0].Extensions["constraint"] != "control" {
		t.Fatalf("NUL in a list element: %s", res.raw)
	}
	// Tab and newline are text, not attacks.
	if res := h.do(t, alice, `query($t: [String!]!) { checkTags(tags: $t) }`, map[string]any{"t": []string{"a\tb", "c\nd"}}); len(res.Errors) != 0 {
		t.Fatalf("tab and newline refused: %s", res.raw)
	}
	// @sanitize strips, so the value @constraint then sees is clean.
	for _, tt := range controlAttacks {
		res := h.do(t, alice, `query($t: String!) { echo(text: $t) }`, map[string]any{"t": tt.in})
		if got, _ := res.Data["echo"].(string); len(res.Errors) != 0 || got != tt.stripped {
			t.Fatalf("%s: echo = %q (%s), want %q", tt.name, got, res.raw, tt.stripped)
		}
	}
	// HTML sanitizing decodes character references into the controls
	// themselves: they are stripped after the policy too.
	for in, want := range map[string]string{"&#27;[31mred&#x1b;[0m": "red", "invoice_&#x202E;fdp.exe": "invoice_fdp.exe", "a&#0;b&#x85;c": "a\ufffdb\u2026c", "caf&eacute; &amp; co": "café &amp; co"} {
		res := h.do(t, alice, `query($t: String!) { echo(text: $t) }`, map[string]any{"t": in})
		if got, _ := res.Data["echo"].(string); len(res.Errors) != 0 || got != want {
			t.Fatalf("echo(%q) = %q (%s), want %q", in, got, res.raw, want)
		}
	}
	res := h.do(t, alice, `mutation($in: PostInput!) { createPost(input: $in) { title } }`,
		map[string]any{"in": map[string]any{"title": "a\x00b\u202Ec", "body": "b"}})
	created, _ := res.Data["createPost"].(map[string]any)
	if got, _ := created["title"].(string); got != "abc" {
		t.Fatalf("sanitized title = %q (%s), want abc", got, res.raw)
	}
}

// Options.AllowControl opts one field out, by its coordinate.
func TestAllowControlOptOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, directives.Options{AllowControl: []string{"Mutation.createPost.input.slug", "Query.echo.text"}})
	res := h.do(t, alice, `mutation($in: PostInput!) { createPost(input: $in) { title } }`,
		map[string]any{"in": map[string]any{"title": "t\x00", "body": "b", "slug": "a\x1b[0m"}})
	if len(res.Errors) != 1 || res.Errors[0].Extensions["constraint"] != "pattern" {
		// The slug may keep its escape; its pattern still refuses it.
		t.Fatalf("opted-out slug: %s", res.raw)
	}
	if r := h.do(t, alice, `query($t: String!) { echo(text: $t) }`, map[string]any{"t": "a\x00b"}); r.Data["echo"] != "a\x00b" {
		t.Fatalf("opted-out echo stripped: %s", r.raw)
	}
	if r := h.do(t, alice, `query($t: String!) { shout(text: $t) }`, map[string]any{"t": "a\x00b"}); r.Data["shout"] != "ab" {
		t.Fatalf("a field not opted out kept its NUL: %s", r.raw)
	}
}

// FuzzStripControl: the output has no control character, stripping is
// idempotent, and valid text without controls is left alone.
func FuzzStripControl(f *testing.F) {
	for _, tt := range controlAttacks {
		f.Add(tt.in)
	}
	f.Add("plain\ttext\n")
	f.Add("\x1b[")
	f.Add("\x1b]0;\x1b")
	f.Add("\xff\x1b[31m")
	f.Fuzz(func(t *testing.T, in string) {
		out := directives.StripControl(in)
		if at, r, bad := directives.FindControl(out, true); bad {
			t.Fatalf("StripControl(%q) = %q still has U+%04X at %d", in, out, r, at)
		}
		if again := directives.StripControl(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if _, _, bad := directives.FindControl(in, true); !bad && out != in {
			t.Fatalf("clean input %q changed to %q", in, out)
		}
		if len(out) > 3*len(in) { // an invalid byte may become U+FFFD
			t.Fatalf("output too long: %q -> %q", in, out)
		}
	})
}
