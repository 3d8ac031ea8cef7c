package graph

import (
	"context"
	"errors"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/wssec"
)

// revokeSessions is the admin's revokeSessions: every session of the user
// is revoked (cutoff) and its live sockets close on every replica. The
// action is audited.
func (r *Resolver) revokeSessions(ctx context.Context, userID string) (bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return false, err
	}
	if _, err := r.Store.UserByID(ctx, userID); errors.Is(err, store.ErrNotFound) {
		return false, errNotFound()
	} else if err != nil {
		return false, err
	}
	if r.Sessions == nil {
		return false, errAuthUnavailable(ctx)
	}
	if err := r.Sessions.RevokeSubject(ctx, userID, CauseRevoked); err != nil {
		if errors.Is(err, auth.ErrUnavailable) {
			return false, errAuthUnavailable(ctx)
		}
		return false, err
	}
	r.log().WarnContext(ctx, "audit: sessions revoked", "actor", p.Subject, "user", userID)
	return true, nil
}

// roleChanged closes the user's live sockets: they were authorized with
// the old role. The users table is the source of truth a resync reads.
func (r *Resolver) roleChanged(ctx context.Context, userID string, role model.Role) {
	p, _ := auth.PrincipalFrom(ctx)
	actor := ""
	if p != nil {
		actor = p.Subject
	}
	r.log().WarnContext(ctx, "audit: role changed", "actor", actor, "user", userID, "role", string(role))
	if r.Sessions != nil {
		r.Sessions.Publish(ctx, wssec.SessionEvent{Subject: userID, Cause: CauseRoleChange})
	}
}
