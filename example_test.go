package rampart_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/internal/gqltest"
	"github.com/rampart-go/rampart/ratelimit"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err) // misconfiguration stops startup
	}
	return v
}

// Example_quickstart puts Rampart in front of a gqlgen server: HTTP
// hardening, authentication, a rate limit by caller and the operation
// guards. A depth attack is refused before any resolver runs; a benign
// query passes.
func Example_quickstart() {
	es := gqltest.New() // your generated.NewExecutableSchema(generated.Config{...})
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	gql := must(gqlsec.Handler(srv, gqlsec.Config{Introspection: gqlsec.AllowRoles("ADMIN")}))

	verifier := must(jwt.NewVerifier(jwt.Config{
		Issuer: "https://api.example.com", Audience: "example-api",
		Keys: []jwt.Key{{ID: "k1", Secret: []byte("a random secret of at least 32 bytes!")}},
	}))
	limiter := must(ratelimit.NewMemory(ratelimit.MemoryOptions{}))

	chain := []func(http.Handler) http.Handler{
		httpsec.RequestID(httpsec.RequestIDOptions{}),
		must(httpsec.ClientIP(httpsec.ClientIPOptions{})),
		must(httpsec.SecureHeaders(httpsec.SecureHeadersOptions{})),
		must(httpsec.BodyLimit(httpsec.BodyLimitOptions{})),
		must(httpsec.CSRF(httpsec.CSRFOptions{})),
		auth.Middleware(auth.MultiAuthenticator{Bearer: verifier}, auth.MiddlewareOptions{}),
		must(httpsec.RateLimit(limiter, httpsec.RateLimitOptions{})),
	}
	var h http.Handler = gql
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}

	for _, query := range []string{gqltest.Deep(17), `{ __typename }`} {
		body := fmt.Sprintf(`{"query":%q}`, query)
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json") // as Apollo Client and urql send it
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	fmt.Println("resolvers run:", es.Resolves())
	// Output:
	// 400 {"errors":[{"message":"operation depth 17 exceeds the limit of 15","extensions":{"code":"DEPTH_LIMIT_EXCEEDED","limit":15,"observed":17}}]}
	// 200 {"data":{"__typename":"Query"}}
	// resolvers run: 0
}
