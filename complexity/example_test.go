package complexity_test

import (
	"fmt"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/rampart-go/rampart/complexity"
)

// Example_costModel is the worked example of the package documentation.
func Example_costModel() {
	schema := gqlparser.MustLoadSchema(
		&ast.Source{Input: complexity.DirectivesSDL},
		&ast.Source{Input: `
type Query { posts(first: Int): PostConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"]) }
type PostConnection { nodes: [Post!]! }
type Post { title: String! author: User! }
type User { name: String! email: String! @cost(weight: "2") }`},
	)
	a, err := complexity.NewAnalyzer(schema, complexity.Options{})
	if err != nil {
		panic(err)
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: `{ posts(first: 5) { nodes { title author { name email } } } }`})
	if err != nil {
		panic(err)
	}
	r, err := a.Analyze(doc, "", nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("cost=%d depth=%d fields=%d\n", r.Cost, r.Depth, r.Fields)
	// Output: cost=21 depth=4 fields=6
}

// ExampleAnalyzer_Analyze shows a fragment bomb measured in linear time.
func ExampleAnalyzer_Analyze() {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { a: Int }`})
	a, _ := complexity.NewAnalyzer(schema, complexity.Options{})
	doc, _ := parser.ParseQuery(&ast.Source{Input: `{ ...F3 }
fragment F0 on Query { a }
fragment F1 on Query { ...F0 ...F0 ...F0 ...F0 ...F0 ...F0 ...F0 ...F0 ...F0 ...F0 }
fragment F2 on Query { ...F1 ...F1 ...F1 ...F1 ...F1 ...F1 ...F1 ...F1 ...F1 ...F1 }
fragment F3 on Query { ...F2 ...F2 ...F2 ...F2 ...F2 ...F2 ...F2 ...F2 ...F2 ...F2 }`})
	r, _ := a.Analyze(doc, "", nil)
	fmt.Println("fields:", r.Fields, "root fields:", r.RootFields)
	// Output: fields: 1000 root fields: 1000
}
