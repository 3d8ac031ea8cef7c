package auth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// FuzzCredentialFromRequest feeds arbitrary Authorization and X-API-Key
// values: no panic; a credential comes only with a nil error, holds no
// space, and is a substring of the header it came from.
func FuzzCredentialFromRequest(f *testing.F) {
	seeds := [][2]string{
		{"", ""}, {"Bearer abc", ""}, {"bearer abc", ""}, {"Basic dXNlcjpwYXNz", ""},
		{"Bearer ", ""}, {"Bearer a b", ""}, {"", "rpk_x"}, {"Bearer a", "rpk_x"}, {"", "a b"},
		{"Bearer ab=c", ""}, {"Bearer ==", ""}, {"Bearer  abc", ""}, {"", "clé"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, authz, key string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		if key != "" {
			r.Header["X-Api-Key"] = []string{key}
		}
		c, err := auth.CredentialFromRequest(r)
		if err != nil {
			if c != (auth.Credential{}) {
				t.Fatalf("credential %+v with error %v", c, err)
			}
			if authz == "" && key == "" && !errors.Is(err, auth.ErrNoCredential) {
				t.Fatalf("no headers: %v", err)
			}
			if (authz != "" || key != "") && !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("present header: %v", err)
			}
			return
		}
		if c.Value == "" || strings.ContainsAny(c.Value, " \t\r\n") || len(c.Value) > auth.MaxCredentialBytes {
			t.Fatalf("credential %q", c.Value)
		}
		switch c.Kind {
		case auth.CredentialBearer:
			if key != "" || !strings.HasSuffix(authz, c.Value) {
				t.Fatalf("bearer %q from %q", c.Value, authz)
			}
		case auth.CredentialAPIKey:
			if authz != "" || key != c.Value {
				t.Fatalf("api key %q from %q", c.Value, key)
			}
		default:
			t.Fatalf("kind %d", c.Kind)
		}
	})
}

// FuzzParseAuthorization: no panic; an accepted value yields a bearer
// credential that is a suffix of the input and has b64token syntax.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer abc", "Bearer", "Bearer ", "Basic x", "Bearer a b", "Bearer ab==", "Bearer =", "BeArEr  x.y.z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := auth.ParseAuthorization(v)
		if err != nil {
			if c != (auth.Credential{}) || !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("credential %+v err %v", c, err)
			}
			return
		}
		if c.Kind != auth.CredentialBearer || c.Value == "" || !strings.HasSuffix(v, c.Value) ||
			!strings.EqualFold(v[:7], "bearer ") || strings.ContainsAny(c.Value, " \t\r\n,;\"") {
			t.Fatalf("ParseAuthorization(%q) = %+v", v, c)
		}
	})
}
