package directives

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart"
)

// Owner implements @owner(lookup: String, arg: String! = "id").
//
// Without lookup (property-level, OWASP API3): the field's parent object must
// belong to the caller. Its owner comes from Options.Owners[type] or, failing
// that, the Owned interface. Others get null for the field and a
// rampart.CodeForbidden error at its path; the rest of the response is intact
// (Validate requires the field to be nullable).
//
// With lookup (object-level, OWASP API1): before the resolver runs, the
// argument named arg is passed to Options.Lookups[lookup]. A caller who does
// not own the object gets exactly the answer given for an object that does
// not exist: rampart.CodeNotFound, "not found". Anonymous callers get
// rampart.CodeUnauthenticated before any lookup.
//
// Holders of Options.BypassRoles pass without a check (and no lookup runs:
// the resolver answers for missing objects).
func (d *Directives) Owner(ctx context.Context, obj any, next graphql.Resolver, lookup *string, arg string) (any, error) {
	if d.state.Load() == nil {
		return nil, d.notInstalled(ctx)
	}
	p := d.principal(ctx)
	if p == nil {
		d.deny(ctx, nil, rampart.CodeUnauthenticated, "anonymous")
		return nil, errUnauthenticated()
	}
	if len(d.bypass) > 0 && p.HasAnyRole(d.bypass...) {
		return next(ctx)
	}
	fc := graphql.GetFieldContext(ctx)
	if lookup == nil || *lookup == "" {
		owner, err := d.ownerOf(ctx, fc, obj)
		if err != nil {
			return nil, err
		}
		if owner == "" || owner != p.Subject {
			d.deny(ctx, p, rampart.CodeForbidden, "not owner")
			return nil, errForbidden()
		}
		return next(ctx)
	}
	fn := d.lookups[*lookup]
	if fn == nil || fc == nil {
		return nil, d.internal(ctx, "lookup not registered", fmt.Errorf("%w: directives: lookup %q", rampart.ErrConfig, *lookup))
	}
	id, ok := idString(fc.Args[arg])
	if !ok {
		return nil, d.internal(ctx, "owner argument is not an id", fmt.Errorf("%w: directives: argument %q is %T", rampart.ErrConfig, arg, fc.Args[arg]))
	}
	owner, err := "", ErrNotFound
	if id != "" {
		owner, err = fn(ctx, id)
	}
	switch {
	case errors.Is(err, ErrNotFound):
		d.deny(ctx, p, rampart.CodeNotFound, "no such object")
		return nil, errNotFound()
	case err != nil:
		return nil, d.internal(ctx, "lookup failed", err)
	case owner == "" || owner != p.Subject:
		d.deny(ctx, p, rampart.CodeNotFound, "not owner")
		return nil, errNotFound()
	}
	return next(ctx)
}

func (d *Directives) ownerOf(ctx context.Context, fc *graphql.FieldContext, obj any) (string, error) {
	typ := ""
	if fc != nil {
		typ = fc.Object
	}
	if f := d.owners[typ]; f != nil {
		owner, err := f(ctx, obj)
		if err != nil {
			return "", d.internal(ctx, "owner function failed", err)
		}
		return owner, nil
	}
	if o, ok := obj.(Owned); ok && o != nil {
		return o.OwnerID(), nil
	}
	// Fail closed, loudly: the operator must register an OwnerFunc.
	d.internal(ctx, "no owner function", fmt.Errorf("%w: directives: type %q has no OwnerFunc and %T does not implement Owned", rampart.ErrConfig, typ, obj))
	return "", errForbidden()
}

// idString turns a resolved id argument into the string a lookup takes.
func idString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case *string:
		if v == nil {
			return "", true // a null id names no object: not found
		}
		return *v, true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case fmt.Stringer:
		return v.String(), true
	}
	return "", false
}
