package auth_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// During a backend outage every refused request gets 503 with Retry-After,
// but the log gets at most one line a second, counting the rest; a request
// without a credential is still served.
func TestUnavailableIsLoggedOncePerSecond(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	down := auth.AuthenticatorFunc(func(context.Context, auth.Credential) (*auth.Principal, error) {
		return nil, auth.ErrUnavailable
	})
	h := auth.Middleware(down, auth.MiddlewareOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil))})(
		http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	const n = 200
	start := time.Now()
	for range n {
		req := httptest.NewRequest(http.MethodPost, "/query", nil)
		req.Header.Set("Authorization", "Bearer abc")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("status %d Retry-After %q, want 503 and 1", rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	elapsed := time.Since(start)
	lines := strings.Count(logs.String(), "\n")
	if lines < 1 || lines > int(elapsed/time.Second)+1 {
		t.Fatalf("%d log lines for %d refusals in %v, want one per second at most", lines, n, elapsed)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/query", nil))
	if rec.Code != http.StatusNoContent {
		t.Fatalf("anonymous request: %d", rec.Code)
	}
}
