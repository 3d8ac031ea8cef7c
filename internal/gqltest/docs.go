package gqltest

import (
	"fmt"
	"strings"
)

// Deep returns a query whose deepest field is at depth n (n ≥ 2):
// me → posts(first: 1) → nodes → author → posts(first: 1) → … →
// __typename. Its
// cost grows linearly with n.
func Deep(n int) string {
	cycle := []string{"posts(first: 1)", "nodes", "author"}
	var b strings.Builder
	b.WriteString("{ me { ")
	for i := range max(n-2, 0) {
		b.WriteString(cycle[i%3])
		b.WriteString(" { ")
	}
	b.WriteString("__typename")
	b.WriteString(strings.Repeat(" }", max(n-2, 0)+1))
	b.WriteString(" }")
	return b.String()
}

// Aliases returns a query selecting me { name } under n distinct aliases.
func Aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "a%d: me { name } ", i)
	}
	b.WriteString("}")
	return b.String()
}

// Copies returns a query selecting the same field n times: { me { name name … } }.
func Copies(n int) string {
	return "{ me { " + strings.Repeat("name ", n) + "} }"
}

// RootCopies returns a query with n root fields: { tags tags … }.
func RootCopies(n int) string {
	return "{ " + strings.Repeat("tags ", n) + "}"
}

// Directives returns a query with n @include directives on one field.
func Directives(n int) string {
	return "{ me { name " + strings.Repeat("@include(if: true) ", n) + "} }"
}

// FragmentBomb returns a query whose fragment at each of levels levels
// spreads the one below it spreads times: it expands to spreads^levels
// fields.
func FragmentBomb(levels, spreads int) string {
	var b strings.Builder
	b.WriteString("query Bomb { me { ...F")
	fmt.Fprintf(&b, "%d } }\nfragment F0 on User { name }\n", levels)
	for l := 1; l <= levels; l++ {
		fmt.Fprintf(&b, "fragment F%d on User {", l)
		for range spreads {
			fmt.Fprintf(&b, " ...F%d", l-1)
		}
		b.WriteString(" }\n")
	}
	return b.String()
}

// FragmentCycle returns a query whose fragments spread each other.
func FragmentCycle() string {
	return `query Cycle { me { ...A } }
fragment A on User { name ...B }
fragment B on User { id ...A }`
}

// BigDocument returns a query of about size bytes made of aliased fields.
func BigDocument(size int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := 0; b.Len() < size-2; i++ {
		fmt.Fprintf(&b, "f%d: tags ", i)
	}
	b.WriteString("}")
	return b.String()
}

// HugeString returns a query with one string literal of n bytes.
func HugeString(n int) string {
	return `{ user(id: "` + strings.Repeat("x", n) + `") { id } }`
}

// ManyOperations returns a document with n named operations Op0…Op(n-1).
func ManyOperations(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "query Op%d { me { id } }\n", i)
	}
	return b.String()
}

// CircularIntrospection returns the circular introspection query: __schema
// → types → fields → type → ofType … nested levels times.
func CircularIntrospection(levels int) string {
	var b strings.Builder
	b.WriteString("{ __schema { types { ")
	for range levels {
		b.WriteString("fields { type { ofType { ")
	}
	b.WriteString("name")
	b.WriteString(strings.Repeat(" } } }", levels))
	b.WriteString(" } } }")
	return b.String()
}

// Typical is a benign 20-field query with fragments, the shape of a real
// client's page query.
const Typical = `query Page($first: Int = 5) {
  me { ...UserCard posts(first: $first) { nodes { ...PostCard } pageInfo { hasNextPage endCursor } } }
  posts(first: 3) { nodes { ...PostCard comments(first: 2) { nodes { id body author { ...UserCard } } } } }
}
fragment UserCard on User { id name role }
fragment PostCard on Post { id title createdAt }`

// Echo returns { echo(values: [1,1,…]) } with n values: n+9 parser tokens.
func Echo(n int) string {
	return "{ echo(values: [" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]) }"
}
