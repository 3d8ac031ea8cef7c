package directives_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/ratelimit"
)

// fakeClock is a settable clock for ratelimit.MemoryOptions.Now and
// directives.Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// limitedHarness serves the test graph with an in-memory limiter on clk.
func limitedHarness(t testing.TB, clk *fakeClock) *harness {
	t.Helper()
	l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, directives.Options{Limiter: l})
}

var (
	ipA = netip.MustParseAddr("203.0.113.9")
	ipB = netip.MustParseAddr("203.0.113.10")
)

const follow = `mutation { follow(userId: "u2") }`

// errorAt returns the error at path, or fails.
func errorAt(t testing.TB, res response, path string) gqlError {
	t.Helper()
	for _, e := range res.Errors {
		if pathString(e.Path) == path {
			return e
		}
	}
	t.Fatalf("no error at %s: %s", path, res.raw)
	return gqlError{}
}

// assertRateLimited checks the refusal a client sees: the code, an integer
// retryAfter of want seconds, the limit and window, and no data.
func assertRateLimited(t testing.TB, res response, path string, retryAfter, limit int, window string) {
	t.Helper()
	e := errorAt(t, res, path)
	if e.Extensions["code"] != rampart.CodeRateLimited {
		t.Fatalf("code %v, want %s; %s", e.Extensions["code"], rampart.CodeRateLimited, res.raw)
	}
	// JSON numbers decode as float64: require a whole number of seconds.
	got, ok := e.Extensions["retryAfter"].(float64)
	if !ok || got != float64(int(got)) || int(got) != retryAfter || got < 1 {
		t.Fatalf("retryAfter %v (%T), want the integer %d; %s", e.Extensions["retryAfter"], e.Extensions["retryAfter"], retryAfter, res.raw)
	}
	if e.Extensions["limit"] != float64(limit) || e.Extensions["window"] != window {
		t.Fatalf("limit %v window %v, want %d %s", e.Extensions["limit"], e.Extensions["window"], limit, window)
	}
	if want := fmt.Sprintf("retry after %d seconds", retryAfter); !strings.Contains(e.Message, want) {
		t.Fatalf("message %q does not say %q", e.Message, want)
	}
	if field(res.Data, path) != nil {
		t.Fatalf("refused field has a value: %s", res.raw)
	}
}

// TestRateLimitWindow: follow allows 3 calls a minute per caller. The 4th
// within the window is refused with RATE_LIMITED and retryAfter, the
// resolver does not run, and the bucket refills with time.
func TestRateLimitWindow(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := limitedHarness(t, clk)
	for i := range 3 {
		if res := h.do(t, alice, follow, nil); len(res.Errors) != 0 || field(res.Data, "follow") != true {
			t.Fatalf("call %d (within the limit): %s", i+1, res.raw)
		}
	}
	// One past the limit: refused; one token comes back every 60s/3 = 20s.
	assertRateLimited(t, h.do(t, alice, follow, nil), "follow", 20, 3, "1m")
	if n := h.r.CallCount("follow"); n != 3 {
		t.Fatalf("resolver ran %d times, want 3", n)
	}

	clk.Advance(19 * time.Second)
	assertRateLimited(t, h.do(t, alice, follow, nil), "follow", 1, 3, "1m")

	clk.Advance(time.Second) // 20s after the refusal: one token back
	if res := h.do(t, alice, follow, nil); len(res.Errors) != 0 {
		t.Fatalf("after one refill interval: %s", res.raw)
	}
	assertRateLimited(t, h.do(t, alice, follow, nil), "follow", 20, 3, "1m")

	clk.Advance(time.Minute) // a whole window: the bucket is full again
	for i := range 3 {
		if res := h.do(t, alice, follow, nil); len(res.Errors) != 0 {
			t.Fatalf("refilled call %d: %s", i+1, res.raw)
		}
	}
	assertRateLimited(t, h.do(t, alice, follow, nil), "follow", 20, 3, "1m")
}

