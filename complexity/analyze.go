package complexity

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Report is what Analyze measured for one operation. It states facts, not
// verdicts: comparing them with limits is the caller's job.
//
// Counts cover the operation after fragment expansion: a fragment spread
// three times counts three times, which is what the executor will do. They
// saturate at MaxCount instead of overflowing.
type Report struct {
	// Depth is the deepest field nesting; a root field has depth 1.
	Depth int64
	// Aliases counts aliased fields whose alias differs from the field name.
	Aliases int64
	// RootFields counts the fields selected at the operation's root.
	RootFields int64
	// Fields counts every field selection, __typename included.
	Fields int64
	// Directives counts directive uses written in the operation and in the
	// fragments it uses, each fragment once (not expanded).
	Directives int64
	// MaxDirectivesPerField is the largest number of directives on one
	// field, fragment spread or inline fragment.
	MaxDirectivesPerField int64
	// IntrospectionFields counts __schema and __type selections (not
	// __typename), each fragment once.
	IntrospectionFields int64
	// Cost is the operation's cost under the cost directive model described
	// in the package documentation, rounded up to an integer.
	Cost int64
}

// Analyze measures the operation named operationName in doc (the only one
// when operationName is empty) in one pass, with vars supplying variable
// values for slicing arguments. doc need not be validated: unknown fields
// and types count with default weights, and a fragment cycle, an unknown
// operation or nesting past MaxNesting return an error (ErrFragmentCycle,
// ErrOperationNotFound, ErrTooDeep) instead of hanging. Every fragment is
// analysed once per list-size context, so the time taken grows linearly
// with the document, fragment bombs included.
//
// On ErrTooDeep the Report has Depth = MaxNesting + 1 and other counts as
// far as the walk got.
func (a *Analyzer) Analyze(doc *ast.QueryDocument, operationName string, vars map[string]any) (Report, error) {
	if doc == nil {
		return Report{}, fmt.Errorf("%w: empty document", ErrOperationNotFound)
	}
	op := findOperation(doc, operationName)
	if op == nil {
		return Report{}, fmt.Errorf("%w: %q", ErrOperationNotFound, operationName)
	}
	w := walker{a: a, vars: vars, op: op}
	if len(doc.Fragments) > 0 {
		w.frags = make(map[string]*ast.FragmentDefinition, len(doc.Fragments))
		for _, f := range doc.Fragments {
			if _, dup := w.frags[f.Name]; !dup {
				w.frags[f.Name] = f
			}
		}
	}
	var root *typeMeta
	var rootDef *ast.Definition
	switch op.Operation {
	case ast.Mutation:
		rootDef = a.schema.Mutation
	case ast.Subscription:
		rootDef = a.schema.Subscription
	default:
		rootDef = a.schema.Query
	}
	if rootDef != nil {
		root = a.types[rootDef.Name]
	}
	w.countDirectives(op.Directives)
	s, err := w.set(op.SelectionSet, root, nil, 0)
	r := Report{
		Depth:                 s.height,
		Aliases:               s.aliases,
		RootFields:            s.direct,
		Fields:                s.fields,
		Directives:            w.directives,
		MaxDirectivesPerField: w.maxDirectives,
		IntrospectionFields:   w.introspection,
		Cost:                  costInt(s.cost),
	}
	if w.tooDeep {
		r.Depth = MaxNesting + 1
	}
	return r, err
}

func findOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0]
		}
		return nil
	}
	for _, op := range doc.Operations {
		if op.Name == name {
			return op
		}
	}
	return nil
}

// summary is the measure of one selection set.
type summary struct {
	height  int64 // deepest field below, 0 for none
	fields  int64
	aliases int64
	direct  int64 // fields at this level
	cost    float64
}

func (s *summary) add(o summary) {
	s.height = max(s.height, o.height)
	s.fields = sat(s.fields + o.fields)
	s.aliases = sat(s.aliases + o.aliases)
	s.direct = sat(s.direct + o.direct)
	s.cost = satf(s.cost + o.cost)
}

// sizing is the list size a parent field with @listSize(sizedFields) hands
// to the named children of its selection set.
type sizing struct {
	ls   *listSizeMeta
	size int64
}

type memoKey struct {
	name string
	sz   sizing
}

type memoEntry struct {
	done bool
	s    summary
}

type walker struct {
	a             *Analyzer
	vars          map[string]any
	op            *ast.OperationDefinition
	frags         map[string]*ast.FragmentDefinition
	memo          map[memoKey]*memoEntry
	seen          map[string]bool // fragments whose directives were counted
	directives    int64
	maxDirectives int64
	introspection int64
	tooDeep       bool
}

