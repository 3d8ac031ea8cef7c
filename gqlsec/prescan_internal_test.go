package gqlsec

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/internal/gqltest"
)

var defaultPrescan = prescanLimits{tokens: DefaultTokens, depth: DefaultDepth, rootFields: DefaultRootFields, aliases: DefaultAliases, fields: DefaultFields}

// TestPrescanRefusesHostileDocuments: each attack is refused by the
// pre-scan with its limit's row, right after the first token over it.
func TestPrescanRefusesHostileDocuments(t *testing.T) {
	for _, tt := range []struct {
		name     string
		doc      string
		row      int
		observed int64
	}{
		{"depth_5000", gqltest.Deep(5000), rowDepth, DefaultDepth + 1},
		{"aliases_1000_root", gqltest.Aliases(1000), rowRootFields, DefaultRootFields + 1},
		{"aliases_nested", "{ me { " + strings.Repeat("a: name ", 0) + aliasFields(100) + " } }", rowAliases, DefaultAliases + 1},
		{"tokens_20000", gqltest.Echo(20000), rowTokens, DefaultTokens + 1},
		{"copies_10000", gqltest.Copies(10000), rowFields, DefaultFields + 1},
		// Through fragments, known at the end of the scan: the full count.
		{"fragment_bomb_10x10", gqltest.FragmentBomb(10, 10), rowFields, 10_000_000_001},
		{"fragment_depth", "{ me { ...A } } fragment A on User { posts { nodes { author { ...B } } } } fragment B on User { posts { nodes { author { ...C } } } } fragment C on User { posts { nodes { author { ...D } } } } fragment D on User { posts { nodes { author { ...E } } } } fragment E on User { posts { nodes { author { id } } } }", rowDepth, 17},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := prescan(tt.doc, "", defaultPrescan)
			if v.row != tt.row || v.observed != tt.observed {
				t.Fatalf("verdict row %d observed %d, want row %d observed %d", v.row, v.observed, tt.row, tt.observed)
			}
		})
	}
}

func aliasFields(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("a")
		b.WriteString(strings.Repeat("x", i%5+1))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(": name ")
	}
	return b.String()
}

// TestPrescanLetsBenignDocumentsThrough: documents within the limits —
// fragments, inline fragments, arguments with object values, directives,
// comments, strings that look like selections, several operations — get
// no verdict.
func TestPrescanLetsBenignDocumentsThrough(t *testing.T) {
	for _, doc := range []string{
		`{ me { id name } }`,
		`query Feed($first: Int = 10, $input: PostInput = {title: "a { b { c } }", body: """x { y: z }"""}) @tag(name: "x") { posts(first: $first) { nodes { id title author { name } } } }`,
		`# a comment { { { {
		 { me { ...F ... on User { id: id name } ... @tag(name: "y") { email } } } fragment F on User { a1: name a2: name a3: name }`,
		gqltest.Deep(15),
		gqltest.Aliases(20),
		gqltest.FragmentBomb(3, 3),
		`query A { me { id } } query B { me { name } }`,
	} {
		if v := prescan(doc, "", defaultPrescan); v.row >= 0 {
			t.Errorf("benign document refused (row %d, observed %d): %.80s", v.row, v.observed, doc)
		}
	}
	// Only the operation that runs is counted.
	doc := "query Big " + gqltest.Deep(40)[0:0] + strings.TrimPrefix(gqltest.Deep(40), "query") + " query Small { me { id } }"
	if v := prescan(doc, "Small", defaultPrescan); v.row >= 0 {
		t.Errorf("the operation not asked for was counted (row %d)", v.row)
	}
	if v := prescan(doc, "Big", defaultPrescan); v.row != rowDepth {
		t.Errorf("the operation asked for was not counted (row %d)", v.row)
	}
}

// TestPrescanFindsIntrospection: __schema and __type selected by the
// operation that runs, itself or through a fragment, aliased or not; not
// __typename, not an alias named __schema, not a word in a string or a
// comment, not another operation's.
func TestPrescanFindsIntrospection(t *testing.T) {
	for _, tt := range []struct {
		doc, op string
		want    bool
	}{
		{`{ __schema { types { name } } }`, "", true},
		{`{ __type(name: "User") { name } }`, "", true},
		{`{ s: __schema { queryType { name } } }`, "", true},
		{`{ ...F } fragment F on Query { ...G } fragment G on Query { __type(name: "X") { name } }`, "", true},
		{`query A { __schema { queryType { name } } } query B { me { id } }`, "A", true},
		{`query A { __schema { queryType { name } } } query B { me { id } }`, "B", false},
		{`{ me { __typename id } __typename }`, "", false},
		{`{ __schema: me { id } }`, "", false},
		{`{ posts(filter: "__schema") { nodes { id } } } # __type`, "", false},
		{`{ me { id } } fragment F on Query { __schema { types { name } } }`, "", false},
	} {
		if v := prescan(tt.doc, tt.op, defaultPrescan); v.row >= 0 || v.introspection != tt.want {
			t.Errorf("%s (op %q): row %d introspection %v, want no limit verdict and %v", tt.doc, tt.op, v.row, v.introspection, tt.want)
		}
	}
}

