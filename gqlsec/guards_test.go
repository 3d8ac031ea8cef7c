package gqlsec_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

func defaultConfig() gqlsec.Config {
	return gqlsec.Config{Introspection: gqlsec.AllowRoles("ADMIN")}
}

// TestHostileDocumentsNeverReachResolvers sends each attack through the
// full stack with the default configuration and checks the status, the
// code, the exact response (golden file) and that no resolver ran.
func TestHostileDocumentsNeverReachResolvers(t *testing.T) {
	t.Parallel()
	q := func(s string) string { return mustJSON(map[string]any{"query": s}) }
	batch := "[" + strings.TrimSuffix(strings.Repeat(q("{ me { id } }")+",", 1000), ",") + "]"
	tests := []struct {
		name       string
		p          *auth.Principal
		body       string
		wantStatus int
		wantCode   string
	}{
		{"depth_50", nil, q(gqltest.Deep(50)), 400, gqlsec.CodeDepthLimit},
		{"depth_500", nil, q(gqltest.Deep(500)), 400, gqlsec.CodeDepthLimit},
		{"depth_5000", nil, q(gqltest.Deep(5000)), 400, gqlsec.CodeDepthLimit},
		{"depth_5000_admin_unlimited_tokens", admin, q(gqltest.Deep(5000)), 400, gqlsec.CodeDepthLimit},
		{"aliases_1000", nil, q(gqltest.Aliases(1000)), 400, gqlsec.CodeRootFieldLimit},
		{"aliases_1000_nested", nil, q("{ me { " + strings.Repeat("x: name ", 0) + aliasList(1000) + " } }"), 400, gqlsec.CodeAliasLimit},
		{"copies_10000", nil, q(gqltest.Copies(10000)), 400, gqlsec.CodeFieldLimit},
		{"directives_1000", nil, q(strings.Replace(gqltest.Directives(1000), "@include(if: true)", "@tag", -1)), 400, gqlsec.CodeDirectiveLimit},
		{"fragment_bomb_10x10", nil, q(gqltest.FragmentBomb(10, 10)), 400, gqlsec.CodeFieldLimit},
		{"fragment_cycle", nil, q(gqltest.FragmentCycle()), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"document_512kb", nil, q(gqltest.BigDocument(512 << 10)), 400, gqlsec.CodeDocumentSize},
		{"document_2mb", nil, q(gqltest.BigDocument(2 << 20)), 413, gqlsec.CodeRequestTooLarge},
		{"tokens_20000", nil, q(gqltest.Echo(20000)), 400, gqlsec.CodeTokenLimit},
		{"huge_string_literal", nil, q(gqltest.HugeString(512 << 10)), 400, gqlsec.CodeDocumentSize},
		{"wrong_operation_name", nil, mustJSON(map[string]any{"query": gqltest.ManyOperations(500), "operationName": "Nope"}), 400, "GRAPHQL_VALIDATION_FAILED"},
		{"circular_introspection", nil, q(gqltest.CircularIntrospection(100)), 400, gqlsec.CodeDepthLimit},
		{"circular_introspection_admin", admin, q(gqltest.CircularIntrospection(100)), 400, gqlsec.CodeDepthLimit},
		{"introspection_anonymous", nil, q(introspection.Query), 403, gqlsec.CodeIntrospection},
		{"first_1000000", nil, q(`{ posts(first: 1000000) { nodes { id } } }`), 400, gqlsec.CodeCostLimit},
		{"batch_1000", nil, batch, 400, gqlsec.CodeBatchingUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A fresh server (and resolver counter) per row; admins get
			// unlimited tokens, to show the other guards still hold.
			hh := newHarness(t, gqlsec.Config{
				Introspection: gqlsec.AllowRoles("ADMIN"),
				Limits: gqlsec.OperationLimits{For: func(p *auth.Principal) gqlsec.OperationLimits {
					if p.HasRole("ADMIN") {
						return gqlsec.OperationLimits{Tokens: rampart.Unlimited}
					}
					return gqlsec.OperationLimits{}
				}},
			})
			r := hh.do(t, tt.p, tt.body)
			if r.status != tt.wantStatus || r.code(t) != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q; body %.300s", r.status, r.code(t), tt.wantStatus, tt.wantCode, r.body)
			}
			if n := hh.es.Resolves(); n != 0 || hh.es.Execs() != 0 {
				t.Fatalf("%d resolvers ran", n)
			}
			goldenResponse(t, tt.name, r)
		})
	}
}

