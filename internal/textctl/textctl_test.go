package textctl_test

import (
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/textctl"
)

func TestStripKeepsTextWithLines(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a\tb\nc\rd":                     "a\tb\nc\rd",
		"a\x00b\x1b[31mc\u202e":          "abc",
		"caf\u00e9 \u2014 \u201cx\u201d": "caf\u00e9 \u2014 \u201cx\u201d",
	} {
		if got := textctl.Strip(in); got != want {
			t.Errorf("Strip(%q) = %q, want %q", in, got, want)
		}
	}
}

// escapeReferences stands for an HTML sanitizer: it decodes &#27; into ESC
// and otherwise leaves the text alone, as bluemonday does.
func escapeReferences(s string) string { return strings.ReplaceAll(s, "&#27;", "\x1b") }

func TestSanitizeStripsAfterTheSanitizer(t *testing.T) {
	t.Parallel()
	got := textctl.Sanitize("\x00&#27;[31mred", escapeReferences)
	if got != "red" {
		t.Fatalf("Sanitize = %q, want red", got)
	}
	if again := textctl.Sanitize(got, escapeReferences); again != got {
		t.Fatalf("not a fixed point: %q then %q", got, again)
	}
	if got := textctl.Sanitize("plain", escapeReferences); got != "plain" {
		t.Fatalf("benign text changed: %q", got)
	}
}
