package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ssrf"
)

// NewDirectives returns the schema directives wired to the demo's store:
// admins bypass ownership, @owner(lookup: "Post") finds a post's author,
// and @rateLimit spends from the same limiter as the HTTP rate limit.
//
// current, when set, re-authorizes every subscription event against the
// caller's current role and session (directives.Options.CurrentPrincipal);
// a refused event ends its subscription with FORBIDDEN.
func NewDirectives(st *store.Store, limiter ratelimit.Limiter, urls *ssrf.Guard, current directives.CurrentPrincipalFunc, log *slog.Logger) (*directives.Directives, error) {
	return directives.New(directives.Options{
		CurrentPrincipal:  current,
		SubscriptionError: transport.AddSubscriptionError,
		Limiter:           limiter,
		// PUBLIC_URL: only http(s) URLs whose host resolves to public
		// addresses (OWASP API7, SSRF). Anything that later fetches such a
		// URL must use urls.Client(), which checks again at connection time.
		FormatsContext: map[string]directives.FormatContextFunc{"PUBLIC_URL": urls.Check},
		BypassRoles:    []string{string(model.RoleAdmin)},
		KnownRoles:     []string{string(model.RoleUser), string(model.RoleAdmin)},
		Lookups: map[string]directives.LookupFunc{
			"Post": func(ctx context.Context, id string) (string, error) {
				p, err := st.PostByID(ctx, id)
				if errors.Is(err, store.ErrNotFound) {
					return "", fmt.Errorf("post %w", directives.ErrNotFound)
				}
				if err != nil {
					return "", err
				}
				return p.AuthorID, nil
			},
		},
		Logger: log,
	})
}
