package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"

	"github.com/rampart-go/rampart/internal/golden"
)

// render is what a client sees of a response: status, the headers auth
// sets, and the body.
func render(rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %d\n", rec.Code)
	for _, h := range []string{"Cache-Control", "Content-Type", "Retry-After", "Www-Authenticate"} {
		if v := rec.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	b.WriteString(rec.Body.String())
	b.WriteString("\n")
	return b.String()
}

func checkGolden(t testing.TB, name string, rec *httptest.ResponseRecorder) {
	t.Helper()
	golden.File(t, filepath.Join("testdata", name), []byte(render(rec)))
}

func checkUnauthorized(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	checkGolden(t, "unauthorized.golden", rec)
}

func TestCredentialFromRequest(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", auth.MaxCredentialBytes)
	cases := []struct {
		name    string
		headers [][2]string
		url     string
		want    auth.Credential
		wantErr error
	}{
		{name: "none", wantErr: auth.ErrNoCredential},
		{name: "token_in_query_ignored", url: "/query?access_token=abc&api_key=x", wantErr: auth.ErrNoCredential},
		{name: "bearer", headers: [][2]string{{"Authorization", "Bearer abc.def-_~+/=="}}, want: auth.Credential{Kind: auth.CredentialBearer, Value: "abc.def-_~+/=="}},
		{name: "bearer_lowercase_scheme", headers: [][2]string{{"Authorization", "bearer abc"}}, want: auth.Credential{Kind: auth.CredentialBearer, Value: "abc"}},
		{name: "bearer_uppercase_scheme", headers: [][2]string{{"Authorization", "BEARER abc"}}, want: auth.Credential{Kind: auth.CredentialBearer, Value: "abc"}},
		{name: "bearer_at_size_limit", headers: [][2]string{{"Authorization", "Bearer " + long[:auth.MaxCredentialBytes-7]}}, want: auth.Credential{Kind: auth.CredentialBearer, Value: long[:auth.MaxCredentialBytes-7]}},
		{name: "api_key", headers: [][2]string{{"X-API-Key", "rpk_abc_def"}}, want: auth.Credential{Kind: auth.CredentialAPIKey, Value: "rpk_abc_def"}},
		{name: "api_key_at_size_limit", headers: [][2]string{{"X-API-Key", long}}, want: auth.Credential{Kind: auth.CredentialAPIKey, Value: long}},

		{name: "bearer_past_size_limit", headers: [][2]string{{"Authorization", "Bearer " + long}}, wantErr: auth.ErrInvalidToken},
		{name: "api_key_past_size_limit", headers: [][2]string{{"X-API-Key", long + "a"}}, wantErr: auth.ErrInvalidToken},
		{name: "basic_scheme", headers: [][2]string{{"Authorization", "Basic dXNlcjpwYXNz"}}, wantErr: auth.ErrInvalidToken},
		{name: "scheme_only", headers: [][2]string{{"Authorization", "Bearer"}}, wantErr: auth.ErrInvalidToken},
		{name: "empty_token", headers: [][2]string{{"Authorization", "Bearer "}}, wantErr: auth.ErrInvalidToken},
		{name: "empty_header", headers: [][2]string{{"Authorization", ""}}, wantErr: auth.ErrInvalidToken},
		{name: "token_with_space", headers: [][2]string{{"Authorization", "Bearer abc def"}}, wantErr: auth.ErrInvalidToken},
		{name: "token_with_comma", headers: [][2]string{{"Authorization", "Bearer abc,Bearer def"}}, wantErr: auth.ErrInvalidToken},
		{name: "padding_in_middle", headers: [][2]string{{"Authorization", "Bearer ab=c"}}, wantErr: auth.ErrInvalidToken},
		{name: "only_padding", headers: [][2]string{{"Authorization", "Bearer =="}}, wantErr: auth.ErrInvalidToken},
		{name: "two_authorization_headers", headers: [][2]string{{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}}, wantErr: auth.ErrInvalidToken},
		{name: "two_api_keys", headers: [][2]string{{"X-API-Key", "a"}, {"X-API-Key", "b"}}, wantErr: auth.ErrInvalidToken},
		{name: "bearer_and_api_key", headers: [][2]string{{"Authorization", "Bearer a"}, {"X-API-Key", "b"}}, wantErr: auth.ErrInvalidToken},
		{name: "empty_api_key", headers: [][2]string{{"X-API-Key", ""}}, wantErr: auth.ErrInvalidToken},
		{name: "api_key_with_space", headers: [][2]string{{"X-API-Key", "a b"}}, wantErr: auth.ErrInvalidToken},
		{name: "api_key_non_ascii", headers: [][2]string{{"X-API-Key", "clé"}}, wantErr: auth.ErrInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := tc.url
			if url == "" {
				url = "/query"
			}
			r := httptest.NewRequest(http.MethodGet, url, nil)
			for _, h := range tc.headers {
				r.Header.Add(h[0], h[1])
			}
			got, err := auth.CredentialFromRequest(r)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || got != (auth.Credential{}) {
					t.Fatalf("got %+v, %v; want error %v", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	valid := &auth.Principal{Subject: "u1", Method: auth.MethodAPIKey}
	a := auth.AuthenticatorFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		switch c.Value {
		case "good-7f3a":
			return valid, nil
		case "expired-7f3a":
			return nil, fmt.Errorf("test: %w", auth.ErrExpired)
		case "revoked-7f3a":
			return nil, fmt.Errorf("test: %w", auth.ErrRevoked)
		case "nil-nil-7f3a":
			return nil, nil // a broken authenticator must not let the caller in
		}
		return nil, fmt.Errorf("test: %w: secret reason", auth.ErrInvalidToken)
	})
	cases := []struct {
		name       string
		header     [2]string
		wantStatus int
		wantAnon   bool
	}{
		{name: "no_credential_is_anonymous", wantStatus: http.StatusOK, wantAnon: true},
		{name: "valid_bearer", header: [2]string{"Authorization", "Bearer good-7f3a"}, wantStatus: http.StatusOK},
		{name: "valid_api_key", header: [2]string{"X-API-Key", "good-7f3a"}, wantStatus: http.StatusOK},
		{name: "invalid", header: [2]string{"Authorization", "Bearer bad-7f3a"}, wantStatus: http.StatusUnauthorized},
		{name: "expired", header: [2]string{"Authorization", "Bearer expired-7f3a"}, wantStatus: http.StatusUnauthorized},
		{name: "revoked", header: [2]string{"X-API-Key", "revoked-7f3a"}, wantStatus: http.StatusUnauthorized},
		{name: "malformed_header", header: [2]string{"Authorization", "Basic Zm9v"}, wantStatus: http.StatusUnauthorized},
		{name: "nil_principal_nil_error", header: [2]string{"Authorization", "Bearer nil-nil-7f3a"}, wantStatus: http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			ran := false
			var got *auth.Principal
			var present bool
			h := auth.Middleware(a, auth.MiddlewareOptions{Logger: log})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = true
				got, present = auth.PrincipalFrom(r.Context())
			}))
			r := httptest.NewRequest(http.MethodPost, "/query", nil)
			if tc.header[0] != "" {
				r.Header.Set(tc.header[0], tc.header[1])
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				if ran {
					t.Fatal("handler ran for a refused credential")
				}
				checkUnauthorized(t, rec)
				if strings.Contains(rec.Body.String(), "secret reason") {
					t.Fatal("reason leaked to the client")
				}
				if !strings.Contains(logs.String(), "credential refused") {
					t.Fatalf("reason not logged: %q", logs.String())
				}
				if strings.Contains(logs.String(), "7f3a") {
					t.Fatalf("credential logged: %q", logs.String())
				}
				return
			}
			if !ran {
				t.Fatal("handler did not run")
			}
			if tc.wantAnon {
				if present || got != nil {
					t.Fatalf("anonymous request got principal %v", got)
				}
				return
			}
			if !present || got != valid {
				t.Fatalf("principal = %v, %v", got, present)
			}
		})
	}
}

func TestMiddlewareNilAuthenticatorPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("Middleware(nil) did not panic")
		}
	}()
	auth.Middleware(nil, auth.MiddlewareOptions{})
}

func TestMiddlewareOverridesForgedContextPrincipal(t *testing.T) {
	t.Parallel()
	// An anonymous request must come out anonymous even if an earlier
	// layer put a principal in the context.
	h := auth.Middleware(auth.MultiAuthenticator{}, auth.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			t.Errorf("principal %v survived", p)
		}
	}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Subject: "forged"}))
	h.ServeHTTP(httptest.NewRecorder(), r)
}

func TestMultiAuthenticator(t *testing.T) {
	t.Parallel()
	bearer := auth.AuthenticatorFunc(func(context.Context, auth.Credential) (*auth.Principal, error) {
		return &auth.Principal{Subject: "jwt-user"}, nil
	})
	broken := auth.AuthenticatorFunc(func(context.Context, auth.Credential) (*auth.Principal, error) { return nil, nil })
	ctx := context.Background()
	m := auth.MultiAuthenticator{Bearer: bearer}
	if p, err := m.Authenticate(ctx, auth.Credential{Kind: auth.CredentialBearer, Value: "x"}); err != nil || p.Subject != "jwt-user" {
		t.Fatalf("bearer: %v %v", p, err)
	}
	for _, c := range []auth.Credential{{Kind: auth.CredentialAPIKey, Value: "x"}, {Kind: 0, Value: "x"}, {Kind: 99, Value: "x"}} {
		if p, err := m.Authenticate(ctx, c); p != nil || !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("kind %d: %v %v", c.Kind, p, err)
		}
	}
	m = auth.MultiAuthenticator{APIKey: broken}
	if p, err := m.Authenticate(ctx, auth.Credential{Kind: auth.CredentialAPIKey, Value: "x"}); p != nil || !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("nil,nil authenticator: %v %v", p, err)
	}
}

func TestPrincipalFromAllocs(t *testing.T) {
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "u"})
	allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := auth.PrincipalFrom(ctx); !ok {
			panic("lost principal")
		}
	})
	if allocs != 0 {
		t.Fatalf("PrincipalFrom allocates %v times per call", allocs)
	}
}
