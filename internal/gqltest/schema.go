// Package gqltest is test support for Rampart's GraphQL packages: a small
// recursive schema annotated with @cost/@listSize (the shape of the demo's
// schema), and an ExecutableSchema that needs no code generation and counts
// every resolver call, so that tests can prove a hostile document never
// reaches a resolver.
package gqltest

import (
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/complexity"
)

// SDL is the test schema. Connections are sized by their "first" argument
// (assumed 10 when absent); every User, Post and Comment can reach the
// others, so depth, alias and cost attacks have something to bite on.
const SDL = `
"tag is a repeatable no-op directive, so tests can put many directives on one field."
directive @tag(name: String) repeatable on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT

enum Role { USER ADMIN }

type User {
  id: ID!
  name: String!
  email: String! @cost(weight: "2")
  role: Role!
  createdAt: String!
  posts(first: Int, after: String): PostConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], assumedSize: 10)
  followers(first: Int, after: String): UserConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], assumedSize: 10)
  following(first: Int, after: String): UserConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], assumedSize: 10)
}

type Post {
  id: ID!
  title: String!
  body: String!
  author: User!
  createdAt: String!
  comments(first: Int, after: String): CommentConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], assumedSize: 10)
}

type Comment {
  id: ID!
  body: String!
  author: User!
  post: Post!
  createdAt: String!
}

type PageInfo { hasNextPage: Boolean! endCursor: String }
type PostConnection { nodes: [Post!]! pageInfo: PageInfo! }
type UserConnection { nodes: [User!]! pageInfo: PageInfo! }
type CommentConnection { nodes: [Comment!]! pageInfo: PageInfo! }

input PostInput { title: String! body: String! }
input Page { first: Int after: String }

type Query {
  me: User
  user(id: ID!): User
  users(first: Int, after: String): UserConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
  post(id: ID!): Post
  posts(first: Int, after: String): PostConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"], assumedSize: 10)
  search(page: Page): [Post!]! @listSize(slicingArguments: ["page.first"])
  tags: [String!]!
  "echo returns how many values it was given."
  echo(values: [Int!]): Int!
  "fail returns an internal error (for error masking tests)."
  fail: String
  "publicFail returns an error meant for the client, with code NOT_FOUND."
  publicFail: String
  "boom panics (for recover tests)."
  boom: String
}

type Mutation {
  createPost(input: PostInput!): Post!
  deletePost(id: ID!): Boolean! @cost(weight: "5")
}
`

// Schema parses SDL together with complexity.DirectivesSDL. It panics on
// error, which only a broken SDL constant could cause.
func Schema() *ast.Schema {
	return gqlparser.MustLoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: complexity.DirectivesSDL, BuiltIn: false},
		&ast.Source{Name: "schema.graphqls", Input: SDL},
	)
}
