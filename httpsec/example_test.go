package httpsec_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
)

// chain applies middleware so that the first one listed runs first.
func chain(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// The whole HTTP-hardening chain in front of an endpoint. In a real server
// auth.Middleware goes between CSRF and RateLimit, and the server goes
// through HardenServer.
func Example() {
	audit := httpsec.NewAuditor(slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	limiter := must(ratelimit.NewMemory(ratelimit.MemoryOptions{}))
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"data":{"me":null}}`)
	})
	h := chain(api,
		httpsec.RequestID(httpsec.RequestIDOptions{NewID: func() string { return "req-1" }}),
		must(httpsec.ClientIP(httpsec.ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}})),
		must(httpsec.SecureHeaders(httpsec.SecureHeadersOptions{})),
		must(httpsec.CORS(httpsec.CORSOptions{AllowedOrigins: []string{"https://app.example.com"}, Auditor: audit})),
		must(httpsec.BodyLimit(httpsec.BodyLimitOptions{Auditor: audit})),
		must(httpsec.CSRF(httpsec.CSRFOptions{Auditor: audit})),
		// auth.Middleware(authenticator, auth.MiddlewareOptions{}) goes here.
		must(httpsec.RateLimit(limiter, httpsec.RateLimitOptions{
			Anonymous: ratelimit.Rate{Limit: 2, Period: time.Minute},
			Auditor:   audit,
		})),
	)

	send := func(contentType string) {
		r := httptest.NewRequest("POST", "/query", strings.NewReader(`{"query":"{ me { id } }"}`))
		r.RemoteAddr = "10.0.0.7:31337"
		r.Header.Set("X-Forwarded-For", "198.51.100.23")
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Header().Get("RateLimit-Remaining"), " ", w.Body.String())
	}
	send("application/json")
	send("text/plain") // a cross-site form could send this
	send("application/json")
	send("application/json")
	// Output:
	// 200 1 {"data":{"me":null}}
	// level=WARN msg="request rejected" event=reject code=CSRF_REJECTED status=400 subject="" client_ip=198.51.100.23 request_id=req-1 method=POST path=/query
	// 400  {"errors":[{"message":"This request has been blocked as a potential cross-site request forgery (CSRF). Send a Content-Type other than text/plain, application/x-www-form-urlencoded or multipart/form-data (such as application/json), or a non-empty X-Apollo-Operation-Name or Apollo-Require-Preflight header.","extensions":{"code":"CSRF_REJECTED"}}]}
	// 200 0 {"data":{"me":null}}
	// level=WARN msg="request rejected" event=reject code=RATE_LIMITED status=429 subject="" client_ip=198.51.100.23 request_id=req-1 method=POST path=/query detail="limit=2 period=1m0s"
	// 429 0 {"errors":[{"message":"Too many requests: slow down and retry after the number of seconds in the Retry-After header.","extensions":{"code":"RATE_LIMITED"}}]}
}

// HardenServer fills in the timeouts net/http leaves unlimited.
func ExampleHardenServer() {
	srv := httpsec.HardenServer(&http.Server{Addr: "127.0.0.1:8080", WriteTimeout: 2 * time.Minute})
	fmt.Println(srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	// Output: 5s 30s 2m0s 2m0s 65536
}

// LogHandler adds the request id and client IP to every record logged with
// the request's context.
func ExampleLogHandler() {
	log := slog.New(httpsec.LogHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})))
	h := httpsec.RequestID(httpsec.RequestIDOptions{NewID: func() string { return "req-7" }})(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			log.InfoContext(r.Context(), "resolving", "field", "me")
		}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	// Output: level=INFO msg=resolving field=me request_id=req-7
}

// A spoofed X-Forwarded-For is only believed from a trusted proxy.
func ExampleClientIP() {
	mw := must(httpsec.ClientIP(httpsec.ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}}))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _ := reqctx.ClientIP(r.Context())
		fmt.Println(r.RemoteAddr, "->", ip)
	}))
	for _, peer := range []string{"10.0.0.7:1", "203.0.113.5:1"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		r.Header.Set("X-Forwarded-For", "198.51.100.23")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// 10.0.0.7:1 -> 198.51.100.23
	// 203.0.113.5:1 -> 203.0.113.5
}
