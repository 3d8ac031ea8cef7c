package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
	"github.com/rampart-go/rampart/auth/jwt"
)

// Middleware puts the caller in the request context: a valid token yields a
// Principal, no credential yields an anonymous request, and a bad one a
// generic 401. The authenticators come from the subpackages: auth/jwt for
// bearer tokens, auth/apikey for API keys.
func ExampleMiddleware() {
	cfg := jwt.Config{
		Issuer:   "https://api.example.com",
		Audience: "example-api",
		Keys:     []jwt.Key{{Secret: []byte("a-32-byte-secret-from-your-vault")}},
	}
	verifier, err := jwt.NewVerifier(cfg)
	if err != nil {
		panic(err)
	}
	issuer, _ := jwt.NewIssuer(cfg)
	apiKeys, _ := apikey.NewAuthenticator(&apikey.MemoryStore{}, apikey.Options{})

	mw := auth.Middleware(auth.MultiAuthenticator{Bearer: verifier, APIKey: apiKeys}, auth.MiddlewareOptions{})
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			fmt.Fprintf(w, "hello %s", p.Subject)
			return
		}
		fmt.Fprint(w, "hello anonymous")
	}))

	at, _ := issuer.Issue(auth.Principal{Subject: "user-42"})
	for _, authz := range []string{"Bearer " + at.Token, "", "Bearer not-a-jwt"} {
		r := httptest.NewRequest(http.MethodPost, "/query", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello user-42
	// 200 hello anonymous
	// 401 {"errors":[{"message":"invalid or expired credential","extensions":{"code":"UNAUTHENTICATED"}}]}
}
