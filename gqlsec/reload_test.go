package gqlsec_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
	"github.com/rampart-go/rampart/ratelimit"
)

// deep6 is a query of depth 6.
var deep6 = gqltest.Deep(6)

// reloadHarness installs cfg with a Reloader and returns both.
func reloadHarness(t *testing.T, cfg gqlsec.Config) (*harness, *gqlsec.Reloader) {
	t.Helper()
	r := &gqlsec.Reloader{}
	cfg.Reloader = r
	return newHarness(t, cfg), r
}

// depthCfg is a configuration with depth limit d and a fixed logger, as
// a reloading server builds it each time.
func depthCfg(log *slog.Logger, d int) gqlsec.Config {
	return gqlsec.Config{Logger: log, Limits: gqlsec.OperationLimits{Depth: d}, Introspection: gqlsec.AllowRoles("ADMIN")}
}

// wantCode checks r's code ("" = success with 200) and, when limit is
// not 0, its extensions.limit.
func wantCode(t *testing.T, r response, code string, limit int) {
	t.Helper()
	if got := r.code(t); got != code {
		t.Fatalf("code %q, want %q (status %d, %s)", got, code, r.status, r.body)
	}
	if code == "" {
		if r.status != http.StatusOK {
			t.Fatalf("status %d, want 200: %s", r.status, r.body)
		}
		return
	}
	if limit == 0 {
		return
	}
	errs := r.json(t)["errors"].([]any)
	if got := errs[0].(map[string]any)["extensions"].(map[string]any)["limit"]; got != float64(limit) {
		t.Fatalf("extensions.limit %v, want %d", got, limit)
	}
}

