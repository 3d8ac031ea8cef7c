package gqlsec_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// TestLenientRequestsAreRefused sends each request a lenient parser would
// run (or answer as an internal error) and fails if any reaches execution
// or is answered with anything but its client-error code.
func TestLenientRequestsAreRefused(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
	}{
		{"duplicate_query", "application/json", `{"query":"{ __typename }","query":"mutation { x }"}`, 400, gqlsec.CodeDuplicateKey},
		{"duplicate_query_escaped", "application/json", `{"query":"{ __typename }","qu\u0065ry":"mutation { x }"}`, 400, gqlsec.CodeDuplicateKey},
		{"query_other_case", "application/json", `{"query":"{ __typename }","QUERY":"mutation { x }"}`, 400, gqlsec.CodeDuplicateKey},
		{"duplicate_variable", "application/json", `{"query":"{ __typename }","variables":{"a":{"b":1,"b":2}}}`, 400, gqlsec.CodeDuplicateKey},
		{"duplicate_extension", "application/json", `{"query":"{ __typename }","extensions":{"x":1,"x":1}}`, 400, gqlsec.CodeDuplicateKey},
		{"charset_utf7", "application/json; charset=utf-7", `{"query":"{ __typename }"}`, 415, gqlsec.CodeUnsupportedMediaType},
		{"charset_latin1", "application/json; charset=ISO-8859-1", `{"query":"{ __typename }"}`, 415, gqlsec.CodeUnsupportedMediaType},
		{"truncated", "application/json", `{"query":"mutation { login(password: \"hunter2-secret\") }"`, 400, gqlsec.CodeInvalidJSON},
		{"trailing_comma", "application/json", `{"query":"{ __typename }", "variables": {"password": "hunter2-secret",}}`, 400, gqlsec.CodeInvalidJSON},
		{"trailing_data", "application/json", `{"query":"{ __typename }"} {"query":"mutation { x }"}`, 400, gqlsec.CodeInvalidJSON},
		{"invalid_utf8", "application/json", "{\"query\":\"{ __typename }\",\"variables\":{\"s\":\"\xff\"}}", 400, gqlsec.CodeInvalidJSON},
		{"not_an_object", "application/json", `"{ __typename }"`, 400, gqlsec.CodeBadRequest},
		{"query_not_string", "application/json", `{"query":{"a":1}}`, 400, gqlsec.CodeBadRequest},
		{"variables_not_object", "application/json", `{"query":"{ __typename }","variables":[1]}`, 400, gqlsec.CodeBadRequest},
		{"empty", "application/json", ``, 400, gqlsec.CodeInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, gqlsec.Config{})
			req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			r := response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			if r.status != tt.status || r.code(t) != tt.code {
				t.Fatalf("status %d code %q, want %d %q; body %s", r.status, r.code(t), tt.status, tt.code, r.body)
			}
			if h.es.Execs() != 0 {
				t.Fatal("the request was executed")
			}
			if _, ok := r.json(t)["data"]; ok {
				t.Fatalf("a request refused before execution has a data member: %s", r.body)
			}
			if strings.Contains(string(r.body), "hunter2") || strings.Contains(h.log.String(), "hunter2") {
				t.Fatalf("the body was echoed or logged: response %s log %s", r.body, h.log.String())
			}
		})
	}
}

// TestStrictRequestBenign shows what strict decoding lets through: every
// shape a GraphQL client sends, with any Content-Type parameters in utf-8.
func TestStrictRequestBenign(t *testing.T) {
	for _, tt := range []struct{ contentType, body string }{
		{"application/json", `{"query":"{ me { id } }"}`},
		{"application/json; charset=utf-8", `{"query":"{ me { id } }","operationName":null,"variables":null,"extensions":null}`},
		{"application/json;charset=UTF-8", ` {"query":"query Q($n: Int) { me { posts(first: $n) { nodes { id } } } }","operationName":"Q","variables":{"n":1,"nested":{"a":[{"b":1},{"b":2}]}},"extensions":{"clientLibrary":{"name":"x"}}} ` + "\n"},
		{"application/json", `{"query":"{ me { id } }","unknownMember":[1,2,{"a":1}]}`},
	} {
		h := newHarness(t, gqlsec.Config{})
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", tt.contentType)
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, req)
		if rec.Code != 200 || h.es.Execs() != 1 {
			t.Errorf("%s %s: status %d, %d executions; body %s", tt.contentType, tt.body, rec.Code, h.es.Execs(), rec.Body)
		}
	}
}

