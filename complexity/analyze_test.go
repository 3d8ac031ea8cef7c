package complexity_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/internal/gqltest"
)

func analyzer(t testing.TB, opts complexity.Options) *complexity.Analyzer {
	t.Helper()
	a, err := complexity.NewAnalyzer(gqltest.Schema(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func analyze(t testing.TB, a *complexity.Analyzer, q, op string, vars map[string]any) (complexity.Report, error) {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return a.Analyze(doc, op, vars)
}

func TestAnalyzeMeasures(t *testing.T) {
	t.Parallel()
	a := analyzer(t, complexity.Options{})
	tests := []struct {
		name string
		q    string
		vars map[string]any
		want complexity.Report
	}{
		{"scalar_root", `{ tags }`, nil, complexity.Report{Depth: 1, RootFields: 1, Fields: 1, Cost: 0}},
		{"object_root", `{ me { id name } }`, nil, complexity.Report{Depth: 2, RootFields: 1, Fields: 3, Cost: 1}},
		{"field_weight", `{ me { email } }`, nil, complexity.Report{Depth: 2, RootFields: 1, Fields: 2, Cost: 3}},
		// posts(first: 5): connection weight 1 + nodes sized 5 × (Post 1 + author 1)
		{"sized_fields_literal", `{ posts(first: 5) { nodes { author { id } } } }`, nil,
			complexity.Report{Depth: 4, RootFields: 1, Fields: 4, Cost: 11}},
		{"sized_fields_variable", `query($n: Int) { posts(first: $n) { nodes { id } } }`, map[string]any{"n": json.Number("7")},
			complexity.Report{Depth: 3, RootFields: 1, Fields: 3, Cost: 8}},
		{"sized_fields_variable_default", `query($n: Int = 4) { posts(first: $n) { nodes { id } } }`, nil,
			complexity.Report{Depth: 3, RootFields: 1, Fields: 3, Cost: 5}},
		{"assumed_size", `{ posts { nodes { id } } }`, nil, complexity.Report{Depth: 3, RootFields: 1, Fields: 3, Cost: 11}},
		{"default_list_size", `{ users { nodes { id } } }`, nil, complexity.Report{Depth: 3, RootFields: 1, Fields: 3, Cost: 101}},
		{"nested_slicing_argument", `{ search(page: {first: 3}) { id } }`, nil, complexity.Report{Depth: 2, RootFields: 1, Fields: 2, Cost: 3}},
		{"nested_slicing_variable", `query($p: Page) { search(page: $p) { id } }`, map[string]any{"p": map[string]any{"first": 6}},
			complexity.Report{Depth: 2, RootFields: 1, Fields: 2, Cost: 6}},
		{"first_million", `{ posts(first: 1000000) { nodes { id } } }`, nil,
			complexity.Report{Depth: 3, RootFields: 1, Fields: 3, Cost: 1000001}},
		{"mutation_default_weight", `mutation { createPost(input: {title: "t", body: "b"}) { id } }`, nil,
			complexity.Report{Depth: 2, RootFields: 1, Fields: 2, Cost: 10}},
		{"mutation_field_cost", `mutation { deletePost(id: "1") }`, nil, complexity.Report{Depth: 1, RootFields: 1, Fields: 1, Cost: 5}},
		{"aliases", `{ a: me { id } b: me { id } me { i: id } }`, nil, complexity.Report{Depth: 2, Aliases: 3, RootFields: 3, Fields: 6, Cost: 3}},
		{"directives", `query @skip(if: false) { me @include(if: true) { id @skip(if: false) @include(if: true) } }`, nil,
			complexity.Report{Depth: 2, RootFields: 1, Fields: 2, Cost: 1, Directives: 4, MaxDirectivesPerField: 2}},
		{"fragments_expand", `{ me { ...U } user(id: 1) { ...U } } fragment U on User { id name }`, nil,
			complexity.Report{Depth: 2, RootFields: 2, Fields: 6, Cost: 2}},
		{"introspection", `{ __schema { queryType { name } } __typename }`, nil,
			complexity.Report{Depth: 3, RootFields: 2, Fields: 4, Cost: 0, IntrospectionFields: 1}},
		{"typical", gqltest.Typical, nil, complexity.Report{Depth: 6, RootFields: 2, Fields: 25, Cost: 27}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := analyze(t, a, tt.q, "", tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestAnalyzeHostile(t *testing.T) {
	t.Parallel()
	a := analyzer(t, complexity.Options{})
	tests := []struct {
		name    string
		q, op   string
		check   func(complexity.Report) bool
		wantErr error
	}{
		{"depth_500", gqltest.Deep(500), "", func(r complexity.Report) bool { return r.Depth == 500 }, nil},
		{"aliases_1000", gqltest.Aliases(1000), "", func(r complexity.Report) bool { return r.Aliases == 1000 && r.RootFields == 1000 }, nil},
		{"copies_10000", gqltest.Copies(10000), "", func(r complexity.Report) bool { return r.Fields == 10001 }, nil},
		{"directives_1000", gqltest.Directives(1000), "", func(r complexity.Report) bool { return r.MaxDirectivesPerField == 1000 }, nil},
		{"fragment_bomb_10x10", gqltest.FragmentBomb(10, 10), "", func(r complexity.Report) bool { return r.Fields == 1+10_000_000_000 }, nil},
		{"fragment_bomb_saturates", gqltest.FragmentBomb(40, 10), "", func(r complexity.Report) bool { return r.Fields == complexity.MaxCount }, nil},
		{"fragment_cycle", gqltest.FragmentCycle(), "", nil, complexity.ErrFragmentCycle},
		{"self_spread", `{ me { ...A } } fragment A on User { ...A }`, "", nil, complexity.ErrFragmentCycle},
		{"wrong_operation_name", gqltest.ManyOperations(100), "Nope", nil, complexity.ErrOperationNotFound},
		{"several_operations_no_name", gqltest.ManyOperations(2), "", nil, complexity.ErrOperationNotFound},
		{"fragment_chain_past_cap", fragmentChain(complexity.MaxNesting + 1),
			"", func(r complexity.Report) bool { return r.Depth == complexity.MaxNesting+1 }, complexity.ErrTooDeep},
		{"circular_introspection", gqltest.CircularIntrospection(100), "", func(r complexity.Report) bool { return r.Depth == 303 }, nil},
		{"unknown_fields_count", `{ nope { deeper { still } } }`, "", func(r complexity.Report) bool { return r.Depth == 3 && r.Cost == 2 }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := analyze(t, a, tt.q, tt.op, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(got) {
				t.Errorf("unexpected report %+v", got)
			}
		})
	}
}

func TestIgnoreIntrospection(t *testing.T) {
	t.Parallel()
	a := analyzer(t, complexity.Options{IgnoreIntrospection: true})
	got, err := analyze(t, a, `{ __schema { types { name } } me { id __typename } }`, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := complexity.Report{Depth: 2, RootFields: 1, Fields: 2, Cost: 1, IntrospectionFields: 1}
	if got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
}

func TestNewAnalyzerRejectsBadDirectives(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, sdl string }{
		{"slicing_argument_unknown", `type Query { xs(first: Int): [Int] @listSize(slicingArguments: ["last"]) }`},
		{"slicing_argument_not_int", `type Query { xs(first: String): [Int] @listSize(slicingArguments: ["first"]) }`},
		{"nested_slicing_unknown", `input P { n: Int } type Query { xs(p: P): [Int] @listSize(slicingArguments: ["p.first"]) }`},
		{"sized_field_unknown", `type C { nodes: [Int] } type Query { c(first: Int): C @listSize(slicingArguments: ["first"], sizedFields: ["edges"]) }`},
		{"weight_not_number", `type Query { x: Int @cost(weight: "heavy") }`},
		{"weight_negative", `type Query { x: Int @cost(weight: "-1") }`},
		{"type_weight_nan", `type T @cost(weight: "NaN") { x: Int } type Query { t: T }`},
		{"assumed_size_negative", `type Query { xs: [Int] @listSize(assumedSize: -1) }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := gqlparser.LoadSchema(&ast.Source{Input: complexity.DirectivesSDL}, &ast.Source{Input: tt.sdl})
			if err != nil {
				t.Fatalf("schema: %v", err)
			}
			if _, err := complexity.NewAnalyzer(s, complexity.Options{}); !errors.Is(err, complexity.ErrBadDirective) {
				t.Fatalf("err = %v, want ErrBadDirective", err)
			}
		})
	}
	if _, err := complexity.NewAnalyzer(nil, complexity.Options{}); !errors.Is(err, complexity.ErrNilSchema) {
		t.Fatalf("nil schema: %v", err)
	}
	if _, err := complexity.NewAnalyzer(gqltest.Schema(), complexity.Options{DefaultListSize: -1}); !errors.Is(err, rampart.ErrConfig) {
		t.Fatalf("negative list size: %v", err)
	}
}

// fragmentChain returns a query whose fragments spread each other n deep:
// each one is under the parser's nesting cap, the chain is not.
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { tags ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { tags }\n", n)
	return b.String()
}