// TestReloadSwapsLimits: a valid Reload applies to the next operation,
// lowering and raising a limit, including for a document already in the
// query cache.
func TestReloadSwapsLimits(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	h, r := reloadHarness(t, depthCfg(log, 6))
	wantCode(t, h.query(t, user, deep6), "", 0) // passes, and is cached

	if err := r.Reload(depthCfg(log, 5)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	wantCode(t, h.query(t, user, deep6), gqlsec.CodeDepthLimit, 5)

	if err := r.Reload(depthCfg(log, 6)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	wantCode(t, h.query(t, user, deep6), "", 0)
	if n := h.es.Execs(); n != 2 {
		t.Fatalf("executed %d operations, want 2 (the refused one never ran)", n)
	}
}

// TestReloadRefusesInvalidConfig: every invalid configuration is refused
// with an error naming the problem, and the configuration in force still
// applies.
func TestReloadRefusesInvalidConfig(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	h, r := reloadHarness(t, depthCfg(log, 5))
	other := &gqlsec.Reloader{}
	tests := []struct {
		name   string
		mutate func(*gqlsec.Config)
		want   string // in the error
	}{
		{"negative limit", func(c *gqlsec.Config) { c.Limits.Depth = -5 }, "OperationLimits.Depth = -5"},
		{"unknown mode name", func(c *gqlsec.Config) { c.Limits.Modes = map[string]rampart.Mode{"Dpeth": rampart.Measure} }, `Modes["Dpeth"]`},
		{"invalid mode", func(c *gqlsec.Config) { c.IntrospectionMode = rampart.Mode(42) }, "Introspection.Mode"},
		{"negative cost", func(c *gqlsec.Config) { c.Cost.Max = -2 }, "CostLimit.Max = -2"},
		{"budget without rate", func(c *gqlsec.Config) { c.Cost.Budget = memoryLimiter(t) }, "BudgetRate"},
		{"trusted documents without store", func(c *gqlsec.Config) { c.TrustedDocuments = &gqlsec.TrustedDocuments{} }, "TrustedDocuments.Store is required"},
		{"query cache size changed", func(c *gqlsec.Config) { c.QueryCacheSize = 10 }, "QueryCacheSize cannot change"},
		{"analysis changed", func(c *gqlsec.Config) { c.Analysis.DefaultListSize = 7 }, "Analysis cannot change"},
		{"logger changed", func(c *gqlsec.Config) { c.Logger = slog.Default() }, "Logger cannot change"},
		{"actual cost turned on", func(c *gqlsec.Config) { c.Cost.ActualCost = true }, "ActualCost can be turned on only at Install"},
		{"another reloader", func(c *gqlsec.Config) { c.Reloader = other }, "another Reloader"},
	}
	for _, tt := range tests {
		cfg := depthCfg(log, 6)
		tt.mutate(&cfg)
		err := r.Reload(cfg)
		if !errors.Is(err, rampart.ErrConfig) {
			t.Fatalf("%s: Reload = %v, want an error wrapping rampart.ErrConfig", tt.name, err)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Fatalf("%s: error %q does not name the problem (%q)", tt.name, err, tt.want)
		}
		// The old limit (5) is still in force.
		wantCode(t, h.query(t, user, deep6), gqlsec.CodeDepthLimit, 5)
	}
	if err := other.Reload(depthCfg(log, 6)); !errors.Is(err, rampart.ErrConfig) {
		t.Fatalf("Reload of an unbound Reloader = %v, want rampart.ErrConfig", err)
	}
	// A Reloader binds to one Install.
	srv := handler.New(gqltest.New())
	srv.AddTransport(transport.POST{})
	if _, err := gqlsec.Handler(srv, gqlsec.Config{Logger: log, Reloader: r}); !errors.Is(err, rampart.ErrConfig) {
		t.Fatalf("second Install with the same Reloader = %v, want rampart.ErrConfig", err)
	}
	wantCode(t, h.query(t, user, deep6), gqlsec.CodeDepthLimit, 5)
}

// TestReloadPolicies: the introspection policy and the trusted-documents
// store are swapped like the limits.
func TestReloadPolicies(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	h, r := reloadHarness(t, depthCfg(log, 0))
	const doc = "{ me { id } }"
	wantCode(t, h.query(t, user, introspection.Query), gqlsec.CodeIntrospection, 0)
	wantCode(t, h.query(t, user, "{ me { name } }"), "", 0)

	store, err := gqlsec.NewDocumentStore(map[string]string{gqlsec.Hash(doc): doc})
	if err != nil {
		t.Fatal(err)
	}
	cfg := depthCfg(log, 0)
	cfg.Introspection = func(*auth.Principal) bool { return true }
	cfg.TrustedDocuments = &gqlsec.TrustedDocuments{Store: store}
	if err := r.Reload(cfg); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	wantCode(t, h.query(t, user, doc), "", 0)
	wantCode(t, h.query(t, user, "{ me { name } }"), gqlsec.CodePersistedRequired, 0)

	cfg.TrustedDocuments = nil
	if err := r.Reload(cfg); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	wantCode(t, h.query(t, user, introspection.Query), "", 0)
	wantCode(t, h.query(t, user, "{ me { name } }"), "", 0)
}

// TestReloadUnderLoad: operations run on several goroutines while the
// depth limit flips between 5 and 6. Each operation sees one whole
// configuration: the depth-6 query either passes (limit 6) or is refused
// with limit 5, never anything else. Run with -race.
func TestReloadUnderLoad(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	h, r := reloadHarness(t, depthCfg(log, 5))
	const workers, perWorker, reloads = 4, 50, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				res := h.query(t, user, deep6)
				switch code := res.code(t); code {
				case "":
				case gqlsec.CodeDepthLimit:
					ext := res.json(t)["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)
					if ext["limit"] != float64(5) {
						errs <- fmt.Errorf("refused under limit %v, want 5", ext["limit"])
						return
					}
				default:
					errs <- fmt.Errorf("code %q: %s", code, res.body)
					return
				}
			}
		}()
	}
	for i := range reloads {
		if err := r.Reload(depthCfg(log, 5+i%2)); err != nil {
			t.Errorf("Reload: %v", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func memoryLimiter(t *testing.T) *ratelimit.Memory {
	t.Helper()
	m, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