// FuzzPrescanAgreesWithAnalysis is the pre-scan's differential test
// against gqlparser and complexity: whenever the pre-scan refuses a
// document, the full check refuses it too — gqlparser fails to parse it
// within the token limit, validation fails, or the analysis measures at
// least the figure the pre-scan observed. Tight limits make verdicts
// frequent.
func FuzzPrescanAgreesWithAnalysis(f *testing.F) {
	schema := gqltest.Schema()
	an, err := complexity.NewAnalyzer(schema, complexity.Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{ me { id name } }`, gqltest.Deep(8), gqltest.Aliases(8), gqltest.FragmentBomb(3, 3), `{ me { id: id n: name } }`,
		`{ me { ... on User { posts { nodes { id } } } } }`, `query A { me { id } } query B { me { name email role } }`,
		`{ a: me { id } b: me { id } __typename }`, `{ me { posts(first: 2) @tag(name: "{") { nodes { author { id } } } } }`,
		`{ __schema { types { name } } }`, `{ ...F } fragment F on Query { t: __type(name: "User") { name } }`,
		"query Q($v: PostInput = {title: \"}}\", body: \"\"\"{{\"\"\"}) { me { id } }",
		`{ ... on Query { me { id } a: me { id } b: me { id } } }`, `{ me @skip(if: true) { id } x: me { id } }`, `{ me { id: id } }`,
	} {
		f.Add(s, "")
	}
	f.Add(gqltest.FragmentBomb(4, 3), "")
	f.Add("query Q { me { ...A } } fragment A on User { posts { nodes { ...B } } } fragment B on Post { author { name } }", "Q")
	lim := prescanLimits{tokens: 60, depth: 4, rootFields: 3, aliases: 2, fields: 12}
	rows := limitTable()
	f.Fuzz(func(t *testing.T, doc, op string) {
		v := prescan(doc, op, lim)
		if v.row < 0 && !v.introspection {
			return
		}
		qd, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: doc}, int(lim.tokens))
		if perr != nil {
			return // refused: syntax or token limit
		}
		if v.row < 0 { // introspection found: the full check must find it too
			if errs := validator.ValidateWithRules(schema, qd, rules.NewDefaultRules()); len(errs) > 0 {
				return
			}
			if rep, aerr := an.Analyze(qd, op, nil); aerr == nil && rep.IntrospectionFields == 0 {
				t.Fatalf("pre-scan found introspection in %q, the analysis counts none", doc)
			}
			return
		}
		if v.row == rowTokens {
			t.Fatalf("pre-scan counted %d tokens, gqlparser parsed %q within %d", v.observed, doc, lim.tokens)
		}
		if errs := validator.ValidateWithRules(schema, qd, rules.NewDefaultRules()); len(errs) > 0 {
			return // refused by validation
		}
		rep, aerr := an.Analyze(qd, op, nil)
		if aerr != nil && rep.Depth == 0 {
			return // not measured: gqlgen refuses it (unknown operation)
		}
		if got := rows[v.row].observe(&rep); got < v.observed {
			t.Fatalf("pre-scan refused %q (%s %d), the analysis measures %d", doc, rows[v.row].name, v.observed, got)
		}
	})
}

// BenchmarkPrescan compares the time to a verdict with a gqlparser parse
// of the same bytes: the pre-scan stops at the first limit exceeded.
func BenchmarkPrescan(b *testing.B) {
	for _, tt := range []struct{ name, doc string }{
		{"aliases_1000", gqltest.Aliases(1000)},
		{"tokens_15000", gqltest.Echo(15000)},
		{"depth_5000", gqltest.Deep(5000)},
		{"typical_20_fields", gqltest.Typical},
	} {
		b.Run(tt.name+"/prescan", func(b *testing.B) {
			b.SetBytes(int64(len(tt.doc)))
			for b.Loop() {
				prescan(tt.doc, "", defaultPrescan)
			}
		})
		b.Run(tt.name+"/gqlparser_parse", func(b *testing.B) {
			b.SetBytes(int64(len(tt.doc)))
			for b.Loop() {
				_, _ = parser.ParseQuery(&ast.Source{Input: tt.doc})
			}
		})
	}
}

// FuzzPrescanCatchesWhatAnalysisRefuses is the other direction of the
// differential test: whenever a document that gqlparser parses and
// validates breaks one of the pre-scan's limits (depth, root fields,
// aliases, fields) by the full analysis of the operation that runs, the
// pre-scan refuses it too, before the parse.
func FuzzPrescanCatchesWhatAnalysisRefuses(f *testing.F) {
	schema := gqltest.Schema()
	an, err := complexity.NewAnalyzer(schema, complexity.Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{ me { id name } }`, gqltest.Deep(8), gqltest.Aliases(8), gqltest.FragmentBomb(3, 3), `{ me { id: id n: name } }`,
		`{ me { ... on User { posts { nodes { id } } } } }`, `query A { me { id } } query B { me { name email role } }`,
		`{ a: me { id } b: me { id } __typename }`, `{ ... on Query { me { id } a: me { id } b: me { id } } }`,
		"query Q { me { ...A } } fragment A on User { posts { nodes { ...B } } } fragment B on Post { author { name } }",
	} {
		f.Add(s, "")
	}
	lim := prescanLimits{tokens: 200, depth: 4, rootFields: 3, aliases: 2, fields: 12}
	f.Fuzz(func(t *testing.T, doc, op string) {
		qd, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: doc}, int(lim.tokens))
		if perr != nil {
			return
		}
		if errs := validator.ValidateWithRules(schema, qd, rules.NewDefaultRules()); len(errs) > 0 {
			return
		}
		rep, aerr := an.Analyze(qd, op, nil)
		if aerr != nil {
			return
		}
		over := rep.Depth > lim.depth || rep.RootFields > lim.rootFields || rep.Aliases > lim.aliases || rep.Fields > lim.fields
		if v := prescan(doc, op, lim); over && v.row < 0 {
			t.Fatalf("the analysis measures %+v over the limits %+v, the pre-scan let %q through", rep, lim, doc)
		}
	})
}
