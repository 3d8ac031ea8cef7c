package graph

import (
	"context"
	"errors"

	"github.com/rampart-go/rampart/demo/graph/store"
)

// mayEditPost allows the post's author and admins. Anyone else gets the same
// NOT_FOUND a missing post gets, so ids cannot be probed.
func (r *Resolver) mayEditPost(ctx context.Context, id string) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	post, err := r.Store.PostByID(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound()
	case err != nil:
		return err
	case post.AuthorID != p.Subject && !isAdmin(p):
		return errNotFound()
	}
	return nil
}