func TestStrictGETParameters(t *testing.T) {
	for _, tt := range []struct {
		query  string
		status int
		code   string
	}{
		{"query=" + url.QueryEscape("{ me { id } }"), 200, ""},
		{"query=" + url.QueryEscape("{ me { id } }") + "&variables=" + url.QueryEscape(`{"a":1}`), 200, ""},
		{"query=" + url.QueryEscape("{ me { id } }") + "&query=" + url.QueryEscape("{ me { name } }"), 400, gqlsec.CodeDuplicateKey},
		{"query=" + url.QueryEscape("{ me { id } }") + "&variables=" + url.QueryEscape(`{"a":1,"a":2}`), 400, gqlsec.CodeDuplicateKey},
		{"query=" + url.QueryEscape("{ me { id } }") + "&variables=" + url.QueryEscape(`{"a":`), 400, gqlsec.CodeInvalidJSON},
		{"query=" + url.QueryEscape("{ me { id } }") + "&extensions=" + url.QueryEscape(`[1]`), 400, gqlsec.CodeBadRequest},
	} {
		h := newHarness(t, gqlsec.Config{})
		req := httptest.NewRequest(http.MethodGet, "/query?"+tt.query, nil)
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, req)
		r := response{status: rec.Code, body: rec.Body.Bytes()}
		if r.status != tt.status || r.code(t) != tt.code {
			t.Errorf("GET ?%s: status %d code %q, want %d %q; body %s", tt.query, r.status, r.code(t), tt.status, tt.code, r.body)
		}
	}
}

// timeoutReader is a body whose bytes stop arriving: its read returns the
// error net/http gives a handler when the server's read deadline passes.
type timeoutReader struct{ sent bool }

func (r *timeoutReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, `{"query":"{ me`), nil
	}
	return 0, os.ErrDeadlineExceeded
}

func TestSlowBodyIsRequestTimeout(t *testing.T) {
	h := newHarness(t, gqlsec.Config{})
	req := httptest.NewRequest(http.MethodPost, "/query", io.NopCloser(&timeoutReader{}))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	r := response{status: rec.Code, body: rec.Body.Bytes()}
	if r.status != http.StatusRequestTimeout || r.code(t) != gqlsec.CodeRequestTimeout || h.es.Execs() != 0 {
		t.Fatalf("status %d code %q, want 408 %s; body %s", r.status, r.code(t), gqlsec.CodeRequestTimeout, r.body)
	}
}

// TestSlowBodyOverRealServer declares a body that never arrives on a real
// connection to a server with a read deadline: the answer is 408, never
// 200. It waits on the server's answer, not on a clock.
func TestSlowBodyOverRealServer(t *testing.T) {
	h := newHarness(t, gqlsec.Config{})
	srv := httptest.NewUnstartedServer(h.h)
	srv.Config.ReadTimeout = 300e6 // 300 ms: the test waits for it, whatever the machine's speed
	srv.Start()
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"query\":")
	status := make([]byte, 12)
	if _, err := io.ReadFull(c, status); err != nil {
		if errors.Is(err, io.EOF) {
			return // connection closed without an answer: also never 200
		}
		t.Fatal(err)
	}
	if got := string(status); got != "HTTP/1.1 408" {
		t.Fatalf("status line %q, want HTTP/1.1 408", got)
	}
}

func TestCheckRequestBody(t *testing.T) {
	for _, tt := range []struct {
		body string
		code string
	}{
		{`{"query":"{a}"}`, ""},
		{`{"query":null}`, gqlsec.CodeBadRequest},
		{`{"qeury":"{a}"}`, gqlsec.CodeBadRequest},
		{`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`, ""},
		{`{"query":"{a}","x":{"y":[{"z":1,"w":2}]}}`, ""},
		{`{"query":"{a}","x":{"y":[{"z":1,"z":2}]}}`, gqlsec.CodeDuplicateKey},
		{`{"Variables":{}}`, gqlsec.CodeDuplicateKey},
		{`{"query":"{a}"`, gqlsec.CodeInvalidJSON},
		{`{"query":"{a}",}`, gqlsec.CodeInvalidJSON},
		{`{"query":'{a}'}`, gqlsec.CodeInvalidJSON},
		{`[]`, gqlsec.CodeBadRequest},
		{`{"operationName":1}`, gqlsec.CodeBadRequest},
	} {
		err := gqlsec.CheckRequestBody([]byte(tt.body))
		var re *gqlsec.RequestError
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("%s: %v, want nil", tt.body, err)
		case tt.code != "" && (!errors.As(err, &re) || re.Code != tt.code):
			t.Errorf("%s: %v, want code %s", tt.body, err, tt.code)
		}
	}
}

