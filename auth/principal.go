package auth

import (
	"context"
	"slices"
	"time"
)

// Principal is an authenticated caller. A nil *Principal means the caller is
// anonymous; every method is safe to call on nil and answers as an anonymous
// caller would (no roles, no scopes).
type Principal struct {
	// Subject identifies the caller: the user id, also for an API key
	// (its owner), so that ownership checks work the same for both.
	Subject string
	// Roles are the caller's roles, such as "USER" or "ADMIN".
	Roles []string
	// Scopes are the permissions the credential carries, such as
	// "posts:write". An empty list grants no scope.
	Scopes []string
	// TokenID is the credential's own identifier (the JWT "jti" or the API
	// key id), used for revocation and audit records.
	TokenID string
	// Method says how the caller authenticated: MethodJWT or MethodAPIKey.
	Method string
	// AMR lists the authentication methods of the login that produced the
	// credential (RFC 8176 values such as "pwd", "otp").
	AMR []string
	// AuthTime is when the caller last authenticated interactively (the JWT
	// "auth_time" claim): a step-up with a second factor refreshes it. The
	// zero time means unknown.
	AuthTime time.Time
	// ExpiresAt is when the credential stops being valid. The zero time means
	// it does not expire on its own.
	ExpiresAt time.Time
}

// Authentication methods recorded in Principal.Method.
const (
	MethodJWT    = "jwt"
	MethodAPIKey = "apikey"
)

// Anonymous reports whether p stands for no authenticated caller.
func (p *Principal) Anonymous() bool { return p == nil || p.Subject == "" }

// HasRole reports whether p holds role. An anonymous principal holds none.
func (p *Principal) HasRole(role string) bool {
	return !p.Anonymous() && slices.Contains(p.Roles, role)
}

// HasAnyRole reports whether p holds at least one of roles.
func (p *Principal) HasAnyRole(roles ...string) bool {
	for _, r := range roles {
		if p.HasRole(r) {
			return true
		}
	}
	return false
}

// HasScope reports whether p's credential carries scope.
func (p *Principal) HasScope(scope string) bool {
	return !p.Anonymous() && slices.Contains(p.Scopes, scope)
}

// HasAMR reports whether the login behind p's credential used method (an
// RFC 8176 value such as "otp" or "pwd").
func (p *Principal) HasAMR(method string) bool {
	return !p.Anonymous() && slices.Contains(p.AMR, method)
}

// ExpiredAt reports whether p's credential has expired at time now.
func (p *Principal) ExpiredAt(now time.Time) bool {
	return p != nil && !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt)
}

type principalKey struct{}

func (principalKey) String() string { return "rampart/auth.principal" }

// WithPrincipal returns a copy of ctx that carries p. It is the only way a
// caller's identity travels through a request; a nil p marks the request as
// explicitly anonymous.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller stored in ctx by WithPrincipal. It returns
// (nil, false) for an anonymous caller or a context that carries none; both
// mean anonymous.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	if p.Anonymous() {
		return nil, false
	}
	return p, true
}