// TestRateLimitIsolation: one caller exhausting its bucket does not affect
// other callers, or the same caller on other fields.
func TestRateLimitIsolation(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := limitedHarness(t, clk)
	for range 4 {
		h.do(t, alice, follow, nil)
	}
	assertRateLimited(t, h.do(t, alice, follow, nil), "follow", 20, 3, "1m")
	for i := range 3 {
		if res := h.do(t, bob, follow, nil); len(res.Errors) != 0 {
			t.Fatalf("bob's call %d refused because of alice: %s", i+1, res.raw)
		}
	}
	if res := h.do(t, alice, `mutation { transfer(amount: 5) }`, nil); res.code("transfer") == rampart.CodeRateLimited {
		t.Fatalf("transfer shares follow's bucket: %s", res.raw)
	}
	if res := h.do(t, alice, `{ secret }`, nil); len(res.Errors) != 0 {
		t.Fatalf("an unlimited field was refused: %s", res.raw)
	}
}

// TestRateLimitAliasesCount: every resolution spends a token, so aliasing a
// mutation does not multiply the limit.
func TestRateLimitAliasesCount(t *testing.T) {
	t.Parallel()
	h := limitedHarness(t, newClock())
	res := h.do(t, alice, `mutation {
		a: follow(userId: "u2") b: follow(userId: "u2") c: follow(userId: "u2")
		d: follow(userId: "u2") e: follow(userId: "u2") }`, nil)
	for _, ok := range []string{"a", "b", "c"} {
		if field(res.Data, ok) != true {
			t.Fatalf("alias %s (within the limit) refused: %s", ok, res.raw)
		}
	}
	assertRateLimited(t, res, "d", 20, 3, "1m")
	assertRateLimited(t, res, "e", 20, 3, "1m")
	if n := h.r.CallCount("follow"); n != 3 {
		t.Fatalf("resolver ran %d times, want 3", n)
	}
	// The aliases spent alice's bucket: a fresh request is refused too.
	assertRateLimited(t, h.do(t, alice, follow, nil), "follow", 20, 3, "1m")
}

// TestRateLimitByIP: signUp allows 2 calls a minute per client address,
// whoever the caller is.
func TestRateLimitByIP(t *testing.T) {
	t.Parallel()
	h := limitedHarness(t, newClock())
	const signUp = `mutation { signUp(name: "mallory") }`
	for i := range 2 {
		if res := h.doFrom(t, anonymous, ipA, signUp, nil); len(res.Errors) != 0 {
			t.Fatalf("sign-up %d (at the limit) refused: %s", i+1, res.raw)
		}
	}
	assertRateLimited(t, h.doFrom(t, anonymous, ipA, signUp, nil), "signUp", 30, 2, "1m")
	// by: "IP" ignores the subject: logging in does not buy a new bucket.
	assertRateLimited(t, h.doFrom(t, alice, ipA, signUp, nil), "signUp", 30, 2, "1m")
	if res := h.doFrom(t, anonymous, ipB, signUp, nil); len(res.Errors) != 0 {
		t.Fatalf("another address refused: %s", res.raw)
	}
}

// recordingLimiter records keys and answers with err, or allows.
type recordingLimiter struct {
	mu   sync.Mutex
	keys []string
	rate ratelimit.Rate
	err  error
}

func (l *recordingLimiter) Allow(_ context.Context, key string, r ratelimit.Rate, n int) (ratelimit.Decision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	l.rate = r
	if n != 1 {
		return ratelimit.Decision{}, fmt.Errorf("n = %d, want 1", n)
	}
	if l.err != nil {
		return ratelimit.Decision{}, l.err
	}
	return ratelimit.Decision{Allowed: true}, nil
}

var _ ratelimit.Limiter = (*recordingLimiter)(nil)

