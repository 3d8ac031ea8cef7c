package directives_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/directives"
)

// xssPayloads are the attack rows shared by the sanitize table and the fuzz
// seeds.
var xssPayloads = []struct {
	name, in, strict string
}{
	{"script_tag", `<script>alert(1)</script>`, ``},
	{"script_tag_with_text", `hi<script>alert(1)</script>there`, `hithere`},
	{"img_onerror", `<img src=x onerror=alert(1)>`, ``},
	{"anchor_javascript_href", `<a href="javascript:alert(1)">x</a>`, `x`},
	{"svg_onload", `<svg onload=alert(1)>`, ``},
	{"mixed_case_script", `<ScRiPt>alert(1)</sCrIpT>`, ``},
	{"html_entity_encoded_script", `&lt;script&gt;alert(1)&lt;/script&gt;`, `&lt;script&gt;alert(1)&lt;/script&gt;`},
	{"numeric_entity_javascript_href", `<a href="&#106;avascript:alert(1)">x</a>`, `x`},
	{"url_encoded_script", `%3Cscript%3Ealert(1)%3C%2Fscript%3E`, `%3Cscript%3Ealert(1)%3C%2Fscript%3E`},
	{"nested_script", `<scr<script>ipt>alert(1)</script>`, `ipt&gt;alert(1)`},
	{"unclosed_img", `<img src=x onerror=alert(1)`, ``},
	{"unclosed_script", `<script>alert(1)`, ``},
	{"iframe_srcdoc", `<iframe srcdoc="<script>alert(1)</script>">`, ``},
	{"style_expression", `<div style="background:url(javascript:alert(1))">x</div>`, `x`},
	{"benign_text", `Hello, world`, `Hello, world`},
	{"benign_ampersand_is_escaped", `Tom & Jerry`, `Tom &amp; Jerry`},
	{"benign_less_than_is_escaped", `1 < 2`, `1 &lt; 2`},
	{"benign_unicode", `héllo 世界 🚀`, `héllo 世界 🚀`},
}

var (
	reScript     = regexp.MustCompile(`(?i)<\s*script`)
	reOnHandler  = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	reJavascript = regexp.MustCompile(`(?i)javascript\s*:`)
	reTag        = regexp.MustCompile(`<[^>]*>?`)
)

// assertInert fails when s still carries an executable construct: a script
// element anywhere, or an event-handler attribute or javascript: URL inside a
// tag (entities decoded, as a browser would). The words in plain text are
// inert ("javascript:0" as text stays; stripping it would mangle prose).
func assertInert(t testing.TB, s string) {
	t.Helper()
	if reScript.MatchString(s) {
		t.Fatalf("sanitized output %q contains a script element", s)
	}
	for _, tag := range reTag.FindAllString(s, -1) {
		tag = html.UnescapeString(tag)
		if reOnHandler.MatchString(tag) || reJavascript.MatchString(tag) {
			t.Fatalf("sanitized output %q has a dangerous tag %q", s, tag)
		}
	}
}

// TestSanitizeXSS runs the payloads through the graph (@sanitize on an
// argument) under the strict and ugc policies.
func TestSanitizeXSS(t *testing.T) {
	t.Parallel()
	h := newHarness(t, directives.Options{})
	for _, tt := range xssPayloads {
		t.Run("strict/"+tt.name, func(t *testing.T) {
			t.Parallel()
			res := h.do(t, anonymous, `query($t: String!) { echo(text: $t) }`, map[string]any{"t": tt.in})
			got, _ := field(res.Data, "echo").(string)
			if got != tt.strict || len(res.Errors) != 0 {
				t.Fatalf("echo(%q) = %q, want %q; %s", tt.in, got, tt.strict, res.raw)
			}
			assertInert(t, got)
		})
		t.Run("ugc/"+tt.name, func(t *testing.T) {
			t.Parallel()
			res := h.do(t, anonymous, `query($t: String!) { echoUGC(html: $t) }`, map[string]any{"t": tt.in})
			got, _ := field(res.Data, "echoUGC").(string)
			if len(res.Errors) != 0 {
				t.Fatalf("errors: %s", res.raw)
			}
			assertInert(t, got)
			if strings.HasPrefix(tt.name, "benign") && got != tt.strict {
				t.Fatalf("benign %q changed to %q", tt.in, got)
			}
		})
	}
	t.Run("ugc_keeps_safe_formatting", func(t *testing.T) {
		t.Parallel()
		in := `<b>bold</b> <a href="https://example.com">link</a>`
		want := `<b>bold</b> <a href="https://example.com" rel="nofollow">link</a>`
		res := h.do(t, anonymous, `query($t: String!) { echoUGC(html: $t) }`, map[string]any{"t": in})
		if got := field(res.Data, "echoUGC"); got != want {
			t.Fatalf("got %v, want %q", got, want)
		}
	})
}

