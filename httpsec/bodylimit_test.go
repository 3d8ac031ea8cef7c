package httpsec

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/golden"
)

// gqlgenLike reads the whole body like gqlgen's POST transport and, on a
// read error, answers what gqlgen answers: 400 with its own JSON.
func gqlgenLike() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.Header().Set("Content-Type", "application/graphql-response+json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"errors":[{"message":"json request body could not be decoded"}]}`)
			return
		}
		_, _ = io.WriteString(w, "read "+fmtInt(len(b)))
	})
}

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// chunked hides the length so the client sends Transfer-Encoding: chunked.
type chunked struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 1 << 20
	a, log := newAudit()
	mw := must(BodyLimit(BodyLimitOptions{Auditor: a}))
	srv := httptest.NewServer(mw(gqlgenLike()))
	t.Cleanup(srv.Close)

	for _, tc := range []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{name: "content_length_at_limit_passes", size: limit, want: 200},
		{name: "content_length_one_past_limit", size: limit + 1, want: 413},
		{name: "content_length_10MB", size: 10 << 20, want: 413},
		{name: "chunked_at_limit_passes", size: limit, chunked: true, want: 200},
		{name: "chunked_one_past_limit", size: limit + 1, chunked: true, want: 413},
		{name: "chunked_10MB", size: 10 << 20, chunked: true, want: 413},
		{name: "empty_body_passes", size: 0, want: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(bytes.Repeat([]byte("a"), tc.size))
			if tc.chunked {
				body = chunked{body}
			}
			before := len(log.lines())
			req, _ := http.NewRequest("POST", srv.URL+"/query", body)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer secret-token-value")
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if tc.chunked && req.ContentLength != 0 {
				t.Fatal("request has a length: it would not be sent chunked")
			}
			if resp.StatusCode != tc.want {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.want, b)
			}
			records := len(log.lines()) - before
			if tc.want == 200 {
				if b, _ := io.ReadAll(resp.Body); string(b) != "read "+fmtInt(tc.size) {
					t.Fatalf("body = %q", b)
				}
				if records != 0 {
					t.Fatalf("benign request audited")
				}
				return
			}
			if !resp.Close {
				t.Error("server keeps the connection open after an over-limit body")
			}
			golden.Check(t, "body_limit", []byte(dump(resp, "Content-Type", "X-Content-Type-Options", "Cache-Control")))
			if records != 1 {
				t.Fatalf("want 1 audit record, got %d: %s", records, log)
			}
		})
	}
	for _, l := range log.lines() {
		if !strings.Contains(l, `"code":"REQUEST_TOO_LARGE"`) || strings.Contains(l, "secret-token-value") || strings.Contains(l, "aaaa") {
			t.Errorf("bad audit record: %s", l)
		}
	}
}

// A handler that answered before its read tripped keeps its answer.
func TestBodyLimitHandlerWroteFirst(t *testing.T) {
	t.Parallel()
	mw := must(BodyLimit(BodyLimitOptions{MaxBytes: 10}))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, err := io.ReadAll(r.Body)
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			t.Errorf("read error = %v, want *http.MaxBytesError", err)
		}
		_, _ = io.WriteString(w, "streamed")
	}))
	r := httptest.NewRequest("POST", "/", chunked{strings.NewReader(strings.Repeat("x", 11))})
	r.ContentLength = -1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusAccepted || rec.Body.String() != "streamed" {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
}

func TestBodyLimitConfig(t *testing.T) {
	t.Parallel()
	if _, err := BodyLimit(BodyLimitOptions{MaxBytes: -1}); !errors.Is(err, rampart.ErrConfig) {
		t.Fatalf("negative limit: err = %v", err)
	}
	mw := must(BodyLimit(BodyLimitOptions{MaxBytes: 5}))
	for _, tc := range []struct {
		name string
		n    int
		want int
	}{{"at_limit_5", 5, 200}, {"past_limit_6", 6, 413}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, unknownLength := range []bool{false, true} {
				r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", tc.n)))
				if unknownLength {
					r.ContentLength = -1
				}
				rec := httptest.NewRecorder()
				mw(gqlgenLike()).ServeHTTP(rec, r)
				if rec.Code != tc.want {
					t.Fatalf("unknownLength=%v: status = %d, want %d (%s)", unknownLength, rec.Code, tc.want, rec.Body)
				}
			}
		})
	}
}

// A handler that keeps reading after the limit error still produces one
// audit record and one 413, and the 413 keeps the headers set by earlier
// middleware (security headers, request id) while dropping the handler's.
func TestBodyLimitChunkedRereadAuditedOnce(t *testing.T) {
	t.Parallel()
	a, log := newAudit()
	h := chainOf(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "handler=1")
		buf := make([]byte, 4)
		for range 5 {
			_, _ = r.Body.Read(buf)
		}
		_, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, "handler answer")
	}),
		RequestID(RequestIDOptions{NewID: func() string { return "rid-9" }}),
		must(SecureHeaders(SecureHeadersOptions{})),
		must(BodyLimit(BodyLimitOptions{MaxBytes: 8, Auditor: a})),
	)
	r := httptest.NewRequest("POST", "/query", chunked{strings.NewReader(strings.Repeat("y", 100))})
	r.ContentLength = -1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusRequestEntityTooLarge || strings.Contains(rec.Body.String(), "handler answer") {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Request-Id") != "rid-9" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("413 lost earlier headers: %v", rec.Header())
	}
	if rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("413 carries the handler's Set-Cookie")
	}
	if n := len(log.lines()); n != 1 {
		t.Fatalf("audit records = %d, want 1: %s", n, log)
	}
}
