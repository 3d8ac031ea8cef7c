package directives

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
)

// DefaultStepUpMaxAge is how long a second factor stays fresh for a @stepUp
// field without maxAge when Options.StepUpMaxAge is zero.
const DefaultStepUpMaxAge = 10 * time.Minute

// stepUpSkew tolerates an auth_time slightly in the future (clock skew
// between the identity provider and this server), matching the JWT leeway.
// An auth_time further ahead is not trusted.
const stepUpSkew = 30 * time.Second

// DefaultStepUpMethods returns the authentication methods (RFC 8176 "amr"
// values) that count as a second factor when Options.StepUpMethods is nil:
// "otp" and "mfa". A fresh slice each call.
func DefaultStepUpMethods() []string { return []string{"otp", "mfa"} }

// StepUp implements @stepUp(maxAge: String) on field definitions: step-up
// authentication for sensitive operations (changing an email or password,
// deleting an account, moving money). The caller must be authenticated
// (anonymous or expired: rampart.CodeUnauthenticated, first) and must have
// presented a second factor recently: its auth.Principal.AMR holds one of
// Options.StepUpMethods and its AuthTime is no older than maxAge (a Go
// duration; default Options.StepUpMaxAge, itself 10 minutes by default). A
// caller without one gets rampart.CodeMFARequired with extensions.maxAge in seconds,
// and the resolver does not run. A zero AuthTime (unknown) is not fresh.
//
// @stepUp is a directive of its own rather than an argument of @auth: it
// states how recently and how strongly the caller proved who it is, not
// what it may do, so it composes with any @auth or @owner, carries its own
// per-field maxAge, and leaves the signature of Auth (and so every generated
// DirectiveRoot) unchanged. A @stepUp field is never reachable anonymously.
// Validate rejects a maxAge that is not a positive duration and @stepUp on a
// @public field.
func (d *Directives) StepUp(ctx context.Context, obj any, next graphql.Resolver, maxAge *string) (any, error) {
	c := d.state.Load()
	if c == nil {
		return nil, d.notInstalled(ctx)
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, d.internal(ctx, "@stepUp without a field context", fmt.Errorf("%w: directives: no field context", rampart.ErrConfig))
	}
	age := c.policy(fc).stepUp
	if age <= 0 {
		return nil, d.internal(ctx, "@stepUp on a field Validate did not see", fmt.Errorf("%w: directives: %s.%s", rampart.ErrConfig, fc.Object, fc.Field.Name))
	}
	p := d.principal(ctx)
	if p == nil {
		d.deny(ctx, nil, rampart.CodeUnauthenticated, "anonymous")
		return nil, errUnauthenticated()
	}
	if !d.steppedUp(p, age) {
		d.deny(ctx, p, rampart.CodeMFARequired, "no fresh second factor")
		return nil, errMFARequired(age)
	}
	return next(ctx)
}

// steppedUp reports whether p presented a second factor no longer than
// maxAge ago.
func (d *Directives) steppedUp(p *auth.Principal, maxAge time.Duration) bool {
	if p.AuthTime.IsZero() {
		return false
	}
	second := false
	for _, m := range d.stepUpMethods {
		if p.HasAMR(m) {
			second = true
			break
		}
	}
	if !second {
		return false
	}
	age := d.now().Sub(p.AuthTime)
	return age >= -stepUpSkew && age <= maxAge
}

// compileStepUp reads one @stepUp and returns its maximum age.
func (d *Directives) compileStepUp(where string, dir *ast.Directive) (time.Duration, error) {
	s, ok, err := stringArg(dir, "maxAge")
	if err != nil {
		return 0, fmt.Errorf("%w: directives: %s: @stepUp: %w", rampart.ErrConfig, where, err)
	}
	if !ok {
		return d.stepUpMaxAge, nil
	}
	age, err := time.ParseDuration(s)
	if err != nil || age <= 0 {
		return 0, fmt.Errorf("%w: directives: %s: @stepUp: maxAge %q must be a positive Go duration such as \"5m\"", rampart.ErrConfig, where, s)
	}
	return age, nil
}
