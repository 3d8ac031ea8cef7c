// Package browsertest starts a real headless Chromium for tests and drives
// it with chromedp. It needs Debian's chromium package (/usr/bin/chromium);
// without it a test fails with a message saying so, it never skips.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian's chromium package installs the browser.
const ExecPath = "/usr/bin/chromium"

// Deadline bounds everything a test does with one browser: generous, so a
// loaded CI machine is never the reason for a failure, but finite.
const Deadline = 2 * time.Minute

// Start launches a fresh headless Chromium (its own profile in a temporary
// directory) and returns the context of its first tab, for chromedp.Run.
// The context expires after Deadline; the browser is shut down when the
// test ends. t fails at once when Chromium is not installed.
func Start(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(ExecPath); err != nil {
		t.Fatalf("headless browser test needs Chromium at %s: install Debian's chromium package (apt-get install -y chromium; CI does this in .ci/run): %v", ExecPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancelDeadline := context.WithTimeout(context.Background(), Deadline)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	logs := &logSink{}
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logs.printf), chromedp.WithLogf(logs.printf))
	t.Cleanup(func() {
		cancelTab() // closes the browser and waits for it to exit
		cancelAlloc()
		cancelDeadline()
		if t.Failed() {
			if s := logs.String(); s != "" {
				t.Logf("chromedp log:\n%s", s)
			}
		}
	})
	// Launch now, so that a browser that cannot start fails here, with its
	// own message, rather than in the first action of the test.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting %s: %v", ExecPath, err)
	}
	return tab
}

// Eval evaluates the JavaScript expression expr in the page of ctx (a
// context from Start), waits for the promise it returns, if any, and
// decodes its JSON-serialisable value into a T.
func Eval[T any](ctx context.Context, expr string) (T, error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return v, fmt.Errorf("browsertest: evaluating %.60q: %w", expr, err)
	}
	return v, nil
}

// Navigate loads url in the page of ctx and waits for it to load.
func Navigate(ctx context.Context, url string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("browsertest: navigating to %s: %w", url, err)
	}
	return nil
}

// Until waits until the JavaScript expression expr is truthy in the page
// of ctx, evaluating it every 50 ms, for as long as ctx lives (Deadline at
// most): a test waits on the condition it needs, never for a fixed time.
// The error of a condition that never came quotes expr.
func Until(ctx context.Context, expr string) error {
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		return fmt.Errorf("browsertest: waiting for %.120q: %w", expr, err)
	}
	return nil
}

// Screenshot writes a PNG of the whole page of ctx (beyond the viewport)
// to path.
func Screenshot(ctx context.Context, path string) error {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("browsertest: screenshot: %w", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("browsertest: screenshot: %w", err)
	}
	return nil
}

// logSink keeps chromedp's messages for the test log of a failed test (the
// browser's goroutines may log after the test has returned, when t.Logf is
// no longer allowed).
type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 64<<10 {
		fmt.Fprintf(&l.b, format+"\n", args...)
	}
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
