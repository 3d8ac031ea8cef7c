package httpsec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// dump renders what a client sees: status, the named headers, body.
func dump(resp *http.Response, headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %d\n", resp.StatusCode)
	for _, h := range headers {
		for _, v := range resp.Header.Values(h) {
			fmt.Fprintf(&b, "%s: %s\n", http.CanonicalHeaderKey(h), v)
		}
	}
	body, _ := io.ReadAll(resp.Body)
	b.WriteString("\n")
	b.Write(body)
	return b.String()
}

// okHandler is the bare downstream handler.
func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// auditLog collects Auditor records as JSON lines.
type auditLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *auditLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *auditLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *auditLog) lines() []string {
	s := strings.TrimSpace(l.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func newAudit() (*Auditor, *auditLog) {
	l := &auditLog{}
	h := slog.NewJSONHandler(l, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return NewAuditor(slog.New(h)), l
}

// fakeLimiter is a deterministic token bucket without refill: each key gets
// burst tokens; ResetAfter and RetryAfter are fixed. err, when set, is
// returned for every call.
type fakeLimiter struct {
	mu    sync.Mutex
	spent map[string]int
	keys  []string
	err   error
}

var _ ratelimit.Limiter = (*fakeLimiter)(nil)

func (f *fakeLimiter) Allow(_ context.Context, key string, rate ratelimit.Rate, n int) (ratelimit.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = append(f.keys, key)
	if f.err != nil {
		return ratelimit.Decision{}, f.err
	}
	if f.spent == nil {
		f.spent = map[string]int{}
	}
	b := rate.Burst
	if b == 0 {
		b = rate.Limit
	}
	per := rate.Period / time.Duration(rate.Limit)
	used := f.spent[key]
	if used+n > b {
		return ratelimit.Decision{Allowed: false, Limit: b, Remaining: b - used,
			ResetAfter: time.Duration(used) * per, RetryAfter: time.Duration(used+n-b) * per}, nil
	}
	f.spent[key] = used + n
	return ratelimit.Decision{Allowed: true, Limit: b, Remaining: b - used - n,
		ResetAfter: time.Duration(used+n) * per}, nil
}

func (f *fakeLimiter) seenKeys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys)
}
