package directives_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/ratelimit"
)

// guardedSchema uses @rateLimit and @stepUp the way an application would.
const guardedSchema = `
type Query { balance: Int @auth @stepUp }
type Mutation {
  register(email: String!): Boolean @public @rateLimit(limit: 5, window: "1h", by: "IP")
  follow(userId: ID!): Boolean @auth @rateLimit(limit: 2, window: "1m")
  setWebhook(url: String! @constraint(format: "PUBLIC_URL")): Boolean @auth @stepUp(maxAge: "5m")
}`

func guardedDirectives(opts directives.Options) *directives.Directives {
	if opts.FormatsContext == nil {
		opts.FormatsContext = map[string]directives.FormatContextFunc{"PUBLIC_URL": examplePublicURL}
	}
	d, err := directives.New(opts)
	if err != nil {
		panic(err)
	}
	schema := gqlparser.MustLoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: directives.SDL},
		&ast.Source{Name: "schema.graphqls", Input: guardedSchema},
	)
	if err := d.ValidateSchema(schema); err != nil { // srv.Use(d) does this
		panic(err)
	}
	return d
}

// showRetry prints a result, with retryAfter for a rate-limited call.
func showRetry(v any, err error) {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) && gqlErr.Extensions["retryAfter"] != nil {
		fmt.Println(gqlErr.Extensions["code"], "- retryAfter:", gqlErr.Extensions["retryAfter"])
		return
	}
	show(v, err)
}

// ExampleDirectives_RateLimit: follow(userId:) allows each caller 2 calls a
// minute. The limiter's clock is injected so the window can be shown
// refilling: one token comes back every 30 seconds.
func ExampleDirectives_RateLimit() {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	d := guardedDirectives(directives.Options{Limiter: limiter})

	follow := func(p *auth.Principal) {
		ctx := withField(as(p), "Mutation", "follow")
		showRetry(d.RateLimit(ctx, nil, resolver, 2, "1m", nil))
	}
	alice := &auth.Principal{Subject: "alice"}
	follow(alice)
	follow(alice)
	follow(alice)                           // third call within the minute
	follow(&auth.Principal{Subject: "bob"}) // other callers are unaffected
	now = now.Add(30 * time.Second)
	follow(alice) // one token refilled
	// Output:
	// resolved
	// resolved
	// RATE_LIMITED - retryAfter: 30
	// resolved
	// resolved
}

// ExampleDirectives_StepUp: balance is @auth @stepUp: a caller must have
// used a second factor ("otp" or "mfa" in its AMR) within the last 10
// minutes.
func ExampleDirectives_StepUp() {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	d := guardedDirectives(directives.Options{
		Limiter: mustMemory(),
		Now:     func() time.Time { return now },
	})
	balance := func(p *auth.Principal) {
		show(d.StepUp(withField(as(p), "Query", "balance"), nil, resolver, nil))
	}
	balance(nil)
	balance(&auth.Principal{Subject: "alice", AMR: []string{"pwd"}, AuthTime: now.Add(-time.Minute)})
	balance(&auth.Principal{Subject: "alice", AMR: []string{"pwd", "otp"}, AuthTime: now.Add(-time.Hour)})
	balance(&auth.Principal{Subject: "alice", AMR: []string{"pwd", "otp"}, AuthTime: now.Add(-time.Minute)})
	// Output:
	// UNAUTHENTICATED - authentication required
	// MFA_REQUIRED - a recent second factor is required: verify again and retry
	// MFA_REQUIRED - a recent second factor is required: verify again and retry
	// resolved
}

// ExampleFormatContextFunc registers a PUBLIC_URL format whose check needs
// the request's context. The demo registers ssrf.Guard.Check here; this
// stand-in refuses one internal host. The client never sees the checker's
// reason.
func ExampleFormatContextFunc() {
	d := guardedDirectives(directives.Options{
		Limiter:        mustMemory(),
		FormatsContext: map[string]directives.FormatContextFunc{"PUBLIC_URL": examplePublicURL},
	})
	format := "PUBLIC_URL"
	ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("url"))
	for _, u := range []string{"https://hooks.example.com/x", "http://169.254.169.254/latest/meta-data/"} {
		value := func(context.Context) (any, error) { return u, nil }
		show(d.Constraint(ctx, nil, value, nil, nil, nil, &format, nil, nil))
	}
	// Output:
	// https://hooks.example.com/x
	// BAD_USER_INPUT - url: must be a valid PUBLIC_URL
}

// examplePublicURL stands for ssrf.Guard.Check.
func examplePublicURL(ctx context.Context, s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "169.254.169.254" {
		return errors.New("ssrf: 169.254.169.254 is link-local")
	}
	return ctx.Err()
}

func mustMemory() *ratelimit.Memory {
	l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		panic(err)
	}
	return l
}