// TestConstraint: each limit with a row at the limit and one past it, through
// arguments and input fields; violations are BAD_USER_INPUT at the input's
// path and name the constraint.
func TestConstraint(t *testing.T) {
	t.Parallel()
	const create = `mutation($in: PostInput!) { createPost(input: $in) { title } }`
	post := func(title, body string, slug any) map[string]any {
		return map[string]any{"in": map[string]any{"title": title, "body": body, "slug": slug}}
	}
	tests := []struct {
		name       string
		query      string
		vars       map[string]any
		wantPath   string // path of the BAD_USER_INPUT error; "" means accepted
		constraint string
	}{
		{"title_max_length_at_limit", create, post("0123456789", "b", nil), "", ""},
		{"title_max_length_past_limit", create, post("0123456789x", "b", nil), "createPost.input.title", "maxLength"},
		{"title_multibyte_at_limit", create, post("世界世界世界世界世界", "b", nil), "", ""},
		{"title_min_length_at_limit", create, post("a", "b", nil), "", ""},
		{"title_min_length_past_limit", create, post("", "b", nil), "createPost.input.title", "minLength"},
		{"title_sanitized_before_length_check", create, post("<b>0123456789</b>", "b", nil), "", ""},
		{"title_only_markup_is_empty_after_sanitize", create, post("<script>x</script>", "b", nil), "createPost.input.title", "minLength"},
		{"title_escaping_counts_toward_length", create, post("a&b&c", "b", nil), "createPost.input.title", "maxLength"},
		{"body_max_length_at_limit", create, post("t", strings.Repeat("x", 200), nil), "", ""},
		{"body_max_length_past_limit", create, post("t", strings.Repeat("x", 201), nil), "createPost.input.body", "maxLength"},
		{"slug_pattern_ok", create, post("t", "b", "my-post-1"), "", ""},
		{"slug_null_skips_checks", create, post("t", "b", nil), "", ""},
		{"slug_pattern_underscore", create, post("t", "b", "my_post"), "createPost.input.slug", "pattern"},
		{"slug_pattern_anchored_suffix", create, post("t", "b", "ok<script>"), "createPost.input.slug", "pattern"},
		{"slug_pattern_anchored_newline", create, post("t", "b", "ok\nevil"), "createPost.input.slug", "pattern"},
		{"arg_sanitized_at_limit", `{ shout(text: "<i>abcde</i>") }`, nil, "", ""},
		{"arg_past_limit", `{ shout(text: "abcdef") }`, nil, "shout.text", "maxLength"},
		{"email_ok", `{ checkEmail(email: "a.b+tag@example.co.uk") }`, nil, "", ""},
		{"email_display_name", `{ checkEmail(email: "Eve <eve@example.com>") }`, nil, "checkEmail.email", "format"},
		{"email_no_domain_dot", `{ checkEmail(email: "eve@localhost") }`, nil, "checkEmail.email", "format"},
		{"email_header_injection", `{ checkEmail(email: "eve@example.com\nBcc: x@example.com") }`, nil, "checkEmail.email", "format"},
		{"email_at_254_bytes", `{ checkEmail(email: "` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + `.com") }`, nil, "", ""},
		{"email_past_254_bytes", `{ checkEmail(email: "` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + `.com") }`, nil, "checkEmail.email", "format"},
		{"url_https_ok", `{ checkURL(url: "https://example.com/a?b=c") }`, nil, "", ""},
		{"url_javascript_scheme", `{ checkURL(url: "javascript:alert(1)") }`, nil, "checkURL.url", "format"},
		{"url_userinfo_phishing", `{ checkURL(url: "https://trusted.example@evil.example/") }`, nil, "checkURL.url", "format"},
		{"url_relative", `{ checkURL(url: "/etc/passwd") }`, nil, "checkURL.url", "format"},
		{"url_file_scheme", `{ checkURL(url: "file:///etc/passwd") }`, nil, "checkURL.url", "format"},
		{"uuid_ok", `{ checkUUID(ref: "123e4567-e89b-12d3-a456-426614174000") }`, nil, "", ""},
		{"uuid_braced", `{ checkUUID(ref: "{123e4567-e89b-12d3-a456-426614174000}") }`, nil, "checkUUID.ref", "format"},
		{"uuid_sql_injection", `{ checkUUID(ref: "1' OR '1'='1") }`, nil, "checkUUID.ref", "format"},
		{"age_min_at_limit", `{ checkAge(age: 13) }`, nil, "", ""},
		{"age_min_past_limit", `{ checkAge(age: 12) }`, nil, "checkAge.age", "min"},
		{"age_max_at_limit", `{ checkAge(age: 130) }`, nil, "", ""},
		{"age_max_past_limit", `{ checkAge(age: 131) }`, nil, "checkAge.age", "max"},
		{"list_elements_at_limits", `{ checkTags(tags: ["ab", "abcde"]) }`, nil, "", ""},
		{"list_element_too_short", `{ checkTags(tags: ["ab", "a"]) }`, nil, "checkTags.tags", "minLength"},
		{"list_element_too_long", `{ checkTags(tags: ["abcdef"]) }`, nil, "checkTags.tags", "maxLength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, directives.Options{})
			res := h.do(t, alice, tt.query, tt.vars)
			if tt.wantPath == "" {
				if len(res.Errors) != 0 {
					t.Fatalf("want accepted, got %s", res.raw)
				}
				return
			}
			if len(res.Errors) != 1 {
				t.Fatalf("want one error, got %s", res.raw)
			}
			e := res.Errors[0]
			if pathString(e.Path) != tt.wantPath || e.Extensions["code"] != rampart.CodeBadUserInput || e.Extensions["constraint"] != tt.constraint {
				t.Fatalf("got path %v code %v constraint %v, want %s %s %s; %s",
					e.Path, e.Extensions["code"], e.Extensions["constraint"], tt.wantPath, rampart.CodeBadUserInput, tt.constraint, res.raw)
			}
			if h.r.CallCount("createPost") != 0 {
				t.Fatal("resolver ran with invalid input")
			}
		})
	}
}
