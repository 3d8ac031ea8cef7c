package directives

import (
	"context"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/telemetry"
)

// Auth implements @auth(requires: [String!], scopes: [String!]). An anonymous
// caller (or one whose credential has expired) gets rampart.CodeUnauthenticated; an
// authenticated caller that holds none of requires (any-of) or misses one of
// scopes (all-of) gets rampart.CodeForbidden. Both lists empty means "any
// authenticated caller". The resolver does not run when the check fails.
//
// On an OBJECT, gqlgen runs the directive only on fields that return the
// type; the field interceptor (srv.Use(d)) also enforces it on every field of
// the type, which covers root types, unions and interfaces.
func (d *Directives) Auth(ctx context.Context, obj any, next graphql.Resolver, requires []string, scopes []string) (any, error) {
	if d.state.Load() == nil {
		return nil, d.notInstalled(ctx)
	}
	if err := d.authorize(ctx, requires, scopes); err != nil {
		return nil, err
	}
	return next(ctx)
}

// Public implements @public: it only marks a field or type as reachable by
// anonymous callers for the default-deny interceptor and AnonymousSurface.
// At run time it calls next (it may also be declared skip_runtime in
// gqlgen.yml).
func (d *Directives) Public(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	if d.state.Load() == nil {
		return nil, d.notInstalled(ctx)
	}
	return next(ctx)
}

func (d *Directives) authorize(ctx context.Context, roles, scopes []string) error {
	p := d.principal(ctx)
	if p == nil {
		d.deny(ctx, nil, rampart.CodeUnauthenticated, "anonymous")
		return errUnauthenticated()
	}
	if len(roles) > 0 && !p.HasAnyRole(roles...) {
		d.deny(ctx, p, rampart.CodeForbidden, "missing role")
		return errForbidden()
	}
	for _, s := range scopes {
		if !p.HasScope(s) {
			d.deny(ctx, p, rampart.CodeForbidden, "missing scope")
			return errForbidden()
		}
	}
	return nil
}

// InterceptField implements graphql.FieldInterceptor: the default-deny rule.
// Every field that is not @public (on itself or its type) is refused to
// anonymous callers with rampart.CodeUnauthenticated, so a field someone forgot to
// annotate fails closed. Authenticated callers are not affected by the rule;
// for them the field's own directives decide. The interceptor also enforces a
// type-level @auth on every field of the type. Introspection (__schema,
// __type, __typename and the __ types) is left to gqlsec. The policy is a map
// lookup precomputed by Validate; nothing is reflected per request.
func (d *Directives) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || strings.HasPrefix(fc.Field.Name, "__") || strings.HasPrefix(fc.Object, "__") {
		return next(ctx)
	}
	c := d.state.Load()
	if c == nil {
		return nil, d.notInstalled(ctx)
	}
	pol := c.fields[fieldKey{fc.Object, fc.Field.Name}] // unknown field: zero policy, deny anonymous
	if pol.typeAuth != nil {
		if err := d.authorize(ctx, pol.typeAuth.roles, pol.typeAuth.scopes); err != nil {
			return nil, err
		}
	} else if !pol.anonymous && d.principal(ctx) == nil {
		d.deny(ctx, nil, rampart.CodeUnauthenticated, "default deny")
		return nil, errUnauthenticated()
	}
	if pol.live != nil && d.current != nil {
		return d.liveSubscription(ctx, pol.live, next)
	}
	return next(ctx)
}

// deny logs a refusal. The reason is for operators; the client only sees the
// code.
func (d *Directives) deny(ctx context.Context, p *auth.Principal, code, reason string) {
	if code == rampart.CodeRateLimited {
		d.ins.Reject(ctx, telemetry.GuardFieldRateLimit, code, d.rlMode)
	} else {
		d.ins.Reject(ctx, telemetry.GuardDirectives, code, rampart.Enforce)
	}
	if !d.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{slog.String("code", code), slog.String("reason", reason)}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		attrs = append(attrs, slog.String("field", fc.Object+"."+fc.Field.Name), slog.String("path", fc.Path().String()))
	}
	if p != nil {
		attrs = append(attrs, slog.String("subject", p.Subject))
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "directives: access denied", attrs...)
}

func (d *Directives) notInstalled(ctx context.Context) error {
	d.log.LogAttrs(ctx, slog.LevelError, ErrNotInstalled.Error())
	return errNotInstalled()
}

func (d *Directives) internal(ctx context.Context, msg string, err error) error {
	attrs := []slog.Attr{slog.Any("error", err)}
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		attrs = append(attrs, slog.String("field", fc.Object+"."+fc.Field.Name))
	}
	d.log.LogAttrs(ctx, slog.LevelError, "directives: "+msg, attrs...)
	return errInternal()
}
