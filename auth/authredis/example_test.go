package authredis_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/auth/refresh"
)

// Share access-token revocations and refresh tokens between replicas: wire
// the Redis stores where the in-memory ones would go. It needs a running
// Redis, so it has no Output.
func Example() {
	client := redis.NewClient(&redis.Options{
		Addr:                  "127.0.0.1:6379",
		ContextTimeoutEnabled: true, // let the 100 ms per-call timeout reach the socket
	})
	defer client.Close()

	revocations, err := authredis.NewRevocations(client, authredis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	refreshStore, err := authredis.NewRefreshStore(client, authredis.Options{})
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := jwt.NewVerifier(jwt.Config{
		Issuer:      "https://api.example.com",
		Audience:    "example-api",
		Keys:        []jwt.Key{{Secret: []byte("a-32-byte-secret-from-your-vault")}},
		Revocations: revocations, // Redis down => 503 AUTH_UNAVAILABLE, never a pass
	})
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := refresh.NewTokens(refreshStore, refresh.Options{})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.PrincipalFrom(r.Context())
		if !ok {
			http.Error(w, "not logged in", http.StatusUnauthorized)
			return
		}
		// Revoke the refresh-token family and the access token; every
		// replica refuses both from now on.
		if err := tokens.Revoke(r.Context(), r.FormValue("refresh_token")); err != nil {
			http.Error(w, "logout failed", http.StatusBadRequest)
			return
		}
		if err := verifier.Revoke(r.Context(), p); err != nil {
			http.Error(w, "logout failed", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "logged out")
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", auth.Middleware(verifier, auth.MiddlewareOptions{})(mux)))
}

// A refresh token rotates on one replica and is refused, as reuse, on
// another: both read the same Redis.
func ExampleRefreshStore() {
	ctx := context.Background()
	newReplica := func() *refresh.Tokens {
		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
		store, err := authredis.NewRefreshStore(client, authredis.Options{})
		if err != nil {
			log.Fatal(err)
		}
		tokens, err := refresh.NewTokens(store, refresh.Options{})
		if err != nil {
			log.Fatal(err)
		}
		return tokens
	}
	a, b := newReplica(), newReplica()

	token, err := a.Issue(ctx, "user-42")
	if err != nil {
		log.Fatal(err) // wraps auth.ErrUnavailable when Redis is down
	}
	_, _, err = a.Rotate(ctx, token)
	fmt.Println(err)
	_, _, err = b.Rotate(ctx, token) // the old token again, on another replica
	fmt.Println(err)
}
