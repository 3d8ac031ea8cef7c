package directives

import (
	"context"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

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
// type; GuardField (installed by srv.Use(d)) also enforces it on every field
// of the type, which covers root types, unions and interfaces.
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
// anonymous callers for the default-deny rule (GuardField) and AnonymousSurface.
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

// MutateOperationContext implements graphql.OperationContextMutator:
// srv.Use(d) makes gqlgen call it when each operation starts, and it wraps
// the operation's field middleware (OperationContext.ResolverMiddleware)
// with GuardField's rule, so that every field of the operation is checked
// before the server's field interceptors and the field's own directives
// run. It wraps the operation's middleware instead of being a
// graphql.FieldInterceptor because gqlgen allocates a closure per field for
// each interceptor, and adds frames to the stack of every field: resolvers
// that gqlgen runs in goroutines of their own (list elements) pay for
// those frames in stack growth. A field that needs nothing (a @public field
// for an anonymous caller, any field without a type-level @auth for an
// authenticated one) costs a field context read and one map lookup, and
// allocates nothing.
func (d *Directives) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	next := opCtx.ResolverMiddleware
	if next == nil {
		next = func(ctx context.Context, resolve graphql.Resolver) (any, error) { return resolve(ctx) }
	}
	opCtx.ResolverMiddleware = func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		live, err := d.check(ctx)
		if err != nil {
			return nil, err
		}
		if live != nil {
			return d.liveSubscription(ctx, live, func(ctx context.Context) (any, error) { return next(ctx, resolve) })
		}
		return next(ctx, resolve)
	}
	return nil
}

// GuardField applies the default-deny rule to the field in ctx, then calls
// next. Every field that is not @public (on itself or its type) is refused
// to anonymous callers with rampart.CodeUnauthenticated, so a field someone
// forgot to annotate fails closed. Authenticated callers are not affected
// by the rule; for them the field's own directives decide. It also
// enforces a type-level @auth on every field of the type, and re-authorizes
// each event of a guarded root subscription field (see
// Options.CurrentPrincipal). Introspection (__schema, __type, __typename
// and the __ types) is left to gqlsec. The policy is a map lookup
// precomputed by Validate; nothing is reflected per request.
//
// Installed with srv.Use(d), the server applies it to every field (see
// MutateOperationContext); call it yourself only to run the rule outside
// gqlgen's executor.
func (d *Directives) GuardField(ctx context.Context, next graphql.Resolver) (any, error) {
	live, err := d.check(ctx)
	if err != nil {
		return nil, err
	}
	if live != nil {
		return d.liveSubscription(ctx, live, next)
	}
	return next(ctx)
}

// check is GuardField's rule for the field in ctx: the refusal, if any,
// and the rule the events of a guarded subscription field are
// re-authorized against (nil for other fields). It returns before the
// field resolves, so that its frame is not on the resolver's stack.
func (d *Directives) check(ctx context.Context) (*liveRule, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || strings.HasPrefix(fc.Field.Name, "__") || strings.HasPrefix(fc.Object, "__") {
		return nil, nil
	}
	c := d.state.Load()
	if c == nil {
		return nil, d.notInstalled(ctx)
	}
	pol := c.policy(fc) // unknown field: zero policy, deny anonymous
	if pol.typeAuth != nil {
		if err := d.authorize(ctx, pol.typeAuth.roles, pol.typeAuth.scopes); err != nil {
			return nil, err
		}
	} else if !pol.anonymous && d.principal(ctx) == nil {
		d.deny(ctx, nil, rampart.CodeUnauthenticated, "default deny")
		return nil, errUnauthenticated()
	}
	if pol.live != nil && d.current != nil {
		return pol.live, nil
	}
	return nil, nil
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
