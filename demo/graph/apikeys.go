package graph

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
	"github.com/rampart-go/rampart/demo/graph/model"
)

// Scopes of the demo. A login's access token carries all of them; an API
// key carries those its owner chose among DelegableScopes.
const (
	ScopePostsWrite    = "posts:write"
	ScopeCommentsWrite = "comments:write"
	ScopeProfileWrite  = "profile:write"
	ScopeKeysManage    = "keys:manage"
	ScopeAccountManage = "account:manage"
)

// UserScopes are the scopes of an interactive login.
func UserScopes() []string {
	return []string{ScopePostsWrite, ScopeCommentsWrite, ScopeProfileWrite, ScopeKeysManage, ScopeAccountManage}
}

// DelegableScopes are the scopes an API key may carry: never keys:manage or
// account:manage, so a leaked key cannot mint keys or touch the account.
func DelegableScopes() []string {
	return []string{ScopePostsWrite, ScopeCommentsWrite, ScopeProfileWrite}
}

// defaultKeyLifetime applies when createAPIKey gives no expiresInDays.
const defaultKeyLifetime = 90 * 24 * time.Hour

func (r *Resolver) createAPIKey(ctx context.Context, name string, scopes []string, lifetime time.Duration) (*model.CreatedAPIKey, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range scopes {
		if !slices.Contains(DelegableScopes(), s) || !p.HasScope(s) {
			return nil, publicError(rampart.CodeBadUserInput, "scope "+s+" cannot be given to an API key")
		}
	}
	if len(scopes) == 0 {
		return nil, publicError(rampart.CodeBadUserInput, "an API key needs at least one scope")
	}
	now := time.Now()
	key, rec := apikey.New(apikey.Record{
		Subject: p.Subject, Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))),
		CreatedAt: now, ExpiresAt: now.Add(lifetime),
	})
	if err := r.Store.APIKeys().Create(ctx, rec, name); err != nil {
		return nil, err
	}
	stored, err := r.Store.APIKeys().Get(ctx, p.Subject, rec.ID)
	if err != nil {
		return nil, err
	}
	r.Logger.InfoContext(ctx, "api key created", "key_id", rec.ID, "subject", p.Subject)
	return &model.CreatedAPIKey{Key: key, APIKey: &stored}, nil
}

func (r *Resolver) rotateAPIKey(ctx context.Context, id string, overlap time.Duration) (*model.CreatedAPIKey, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	old, err := r.Store.APIKeys().Get(ctx, p.Subject, id)
	if errors.Is(err, auth.ErrNotFound) || err == nil && old.Record.Revoked {
		return nil, errNotFound()
	}
	if err != nil {
		return nil, err
	}
	lifetime := defaultKeyLifetime
	if !old.Record.ExpiresAt.IsZero() {
		lifetime = max(old.Record.ExpiresAt.Sub(old.Record.CreatedAt), time.Hour)
	}
	created, err := r.createAPIKey(ctx, old.Name, old.Record.Scopes, lifetime)
	if err != nil {
		return nil, err
	}
	if overlap == 0 {
		err = r.Store.APIKeys().Revoke(ctx, p.Subject, id)
	} else {
		err = r.Store.APIKeys().ExpireBy(ctx, p.Subject, id, time.Now().Add(overlap))
	}
	if err != nil {
		return nil, err
	}
	return created, nil
}

func (r *Resolver) revokeAPIKey(ctx context.Context, id string) (bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return false, err
	}
	if err := r.Store.APIKeys().Revoke(ctx, p.Subject, id); errors.Is(err, auth.ErrNotFound) {
		return false, errNotFound()
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// APIKeyUsage wraps an API-key authenticator to record when each key was
// last used (at most once a minute per key).
type APIKeyUsage struct {
	Next  auth.Authenticator
	Touch func(ctx context.Context, id string, at time.Time) error
}

// Authenticate implements auth.Authenticator.
func (u APIKeyUsage) Authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	p, err := u.Next.Authenticate(ctx, cred)
	if err == nil {
		_ = u.Touch(ctx, p.TokenID, time.Now())
	}
	return p, err
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
