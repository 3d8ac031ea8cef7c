package directives_test

import (
	"context"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/directives/internal/testgraph"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
)

// Per-field overhead of each directive beside a bare resolver call. The
// directives are called the way generated code calls them.

var sink any

// benchCtx is alice, owner of p1, holding roles and scopes a, b.
func benchCtx(roles ...string) context.Context {
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "alice", Roles: roles, Scopes: []string{"a", "b"}})
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{
		Object: "Query",
		Field:  graphql.CollectedField{Field: &ast.Field{Name: "adminReport"}},
		Args:   map[string]any{"id": "p1"},
	})
}

func BenchmarkBareResolver(b *testing.B) {
	ctx := benchCtx()
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = resolver(ctx)
	}
}

func BenchmarkAuth(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx("USER", "ADMIN")
	roles, scopes := []string{"ADMIN"}, []string{"a", "b"}
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.Auth(ctx, nil, resolver, roles, scopes)
	}
}

func BenchmarkInterceptField(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.GuardField(ctx, resolver)
	}
}

func BenchmarkOwnerLookup(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	lookup := "Post"
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.Owner(ctx, nil, resolver, &lookup, "id")
	}
}

func BenchmarkConstraintMaxLength(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	maxLength := 64
	next := func(context.Context) (any, error) { return "a reasonably short title", nil }
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.Constraint(ctx, nil, next, nil, &maxLength, nil, nil, nil, nil)
	}
}

func BenchmarkSanitize(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	for _, policy := range []string{directives.PolicyStrict, directives.PolicyUGC} {
		b.Run(policy, func(b *testing.B) {
			next := func(context.Context) (any, error) {
				return "a <b>short</b> comment with a <a href=\"https://x.example\">link</a>", nil
			}
			b.ReportAllocs()
			for b.Loop() {
				sink, _ = d.Sanitize(ctx, nil, next, policy)
			}
		})
	}
}

// BenchmarkQuery executes one query of about 40 fields (none refused) through the gqlgen
// handler: "bare" has pass-through directive functions and no interceptor,
// "rampart" has the directives and the default-deny interceptor installed.
func BenchmarkQuery(b *testing.B) {
	const query = `{ users { id name posts { id title author { name } } followers { id name } } }`
	pass := func(ctx context.Context, _ any, next graphql.Resolver) (any, error) { return next(ctx) }
	bare := newHarness(b, directives.Options{})
	bare.srv = handler.New(testgraph.NewExecutableSchema(testgraph.Config{
		Resolvers: bare.r,
		Directives: testgraph.DirectiveRoot{
			Auth: func(ctx context.Context, obj any, next graphql.Resolver, _, _ []string) (any, error) {
				return pass(ctx, obj, next)
			},
			Owner: func(ctx context.Context, obj any, next graphql.Resolver, _ *string, _ string) (any, error) {
				return pass(ctx, obj, next)
			},
			Constraint: func(ctx context.Context, obj any, next graphql.Resolver, _, _ *int, _, _ *string, _, _ *float64) (any, error) {
				return pass(ctx, obj, next)
			},
			Sanitize: func(ctx context.Context, obj any, next graphql.Resolver, _ string) (any, error) {
				return pass(ctx, obj, next)
			},
			Public: pass,
			RateLimit: func(ctx context.Context, obj any, next graphql.Resolver, _ int, _ string, _ *string) (any, error) {
				return pass(ctx, obj, next)
			},
			StepUp: func(ctx context.Context, obj any, next graphql.Resolver, _ *string) (any, error) {
				return pass(ctx, obj, next)
			},
		},
	}))
	bare.srv.AddTransport(transport.POST{})
	for _, h := range []struct {
		name string
		h    *harness
	}{{"bare", bare}, {"rampart", newHarness(b, directives.Options{})}} {
		b.Run(h.name, func(b *testing.B) {
			if res := h.h.do(b, alice, query, nil); field(res.Data, "users.0.posts.0.author.name") != "alice" {
				b.Fatalf("unexpected response %s", res.raw)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.h.request(b, alice, query, nil, false)
			}
		})
	}
}

