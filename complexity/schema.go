package complexity

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
)

// DirectivesSDL declares the @cost and @listSize directives of the GraphQL
// cost directive specification
// (https://ibm.github.io/graphql-specs/cost-spec.html). Add it to a schema
// (for gqlgen: a .graphqls file next to the schema) so that annotations
// validate.
const DirectivesSDL = `directive @cost(weight: String!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
`

// Default values of Options and of the cost model.
const (
	// DefaultListSize is the assumed length of a list field whose size
	// nothing in the schema or the operation bounds.
	DefaultListSize = 100
	// DefaultCompositeWeight is the weight of a field returning an object,
	// interface or union type with no @cost.
	DefaultCompositeWeight = 1
	// DefaultLeafWeight is the weight of a field returning a scalar or enum
	// type with no @cost.
	DefaultLeafWeight = 0
	// DefaultMutationWeight is the weight of a root mutation field with no
	// @cost on the field itself.
	DefaultMutationWeight = 10
	// MaxNesting is the hard cap on nested selection sets (fields, inline
	// fragments and fragment spreads together) that Analyze walks; deeper
	// documents get ErrTooDeep. It bounds the analyzer's own stack.
	MaxNesting = 1000
	// MaxCount is where counts and costs saturate.
	MaxCount = int64(1) << 53
)

// Sentinel errors. NewAnalyzer wraps ErrBadDirective; Analyze returns the
// others, wrapped with detail.
var (
	// ErrBadDirective means a @cost or @listSize annotation in the schema is
	// malformed (bad weight, unknown slicing argument or sized field).
	ErrBadDirective = errors.New("complexity: bad cost directive")
	// ErrNilSchema means NewAnalyzer was given no schema.
	ErrNilSchema = errors.New("complexity: nil schema")
	// ErrOperationNotFound means the document has no operation with the
	// requested name (or several operations and no name).
	ErrOperationNotFound = errors.New("complexity: operation not found")
	// ErrTooDeep means selection sets nest deeper than MaxNesting.
	ErrTooDeep = errors.New("complexity: nesting exceeds hard cap")
	// ErrFragmentCycle means fragments spread each other in a cycle (only an
	// unvalidated document can contain one).
	ErrFragmentCycle = errors.New("complexity: fragment cycle")
)

// Options tunes an Analyzer. The zero value is the documented default.
type Options struct {
	// DefaultListSize is the assumed length of list fields that have no
	// @listSize(assumedSize) and no slicing argument in the operation.
	// Zero means DefaultListSize (100); negative is an error.
	DefaultListSize int
	// IgnoreIntrospection leaves fields whose name starts with "__"
	// (__schema, __type and everything under them, __typename) out of
	// Depth, Fields, Aliases and Cost. They still appear in
	// IntrospectionFields. The default (false) counts them, so the circular
	// introspection query is measured like any other.
	IgnoreIntrospection bool
}

// Analyzer measures operations against one schema. It is built once by
// NewAnalyzer and is safe for concurrent use.
type Analyzer struct {
	schema   *ast.Schema
	types    map[string]*typeMeta
	byDef    map[*ast.FieldDefinition]*fieldMeta // every field, for Meter
	listSize int64
	ignoreIS bool
}

type typeMeta struct {
	def       *ast.Definition
	weight    float64 // weight of a field returning this type
	fields    map[string]*fieldMeta
	composite bool
}

type fieldMeta struct {
	def      *ast.FieldDefinition
	typ      *typeMeta // nil for an unknown type
	isList   bool
	weight   float64
	args     map[string]*argMeta
	listSize *listSizeMeta
	// argWeighted: an argument has a @cost weight or an input type whose
	// fields may have one (argCost can be non-zero).
	argWeighted bool
}

type argMeta struct {
	def    *ast.ArgumentDefinition
	weight float64
	input  *typeMeta // input object type, for input field weights
}

