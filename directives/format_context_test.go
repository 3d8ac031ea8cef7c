package directives_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/directives"
)

// TestFormatContext: a context-aware format (PUBLIC_URL, registered with a
// fake of ssrf.Guard.Check) refuses internal targets with BAD_USER_INPUT and
// a generic message; the checker's detail (resolved addresses) is logged,
// never sent.
func TestFormatContext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		url    string
		refuse bool
	}{
		{"public_host_allowed", "https://example.com/hook", false},
		{"cloud_metadata_refused", "http://169.254.169.254/latest/meta-data/", true},
		{"private_range_refused", "http://10.0.0.5:8080/admin", true},
		{"loopback_refused", "http://127.0.0.1:6379/", true},
		{"localhost_refused", "http://localhost/", true},
		{"non_http_scheme_refused", "gopher://example.com/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := newHarness(t, directives.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			res := h.do(t, anonymous, `query($u: String!) { checkPublicURL(url: $u) }`, map[string]any{"u": tt.url})
			if !tt.refuse {
				if len(res.Errors) != 0 || field(res.Data, "checkPublicURL") != true {
					t.Fatalf("want accepted: %s", res.raw)
				}
				return
			}
			e := errorAt(t, res, "checkPublicURL.url")
			if e.Extensions["code"] != rampart.CodeBadUserInput || e.Extensions["constraint"] != "format" ||
				e.Message != "url: must be a valid PUBLIC_URL" {
				t.Fatalf("unexpected refusal: %s", res.raw)
			}
			if strings.Contains(res.raw, "10.1.2.3") || strings.Contains(res.raw, "ssrf") {
				t.Fatalf("checker detail leaked: %s", res.raw)
			}
			if !strings.Contains(logs.String(), "PUBLIC_URL") {
				t.Fatalf("refusal not logged: %s", logs.String())
			}
		})
	}
}

// TestFormatContextGetsRequestContext: the checker sees the request's
// context (values and cancellation); a check cut short by the end of the
// request is an internal error, not the value's fault.
func TestFormatContextGetsRequestContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	var seen any
	d, err := directives.New(directives.Options{FormatsContext: map[string]directives.FormatContextFunc{
		"PUBLIC_URL": func(ctx context.Context, s string) error {
			seen = ctx.Value(key{})
			return fakePublicURL(ctx, s)
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ValidateSchema(loadSchema(t, `type Query { a(u: String @constraint(format: "PUBLIC_URL")): String @public }`)); err != nil {
		t.Fatal(err)
	}
	format := "PUBLIC_URL"
	arg := func(v string) graphql.Resolver { return func(context.Context) (any, error) { return v, nil } }

	ctx := context.WithValue(context.Background(), key{}, "request-1")
	if v, err := d.Constraint(ctx, nil, arg("https://example.com"), nil, nil, nil, &format, nil, nil); err != nil || v != "https://example.com" {
		t.Fatalf("public URL: %v %v", v, err)
	}
	if seen != "request-1" {
		t.Fatalf("checker saw context value %v", seen)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = d.Constraint(cancelled, nil, arg("https://hang.slow.example"), nil, nil, nil, &format, nil, nil)
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) || gqlErr.Extensions["code"] != rampart.CodeInternal {
		t.Fatalf("cancelled check: %v, want %s", err, rampart.CodeInternal)
	}
}