// rateLimitedDirectives validates a schema whose Query.hits allows a billion
// calls a second, so that benchmarks measure the allowed path.
func rateLimitedDirectives(b *testing.B) *directives.Directives {
	b.Helper()
	l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	d, err := directives.New(directives.Options{Limiter: l})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.ValidateSchema(loadSchema(b, `type Query {
		hits: Int @public @rateLimit(limit: 1000000000, window: "1s")
		wallet: Int @auth @stepUp }`)); err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkRateLimit is one @rateLimit check (in-memory limiter, one
// caller) around the bare resolver of BenchmarkBareResolver.
func BenchmarkRateLimit(b *testing.B) {
	d := rateLimitedDirectives(b)
	for _, c := range []struct {
		name string
		ctx  context.Context
	}{
		{"subject", withField(auth.WithPrincipal(context.Background(), alice), "Query", "hits")},
		{"ip", withField(reqctx.WithClientIP(context.Background(), netip.MustParseAddr("203.0.113.9")), "Query", "hits")},
	} {
		b.Run(c.name, func(b *testing.B) {
			if v, err := d.RateLimit(c.ctx, nil, resolver, 0, "", nil); err != nil || v != "resolved" {
				b.Fatalf("refused: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				sink, _ = d.RateLimit(c.ctx, nil, resolver, 0, "", nil)
			}
		})
	}
}

// BenchmarkRateLimitParallel: many callers at once on one limiter.
func BenchmarkRateLimitParallel(b *testing.B) {
	d := rateLimitedDirectives(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		p := &auth.Principal{Subject: "u" + strconv.FormatInt(n.Add(1), 10)}
		ctx := withField(auth.WithPrincipal(context.Background(), p), "Query", "hits")
		for pb.Next() {
			if _, err := d.RateLimit(ctx, nil, resolver, 0, "", nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkStepUp is one @stepUp check for a caller with a fresh second
// factor.
func BenchmarkStepUp(b *testing.B) {
	d := rateLimitedDirectives(b)
	p := &auth.Principal{Subject: "u1", AMR: []string{"pwd", "otp"}, AuthTime: time.Now()}
	ctx := withField(auth.WithPrincipal(context.Background(), p), "Query", "wallet")
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.StepUp(ctx, nil, resolver, nil)
	}
}

// BenchmarkRateLimitQuery runs `{ hits }` and `{ limitedHits }` (the same
// field plus @rateLimit) through the gqlgen handler with the directives
// installed: the difference is what @rateLimit costs per request.
func BenchmarkRateLimitQuery(b *testing.B) {
	h := newHarness(b, directives.Options{})
	for _, q := range []struct{ name, query, field string }{
		{"bare_field", `{ hits }`, "hits"},
		{"rate_limited_field", `{ limitedHits }`, "limitedHits"},
	} {
		b.Run(q.name, func(b *testing.B) {
			if res := h.do(b, alice, q.query, nil); field(res.Data, q.field) == nil {
				b.Fatalf("unexpected response %s", res.raw)
			}
			b.ReportAllocs()
			for b.Loop() {
				h.request(b, alice, q.query, nil, false)
			}
		})
	}
}

// BenchmarkInterceptFieldPublic is the default-deny rule (GuardField) on what
// most fields of a benign query are: a @public field, resolved for an
// anonymous caller, its definition from the validated schema (as gqlgen
// passes it). "object_field" is a field selected on its object type;
// "interface_field" one selected through an interface, whose definition is
// the interface's.
func BenchmarkInterceptFieldPublic(b *testing.B) {
	d, err := directives.New(directives.Options{})
	if err != nil {
		b.Fatal(err)
	}
	schema := gqlparser.MustLoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: directives.SDL},
		&ast.Source{Name: "schema.graphqls", Input: `
interface Node { id: ID! }
type Post implements Node @public { id: ID!  title: String! }
type Query { post: Post @public  node: Node @public }`},
	)
	if err := d.ValidateSchema(schema); err != nil {
		b.Fatal(err)
	}
	anonymous := auth.WithPrincipal(context.Background(), nil)
	for _, c := range []struct{ name, typ string }{{"object_field", "Post"}, {"interface_field", "Node"}} {
		ctx := graphql.WithFieldContext(anonymous, &graphql.FieldContext{
			Object: "Post",
			Field:  graphql.CollectedField{Field: &ast.Field{Name: "id", Definition: schema.Types[c.typ].Fields.ForName("id")}},
		})
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink, _ = d.GuardField(ctx, resolver)
			}
		})
	}
}
