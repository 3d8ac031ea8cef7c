package httpsec

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/reqctx"
)

func requestIDCases() []struct {
	name, incoming string
	trusted        bool
} {
	return []struct {
		name, incoming string
		trusted        bool
	}{
		{"valid_incoming_kept", "abc-123_X.y", true},
		{"length_at_limit_64_kept", strings.Repeat("a", 64), true},
		{"length_past_limit_65_replaced", strings.Repeat("a", 65), false},
		{"log_injection_replaced", "abc\nlevel=ERROR msg=forged", false},
		{"space_replaced", "abc def", false},
		{"quote_replaced", `abc"`, false},
		{"empty_replaced", "", false},
		{"unicode_replaced", "ïd", false},
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	for _, tc := range requestIDCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, trust := range []bool{false, true} {
				var ctxID string
				mw := RequestID(RequestIDOptions{TrustIncoming: trust, NewID: func() string { return "generated" }})
				h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctxID = reqctx.RequestID(r.Context()) }))
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("X-Request-Id", tc.incoming)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				want := "generated"
				if trust && tc.trusted {
					want = tc.incoming
				}
				if got := rec.Header().Get("X-Request-Id"); got != want || ctxID != want {
					t.Fatalf("trust=%v: header %q, context %q, want %q", trust, got, ctxID, want)
				}
			}
		})
	}
}

func TestRequestIDRandom(t *testing.T) {
	t.Parallel()
	h := RequestID(RequestIDOptions{})(okHandler())
	seen := map[string]bool{}
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		id := rec.Header().Get("X-Request-Id")
		if !ValidRequestID(id) || len(id) < 20 || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func FuzzRequestID(f *testing.F) {
	for _, tc := range requestIDCases() {
		f.Add(tc.incoming)
	}
	h := RequestID(RequestIDOptions{TrustIncoming: true, NewID: func() string { return "fresh" }})
	f.Fuzz(func(t *testing.T, incoming string) {
		var ctxID string
		hh := h(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctxID = reqctx.RequestID(r.Context()) }))
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["X-Request-Id"] = []string{incoming}
		rec := httptest.NewRecorder()
		hh.ServeHTTP(rec, r)
		got := rec.Header().Get("X-Request-Id")
		if got != ctxID || !ValidRequestID(got) {
			t.Fatalf("incoming %q: header %q, context %q", incoming, got, ctxID)
		}
		if got != "fresh" && got != incoming {
			t.Fatalf("incoming %q became %q", incoming, got)
		}
		if ValidRequestID(incoming) != (got == incoming) {
			t.Fatalf("incoming %q: valid=%v but kept=%v", incoming, ValidRequestID(incoming), got == incoming)
		}
	})
}

func TestLogHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	ctx := reqctx.WithClientIP(reqctx.WithRequestID(context.Background(), "rid-1"), netip.MustParseAddr("192.0.2.1"))

	log.InfoContext(ctx, "with context")
	log.Info("without context")
	log.InfoContext(ctx, "explicit", LogKeyRequestID, "rid-1")
	log.With(LogKeyClientIP, "192.0.2.1").InfoContext(ctx, "bound")
	log.WithGroup("g").InfoContext(ctx, "grouped")

	want := `level=INFO msg="with context" request_id=rid-1 client_ip=192.0.2.1
level=INFO msg="without context"
level=INFO msg=explicit request_id=rid-1 client_ip=192.0.2.1
level=INFO msg=bound client_ip=192.0.2.1 request_id=rid-1
level=INFO msg=grouped g.request_id=rid-1 g.client_ip=192.0.2.1
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	// A nil handler discards.
	slog.New(LogHandler(nil)).InfoContext(ctx, "dropped")
}

func TestAuditorNil(t *testing.T) {
	t.Parallel()
	var a *Auditor
	a.Reject(context.Background(), RejectEvent{Code: "X"})
	NewAuditor(nil).RejectRequest(httptest.NewRequest("GET", "/", nil), "X", 400, "")
}
