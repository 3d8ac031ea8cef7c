// Package complexity measures a parsed GraphQL operation before it runs:
// depth, aliases, root fields, total fields, directives and cost under the
// GraphQL cost directive specification
// (https://ibm.github.io/graphql-specs/cost-spec.html). It measures and
// never enforces: comparing a Report with limits is the job of package
// gqlsec. It imports only gqlparser.
//
// # One linear pass
//
// NewAnalyzer compiles the schema's @cost and @listSize annotations once and
// fails on a malformed one. Analyze walks the operation once. Each fragment
// is analysed once (per list-size context) and its summary reused at every
// spread, so a fragment bomb — ten fragments each spreading the one below
// ten times, 10^10 fields once expanded — is measured in time linear in the
// document and reported as 10^10 fields. Counts saturate at MaxCount. The
// document need not be validated: fragment cycles return ErrFragmentCycle,
// and nesting past MaxNesting (fields, inline fragments and spreads
// together) returns ErrTooDeep rather than growing the stack.
//
// # Cost model
//
// The cost of a selection set is the sum of the costs of its fields, after
// fragment expansion. The cost of one field is
//
//	argumentCost + multiplier × (weight + cost of its selection set)
//
// where:
//
//   - weight is @cost(weight) on the field definition if present; else, for
//     a root Mutation field, 10 (DefaultMutationWeight); else @cost on the
//     field's named return type (object, scalar or enum); else 1 for an
//     object, interface or union and 0 for a scalar or enum. __typename
//     costs 0, and so do introspection fields (__schema, __type and the
//     fields of the __* types), whose lists count once: introspection is
//     answered from memory and bounded by the schema. Depth and field
//     counts still include them.
//   - argumentCost is the sum of @cost(weight) of the arguments present,
//     plus @cost of input object fields present in literal argument values.
//   - multiplier is 1 for a field that is not a list. For a list it is the
//     size the field's @listSize gives: the largest slicing argument present
//     in the operation (a literal, a variable, a variable's default or the
//     argument's schema default; a path such as "page.first" reads an input
//     object field), else assumedSize, else Options.DefaultListSize (100).
//     A field with @listSize(sizedFields: [...]) passes that size to the
//     named child fields instead (the Relay connection pattern:
//     posts(first: 5) { nodes } multiplies nodes by 5) and has multiplier 1
//     itself. Negative sizes count as 0; sizes saturate at MaxCount.
//     requireOneSlicingArgument is not enforced: with no slicing argument
//     the assumed size applies.
//
// Weights may be decimals ("0.5"); the total is rounded up. Depth counts a
// root field as 1. Fields counts every selected field including
// __typename; Aliases counts aliases that differ from the field name.
// Directives counts directive uses written in the operation and in each
// fragment it uses once; MaxDirectivesPerField is the most on one node.
// IntrospectionFields counts __schema and __type selections.
//
// # Worked example
//
// With the schema
//
//	type Query { posts(first: Int): PostConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"]) }
//	type PostConnection { nodes: [Post!]! }
//	type Post { title: String! author: User! }
//	type User { name: String! email: String! @cost(weight: "2") }
//
// the operation { posts(first: 5) { nodes { title author { name email } } } }
// costs 1 (posts) + 5 × (1 (Post) + 0 (title) + 1 (author) + 0 (name) +
// 2 (email)) = 21, with depth 4 and 6 fields. See Example_costModel.
package complexity