// TestRateLimitKeys: the key names the field and the caller: the subject
// for an authenticated caller under by: "CALLER", else the client address.
func TestRateLimitKeys(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	expired := &auth.Principal{Subject: "u1", Roles: []string{"USER"}, ExpiresAt: now.Add(-time.Second)}
	tests := []struct {
		name     string
		prefix   string
		caller   *auth.Principal
		ip       netip.Addr
		query    string
		wantKey  string
		wantRate ratelimit.Rate
	}{
		{"caller_authenticated_by_subject", "", alice, ipA, follow, "field:Mutation.follow:user:u1", ratelimit.Rate{Limit: 3, Period: time.Minute}},
		{"caller_anonymous_by_ip", "", anonymous, ipA, `{ limitedHits }`, "field:Query.limitedHits:ip:203.0.113.9", ratelimit.Rate{Limit: 1000000000, Period: time.Second}},
		{"caller_anonymous_ipv6", "", anonymous, netip.MustParseAddr("2001:db8::1"), `{ limitedHits }`, "field:Query.limitedHits:ip:2001:db8::1", ratelimit.Rate{Limit: 1000000000, Period: time.Second}},
		{"caller_anonymous_no_client_ip_shares_unknown", "", anonymous, netip.Addr{}, `{ limitedHits }`, "field:Query.limitedHits:ip:unknown", ratelimit.Rate{Limit: 1000000000, Period: time.Second}},
		{"caller_expired_credential_by_ip", "", expired, ipB, `{ limitedHits }`, "field:Query.limitedHits:ip:203.0.113.10", ratelimit.Rate{Limit: 1000000000, Period: time.Second}},
		{"ip_mode_ignores_subject", "", alice, ipA, `mutation { signUp(name: "a") }`, "field:Mutation.signUp:ip:203.0.113.9", ratelimit.Rate{Limit: 2, Period: time.Minute}},
		{"custom_prefix", "api:", bob, ipA, follow, "api:Mutation.follow:user:u2", ratelimit.Rate{Limit: 3, Period: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &recordingLimiter{}
			h := newHarness(t, directives.Options{Limiter: l, RateLimitPrefix: tt.prefix, Now: func() time.Time { return now }})
			if res := h.doFrom(t, tt.caller, tt.ip, tt.query, nil); len(res.Errors) != 0 {
				t.Fatalf("refused: %s", res.raw)
			}
			if len(l.keys) != 1 || l.keys[0] != tt.wantKey || l.rate != tt.wantRate {
				t.Fatalf("keys %q rate %+v, want [%q] %+v", l.keys, l.rate, tt.wantKey, tt.wantRate)
			}
		})
	}
}

// TestRateLimitBackendFailure: a failing limiter refuses (fail closed) with
// RATE_LIMIT_UNAVAILABLE and no internal detail, unless fail-open is chosen;
// the failure is logged either way.
func TestRateLimitBackendFailure(t *testing.T) {
	t.Parallel()
	backend := fmt.Errorf("%w: dial tcp 10.0.0.7:6379: i/o timeout", ratelimit.ErrBackend)
	tests := []struct {
		name     string
		mode     ratelimit.FailureMode
		wantCode string
		wantRuns int
	}{
		{"fail_closed_by_default", ratelimit.FailClosed, rampart.CodeRateLimitUnavailable, 0},
		{"fail_open_when_chosen", ratelimit.FailOpen, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := newHarness(t, directives.Options{
				Limiter:            &recordingLimiter{err: backend},
				RateLimitOnFailure: tt.mode,
				Logger:             slog.New(slog.NewTextHandler(&logs, nil)),
			})
			res := h.do(t, alice, follow, nil)
			if got := res.code("follow"); got != tt.wantCode {
				t.Fatalf("code %q, want %q; %s", got, tt.wantCode, res.raw)
			}
			if n := h.r.CallCount("follow"); n != tt.wantRuns {
				t.Fatalf("resolver ran %d times, want %d", n, tt.wantRuns)
			}
			if strings.Contains(res.raw, "10.0.0.7") || strings.Contains(res.raw, "timeout") {
				t.Fatalf("backend detail leaked: %s", res.raw)
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "10.0.0.7") {
				t.Fatalf("failure not logged: %s", logs.String())
			}
			if tt.wantCode != "" {
				if e := errorAt(t, res, "follow"); e.Message != "rate limit unavailable: try again later" || e.Extensions["retryAfter"] != nil {
					t.Fatalf("unexpected refusal %s", res.raw)
				}
			} else if field(res.Data, "follow") != true {
				t.Fatalf("fail-open did not resolve the field: %s", res.raw)
			}
		})
	}
}

// TestRateLimitRefusedCallsCountBeforeAuthorization: written last,
// @rateLimit runs before @stepUp, so refused attempts spend tokens too.
func TestRateLimitRefusedCallsCountBeforeAuthorization(t *testing.T) {
	t.Parallel()
	h := limitedHarness(t, newClock())
	const transfer = `mutation { transfer(amount: 5) }`
	for i := range 5 {
		if got := h.do(t, alice, transfer, nil).code("transfer"); got != rampart.CodeMFARequired {
			t.Fatalf("attempt %d: code %q, want MFA_REQUIRED", i+1, got)
		}
	}
	assertRateLimited(t, h.do(t, alice, transfer, nil), "transfer", 720, 5, "1h")
}
