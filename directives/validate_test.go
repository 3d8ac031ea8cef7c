package directives_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/microcosm-cc/bluemonday"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/directives/internal/testgraph"
	"github.com/rampart-go/rampart/ratelimit"

	"github.com/rampart-go/rampart/internal/golden"
)

func loadSchema(t testing.TB, sdl string) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(
		&ast.Source{Name: "directives.graphqls", Input: directives.SDL},
		&ast.Source{Name: "schema.graphqls", Input: sdl},
	)
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	return s
}

// withLimiter is Options with a limiter, for schemas that use @rateLimit.
func withLimiter() directives.Options { return directives.Options{Limiter: &recordingLimiter{}} }

func noopLookup(context.Context, string) (string, error) { return "", directives.ErrNotFound }

// TestValidateRejectsMisconfiguration: every bad use of a directive stops
// startup with an rampart.ErrConfig that names the field.
func TestValidateRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sdl, want string
		opts            directives.Options
	}{
		{"unknown_lookup", `type Query { a(id: ID!): String @owner(lookup: "Nope") }`, `Query.a: @owner: lookup "Nope"`, directives.Options{}},
		{"lookup_arg_missing", `type Query { a(key: ID!): String @owner(lookup: "Post") }`, `no argument "id"`, directives.Options{}},
		{"lookup_arg_not_id", `type Query { a(id: [ID!]!): String @owner(lookup: "Post") }`, `must be an ID or String`, directives.Options{}},
		{"owner_property_non_null", `type Query { u: U @public } type U @public { id: ID! email: String! @owner }`, `U.email: @owner field must be nullable (String, not String!)`, directives.Options{}},
		{"owner_property_on_root", `type Query { email: String @owner }`, `needs a parent object`, directives.Options{}},
		{"bad_pattern", `type Query { a(s: String @constraint(pattern: "(")): String }`, `pattern "("`, directives.Options{}},
		{"unknown_format", `type Query { a(s: String @constraint(format: "PUBLIC_URL")): String }`, `unknown format "PUBLIC_URL"`, directives.Options{}},
		{"min_length_above_max_length", `type Query { a(s: String @constraint(minLength: 5, maxLength: 4)): String }`, `minLength 5 is greater than maxLength 4`, directives.Options{}},
		{"negative_length", `type Query { a(s: String @constraint(maxLength: -1)): String }`, `negative`, directives.Options{}},
		{"min_above_max", `type Query { a(n: Int @constraint(min: 2, max: 1)): String }`, `min 2 is greater than max 1`, directives.Options{}},
		{"length_on_int", `type Query { a(n: Int @constraint(maxLength: 3)): String }`, `apply to String or ID`, directives.Options{}},
		{"min_on_string", `type Query { a(s: String @constraint(min: 3)): String }`, `apply to Int or Float`, directives.Options{}},
		{"empty_constraint", `type Query { a(s: String @constraint): String }`, `no limit given`, directives.Options{}},
		{"sanitize_after_constraint", `input I { s: String @constraint(maxLength: 3) @sanitize } type Query { a(i: I): String }`, `I.s: put @sanitize before @constraint`, directives.Options{}},
		{"sanitize_on_int", `type Query { a(n: Int @sanitize): String }`, `@sanitize applies to String`, directives.Options{}},
		{"unknown_policy", `type Query { a(s: String @sanitize(policy: "loose")): String }`, `unknown policy "loose"`, directives.Options{}},
		{"public_and_auth_field", `type Query { a: String @public @auth }`, `Query.a is @public but also guarded`, directives.Options{}},
		{"public_field_in_auth_type", `type Query { s: S } type S @auth { a: String @public }`, `S.a is @public`, directives.Options{}},
		{"public_and_auth_type", `type Query { s: S } type S @auth @public { a: String }`, `type S has both`, directives.Options{}},
		{"empty_role", `type Query { a: String @auth(requires: [""]) }`, `unknown role ""`, directives.Options{}},
		{"unknown_role_typo", `type Query { a: String @auth(requires: ["ADMN"]) }`, `unknown role "ADMN"`, directives.Options{KnownRoles: []string{"USER", "ADMIN"}}},
		{"empty_scope", `type Query { a: String @auth(scopes: [""]) }`, `empty scope`, directives.Options{}},
		{"rate_limit_without_limiter", `type Query { a: String @rateLimit(limit: 1, window: "1m") }`, `Query.a: @rateLimit: Options.Limiter is nil`, directives.Options{}},
		{"rate_limit_zero", `type Query { a: String @rateLimit(limit: 0, window: "1m") }`, `limit 0 must be between 1`, withLimiter()},
		{"rate_limit_negative", `type Query { a: String @rateLimit(limit: -5, window: "1m") }`, `limit -5`, withLimiter()},
		{"rate_limit_past_int32", `type Query { a: String @rateLimit(limit: 2147483648, window: "1m") }`, `limit 2147483648`, withLimiter()},
		{"rate_limit_window_words", `type Query { a: String @rateLimit(limit: 1, window: "1 minute") }`, `window "1 minute" must be a positive Go duration`, withLimiter()},
		{"rate_limit_window_no_unit", `type Query { a: String @rateLimit(limit: 1, window: "60") }`, `window "60"`, withLimiter()},
		{"rate_limit_window_zero", `type Query { a: String @rateLimit(limit: 1, window: "0s") }`, `window "0s"`, withLimiter()},
		{"rate_limit_window_negative", `type Query { a: String @rateLimit(limit: 1, window: "-1m") }`, `window "-1m"`, withLimiter()},
		{"rate_limit_window_empty", `type Query { a: String @rateLimit(limit: 1, window: "") }`, `window ""`, withLimiter()},
		{"rate_limit_unknown_by", `type Query { a: String @rateLimit(limit: 1, window: "1m", by: "USER") }`, `by "USER" must be "CALLER" or "IP"`, withLimiter()},
		{"rate_limit_on_interface_field", `interface N { a: String @rateLimit(limit: 1, window: "1m") } type Query { n: N }`, `N.a: @rateLimit on an interface field`, withLimiter()},
		{"step_up_max_age_words", `type Query { a: String @stepUp(maxAge: "soon") }`, `Query.a: @stepUp: maxAge "soon"`, directives.Options{}},
		{"step_up_max_age_zero", `type Query { a: String @stepUp(maxAge: "0s") }`, `maxAge "0s"`, directives.Options{}},
		{"step_up_max_age_negative", `type Query { a: String @stepUp(maxAge: "-5m") }`, `maxAge "-5m"`, directives.Options{}},
		{"step_up_on_public_field", `type Query { a: String @public @stepUp }`, `Query.a is @public but @stepUp requires`, directives.Options{}},
		{"step_up_on_interface_field", `interface N { a: String @stepUp } type Query { n: N }`, `N.a: @stepUp on an interface field`, directives.Options{}},
		{"unknown_context_format", `type Query { a(s: String @constraint(format: "PUBLIC_URL")): String }`, `unknown format "PUBLIC_URL"`, directives.Options{FormatsContext: map[string]directives.FormatContextFunc{"OTHER": fakePublicURL}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.opts.Lookups == nil {
				tt.opts.Lookups = map[string]directives.LookupFunc{"Post": noopLookup}
			}
			d, err := directives.New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			err = d.ValidateSchema(loadSchema(t, tt.sdl))
			if !errors.Is(err, rampart.ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ValidateSchema = %v, want rampart.ErrConfig containing %q", err, tt.want)
			}
		})
	}
	t.Run("valid_uses_pass", func(t *testing.T) {
		t.Parallel()
		d, err := directives.New(directives.Options{
			Lookups:    map[string]directives.LookupFunc{"Post": noopLookup},
			KnownRoles: []string{"ADMIN", "USER"},
			Formats:    map[string]directives.FormatFunc{"PUBLIC_URL": directives.CheckURL},
		})
		if err != nil {
			t.Fatal(err)
		}
		err = d.ValidateSchema(loadSchema(t, `type Query {
			a(s: String @sanitize @constraint(minLength: 0, maxLength: 0, pattern: "x*", format: "PUBLIC_URL")): String @auth(requires: "ADMIN")
			b(id: ID!, n: Float @constraint(min: 1.5, max: 1.5)): String @owner(lookup: "Post")
			c: String @public }`))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("rate_limit_and_step_up_boundaries_pass", func(t *testing.T) {
		t.Parallel()
		opts := withLimiter()
		opts.FormatsContext = map[string]directives.FormatContextFunc{"PUBLIC_URL": fakePublicURL}
		d, err := directives.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		err = d.ValidateSchema(loadSchema(t, `type Query {
			a: String @public @rateLimit(limit: 1, window: "1ns", by: "IP")
			b: String @auth @stepUp(maxAge: "1s") @rateLimit(limit: 2147483647, window: "24h", by: "CALLER")
			c(u: String @constraint(format: "PUBLIC_URL")): String @stepUp
			u: U @public }
			type U @public { secret: String @stepUp }`))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("old_sdl_without_new_directives_passes", func(t *testing.T) {
		t.Parallel()
		old := directives.SDL[:strings.Index(directives.SDL, "\n\"\"\"\n@rateLimit")+1]
		s, err := gqlparser.LoadSchema(&ast.Source{Input: old}, &ast.Source{Input: `type Query { a: String @public }`})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := directives.New(directives.Options{})
		if err := d.ValidateSchema(s); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("foreign_rate_limit_declaration_rejected", func(t *testing.T) {
		t.Parallel()
		sdl := strings.Replace(directives.SDL, `@rateLimit(limit: Int!, window: String!, by: String = "CALLER")`, `@rateLimit(max: Int!)`, 1)
		s, err := gqlparser.LoadSchema(&ast.Source{Input: sdl}, &ast.Source{Input: `type Query { a: String @public }`})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := directives.New(withLimiter())
		if err := d.ValidateSchema(s); !errors.Is(err, rampart.ErrConfig) || !strings.Contains(err.Error(), "@rateLimit is declared differently") {
			t.Fatalf("ValidateSchema = %v", err)
		}
	})
	t.Run("sdl_missing", func(t *testing.T) {
		t.Parallel()
		d, _ := directives.New(directives.Options{})
		s, err := gqlparser.LoadSchema(&ast.Source{Input: `type Query { a: String }`})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.ValidateSchema(s); !errors.Is(err, rampart.ErrConfig) {
			t.Fatalf("want rampart.ErrConfig, got %v", err)
		}
	})
}

// TestNewRejectsBadOptions: misconfiguration is an error from New.
func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts directives.Options
	}{
		{"empty_bypass_role", directives.Options{BypassRoles: []string{""}}},
		{"nil_lookup", directives.Options{Lookups: map[string]directives.LookupFunc{"Post": nil}}},
		{"nil_owner", directives.Options{Owners: map[string]directives.OwnerFunc{"Post": nil}}},
		{"format_shadows_builtin", directives.Options{Formats: map[string]directives.FormatFunc{"EMAIL": directives.CheckURL}}},
		{"policy_shadows_builtin", directives.Options{Policies: map[string]*bluemonday.Policy{"strict": bluemonday.UGCPolicy()}}},
		{"nil_policy", directives.Options{Policies: map[string]*bluemonday.Policy{"x": nil}}},
		{"context_format_shadows_builtin", directives.Options{FormatsContext: map[string]directives.FormatContextFunc{"URL": fakePublicURL}}},
		{"context_format_shadows_format", directives.Options{
			Formats:        map[string]directives.FormatFunc{"PUBLIC_URL": directives.CheckURL},
			FormatsContext: map[string]directives.FormatContextFunc{"PUBLIC_URL": fakePublicURL},
		}},
		{"nil_context_format", directives.Options{FormatsContext: map[string]directives.FormatContextFunc{"PUBLIC_URL": nil}}},
		{"unknown_failure_mode", directives.Options{RateLimitOnFailure: ratelimit.FailureMode(7)}},
		{"negative_step_up_max_age", directives.Options{StepUpMaxAge: -time.Second}},
		{"empty_step_up_methods", directives.Options{StepUpMethods: []string{}}},
		{"empty_step_up_method", directives.Options{StepUpMethods: []string{"otp", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := directives.New(tt.opts); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("New = %v, want rampart.ErrConfig", err)
			}
		})
	}
}

// TestUseValidatesSchema: srv.Use(d) runs Validate, and the test graph's
// schema passes.
func TestUseValidatesSchema(t *testing.T) {
	t.Parallel()
	d, err := directives.New(directives.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// No "Post" lookup registered: the test graph's @owner(lookup: "Post") must fail.
	err = d.Validate(testgraph.NewExecutableSchema(testgraph.Config{}))
	if !errors.Is(err, rampart.ErrConfig) || !strings.Contains(err.Error(), `lookup "Post"`) {
		t.Fatalf("Validate = %v", err)
	}
}

// TestNotInstalledFailsClosed: a directive that runs before Validate refuses.
func TestNotInstalledFailsClosed(t *testing.T) {
	t.Parallel()
	d, err := directives.New(directives.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	next := func(context.Context) (any, error) { ran = true; return "v", nil }
	ctx := auth.WithPrincipal(context.Background(), admin)
	for name, call := range map[string]func() (any, error){
		"auth":       func() (any, error) { return d.Auth(ctx, nil, next, nil, nil) },
		"public":     func() (any, error) { return d.Public(ctx, nil, next) },
		"owner":      func() (any, error) { return d.Owner(ctx, nil, next, nil, "id") },
		"constraint": func() (any, error) { return d.Constraint(ctx, nil, next, nil, nil, nil, nil, nil, nil) },
		"sanitize":   func() (any, error) { return d.Sanitize(ctx, nil, next, "strict") },
		"intercept":  func() (any, error) { return d.GuardField(withField(ctx, "Query", "a"), next) },
		"rateLimit":  func() (any, error) { return d.RateLimit(withField(ctx, "Query", "a"), nil, next, 1, "1m", nil) },
		"stepUp":     func() (any, error) { return d.StepUp(withField(ctx, "Query", "a"), nil, next, nil) },
	} {
		if _, err := call(); !errors.Is(err, directives.ErrNotInstalled) || ran {
			t.Fatalf("%s: err %v, resolver ran %v", name, err, ran)
		}
	}
}

func withField(ctx context.Context, typ, name string) context.Context {
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{
		Object: typ,
		Field:  graphql.CollectedField{Field: &ast.Field{Name: name}},
	})
}

// TestExpiredPrincipalIsAnonymous: a credential past its expiry (by the
// injected clock) is treated as no credential.
func TestExpiredPrincipalIsAnonymous(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, directives.Options{Now: func() time.Time { return now }})
	tests := []struct {
		name     string
		expires  time.Time
		wantCode string
	}{
		{"expires_in_one_second_allowed", now.Add(time.Second), ""},
		{"expired_at_now_refused", now, rampart.CodeUnauthenticated},
		{"expired_an_hour_ago_refused", now.Add(-time.Hour), rampart.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &auth.Principal{Subject: "u1", Roles: []string{"USER"}, ExpiresAt: tt.expires}
			if got := h.do(t, p, `{ secret }`, nil).code("secret"); got != tt.wantCode {
				t.Fatalf("code %q, want %q", got, tt.wantCode)
			}
		})
	}
}

// TestSDLMatchesTestGraph: the schema file the test graph is generated from
// is the SDL constant, so generated signatures match the methods.
func TestSDLMatchesTestGraph(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("internal", "testgraph", "directives.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != directives.SDL {
		t.Fatal("internal/testgraph/directives.graphqls differs from directives.SDL; copy SDL into it and regenerate")
	}
}

// TestAnonymousSurfaceGolden pins what anonymous callers can reach in the
// test graph. Refresh with: go test ./directives -run AnonymousSurface -update
func TestAnonymousSurfaceGolden(t *testing.T) {
	t.Parallel()
	got := strings.Join(directives.AnonymousSurface(testgraph.NewExecutableSchema(testgraph.Config{}).Schema()), "\n") + "\n"
	golden.Check(t, "anonymous_surface", []byte(got))
	for _, f := range []string{"User.email", "Query.secret", "Stats.users", "Mutation.updatePost", "Subscription.postAdded",
		"Query.wallet", "Mutation.transfer", "Mutation.changeEmail", "Mutation.follow"} {
		if strings.Contains("\n"+got, "\n"+f+"\n") {
			t.Fatalf("%s must not be reachable anonymously", f)
		}
	}
}