// FuzzCheckRequestBody: the strict decoder never panics, and whatever it
// accepts encoding/json (which gqlgen uses) reads as the same request.
func FuzzCheckRequestBody(f *testing.F) {
	for _, s := range []string{
		`{"query":"{a}"}`, `{"query":"{a}","query":"{b}"}`, `{"QUERY":"x"}`, `{"query":"a","variables":{"a":{"b":[1,{"c":2}]}}}`,
		`{"query":"\u0041"}`, "{\"query\":\"\xff\"}", `{"query":"{a}"} x`, `[{"query":"{a}"}]`, `{"operationName":null,"extensions":{"persistedQuery":{"sha256Hash":"ab"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if gqlsec.CheckRequestBody(body) != nil {
			return
		}
		var v1 struct {
			Query         *string        `json:"query"`
			OperationName *string        `json:"operationName"`
			Variables     map[string]any `json:"variables"`
			Extensions    map[string]any `json:"extensions"`
		}
		if err := json.Unmarshal(body, &v1); err != nil {
			t.Fatalf("accepted %q, encoding/json refuses it: %v", body, err)
		}
		// encoding/json matches case-insensitively and keeps the last
		// duplicate; the exact, first-and-only member must be what it read.
		var exact map[string]json.RawMessage
		if err := json.Unmarshal(body, &exact); err != nil {
			t.Fatal(err)
		}
		if raw, ok := exact["query"]; ok && v1.Query != nil {
			var q string
			if json.Unmarshal(raw, &q) == nil && q != *v1.Query {
				t.Fatalf("accepted %q: query %q, encoding/json read %q", body, q, *v1.Query)
			}
		}
	})
}

func BenchmarkCheckRequestBody(b *testing.B) {
	body := []byte(`{"query":"query Feed($first: Int, $after: String) { posts(first: $first, after: $after) { nodes { id title body author { id name } comments(first: 5) { nodes { id body author { name } } } } pageInfo { hasNextPage endCursor } } }","operationName":"Feed","variables":{"first":20,"after":"cursor-abc","filter":{"tags":["a","b","c"],"since":"2026-01-01"}},"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}}`)
	type params struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
		Extensions    map[string]any `json:"extensions"`
	}
	b.Run("encoding_json_decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var p params
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict_check", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := gqlsec.CheckRequestBody(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestContentNegotiation follows the GraphQL over HTTP spec: a client that
// accepts application/graphql-response+json (or any application type)
// hears 4xx for a request refused before execution, with no data member;
// a client that accepts only application/json (or sends no Accept) hears
// 200 for a well-formed request whatever errors it raised, except
// THROTTLED; a client that accepts neither hears 406.
func TestContentNegotiation(t *testing.T) {
	send := func(t *testing.T, h *harness, accept, body string) response {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, req)
		return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	}
	deep := mustJSON(map[string]any{"query": gqltest.Deep(20)})
	for _, tt := range []struct {
		name, accept, body string
		status             int
		contentType, code  string
		data               bool
	}{
		{"gqlresp_depth", "application/graphql-response+json", deep, 400, "application/graphql-response+json", gqlsec.CodeDepthLimit, false},
		{"wildcard_depth", "*/*", deep, 200, "application/json", gqlsec.CodeDepthLimit, true},
		{"gqlresp_validation", "application/graphql-response+json", `{"query":"{ me { nmae } }"}`, 400, "application/graphql-response+json", "GRAPHQL_VALIDATION_FAILED", false},
		{"gqlresp_parse", "application/graphql-response+json", `{"query":"{ me { "}`, 400, "application/graphql-response+json", "GRAPHQL_PARSE_FAILED", false},
		{"json_depth", "application/json", deep, 200, "application/json", gqlsec.CodeDepthLimit, true},
		{"json_validation", "application/json", `{"query":"{ me { nmae } }"}`, 200, "application/json", "GRAPHQL_VALIDATION_FAILED", true},
		{"json_preferred_by_q", "application/graphql-response+json;q=0.5, application/json", `{"query":"{ me { nmae } }"}`, 200, "application/json", "GRAPHQL_VALIDATION_FAILED", true},
		{"no_accept_is_json", "", `{"query":"{ me { nmae } }"}`, 200, "application/json", "GRAPHQL_VALIDATION_FAILED", true},
		{"json_invalid_json_is_still_400", "application/json", `{"query":`, 400, "application/json", gqlsec.CodeInvalidJSON, false},
		{"benign_gqlresp", "application/graphql-response+json", `{"query":"{ me { id } }"}`, 200, "application/graphql-response+json", "", true},
		{"benign_json", "application/json", `{"query":"{ me { id } }"}`, 200, "application/json", "", true},
		{"not_acceptable", "text/html", `{"query":"{ me { id } }"}`, 406, "application/json", gqlsec.CodeNotAcceptable, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, gqlsec.Config{})
			r := send(t, h, tt.accept, tt.body)
			_, hasData := r.json(t)["data"]
			if r.status != tt.status || r.code(t) != tt.code || !strings.HasPrefix(r.header.Get("Content-Type"), tt.contentType) || hasData != tt.data {
				t.Fatalf("%d %s %q data=%v, want %d %s %q data=%v; body %s", r.status, r.header.Get("Content-Type"), r.code(t), hasData,
					tt.status, tt.contentType, tt.code, tt.data, r.body)
			}
		})
	}
}
