package directives

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// AnonymousSurface lists, sorted, every field ("Type.field") an anonymous
// caller can resolve under the default-deny rules: starting from the Query,
// Mutation and Subscription types, it follows each field anonymous callers may
// resolve into its return type (through lists, interfaces and unions).
// Introspection fields are left out (gqlsec governs them). Compare it with a
// golden file in a test so that any widening of the anonymous surface shows
// up in review.
func AnonymousSurface(schema *ast.Schema) []string {
	if schema == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var queue []*ast.Definition
	visit := func(def *ast.Definition) {
		if def == nil || seen[def.Name] {
			return
		}
		seen[def.Name] = true
		queue = append(queue, def)
	}
	for _, r := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		visit(r)
	}
	for len(queue) > 0 {
		def := queue[0]
		queue = queue[1:]
		switch def.Kind {
		case ast.Interface, ast.Union:
			for _, impl := range schema.PossibleTypes[def.Name] {
				visit(impl)
			}
			continue
		case ast.Object:
		default:
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || !anonymousAllowed(def, f) {
				continue
			}
			out = append(out, def.Name+"."+f.Name)
			visit(schema.Types[baseType(f.Type)])
		}
	}
	slices.Sort(out)
	return out
}
