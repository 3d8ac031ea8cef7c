package directives

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart"
)

// Bind assigns Rampart's directive implementations to the fields of root, a
// pointer to the DirectiveRoot struct gqlgen generated for your schema:
//
//	var dirs graph.DirectiveRoot
//	if err := d.Bind(&dirs); err != nil { ... }
//	es := graph.NewExecutableSchema(graph.Config{Resolvers: r, Directives: dirs})
//
// It works whatever gqlgen.yml maps Int to: for the fields Constraint and
// RateLimit it picks the method whose Int arguments have the field's type
// (Constraint or RateLimit for graphql.Int, Constraint32 or RateLimit32 for
// graphql.Int32 as written by `gqlgen init`, Constraint64 or RateLimit64 for
// graphql.Int64). The fields Cost and ListSize, which gqlgen generates when
// the schema declares complexity.DirectivesSDL (as `rampart sdl` prints it)
// and gqlgen.yml does not mark them skip_runtime, get a function that just
// calls the resolver: the cost analysis reads those directives from the
// schema, not at run time.
//
// Other fields (your own directives) are left as they are; set them before
// or after Bind. Bind returns an error wrapping rampart.ErrConfig, and leaves root
// unchanged, when root is not a pointer to a struct, when one of Rampart's
// fields has a type no method matches (the schema declares that directive
// differently from SDL: regenerate the SDL file with `rampart sdl`), or
// when root has none of Rampart's fields (the schema does not include SDL).
func (d *Directives) Bind(root any) error {
	rv := reflect.ValueOf(root)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%w: directives: Bind takes a pointer to the generated DirectiveRoot, got %T", rampart.ErrConfig, root)
	}
	candidates := map[string][]any{
		"Auth":       {d.Auth},
		"Owner":      {d.Owner},
		"Constraint": {d.Constraint, d.Constraint32, d.Constraint64},
		"Sanitize":   {d.Sanitize},
		"Public":     {d.Public},
		"RateLimit":  {d.RateLimit, d.RateLimit32, d.RateLimit64},
		"StepUp":     {d.StepUp},
	}
	st := rv.Elem()
	type assignment struct {
		field reflect.Value
		value reflect.Value
	}
	var (
		set  []assignment
		errs []error
	)
	for i := range st.NumField() {
		sf := st.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		field := st.Field(i)
		if fns, ok := candidates[sf.Name]; ok {
			v, found := pick(fns, sf.Type)
			if !found {
				errs = append(errs, fmt.Errorf("%w: DirectiveRoot.%s has type %s, which no method of *Directives has: declare @%s exactly as directives.SDL does (regenerate it with `rampart sdl`)",
					rampart.ErrConfig, sf.Name, sf.Type, lowerFirst(sf.Name)))
				continue
			}
			set = append(set, assignment{field, v})
			continue
		}
		if sf.Name == "Cost" || sf.Name == "ListSize" {
			if !isDirectiveFunc(sf.Type) {
				errs = append(errs, fmt.Errorf("%w: DirectiveRoot.%s has type %s, not a gqlgen directive function", rampart.ErrConfig, sf.Name, sf.Type))
				continue
			}
			set = append(set, assignment{field, reflect.MakeFunc(sf.Type, passThrough)})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(set) == 0 {
		return fmt.Errorf("%w: %T has none of the fields Auth, Owner, Constraint, Sanitize, Public, RateLimit, StepUp: add directives.SDL to the schema (`rampart sdl`) and regenerate", rampart.ErrConfig, root)
	}
	for _, a := range set {
		a.field.Set(a.value)
	}
	return nil
}

// pick returns the first of fns whose type is t.
func pick(fns []any, t reflect.Type) (reflect.Value, bool) {
	for _, fn := range fns {
		if v := reflect.ValueOf(fn); v.Type() == t {
			return v, true
		}
	}
	return reflect.Value{}, false
}

var (
	ctxType      = reflect.TypeFor[context.Context]()
	anyType      = reflect.TypeFor[any]()
	resolverType = reflect.TypeFor[graphql.Resolver]()
	errorType    = reflect.TypeFor[error]()
)

// isDirectiveFunc reports whether t is func(context.Context, any,
// graphql.Resolver, ...) (any, error), the shape of every DirectiveRoot
// field.
func isDirectiveFunc(t reflect.Type) bool {
	return t.Kind() == reflect.Func && !t.IsVariadic() &&
		t.NumIn() >= 3 && t.In(0) == ctxType && t.In(1) == anyType && t.In(2) == resolverType &&
		t.NumOut() == 2 && t.Out(0) == anyType && t.Out(1) == errorType
}

// passThrough is the body of a directive that only annotates the schema:
// it calls the resolver.
func passThrough(args []reflect.Value) []reflect.Value {
	next := args[2].Interface().(graphql.Resolver)
	res, err := next(args[0].Interface().(context.Context))
	out := []reflect.Value{reflect.New(anyType).Elem(), reflect.New(errorType).Elem()}
	if res != nil {
		out[0].Set(reflect.ValueOf(res))
	}
	if err != nil {
		out[1].Set(reflect.ValueOf(err))
	}
	return out
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
