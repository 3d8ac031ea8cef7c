package directives

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
)

// Directive names, as declared in SDL.
const (
	dirAuth       = "auth"
	dirOwner      = "owner"
	dirConstraint = "constraint"
	dirSanitize   = "sanitize"
	dirPublic     = "public"
	dirRateLimit  = "rateLimit"
	dirStepUp     = "stepUp"
)

// optionalDirectives were added to SDL later: a schema that includes an
// older SDL without them still validates (it cannot use them), but one that
// declares them must declare them as SDL does, so that a @rateLimit of
// another library is not misread.
func optionalDirectives() []directiveShape {
	return []directiveShape{
		{dirRateLimit, [][2]string{{"limit", "Int!"}, {"window", "String!"}, {"by", "String"}}},
		{dirStepUp, [][2]string{{"maxAge", "String"}}},
	}
}

type directiveShape struct {
	name string
	args [][2]string // name, type
}

// compile walks the schema once: per-field policies for GuardField, and
// a check of every directive use.
func (d *Directives) compile(schema *ast.Schema) (*compiled, error) {
	c := &compiled{
		fields:   map[fieldKey]fieldPolicy{},
		patterns: map[string]*regexp.Regexp{},
	}
	for _, name := range []string{dirAuth, dirOwner, dirConstraint, dirSanitize, dirPublic} {
		if schema.Directives[name] == nil {
			return nil, fmt.Errorf("%w: directives: directive @%s is not declared; include directives.SDL in the schema", rampart.ErrConfig, name)
		}
	}
	for _, od := range optionalDirectives() {
		if err := checkDeclared(schema.Directives[od.name], od.args); err != nil {
			return nil, err
		}
	}
	roots := rootTypes(schema)
	var errs []error
	for _, def := range schema.Types {
		if def.BuiltIn {
			continue
		}
		switch def.Kind {
		case ast.Object:
			errs = append(errs, d.compileObject(c, schema, def, roots[def.Name])...)
			if schema.Subscription != nil && def.Name == schema.Subscription.Name {
				compileLive(c, def)
			}
		case ast.Interface:
			for _, f := range def.Fields {
				for _, name := range []string{dirRateLimit, dirStepUp} {
					if f.Directives.ForName(name) != nil {
						errs = append(errs, fmt.Errorf("%w: directives: %s.%s: @%s on an interface field is not enforced by gqlgen; put it on the field of each object type", rampart.ErrConfig, def.Name, f.Name, name))
					}
				}
			}
		case ast.InputObject:
			for _, f := range def.Fields {
				where := def.Name + "." + f.Name
				errs = append(errs, d.compileInput(c, schema, where, f.Type, f.Directives)...)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// checkDeclared checks that dir, when declared, has exactly the arguments
// of SDL on FIELD_DEFINITION.
func checkDeclared(dir *ast.DirectiveDefinition, args [][2]string) error {
	if dir == nil {
		return nil
	}
	ok := len(dir.Arguments) == len(args) && slices.Contains(dir.Locations, ast.LocationFieldDefinition)
	for i := 0; ok && i < len(args); i++ {
		a := dir.Arguments[i]
		ok = a.Name == args[i][0] && a.Type.String() == args[i][1]
	}
	if !ok {
		return fmt.Errorf("%w: directives: directive @%s is declared differently from directives.SDL; include SDL verbatim", rampart.ErrConfig, dir.Name)
	}
	return nil
}

func rootTypes(schema *ast.Schema) map[string]bool {
	roots := map[string]bool{}
	for _, r := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if r != nil {
			roots[r.Name] = true
		}
	}
	return roots
}

func (d *Directives) compileObject(c *compiled, schema *ast.Schema, def *ast.Definition, root bool) []error {
	var errs []error
	typeAuth, err := d.requirementOf(def.Name, def.Directives.ForName(dirAuth))
	if err != nil {
		errs = append(errs, err)
	}
	typePublic := def.Directives.ForName(dirPublic) != nil
	if typeAuth != nil && typePublic {
		errs = append(errs, fmt.Errorf("%w: directives: type %s has both @auth and @public", rampart.ErrConfig, def.Name))
	}
	for _, f := range def.Fields {
		where := def.Name + "." + f.Name
		fieldAuth, err := d.requirementOf(where, f.Directives.ForName(dirAuth))
		if err != nil {
			errs = append(errs, err)
		}
		fieldPublic := f.Directives.ForName(dirPublic) != nil
		owner := f.Directives.ForName(dirOwner)
		if fieldPublic && (fieldAuth != nil || typeAuth != nil || owner != nil) {
			errs = append(errs, fmt.Errorf("%w: directives: %s is @public but also guarded by @auth or @owner", rampart.ErrConfig, where))
		}
		if owner != nil {
			errs = append(errs, d.checkOwner(where, f, owner, root)...)
		}
		pol := fieldPolicy{anonymous: anonymousAllowed(def, f), typeAuth: typeAuth}
		if dir := f.Directives.ForName(dirRateLimit); dir != nil {
			if pol.rate, err = d.compileRateLimit(where, dir); err != nil {
				errs = append(errs, err)
			}
		}
		if dir := f.Directives.ForName(dirStepUp); dir != nil {
			if fieldPublic {
				errs = append(errs, fmt.Errorf("%w: directives: %s is @public but @stepUp requires an authenticated caller", rampart.ErrConfig, where))
			}
			if pol.stepUp, err = d.compileStepUp(where, dir); err != nil {
				errs = append(errs, err)
			}
		}
		for _, a := range f.Arguments {
			errs = append(errs, d.compileInput(c, schema, where+"("+a.Name+":)", a.Type, a.Directives)...)
		}
		c.fields[fieldKey{def.Name, f.Name}] = pol
	}
	return errs
}

// compileLive records, for each guarded field of the Subscription root
// type, the rules its events are re-authorized against.
func compileLive(c *compiled, def *ast.Definition) {
	for _, f := range def.Fields {
		k := fieldKey{def.Name, f.Name}
		pol := c.fields[k]
		if pol.anonymous {
			continue
		}
		rule := &liveRule{}
		if pol.typeAuth != nil {
			rule.auth = append(rule.auth, pol.typeAuth)
		}
		if dir := f.Directives.ForName(dirAuth); dir != nil {
			r := &requirement{}
			r.roles, _ = stringList(dir, "requires")
			r.scopes, _ = stringList(dir, "scopes")
			rule.auth = append(rule.auth, r)
		}
		if dir := f.Directives.ForName(dirOwner); dir != nil {
			rule.lookup, _, _ = stringArg(dir, "lookup")
			arg, ok, _ := stringArg(dir, "arg")
			if !ok {
				arg = "id"
			}
			rule.arg = arg
		}
		pol.live = rule
		c.fields[k] = pol
	}
}

// anonymousAllowed is the default-deny rule shared by GuardField and
// AnonymousSurface: an anonymous caller may resolve a field only when it or
// its type is @public and neither it nor its type carries @auth, nor it
// @owner or @stepUp.
func anonymousAllowed(def *ast.Definition, f *ast.FieldDefinition) bool {
	if def.Directives.ForName(dirAuth) != nil || f.Directives.ForName(dirAuth) != nil ||
		f.Directives.ForName(dirOwner) != nil || f.Directives.ForName(dirStepUp) != nil {
		return false
	}
	return def.Directives.ForName(dirPublic) != nil || f.Directives.ForName(dirPublic) != nil
}

func (d *Directives) requirementOf(where string, dir *ast.Directive) (*requirement, error) {
	if dir == nil {
		return nil, nil
	}
	r := &requirement{}
	var err error
	if r.roles, err = stringList(dir, "requires"); err != nil {
		return nil, fmt.Errorf("%w: directives: %s: @auth: %w", rampart.ErrConfig, where, err)
	}
	if r.scopes, err = stringList(dir, "scopes"); err != nil {
		return nil, fmt.Errorf("%w: directives: %s: @auth: %w", rampart.ErrConfig, where, err)
	}
	for _, role := range r.roles {
		if role == "" || (len(d.knownRoles) > 0 && !d.knownRoles[role]) {
			return nil, fmt.Errorf("%w: directives: %s: @auth: unknown role %q", rampart.ErrConfig, where, role)
		}
	}
	for _, s := range r.scopes {
		if s == "" {
			return nil, fmt.Errorf("%w: directives: %s: @auth: empty scope", rampart.ErrConfig, where)
		}
	}
	return r, nil
}

func (d *Directives) checkOwner(where string, f *ast.FieldDefinition, dir *ast.Directive, root bool) []error {
	lookup, _, err := stringArg(dir, "lookup")
	if err != nil {
		return []error{fmt.Errorf("%w: directives: %s: @owner: %w", rampart.ErrConfig, where, err)}
	}
	if lookup == "" {
		// Property mode: guards a field of a resolved object.
		if root {
			return []error{fmt.Errorf("%w: directives: %s: @owner without lookup needs a parent object; use @owner(lookup: ...) on root fields", rampart.ErrConfig, where)}
		}
		if f.Type.NonNull {
			return []error{fmt.Errorf("%w: directives: %s: @owner field must be nullable (%s, not %s) so that a refused read nulls only this field", rampart.ErrConfig, where, nullable(f.Type), f.Type.String())}
		}
		return nil
	}
	if d.lookups[lookup] == nil {
		return []error{fmt.Errorf("%w: directives: %s: @owner: lookup %q is not registered in Options.Lookups", rampart.ErrConfig, where, lookup)}
	}
	arg, ok, err := stringArg(dir, "arg")
	if err != nil {
		return []error{fmt.Errorf("%w: directives: %s: @owner: %w", rampart.ErrConfig, where, err)}
	}
	if !ok {
		arg = "id"
	}
	a := f.Arguments.ForName(arg)
	if a == nil {
		return []error{fmt.Errorf("%w: directives: %s: @owner: the field has no argument %q", rampart.ErrConfig, where, arg)}
	}
	if a.Type.Elem != nil || (a.Type.NamedType != "ID" && a.Type.NamedType != "String") {
		return []error{fmt.Errorf("%w: directives: %s: @owner: argument %q must be an ID or String, not %s", rampart.ErrConfig, where, arg, a.Type.String())}
	}
	return nil
}

func nullable(t *ast.Type) string {
	c := *t
	c.NonNull = false
	return c.String()
}

// compileInput checks @constraint and @sanitize on an argument or input field
// and compiles patterns.
func (d *Directives) compileInput(c *compiled, schema *ast.Schema, where string, typ *ast.Type, dirs ast.DirectiveList) []error {
	var errs []error
	named := baseType(typ)
	kind := ""
	if def := schema.Types[named]; def != nil {
		kind = string(def.Kind)
	}
	stringLike := kind == string(ast.Scalar) && named != "Int" && named != "Float" && named != "Boolean"
	numeric := named == "Int" || named == "Float"
	seenConstraint := false
	for _, dir := range dirs {
		switch dir.Name {
		case dirSanitize:
			if seenConstraint {
				errs = append(errs, fmt.Errorf("%w: directives: %s: put @sanitize before @constraint so limits apply to the stored value", rampart.ErrConfig, where))
			}
			if !stringLike || (named != "String" && named != "ID") {
				errs = append(errs, fmt.Errorf("%w: directives: %s: @sanitize applies to String values, not %s", rampart.ErrConfig, where, typ.String()))
			}
			policy, ok, err := stringArg(dir, "policy")
			if err != nil {
				errs = append(errs, fmt.Errorf("%w: directives: %s: @sanitize: %w", rampart.ErrConfig, where, err))
				continue
			}
			if !ok {
				policy = PolicyStrict
			}
			if d.policies[policy] == nil {
				errs = append(errs, fmt.Errorf("%w: directives: %s: @sanitize: unknown policy %q", rampart.ErrConfig, where, policy))
			}
		case dirConstraint:
			seenConstraint = true
			errs = append(errs, d.compileConstraint(c, where, typ, dir, stringLike, numeric)...)
		}
	}
	return errs
}

func (d *Directives) compileConstraint(c *compiled, where string, typ *ast.Type, dir *ast.Directive, stringLike, numeric bool) []error {
	fail := func(format string, args ...any) []error {
		return []error{fmt.Errorf("%w: directives: %s: @constraint: %s", rampart.ErrConfig, where, fmt.Sprintf(format, args...))}
	}
	minLen, hasMinLen, err := intArg(dir, "minLength")
	if err != nil {
		return fail("%v", err)
	}
	maxLen, hasMaxLen, err := intArg(dir, "maxLength")
	if err != nil {
		return fail("%v", err)
	}
	pattern, hasPattern, err := stringArg(dir, "pattern")
	if err != nil {
		return fail("%v", err)
	}
	format, hasFormat, err := stringArg(dir, "format")
	if err != nil {
		return fail("%v", err)
	}
	minV, hasMin, err := floatArg(dir, "min")
	if err != nil {
		return fail("%v", err)
	}
	maxV, hasMax, err := floatArg(dir, "max")
	if err != nil {
		return fail("%v", err)
	}
	switch {
	case !(hasMinLen || hasMaxLen || hasPattern || hasFormat || hasMin || hasMax):
		return fail("no limit given")
	case (hasMinLen || hasMaxLen || hasPattern || hasFormat) && !stringLike:
		return fail("minLength, maxLength, pattern and format apply to String or ID values, not %s", typ.String())
	case (hasMin || hasMax) && !numeric:
		return fail("min and max apply to Int or Float values, not %s", typ.String())
	case hasMinLen && minLen < 0, hasMaxLen && maxLen < 0:
		return fail("lengths must not be negative")
	case hasMinLen && hasMaxLen && minLen > maxLen:
		return fail("minLength %d is greater than maxLength %d", minLen, maxLen)
	case hasMin && hasMax && minV > maxV:
		return fail("min %g is greater than max %g", minV, maxV)
	case hasFormat && d.formats[format] == nil && d.formatsCtx[format] == nil:
		return fail("unknown format %q", format)
	}
	if hasPattern {
		if _, done := c.patterns[pattern]; !done {
			re, err := compilePattern(pattern)
			if err != nil {
				return fail("pattern %q: %v", pattern, err)
			}
			c.patterns[pattern] = re
		}
	}
	return nil
}

// compilePattern anchors pattern so that it must match the whole value.
func compilePattern(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`\A(?:` + pattern + `)\z`)
}

func baseType(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}

// Directive argument readers: the values are literals in the schema (gqlgen
// rejects variables there), so Value(nil) suffices.

func argValue(dir *ast.Directive, name string) (any, bool, error) {
	a := dir.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil, false, nil
	}
	v, err := a.Value.Value(nil)
	if err != nil {
		return nil, false, fmt.Errorf("argument %s: %w", name, err)
	}
	if v == nil {
		return nil, false, nil
	}
	return v, true, nil
}

func stringArg(dir *ast.Directive, name string) (string, bool, error) {
	v, ok, err := argValue(dir, name)
	if !ok || err != nil {
		return "", false, err
	}
	s, isString := v.(string)
	if !isString {
		return "", false, fmt.Errorf("argument %s must be a string", name)
	}
	return s, true, nil
}

func stringList(dir *ast.Directive, name string) ([]string, error) {
	v, ok, err := argValue(dir, name)
	if !ok || err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case string: // list input coercion: a single value is a list of one
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, isString := e.(string)
			if !isString {
				return nil, fmt.Errorf("argument %s must be a list of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("argument %s must be a list of strings", name)
}

func intArg(dir *ast.Directive, name string) (int64, bool, error) {
	v, ok, err := argValue(dir, name)
	if !ok || err != nil {
		return 0, false, err
	}
	n, isInt := v.(int64)
	if !isInt {
		return 0, false, fmt.Errorf("argument %s must be an Int", name)
	}
	return n, true, nil
}

func floatArg(dir *ast.Directive, name string) (float64, bool, error) {
	v, ok, err := argValue(dir, name)
	if !ok || err != nil {
		return 0, false, err
	}
	switch n := v.(type) {
	case int64:
		return float64(n), true, nil
	case float64:
		return n, true, nil
	}
	return 0, false, fmt.Errorf("argument %s must be a Float", name)
}