func (w *walker) countDirectives(dl ast.DirectiveList) {
	n := int64(len(dl))
	w.directives = sat(w.directives + n)
	w.maxDirectives = max(w.maxDirectives, n)
}

func (w *walker) set(ss ast.SelectionSet, parent *typeMeta, sz *sizing, nest int) (summary, error) {
	var s summary
	if nest >= MaxNesting {
		w.tooDeep = true
		return s, ErrTooDeep
	}
	for _, sel := range ss {
		switch sel := sel.(type) {
		case *ast.Field:
			fs, err := w.field(sel, parent, sz, nest)
			s.add(fs)
			if err != nil {
				return s, err
			}
		case *ast.InlineFragment:
			w.countDirectives(sel.Directives)
			typ := parent
			if sel.TypeCondition != "" {
				typ = w.a.types[sel.TypeCondition]
			}
			fs, err := w.set(sel.SelectionSet, typ, sz, nest+1)
			s.add(fs)
			if err != nil {
				return s, err
			}
		case *ast.FragmentSpread:
			w.countDirectives(sel.Directives)
			fs, err := w.spread(sel.Name, sz, nest)
			s.add(fs)
			if err != nil {
				return s, err
			}
		}
	}
	return s, nil
}

func (w *walker) spread(name string, sz *sizing, nest int) (summary, error) {
	def := w.frags[name]
	if def == nil {
		return summary{}, nil // unknown fragment: validation reports it
	}
	key := memoKey{name: name}
	if sz != nil {
		key.sz = *sz
	}
	if e := w.memo[key]; e != nil {
		if !e.done {
			return summary{}, fmt.Errorf("%w: %q", ErrFragmentCycle, name)
		}
		return e.s, nil
	}
	if w.memo == nil {
		w.memo = make(map[memoKey]*memoEntry)
		w.seen = make(map[string]bool)
	}
	e := &memoEntry{}
	w.memo[key] = e
	// Directives and introspection fields are counted once per fragment,
	// whatever the list-size context.
	counting := !w.seen[name]
	w.seen[name] = true
	saved := [3]int64{w.directives, w.maxDirectives, w.introspection}
	if counting {
		w.countDirectives(def.Directives)
	}
	s, err := w.set(def.SelectionSet, w.a.types[def.TypeCondition], sz, nest+1)
	if !counting {
		w.directives, w.maxDirectives, w.introspection = saved[0], saved[1], saved[2]
	}
	if err != nil {
		return s, err
	}
	e.done, e.s = true, s
	return s, nil
}

func (w *walker) field(f *ast.Field, parent *typeMeta, sz *sizing, nest int) (summary, error) {
	w.countDirectives(f.Directives)
	if f.Name == "__schema" || f.Name == "__type" {
		w.introspection = sat(w.introspection + 1)
	}
	var fm *fieldMeta
	if parent != nil {
		fm = parent.fields[f.Name]
	}
	if fm == nil && f.Name == "__typename" {
		fm = &fieldMeta{}
	}
	hidden := w.a.ignoreIS && strings.HasPrefix(f.Name, "__")

	var childType *typeMeta
	var childSz *sizing
	mult := int64(1)
	weight := float64(DefaultCompositeWeight)
	argCost := 0.0
	if fm != nil {
		childType = fm.typ
		weight = fm.weight
		argCost = w.argCost(f, fm)
		size := int64(-1)
		if fm.listSize != nil {
			size = w.listSize(f, fm)
			if len(fm.listSize.sized) > 0 {
				childSz = &sizing{ls: fm.listSize, size: size}
			}
		}
		switch {
		case sz != nil && sz.ls.sized[f.Name]:
			mult = sz.size
		case fm.isList && size >= 0 && childSz == nil:
			mult = size
		case fm.isList:
			mult = w.a.listSize
		}
	} else if len(f.SelectionSet) == 0 {
		weight = DefaultLeafWeight
	}
	cs, err := w.set(f.SelectionSet, childType, childSz, nest+1)
	if hidden {
		return summary{}, err
	}
	s := summary{
		height: sat(cs.height + 1),
		fields: sat(cs.fields + 1),
		direct: 1,
		cost:   satf(argCost + float64(mult)*(weight+cs.cost)),
	}
	s.aliases = cs.aliases
	if f.Alias != "" && f.Alias != f.Name {
		s.aliases = sat(s.aliases + 1)
	}
	return s, err
}

