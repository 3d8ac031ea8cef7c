package directives_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/directives/internal/testgraph"
	"github.com/rampart-go/rampart/ratelimit"
)

// The DirectiveRoot gqlgen generates from SDL when gqlgen.yml maps Int to
// graphql.Int32 (as `gqlgen init` writes it), with complexity.DirectivesSDL
// declared without skip_runtime, and one directive of the application.
type rootInt32 struct {
	Auth       func(ctx context.Context, obj any, next graphql.Resolver, requires []string, scopes []string) (res any, err error)
	Constraint func(ctx context.Context, obj any, next graphql.Resolver, minLength *int32, maxLength *int32, pattern *string, format *string, min *float64, max *float64) (res any, err error)
	Cost       func(ctx context.Context, obj any, next graphql.Resolver, weight string) (res any, err error)
	ListSize   func(ctx context.Context, obj any, next graphql.Resolver, assumedSize *int32, slicingArguments []string, sizedFields []string, requireOneSlicingArgument *bool) (res any, err error)
	Owner      func(ctx context.Context, obj any, next graphql.Resolver, lookup *string, arg string) (res any, err error)
	Public     func(ctx context.Context, obj any, next graphql.Resolver) (res any, err error)
	RateLimit  func(ctx context.Context, obj any, next graphql.Resolver, limit int32, window string, by *string) (res any, err error)
	Sanitize   func(ctx context.Context, obj any, next graphql.Resolver, policy string) (res any, err error)
	StepUp     func(ctx context.Context, obj any, next graphql.Resolver, maxAge *string) (res any, err error)
	HasRole    func(ctx context.Context, obj any, next graphql.Resolver, role string) (res any, err error)
}

// The same with Int mapped to graphql.Int64.
type rootInt64 struct {
	Constraint func(ctx context.Context, obj any, next graphql.Resolver, minLength *int64, maxLength *int64, pattern *string, format *string, min *float64, max *float64) (res any, err error)
	RateLimit  func(ctx context.Context, obj any, next graphql.Resolver, limit int64, window string, by *string) (res any, err error)
}

// installed returns directives validated against the test graph, so that
// they enforce rather than refuse with ErrNotInstalled.
func installed(t *testing.T) *directives.Directives {
	t.Helper()
	l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := directives.New(directives.Options{
		Limiter:        l,
		Lookups:        map[string]directives.LookupFunc{"Post": func(context.Context, string) (string, error) { return "", directives.ErrNotFound }},
		FormatsContext: map[string]directives.FormatContextFunc{"PUBLIC_URL": fakePublicURL},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Validate(testgraph.NewExecutableSchema(testgraph.Config{})); err != nil {
		t.Fatal(err)
	}
	return d
}

func value(v any) graphql.Resolver {
	return func(context.Context) (any, error) { return v, nil }
}

func codeOf(err error) string {
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		c, _ := ge.Extensions["code"].(string)
		return c
	}
	return ""
}

func TestBindInt32(t *testing.T) {
	t.Parallel()
	d := installed(t)
	mine := func(ctx context.Context, _ any, next graphql.Resolver, _ string) (any, error) { return next(ctx) }
	root := rootInt32{HasRole: mine}
	if err := d.Bind(&root); err != nil {
		t.Fatal(err)
	}
	if root.Auth == nil || root.Owner == nil || root.Public == nil || root.RateLimit == nil || root.Sanitize == nil || root.StepUp == nil {
		t.Fatalf("Bind left a Rampart directive unset: %+v", root)
	}
	if root.HasRole == nil {
		t.Fatal("Bind cleared the application's own directive")
	}
	ctx := context.Background()
	max := int32(3)
	if v, err := root.Constraint(ctx, nil, value("abc"), nil, &max, nil, nil, nil, nil); err != nil || v != "abc" {
		t.Fatalf("benign value: %v, %v", v, err)
	}
	_, err := root.Constraint(ctx, nil, value("abcd"), nil, &max, nil, nil, nil, nil)
	if !errors.Is(err, directives.ErrInvalidInput) || codeOf(err) != rampart.CodeBadUserInput {
		t.Fatalf("4 characters with maxLength 3 (int32): %v", err)
	}
	min := int32(2)
	if _, err := root.Constraint(ctx, nil, value("a"), &min, nil, nil, nil, nil, nil); !errors.Is(err, directives.ErrInvalidInput) {
		t.Fatalf("1 character with minLength 2 (int32): %v", err)
	}
	// @cost and @listSize only annotate: the resolver's value and error go through.
	if v, err := root.Cost(ctx, nil, value("r"), "10"); err != nil || v != "r" {
		t.Fatalf("Cost: %v, %v", v, err)
	}
	boom := errors.New("boom")
	if v, err := root.ListSize(ctx, nil, func(context.Context) (any, error) { return nil, boom }, nil, nil, nil, nil); v != nil || err != boom {
		t.Fatalf("ListSize: %v, %v", v, err)
	}
}

func TestBindInt64(t *testing.T) {
	t.Parallel()
	d := installed(t)
	var root rootInt64
	if err := d.Bind(&root); err != nil {
		t.Fatal(err)
	}
	max := int64(3)
	if _, err := root.Constraint(context.Background(), nil, value("abc"), nil, &max, nil, nil, nil, nil); err != nil {
		t.Fatalf("benign value: %v", err)
	}
	if _, err := root.Constraint(context.Background(), nil, value("abcd"), nil, &max, nil, nil, nil, nil); !errors.Is(err, directives.ErrInvalidInput) {
		t.Fatalf("4 characters with maxLength 3 (int64): %v", err)
	}
}

func TestBindInt(t *testing.T) {
	t.Parallel()
	d := installed(t)
	var root testgraph.DirectiveRoot
	if err := d.Bind(&root); err != nil {
		t.Fatal(err)
	}
	max := 3
	if _, err := root.Constraint(context.Background(), nil, value("abcd"), nil, &max, nil, nil, nil, nil); !errors.Is(err, directives.ErrInvalidInput) {
		t.Fatalf("4 characters with maxLength 3 (int): %v", err)
	}
}

func TestBindRefusesWhatItCannotWire(t *testing.T) {
	t.Parallel()
	d := installed(t)
	type wrongConstraint struct {
		Auth       func(ctx context.Context, obj any, next graphql.Resolver, requires []string, scopes []string) (any, error)
		Constraint func(ctx context.Context, obj any, next graphql.Resolver, maxLength *int32) (any, error)
	}
	type badCost struct {
		Auth func(ctx context.Context, obj any, next graphql.Resolver, requires []string, scopes []string) (any, error)
		Cost func(string) error
	}
	type noRampart struct {
		HasRole func(ctx context.Context, obj any, next graphql.Resolver, role string) (any, error)
	}
	var (
		wc wrongConstraint
		bc badCost
		nr noRampart
		s  rootInt32
	)
	for name, tc := range map[string]struct {
		root any
		want string
	}{
		"a directive declared differently": {&wc, "DirectiveRoot.Constraint"},
		"Cost not a directive function":    {&bc, "DirectiveRoot.Cost"},
		"no Rampart directive":             {&nr, "none of the fields"},
		"not a pointer":                    {s, "pointer"},
		"nil":                              {nil, "pointer"},
		"nil pointer":                      {(*rootInt32)(nil), "pointer"},
		"pointer to a non-struct":          {new(int), "pointer"},
	} {
		err := d.Bind(tc.root)
		if !errors.Is(err, rampart.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrConfig mentioning %q", name, err, tc.want)
		}
	}
	if wc.Auth != nil || bc.Auth != nil {
		t.Error("a failed Bind changed root")
	}
}
