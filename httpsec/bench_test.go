package httpsec

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
)

// discardWriter is a minimal ResponseWriter so that the benchmarks measure
// the middleware, not httptest.ResponseRecorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func bareHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})
}

func benchRequest() *http.Request {
	r := httptest.NewRequest("POST", "/query", nil)
	r.RemoteAddr = "10.0.0.9:5555"
	r.Header.Set("X-Forwarded-For", "198.51.100.23")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "https://app.example.com")
	return r
}

func runBench(b *testing.B, h http.Handler) {
	r := benchRequest()
	w := &discardWriter{h: make(http.Header, 16)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

// BenchmarkBare is the baseline: the handler alone.
func BenchmarkBare(b *testing.B) { runBench(b, bareHandler()) }

func BenchmarkSecureHeaders(b *testing.B) {
	runBench(b, must(SecureHeaders(SecureHeadersOptions{}))(bareHandler()))
}

func BenchmarkCSRF(b *testing.B) { runBench(b, must(CSRF(CSRFOptions{}))(bareHandler())) }

func BenchmarkCORS(b *testing.B) {
	runBench(b, must(CORS(CORSOptions{AllowedOrigins: []string{"https://app.example.com"}}))(bareHandler()))
}

func BenchmarkBodyLimit(b *testing.B) {
	runBench(b, must(BodyLimit(BodyLimitOptions{}))(bareHandler()))
}

func BenchmarkRequestID(b *testing.B) { runBench(b, RequestID(RequestIDOptions{})(bareHandler())) }

func BenchmarkClientIP(b *testing.B) {
	runBench(b, must(ClientIP(ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}}))(bareHandler()))
}

func BenchmarkRateLimit(b *testing.B) {
	lim := must(ratelimit.NewMemory(ratelimit.MemoryOptions{}))
	// A rate high enough that the benchmark measures the allowed path.
	runBench(b, must(RateLimit(lim, RateLimitOptions{Anonymous: ratelimit.PerSecond(1 << 30)}))(bareHandler()))
}

// BenchmarkFullChain is every middleware in the recommended order
// (auth.Middleware aside) in front of the bare handler.
func BenchmarkFullChain(b *testing.B) {
	lim := must(ratelimit.NewMemory(ratelimit.MemoryOptions{}))
	h := chainOf(bareHandler(),
		RequestID(RequestIDOptions{}),
		must(ClientIP(ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}})),
		must(SecureHeaders(SecureHeadersOptions{})),
		must(CORS(CORSOptions{AllowedOrigins: []string{"https://app.example.com"}})),
		must(BodyLimit(BodyLimitOptions{})),
		must(CSRF(CSRFOptions{})),
		must(RateLimit(lim, RateLimitOptions{Anonymous: ratelimit.PerSecond(1 << 30)})),
	)
	runBench(b, h)
}

// BenchmarkResolveClientIP sweeps the X-Forwarded-For length an attacker
// behind a trusted proxy controls: cost is linear up to the 32-hop cap and
// flat after it.
func BenchmarkResolveClientIP(b *testing.B) {
	trusted := must(parsePrefixes([]string{"10.0.0.0/8"}))
	for _, n := range []int{1, 10, 32, 1000} {
		xff := []string{"198.51.100.23," + strings.TrimSuffix(strings.Repeat("10.0.0.3,", n), ",")}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resolveClientIP("10.0.0.9:5555", xff, trusted)
			}
		})
	}
}

func BenchmarkSimpleContentType(b *testing.B) {
	v := []string{"application/json; charset=utf-8"}
	b.ReportAllocs()
	for b.Loop() {
		simpleContentType(v)
	}
}

func TestContextGettersDoNotAllocate(t *testing.T) {
	r := benchRequest()
	ctx := r.Context()
	if n := testing.AllocsPerRun(100, func() {
		_ = reqctx.RequestID(ctx)
		_, _ = reqctx.ClientIP(ctx)
		_ = forwardedTLS(ctx)
		_ = simpleContentType(r.Header["Content-Type"])
	}); n != 0 {
		t.Fatalf("allocs = %v, want 0", n)
	}
}