// listSize is the size a @listSize field will have: the largest slicing
// argument given (or defaulted), else assumedSize, else the default.
func (w *walker) listSize(f *ast.Field, fm *fieldMeta) int64 {
	ls := fm.listSize
	best := int64(-1)
	for _, path := range ls.slicing {
		if n, ok := w.slicingValue(f, fm, path); ok {
			best = max(best, n)
		}
	}
	switch {
	case best >= 0:
		return best
	case ls.assumedSize >= 0:
		return ls.assumedSize
	default:
		return w.a.listSize
	}
}

func (w *walker) slicingValue(f *ast.Field, fm *fieldMeta, path []string) (int64, bool) {
	if arg := f.Arguments.ForName(path[0]); arg != nil {
		if n, ok := w.valueAt(arg.Value, path[1:]); ok {
			return n, true
		}
	}
	if am := fm.args[path[0]]; am != nil && am.def.DefaultValue != nil {
		return w.valueAt(am.def.DefaultValue, path[1:])
	}
	return 0, false
}

func (w *walker) valueAt(v *ast.Value, rest []string) (int64, bool) {
	for v != nil {
		switch v.Kind {
		case ast.Variable:
			val, ok := w.vars[v.Raw]
			if !ok {
				// The document may be unvalidated, so v.VariableDefinition
				// can be unset: look the default up by name.
				vd := w.op.VariableDefinitions.ForName(v.Raw)
				if vd == nil || vd.DefaultValue == nil || vd.DefaultValue.Kind == ast.Variable {
					return 0, false
				}
				v = vd.DefaultValue
				continue
			}
			return goValueAt(val, rest)
		case ast.ObjectValue:
			if len(rest) == 0 {
				return 0, false
			}
			c := v.Children.ForName(rest[0])
			v, rest = c, rest[1:]
		case ast.IntValue, ast.FloatValue:
			if len(rest) != 0 {
				return 0, false
			}
			return parseSize(v.Raw)
		default:
			return 0, false
		}
	}
	return 0, false
}

func goValueAt(val any, rest []string) (int64, bool) {
	for _, seg := range rest {
		m, ok := val.(map[string]any)
		if !ok {
			return 0, false
		}
		val = m[seg]
	}
	switch n := val.(type) {
	case int:
		return clampSize(float64(n)), true
	case int32:
		return clampSize(float64(n)), true
	case int64:
		return clampSize(float64(n)), true
	case float64:
		return clampSize(n), true
	case interface{ String() string }: // json.Number
		return parseSize(n.String())
	}
	return 0, false
}

func parseSize(raw string) (int64, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return clampSize(f), true
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func clampSize(f float64) int64 {
	switch {
	case math.IsNaN(f) || f <= 0:
		return 0
	case f >= float64(MaxCount):
		return MaxCount
	}
	return int64(math.Ceil(f))
}

// argCost sums the @cost weights of the arguments given and of the input
// fields present in their values.
func (w *walker) argCost(f *ast.Field, fm *fieldMeta) float64 {
	if len(f.Arguments) == 0 || fm.args == nil {
		return 0
	}
	c := 0.0
	for _, arg := range f.Arguments {
		am := fm.args[arg.Name]
		if am == nil {
			continue
		}
		c += am.weight
		if am.input != nil {
			c += w.inputCost(arg.Value, am.input, 0)
		}
	}
	return satf(c)
}

func (w *walker) inputCost(v *ast.Value, t *typeMeta, nest int) float64 {
	if v == nil || t == nil || nest > 32 {
		return 0
	}
	c := 0.0
	switch v.Kind {
	case ast.ListValue:
		for _, ch := range v.Children {
			c += w.inputCost(ch.Value, t, nest+1)
		}
	case ast.ObjectValue:
		for _, ch := range v.Children {
			fd := t.def.Fields.ForName(ch.Name)
			if fd == nil {
				continue
			}
			if wt, ok, _ := costWeight(fd.Directives); ok {
				c += wt
			}
			if fd.Type != nil {
				if it := w.a.types[fd.Type.Name()]; it != nil && it.def.Kind == ast.InputObject {
					c += w.inputCost(ch.Value, it, nest+1)
				}
			}
		}
	}
	return satf(c)
}

func sat(n int64) int64 {
	if n > MaxCount || n < 0 {
		return MaxCount
	}
	return n
}

func satf(f float64) float64 {
	if f > float64(MaxCount) || math.IsNaN(f) {
		return float64(MaxCount)
	}
	return f
}

func costInt(f float64) int64 {
	if f >= float64(MaxCount) {
		return MaxCount
	}
	return int64(math.Ceil(f))
}
