package httpsec_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/internal/oteltest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
)

// TestModesEveryMiddleware sends one attack and one benign request through
// each refusing middleware in each mode: enforce refuses and counts,
// measure lets the attack through and counts it, off lets it through and
// counts nothing; the benign request always passes and is never counted.
func TestModesEveryMiddleware(t *testing.T) {
	t.Parallel()
	type mw = func(http.Handler) http.Handler
	for _, tc := range []struct {
		name, guard, code string
		status            int
		build             func(t *testing.T, m rampart.Mode, ins *telemetry.Instruments) mw
		attack, benign    func() *http.Request
	}{
		{"csrf", telemetry.GuardCSRF, httpsec.CodeCSRFRejected, http.StatusBadRequest,
			func(t *testing.T, m rampart.Mode, ins *telemetry.Instruments) mw {
				h, err := httpsec.CSRF(httpsec.CSRFOptions{Mode: m, Telemetry: ins})
				if err != nil {
					t.Fatal(err)
				}
				return h
			},
			func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader("{}"))
				r.Header.Set("Content-Type", "text/plain")
				return r
			},
			func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader("{}"))
				r.Header.Set("Content-Type", "application/json")
				return r
			}},
		{"body_limit", telemetry.GuardBodyLimit, rampart.CodeRequestTooLarge, http.StatusRequestEntityTooLarge,
			func(t *testing.T, m rampart.Mode, ins *telemetry.Instruments) mw {
				h, err := httpsec.BodyLimit(httpsec.BodyLimitOptions{MaxBytes: 8, Mode: m, Telemetry: ins})
				if err != nil {
					t.Fatal(err)
				}
				return h
			},
			func() *http.Request {
				return httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 9)))
			},
			func() *http.Request { return httptest.NewRequest(http.MethodPost, "/", strings.NewReader("12345678")) }},
		{"tls", telemetry.GuardTLS, httpsec.CodeTLSRequired, http.StatusForbidden,
			func(t *testing.T, m rampart.Mode, ins *telemetry.Instruments) mw {
				return httpsec.RequireTLS(httpsec.RequireTLSOptions{Mode: m, Telemetry: ins})
			},
			func() *http.Request { return httptest.NewRequest(http.MethodGet, "/", nil) },
			func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.TLS = &tls.ConnectionState{}
				return r
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []rampart.Mode{rampart.Enforce, rampart.Measure, rampart.Off} {
				ins, rd := oteltest.New(t)
				var reached int
				h := tc.build(t, mode, ins)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, tc.benign())
				if rec.Code != http.StatusOK || reached != 1 {
					t.Fatalf("%v: benign request: %d", mode, rec.Code)
				}
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, tc.attack())
				want := map[rampart.Mode]int{rampart.Enforce: tc.status, rampart.Measure: http.StatusOK, rampart.Off: http.StatusOK}[mode]
				if rec.Code != want || (mode != rampart.Enforce) != (reached == 2) {
					t.Fatalf("%v: attack answered %d (handler reached: %v), want %d", mode, rec.Code, reached == 2, want)
				}
				counts := map[string]int64{"rejected": rd.Rejections(t, tc.guard, tc.code, "rejected"), "measured": rd.Rejections(t, tc.guard, tc.code, "measured")}
				wantCounts := map[rampart.Mode]map[string]int64{
					rampart.Enforce: {"rejected": 1, "measured": 0},
					rampart.Measure: {"rejected": 0, "measured": 1},
					rampart.Off:     {"rejected": 0, "measured": 0},
				}[mode]
				for k, v := range wantCounts {
					if counts[k] != v {
						t.Errorf("%v: %s = %d, want %d", mode, k, counts[k], v)
					}
				}
			}
		})
	}
}

func TestRateLimitMeasureAndDecisions(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, mode := range []rampart.Mode{rampart.Enforce, rampart.Measure} {
		l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		ins, rd := oteltest.New(t)
		mw, err := httpsec.RateLimit(l, httpsec.RateLimitOptions{Anonymous: ratelimit.PerMinute(1), Mode: mode, Telemetry: ins})
		if err != nil {
			t.Fatal(err)
		}
		h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		var codes []int
		for range 2 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			codes = append(codes, rec.Code)
		}
		want := map[rampart.Mode]int{rampart.Enforce: http.StatusTooManyRequests, rampart.Measure: http.StatusOK}[mode]
		if codes[0] != http.StatusOK || codes[1] != want {
			t.Fatalf("%v: statuses %v, want 200 then %d", mode, codes, want)
		}
		dec := func(d string) int64 {
			return rd.Sum(t, telemetry.MetricRateLimitDecisions, map[string]string{"rampart.decision": d, "rampart.backend": "memory"})
		}
		if dec("allowed") != 1 || dec("refused") != 1 {
			t.Errorf("%v: decisions allowed %d refused %d, want 1 and 1", mode, dec("allowed"), dec("refused"))
		}
		if got := rd.Rejections(t, telemetry.GuardRateLimit, rampart.CodeRateLimited, mode.Outcome()); got != 1 {
			t.Errorf("%v: %s = %d, want 1", mode, mode.Outcome(), got)
		}
	}
}