type listSizeMeta struct {
	assumedSize int64 // -1 when unset
	slicing     [][]string
	sized       map[string]bool
	requireOne  bool
}

// NewAnalyzer compiles the @cost and @listSize annotations of schema once. It
// fails with ErrBadDirective on a malformed annotation: a weight that is not
// a non-negative number, a negative assumedSize, a slicing argument that
// names no argument (or input field, for paths such as "input.first"), or a
// sized field that names no field of the return type.
func NewAnalyzer(schema *ast.Schema, opts Options) (*Analyzer, error) {
	if schema == nil {
		return nil, ErrNilSchema
	}
	if opts.DefaultListSize < 0 {
		return nil, fmt.Errorf("%w: complexity: DefaultListSize %d < 0", rampart.ErrConfig, opts.DefaultListSize)
	}
	a := &Analyzer{
		schema:   schema,
		types:    make(map[string]*typeMeta, len(schema.Types)),
		byDef:    make(map[*ast.FieldDefinition]*fieldMeta),
		listSize: int64(opts.DefaultListSize),
		ignoreIS: opts.IgnoreIntrospection,
	}
	if a.listSize == 0 {
		a.listSize = DefaultListSize
	}
	for name, def := range schema.Types {
		tm := &typeMeta{def: def}
		switch def.Kind {
		case ast.Object, ast.Interface, ast.Union:
			tm.composite = true
			tm.weight = DefaultCompositeWeight
		default:
			tm.weight = DefaultLeafWeight
		}
		w, ok, err := costWeight(def.Directives)
		if err != nil {
			return nil, fmt.Errorf("%w: type %s: %w", ErrBadDirective, name, err)
		}
		if ok {
			tm.weight = w
		}
		a.types[name] = tm
	}
	for name, tm := range a.types {
		if err := a.compileFields(tm, tm.def == schema.Mutation); err != nil {
			return nil, fmt.Errorf("%w: %s.%w", ErrBadDirective, name, err)
		}
	}
	return a, nil
}

func (a *Analyzer) compileFields(tm *typeMeta, mutation bool) error {
	if len(tm.def.Fields) == 0 {
		return nil
	}
	tm.fields = make(map[string]*fieldMeta, len(tm.def.Fields))
	for _, fd := range tm.def.Fields {
		fm := &fieldMeta{def: fd, isList: fd.Type != nil && fd.Type.Elem != nil}
		if fd.Type != nil {
			fm.typ = a.types[fd.Type.Name()]
		}
		switch {
		case fm.typ != nil:
			fm.weight = fm.typ.weight
		default:
			fm.weight = DefaultLeafWeight
		}
		if mutation {
			fm.weight = DefaultMutationWeight
		}
		if strings.HasPrefix(tm.def.Name, "__") || strings.HasPrefix(fd.Name, "__") {
			// Introspection is answered from memory and bounded by the
			// schema's size: it costs nothing and its lists count once.
			// Depth and field limits still apply to it.
			fm.weight, fm.isList = 0, false
		}
		w, ok, err := costWeight(fd.Directives)
		if err != nil {
			return fmt.Errorf("%s: %w", fd.Name, err)
		}
		if ok {
			fm.weight = w
		}
		for _, ad := range fd.Arguments {
			w, ok, err := costWeight(ad.Directives)
			if err != nil {
				return fmt.Errorf("%s(%s): %w", fd.Name, ad.Name, err)
			}
			am := &argMeta{def: ad}
			if ok {
				am.weight = w
			}
			if ad.Type != nil {
				if it := a.types[ad.Type.Name()]; it != nil && it.def.Kind == ast.InputObject {
					am.input = it
				}
			}
			if fm.args == nil {
				fm.args = make(map[string]*argMeta, len(fd.Arguments))
			}
			fm.args[ad.Name] = am
			fm.argWeighted = fm.argWeighted || am.weight != 0 || am.input != nil
		}
		ls, err := a.compileListSize(fd, fm)
		if err != nil {
			return fmt.Errorf("%s: %w", fd.Name, err)
		}
		fm.listSize = ls
		tm.fields[fd.Name] = fm
		a.byDef[fd] = fm
	}
	return nil
}

