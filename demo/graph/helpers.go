package graph

import (
	"context"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
)

// caller returns the authenticated principal or an UNAUTHENTICATED error.
func caller(ctx context.Context) (*auth.Principal, error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return nil, errUnauthenticated()
	}
	return p, nil
}

func isAdmin(p *auth.Principal) bool { return p.HasRole(string(model.RoleAdmin)) }

func page(first *int, after *string) store.Page { return store.Page{First: first, After: after} }