func aliasList(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: name ", i)
	}
	return b.String()
}

// TestLimitBoundaries checks a row at each limit (passes, with data) and
// one past it (refused, with limit and observed).
func TestLimitBoundaries(t *testing.T) {
	t.Parallel()
	dirs := func(n int) string {
		return "{ me { name " + strings.Repeat("@tag ", n) + "} }"
	}
	docDirs := func(n int) string {
		var b strings.Builder
		b.WriteString("{ me { ")
		for i := range n {
			fmt.Fprintf(&b, "name @tag(name: \"%d\") ", i)
		}
		b.WriteString("} }")
		return b.String()
	}
	tests := []struct {
		name     string
		query    string
		wantCode string
		limit    int64
	}{
		{"depth_at_limit_passes", gqltest.Deep(gqlsec.DefaultDepth), "", 0},
		{"depth_past_limit_refused", gqltest.Deep(gqlsec.DefaultDepth + 1), gqlsec.CodeDepthLimit, gqlsec.DefaultDepth},
		{"aliases_at_limit_passes", "{ me { " + aliasList(gqlsec.DefaultAliases) + "} }", "", 0},
		{"aliases_past_limit_refused", "{ me { " + aliasList(gqlsec.DefaultAliases+1) + "} }", gqlsec.CodeAliasLimit, gqlsec.DefaultAliases},
		{"root_fields_at_limit_passes", gqltest.RootCopies(gqlsec.DefaultRootFields), "", 0},
		{"root_fields_past_limit_refused", gqltest.RootCopies(gqlsec.DefaultRootFields + 1), gqlsec.CodeRootFieldLimit, gqlsec.DefaultRootFields},
		{"fields_at_limit_passes", gqltest.Copies(gqlsec.DefaultFields - 1), "", 0},
		{"fields_past_limit_refused", gqltest.Copies(gqlsec.DefaultFields), gqlsec.CodeFieldLimit, gqlsec.DefaultFields},
		{"directives_per_field_at_limit_passes", dirs(gqlsec.DefaultDirectivesPerField), "", 0},
		{"directives_per_field_past_limit_refused", dirs(gqlsec.DefaultDirectivesPerField + 1), gqlsec.CodeDirectiveLimit, gqlsec.DefaultDirectivesPerField},
		{"directives_per_document_at_limit_passes", docDirs(gqlsec.DefaultDirectives), "", 0},
		{"directives_per_document_past_limit_refused", docDirs(gqlsec.DefaultDirectives + 1), gqlsec.CodeDirectiveLimit, gqlsec.DefaultDirectives},
		{"tokens_at_limit_passes", gqltest.Echo(gqlsec.DefaultTokens - 9), "", 0},
		{"tokens_past_limit_refused", gqltest.Echo(gqlsec.DefaultTokens - 8), gqlsec.CodeTokenLimit, gqlsec.DefaultTokens},
		{"document_bytes_at_limit_passes", "{ tags }" + strings.Repeat(" ", gqlsec.DefaultDocumentBytes-8), "", 0},
		{"document_bytes_past_limit_refused", "{ tags }" + strings.Repeat(" ", gqlsec.DefaultDocumentBytes-7), gqlsec.CodeDocumentSize, gqlsec.DefaultDocumentBytes},
		{"cost_at_limit_passes", fmt.Sprintf(`{ posts(first: %d) { nodes { id } } }`, gqlsec.DefaultMaxCost-1), "", 0},
		{"cost_past_limit_refused", fmt.Sprintf(`{ posts(first: %d) { nodes { id } } }`, gqlsec.DefaultMaxCost), gqlsec.CodeCostLimit, gqlsec.DefaultMaxCost},
	}
	h := newHarness(t, defaultConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := h.query(t, nil, tt.query)
			body := r.json(t)
			if got := r.code(t); got != tt.wantCode {
				t.Fatalf("code %q, want %q: %.400s", got, tt.wantCode, r.body)
			}
			if tt.wantCode == "" {
				if r.status != http.StatusOK || body["data"] == nil || body["errors"] != nil {
					t.Fatalf("benign query refused: %d %.400s", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d", r.status)
			}
			ext := body["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)
			if ext["limit"] != float64(tt.limit) || ext["observed"].(float64) <= float64(tt.limit) {
				t.Fatalf("limit/observed = %v/%v", ext["limit"], ext["observed"])
			}
		})
	}
}
