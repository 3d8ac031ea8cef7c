package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/browsertest"
)

// TestStart opens a page served by a loopback server and reads a value the
// page computed: the browser really starts, loads and runs scripts.
func TestStart(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>t</title><script>window.answer = Promise.resolve(6 * 7);</script>`))
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.Start(t)
	if err := browsertest.Navigate(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	got, err := browsertest.Eval[int](ctx, `window.answer`)
	if err != nil {
		t.Fatal(err)
	}
	if got != 42 {
		t.Fatalf("page computed %d, want 42", got)
	}
}

// TestDeps keeps the helper small: chromedp and the standard library, and
// nothing of the code it helps test.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/rampart-go/rampart/") && pkg != "github.com/rampart-go/rampart/internal/browsertest" {
			t.Errorf("browsertest imports %s: it must not depend on the code it helps test", pkg)
		}
	}
}
