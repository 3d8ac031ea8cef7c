package directives

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
)

// CurrentPrincipalFunc returns the caller's current Principal for p, the
// Principal a subscription was authorized with: the same credential with
// the roles and scopes it has now. It returns nil, or an error wrapping
// auth.ErrRevoked (or auth.ErrInvalidToken, auth.ErrExpired), when the
// session is no longer valid; any other error (the store cannot answer) is
// logged and ends the subscription too (fail closed). It runs once per
// event of every guarded subscription, so it should answer from a cache
// (invalidated by the application's revocation events).
type CurrentPrincipalFunc func(ctx context.Context, p *auth.Principal) (*auth.Principal, error)

// liveRule is what a subscription field's events are re-authorized
// against: its @auth (and its type's), and its @owner lookup.
type liveRule struct {
	auth   []*requirement
	lookup string // "" when the field has no @owner
	arg    string
}

// liveSubscription re-authorizes each event of a root subscription field
// (see Options.CurrentPrincipal). It calls next with a context whose
// Principal is the caller's current one (auth.PrincipalFrom answers the
// Principal of the latest event), so the fields of each event are resolved
// — and their own @auth/@owner checked — against it too. It wraps the
// event channel next returns: each event is forwarded only when the field's
// @auth and @owner still hold for the current Principal; otherwise the
// event is dropped and the subscription ends with a FORBIDDEN error (sent
// through Options.SubscriptionError). The forwarding goroutine ends when
// the source channel closes, the subscription's context ends, or an event
// is refused.
func (d *Directives) liveSubscription(ctx context.Context, rule *liveRule, next graphql.Resolver) (any, error) {
	p0 := d.principal(ctx)
	if p0 == nil {
		return next(ctx) // anonymous: nothing to re-check (the field is @public)
	}
	lc := &liveContext{Context: ctx}
	lc.cur.Store(p0)
	res, err := next(lc)
	if err != nil || res == nil {
		return res, err
	}
	src := reflect.ValueOf(res)
	if src.Kind() != reflect.Chan || src.Type().ChanDir()&reflect.RecvDir == 0 {
		return res, err
	}
	out := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, src.Type().Elem()), 0)
	fc := graphql.GetFieldContext(ctx)
	go d.forward(ctx, lc, rule, fc, p0, src, out)
	return out.Convert(src.Type()).Interface(), nil
}

func (d *Directives) forward(ctx context.Context, lc *liveContext, rule *liveRule, fc *graphql.FieldContext, p0 *auth.Principal, src, out reflect.Value) {
	defer out.Close()
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		{Dir: reflect.SelectRecv, Chan: src},
	}
	send := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
		{Dir: reflect.SelectSend, Chan: out},
	}
	for {
		chosen, v, ok := reflect.Select(cases)
		if chosen == 0 || !ok {
			return
		}
		cur, gerr := d.reauthorize(ctx, rule, fc, p0)
		if gerr != nil {
			if ctx.Err() == nil {
				// gqlgen reads the subscription's errors once its stream
				// ends, without a lock: only add one while the
				// subscription is still running (when its context is done
				// gqlgen may be reading them already).
				d.endSubscription(ctx, gerr)
			}
			return
		}
		lc.cur.Store(cur)
		send[1].Send = v
		if chosen, _, _ := reflect.Select(send); chosen == 0 {
			return
		}
	}
}

// reauthorize checks one event: the caller's current Principal must still
// satisfy the field's @auth and @owner.
func (d *Directives) reauthorize(ctx context.Context, rule *liveRule, fc *graphql.FieldContext, p0 *auth.Principal) (*auth.Principal, *gqlerror.Error) {
	cur, err := d.currentPrincipal(ctx, p0)
	switch {
	case err != nil && !errors.Is(err, auth.ErrRevoked) && !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrExpired):
		d.internal(ctx, "current principal unavailable", err)
		return nil, gqlErr(errForbidden())
	case err != nil || cur == nil || cur.Anonymous() || cur.ExpiredAt(d.now()):
		d.deny(ctx, p0, rampart.CodeForbidden, "session no longer valid")
		return nil, gqlErr(errForbidden())
	}
	for _, req := range rule.auth {
		if len(req.roles) > 0 && !cur.HasAnyRole(req.roles...) {
			d.deny(ctx, cur, rampart.CodeForbidden, "missing role (re-checked per event)")
			return nil, gqlErr(errForbidden())
		}
		for _, s := range req.scopes {
			if !cur.HasScope(s) {
				d.deny(ctx, cur, rampart.CodeForbidden, "missing scope (re-checked per event)")
				return nil, gqlErr(errForbidden())
			}
		}
	}
	if rule.lookup == "" || (len(d.bypass) > 0 && cur.HasAnyRole(d.bypass...)) {
		return cur, nil
	}
	id, _ := idString(fc.Args[rule.arg])
	owner, err := "", ErrNotFound
	if fn := d.lookups[rule.lookup]; fn != nil && id != "" {
		owner, err = fn(ctx, id)
	}
	switch {
	case err != nil && !errors.Is(err, ErrNotFound):
		d.internal(ctx, "lookup failed (re-checked per event)", err)
		return nil, gqlErr(errForbidden())
	case err != nil || owner == "" || owner != cur.Subject:
		d.deny(ctx, cur, rampart.CodeForbidden, "not owner (re-checked per event)")
		return nil, gqlErr(errForbidden())
	}
	return cur, nil
}

func (d *Directives) currentPrincipal(ctx context.Context, p0 *auth.Principal) (cur *auth.Principal, err error) {
	defer func() {
		if r := recover(); r != nil {
			cur, err = nil, errors.New("directives: CurrentPrincipal panicked")
		}
	}()
	return d.current(ctx, p0)
}

// endSubscription hands err to Options.SubscriptionError, so that the
// transport ends the subscription with it; without that hook (or when it
// fails, as gqlgen's does outside a WebSocket) the subscription just ends.
func (d *Directives) endSubscription(ctx context.Context, err *gqlerror.Error) {
	if d.subErr == nil {
		return
	}
	defer func() { _ = recover() }()
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		err.Path = fc.Path()
	}
	d.subErr(ctx, err)
}

func gqlErr(err error) *gqlerror.Error {
	var g *gqlerror.Error
	if errors.As(err, &g) {
		return g
	}
	return gqlerror.Wrap(err)
}

// liveContext is a subscription's context whose Principal follows the
// caller's current one: every value of type *auth.Principal its parent
// holds (the one auth.WithPrincipal stored) is answered with cur instead.
// Cancellation and every other value are the parent's.
type liveContext struct {
	context.Context
	cur atomic.Pointer[auth.Principal]
}

// Value implements context.Context.
func (c *liveContext) Value(key any) any {
	v := c.Context.Value(key)
	if _, ok := v.(*auth.Principal); ok {
		return c.cur.Load()
	}
	return v
}
