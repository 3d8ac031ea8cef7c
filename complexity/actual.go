package complexity

import (
	"math"
	"reflect"
	"sync/atomic"

	"github.com/vektah/gqlparser/v2/ast"
)

// Meter accumulates the actual cost of one executing operation, under the
// same model as Analyze, from what the resolvers returned.
//
// The static cost of a field is argumentCost + multiplier × (weight + cost
// of its selection set); expanded over the response, that is the sum over
// every resolved instance of every field of argumentCost + weight × items,
// where items is the length of the list it returned (1 for a non-list
// field). Analyze estimates items (slicing arguments, @listSize, the
// default list size); a Meter counts them as each field resolves, so its
// total is the cost of the response actually delivered. A field selected
// but never resolved (inside an empty list, a null parent, a skipped
// fragment) adds nothing.
//
// Call Resolved once per resolved field instance, from a gqlgen field
// interceptor (gqlsec does this). A Meter is safe for concurrent use:
// gqlgen resolves fields concurrently.
type Meter struct {
	a    *Analyzer
	vars map[string]any
	bits atomic.Uint64 // float64 total
}

// NewMeter returns a Meter for one operation with the given variables
// (argument costs read them, as in Analyze).
func (a *Analyzer) NewMeter(vars map[string]any) *Meter {
	return &Meter{a: a, vars: vars}
}

// FieldWeight returns the weight of the schema field def, whether it is a
// list (so Resolved needs its result), and whether its arguments can cost
// anything. A field with zero weight and no weighted argument adds
// nothing, whatever it returns: callers skip Resolved for it. A def the
// analyzer does not know (nil, or from another schema) has weight 0.
func (a *Analyzer) FieldWeight(def *ast.FieldDefinition) (weight float64, list, weightedArgs bool) {
	fm := a.byDef[def]
	if fm == nil {
		return 0, false, false
	}
	if a.ignoreIS && len(def.Name) > 1 && def.Name[:2] == "__" {
		return 0, false, false
	}
	return fm.weight, fm.isList, fm.argWeighted
}

// Resolved adds one resolved instance of field f (validated, so that
// f.Definition is set) that returned result: argumentCost + weight ×
// items, items being the length of result for a list field (0 for nil)
// and 1 otherwise.
func (m *Meter) Resolved(f *ast.Field, result any) {
	if f == nil || m == nil {
		return
	}
	fm := m.a.byDef[f.Definition]
	if fm == nil || fm.weight == 0 && !fm.argWeighted {
		return // nothing to add, whatever it returned
	}
	if m.a.ignoreIS && len(f.Name) > 1 && f.Name[:2] == "__" {
		return
	}
	items := 1.0
	if fm.isList {
		items = float64(lenOf(result))
	}
	c := fm.weight * items
	if fm.argWeighted {
		w := walker{a: m.a, vars: m.vars}
		c += w.argCost(f, fm)
	}
	if c == 0 {
		return
	}
	for {
		old := m.bits.Load()
		if m.bits.CompareAndSwap(old, math.Float64bits(satf(math.Float64frombits(old)+c))) {
			return
		}
	}
}

// Cost returns the cost accumulated so far, rounded up like Report.Cost.
func (m *Meter) Cost() int64 {
	return costInt(math.Float64frombits(m.bits.Load()))
}

// lenOf returns the length of a slice or array result (through one
// pointer), 0 for nil and anything else.
func lenOf(v any) int {
	switch v := v.(type) {
	case nil:
		return 0
	case []any:
		return len(v)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 0
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return 0
		}
		return rv.Len()
	}
	return 0
}
