package directives_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
)

// exampleSchema is what an application's schema looks like with SDL
// included. In a gqlgen server, es.Schema() gives it and srv.Use(d) validates.
const exampleSchema = `
type Query {
  hello: String @public
  adminReport: String @auth(requires: ["ADMIN"])
  search(q: String! @sanitize @constraint(maxLength: 8)): String @public
}
type Mutation { deletePost(id: ID!): Boolean @owner(lookup: "Post") }
`

// posts maps post ids to their authors.
var posts = map[string]string{"p1": "alice"}

func exampleDirectives() *directives.Directives {
	d, err := directives.New(directives.Options{
		BypassRoles: []string{"ADMIN"},
		Lookups: map[string]directives.LookupFunc{
			"Post": func(_ context.Context, id string) (string, error) {
				owner, ok := posts[id]
				if !ok {
					return "", directives.ErrNotFound
				}
				return owner, nil
			},
		},
	})
	if err != nil {
		panic(err)
	}
	schema := gqlparser.MustLoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: directives.SDL},
		&ast.Source{Name: "schema.graphqls", Input: exampleSchema},
	)
	if err := d.ValidateSchema(schema); err != nil { // srv.Use(d) does this
		panic(err)
	}
	return d
}

// resolver stands for the generated field resolver.
func resolver(context.Context) (any, error) { return "resolved", nil }

func show(v any, err error) {
	var gqlErr *gqlerror.Error
	if errors.As(err, &gqlErr) {
		fmt.Println(gqlErr.Extensions["code"], "-", gqlErr.Message)
		return
	}
	fmt.Println(v)
}

func as(p *auth.Principal) context.Context {
	return auth.WithPrincipal(context.Background(), p)
}

// Example_quickstart shows the wiring in a gqlgen server (not run here; it
// needs the generated package):
//
//	d, err := directives.New(directives.Options{BypassRoles: []string{"ADMIN"}, Lookups: lookups, Limiter: limiter})
//	es := graph.NewExecutableSchema(graph.Config{Resolvers: r, Directives: graph.DirectiveRoot{
//		Auth: d.Auth, Owner: d.Owner, Constraint: d.Constraint, Sanitize: d.Sanitize, Public: d.Public,
//		RateLimit: d.RateLimit, StepUp: d.StepUp,
//	}})
//	srv := handler.New(es)
//	srv.Use(d) // validates the schema (panics on misuse) and installs default-deny
func Example_quickstart() {
	d := exampleDirectives()
	fmt.Println(d.ExtensionName())
	// Output: RampartDirectives
}

// ExampleDirectives_Auth: @auth(requires: ["ADMIN"]).
func ExampleDirectives_Auth() {
	d := exampleDirectives()
	admin := []string{"ADMIN"}
	show(d.Auth(as(nil), nil, resolver, admin, nil))
	show(d.Auth(as(&auth.Principal{Subject: "alice", Roles: []string{"USER"}}), nil, resolver, admin, nil))
	show(d.Auth(as(&auth.Principal{Subject: "root", Roles: []string{"ADMIN"}}), nil, resolver, admin, nil))
	// Output:
	// UNAUTHENTICATED - authentication required
	// FORBIDDEN - forbidden
	// resolved
}

// ExampleDirectives_Owner: @owner(lookup: "Post") on deletePost(id: ID!).
// Someone else's post and a missing post get the same answer.
func ExampleDirectives_Owner() {
	d := exampleDirectives()
	lookup := "Post"
	deletePost := func(p *auth.Principal, id string) {
		ctx := graphql.WithFieldContext(as(p), &graphql.FieldContext{
			Object: "Mutation",
			Field:  graphql.CollectedField{Field: &ast.Field{Name: "deletePost"}},
			Args:   map[string]any{"id": id},
		})
		show(d.Owner(ctx, nil, resolver, &lookup, "id"))
	}
	alice := &auth.Principal{Subject: "alice"}
	bob := &auth.Principal{Subject: "bob"}
	deletePost(alice, "p1")
	deletePost(bob, "p1")
	deletePost(bob, "p404")
	deletePost(&auth.Principal{Subject: "root", Roles: []string{"ADMIN"}}, "p1")
	// Output:
	// resolved
	// NOT_FOUND - not found
	// NOT_FOUND - not found
	// resolved
}

// ExampleDirectives_Constraint: @constraint(maxLength: 8) on an argument.
func ExampleDirectives_Constraint() {
	d := exampleDirectives()
	maxLength := 8
	arg := func(v string) graphql.Resolver {
		return func(context.Context) (any, error) { return v, nil }
	}
	ctx := graphql.WithPathContext(context.Background(), graphql.NewPathWithField("q"))
	show(d.Constraint(ctx, nil, arg("graphql"), nil, &maxLength, nil, nil, nil, nil))
	show(d.Constraint(ctx, nil, arg("graphql is fun"), nil, &maxLength, nil, nil, nil, nil))
	email := directives.FormatEmail
	show(d.Constraint(ctx, nil, arg("eve@example.com\nBcc: x@y.z"), nil, nil, nil, &email, nil, nil))
	// Output:
	// graphql
	// BAD_USER_INPUT - q: must be at most 8 characters (got 14)
	// BAD_USER_INPUT - q: must be a valid EMAIL: not an email address
}

// ExampleDirectives_Sanitize: @sanitize with the strict and ugc policies.
func ExampleDirectives_Sanitize() {
	d := exampleDirectives()
	in := func(context.Context) (any, error) {
		return `<b>hi</b> <img src=x onerror=alert(1)> & <a href="javascript:alert(1)">bye</a>`, nil
	}
	show(d.Sanitize(context.Background(), nil, in, directives.PolicyStrict))
	show(d.Sanitize(context.Background(), nil, in, directives.PolicyUGC))
	// Output:
	// hi  &amp; bye
	// <b>hi</b> <img src="x"> &amp; bye
}

// ExampleDirectives_Public: @public opens a field to anonymous callers; the
// default-deny rule refuses every other field to them.
func ExampleDirectives_Public() {
	d := exampleDirectives()
	field := func(name string) context.Context {
		return graphql.WithFieldContext(as(nil), &graphql.FieldContext{
			Object: "Query",
			Field:  graphql.CollectedField{Field: &ast.Field{Name: name}},
		})
	}
	show(d.GuardField(field("hello"), resolver))
	show(d.GuardField(field("adminReport"), resolver))
	show(d.Public(field("hello"), nil, resolver))
	// Output:
	// resolved
	// UNAUTHENTICATED - authentication required
	// resolved
}

// ExampleAnonymousSurface lists what anonymous callers can reach.
func ExampleAnonymousSurface() {
	schema := gqlparser.MustLoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: directives.SDL},
		&ast.Source{Name: "schema.graphqls", Input: `
type Query { me: User @auth  user(id: ID!): User @public  stats: Int }
type User @public { name: String!  email: String @owner  friends: [User!]! }`},
	)
	for _, f := range directives.AnonymousSurface(schema) {
		fmt.Println(f)
	}
	// Output:
	// Query.user
	// User.friends
	// User.name
}