func (a *Analyzer) compileListSize(fd *ast.FieldDefinition, fm *fieldMeta) (*listSizeMeta, error) {
	d := fd.Directives.ForName("listSize")
	if d == nil {
		return nil, nil
	}
	ls := &listSizeMeta{assumedSize: -1, requireOne: true}
	for _, arg := range d.Arguments {
		v := arg.Value
		if v == nil {
			continue
		}
		switch arg.Name {
		case "assumedSize":
			if v.Kind == ast.NullValue {
				continue
			}
			n, err := strconv.ParseInt(v.Raw, 10, 64)
			if v.Kind != ast.IntValue || err != nil || n < 0 {
				return nil, fmt.Errorf("@listSize(assumedSize: %s) must be a non-negative Int", v.Raw)
			}
			ls.assumedSize = min(n, MaxCount)
		case "requireOneSlicingArgument":
			ls.requireOne = v.Raw != "false"
		case "slicingArguments":
			for _, s := range stringList(v) {
				path := strings.Split(s, ".")
				if err := a.checkSlicingPath(fd, path); err != nil {
					return nil, err
				}
				ls.slicing = append(ls.slicing, path)
			}
		case "sizedFields":
			var rt *ast.Definition
			if fd.Type != nil {
				rt = a.schema.Types[fd.Type.Name()]
			}
			for _, s := range stringList(v) {
				if rt == nil || rt.Fields.ForName(s) == nil {
					return nil, fmt.Errorf("@listSize sizedFields: %q is not a field of the return type", s)
				}
				if ls.sized == nil {
					ls.sized = make(map[string]bool)
				}
				ls.sized[s] = true
			}
		}
	}
	return ls, nil
}

func (a *Analyzer) checkSlicingPath(fd *ast.FieldDefinition, path []string) error {
	ad := fd.Arguments.ForName(path[0])
	if ad == nil {
		return fmt.Errorf("@listSize slicingArguments: %q is not an argument", strings.Join(path, "."))
	}
	typ := ad.Type
	for _, seg := range path[1:] {
		def := a.schema.Types[typ.Name()]
		if def == nil || def.Kind != ast.InputObject || def.Fields.ForName(seg) == nil {
			return fmt.Errorf("@listSize slicingArguments: %q names no input field", strings.Join(path, "."))
		}
		typ = def.Fields.ForName(seg).Type
	}
	if typ.Elem != nil || typ.Name() != "Int" {
		return fmt.Errorf("@listSize slicingArguments: %q is not an Int", strings.Join(path, "."))
	}
	return nil
}

func stringList(v *ast.Value) []string {
	if v.Kind == ast.StringValue {
		return []string{v.Raw}
	}
	out := make([]string, 0, len(v.Children))
	for _, c := range v.Children {
		if c.Value != nil && c.Value.Kind == ast.StringValue {
			out = append(out, c.Value.Raw)
		}
	}
	return out
}

// costWeight reads @cost(weight: "…") from dl.
func costWeight(dl ast.DirectiveList) (float64, bool, error) {
	d := dl.ForName("cost")
	if d == nil {
		return 0, false, nil
	}
	arg := d.Arguments.ForName("weight")
	if arg == nil || arg.Value == nil {
		return 0, false, errors.New("@cost needs a weight")
	}
	w, err := strconv.ParseFloat(arg.Value.Raw, 64)
	if err != nil || w < 0 || math.IsInf(w, 0) || math.IsNaN(w) || w > float64(MaxCount) {
		return 0, false, fmt.Errorf("@cost(weight: %q) must be a non-negative number", arg.Value.Raw)
	}
	return w, true, nil
}
