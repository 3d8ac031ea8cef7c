package webhook

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	// t0 is the test's "now".
	t0 = time.Unix(1_750_000_000, 0)
)

func secretA() []byte { return []byte("whsec_test_secret_AAAAAAAAAAAAAAAA") }
func secretB() []byte { return []byte("whsec_test_secret_BBBBBBBBBBBBBBBB") }

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// logBuf collects log output for assertions.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuf) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, nil))
}

// echo answers 200 with the body it read, so tests see what the handler saw.
type echo struct {
	mu    sync.Mutex
	calls int
}

func (e *echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("X-Content-Length", r.Header.Get("Content-Length"))
	_, _ = w.Write(b)
}

func (e *echo) Calls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls
}

// deliver sends body with the signature header value sig (omitted when
// sig is "") through h.
func deliver(h http.Handler, header, sig string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if sig != "" {
		r.Header.Set(header, sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// dump renders what a client sees.
func dump(w *httptest.ResponseRecorder) string {
	var b strings.Builder
	b.WriteString("status: " + strconv.Itoa(w.Code) + " " + http.StatusText(w.Code) + "\n")
	for _, h := range []string{"Content-Type", "Cache-Control", "Retry-After", "Connection"} {
		if v := w.Header().Get(h); v != "" {
			b.WriteString(h + ": " + v + "\n")
		}
	}
	b.WriteString("\n")
	b.Write(w.Body.Bytes())
	return b.String()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
