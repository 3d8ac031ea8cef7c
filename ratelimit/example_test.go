package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

func ExampleNewMemory() {
	// A fixed clock makes the output deterministic; production code leaves
	// Now nil.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	perMinute := ratelimit.PerMinute(3)
	for i := 1; i <= 4; i++ {
		d, err := limiter.Allow(ctx, "api:ip:203.0.113.9", perMinute, 1)
		if err != nil {
			panic(err)
		}
		fmt.Printf("request %d: allowed=%v remaining=%d retry-after=%v\n", i, d.Allowed, d.Remaining, d.RetryAfter)
	}
	// Output:
	// request 1: allowed=true remaining=2 retry-after=0s
	// request 2: allowed=true remaining=1 retry-after=0s
	// request 3: allowed=true remaining=0 retry-after=0s
	// request 4: allowed=false remaining=0 retry-after=20s
}

func ExampleWriteHeaders() {
	rec := httptest.NewRecorder()
	ratelimit.WriteHeaders(rec.Header(), ratelimit.Decision{
		Allowed:    false,
		Limit:      100,
		Remaining:  0,
		ResetAfter: 59500 * time.Millisecond,
		RetryAfter: 1200 * time.Millisecond,
	})
	for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"} {
		fmt.Printf("%s: %s\n", h, rec.Header().Get(h))
	}
	// Output:
	// RateLimit-Limit: 100
	// RateLimit-Remaining: 0
	// RateLimit-Reset: 60
	// Retry-After: 2
}

// A middleware limiting each client IP, answering 429 with the standard
// headers when the bucket is empty.
func ExampleLimiter_middleware() {
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		panic(err)
	}
	rate := ratelimit.Rate{Limit: 10, Period: time.Second, Burst: 20}
	limit := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, err := limiter.Allow(r.Context(), "http:ip:"+r.RemoteAddr, rate, 1)
			ratelimit.WriteHeaders(w.Header(), d)
			if err != nil || !d.Allowed {
				http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := limit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	codes := map[int]int{}
	for range 25 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		h.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	fmt.Println("200:", codes[200], "429:", codes[429])
	// Output:
	// 200: 20 429: 5
}

func ExampleNewLockout() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return now }})
	lockout, err := ratelimit.NewLockout(limiter, ratelimit.LockoutOptions{MaxFailures: 3, Window: 15 * time.Minute})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	login := func(password string) string {
		key := "login:user:alice"
		if d, err := lockout.Check(ctx, key); err != nil || !d.Allowed {
			return fmt.Sprintf("locked out, retry in %v", d.RetryAfter)
		}
		if password != "correct horse" {
			_, _ = lockout.Failure(ctx, key)
			return "wrong password"
		}
		_ = lockout.Success(ctx, key)
		return "welcome"
	}
	for _, p := range []string{"123456", "password", "correct horse", "qwerty", "letmein", "admin", "correct horse"} {
		fmt.Println(login(p))
	}
	// Output:
	// wrong password
	// wrong password
	// welcome
	// wrong password
	// wrong password
	// wrong password
	// locked out, retry in 5m0s
}
