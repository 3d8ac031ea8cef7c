package directives_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/directives"
)

// TestBackendFailuresFailClosed: a failing lookup or owner function refuses
// with a generic error, and the detail goes to the log only.
func TestBackendFailuresFailClosed(t *testing.T) {
	t.Parallel()
	secret := errors.New("dial tcp 10.0.0.5:5432: connection refused")
	tests := []struct {
		name     string
		opts     directives.Options
		query    string
		path     string
		wantCode string
	}{
		{"lookup_backend_error", directives.Options{Lookups: map[string]directives.LookupFunc{
			"Post": func(context.Context, string) (string, error) { return "", secret },
		}}, `mutation { deletePost(id: "p1") }`, "deletePost", rampart.CodeInternal},
		{"owner_func_error", directives.Options{Owners: map[string]directives.OwnerFunc{
			"Post": func(context.Context, any) (string, error) { return "", secret },
		}}, `{ post(id: "p1") { title draftNotes } }`, "post.draftNotes", rampart.CodeInternal},
		{"no_owner_func_and_not_owned", directives.Options{Owners: map[string]directives.OwnerFunc{
			"Other": func(context.Context, any) (string, error) { return "", nil },
		}}, `{ post(id: "p1") { title draftNotes } }`, "post.draftNotes", rampart.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			tt.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			h := newHarness(t, tt.opts)
			res := h.do(t, alice, tt.query, nil)
			if got := res.code(tt.path); got != tt.wantCode {
				t.Fatalf("code %q, want %q; %s", got, tt.wantCode, res.raw)
			}
			if strings.Contains(res.raw, "10.0.0.5") || strings.Contains(res.raw, "does not implement") {
				t.Fatalf("internal detail leaked: %s", res.raw)
			}
			if !strings.Contains(logs.String(), "level=ERROR") {
				t.Fatalf("failure not logged: %s", logs.String())
			}
			if h.r.CallCount("deletePost") != 0 {
				t.Fatal("resolver ran")
			}
		})
	}
}
