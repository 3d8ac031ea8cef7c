package directives

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/graphql"
)

// gqlgen generates the Int arguments of @constraint (minLength, maxLength)
// and @rateLimit (limit) with the Go type gqlgen.yml maps Int to:
// graphql.Int (int) gives the signatures of Constraint and RateLimit,
// graphql.Int32 (int32, what `gqlgen init` writes) those of Constraint32
// and RateLimit32, graphql.Int64 (int64) those of Constraint64 and
// RateLimit64. Bind picks the right one by itself.

// Constraint32 is Constraint for a schema whose gqlgen.yml maps Int to
// graphql.Int32, the mapping `gqlgen init` writes.
func (d *Directives) Constraint32(ctx context.Context, obj any, next graphql.Resolver, minLength *int32, maxLength *int32, pattern *string, format *string, min *float64, max *float64) (any, error) {
	return d.Constraint(ctx, obj, next, widen(minLength), widen(maxLength), pattern, format, min, max)
}

// Constraint64 is Constraint for a schema whose gqlgen.yml maps Int to
// graphql.Int64.
func (d *Directives) Constraint64(ctx context.Context, obj any, next graphql.Resolver, minLength *int64, maxLength *int64, pattern *string, format *string, min *float64, max *float64) (any, error) {
	return d.Constraint(ctx, obj, next, widen(minLength), widen(maxLength), pattern, format, min, max)
}

// RateLimit32 is RateLimit for a schema whose gqlgen.yml maps Int to
// graphql.Int32, the mapping `gqlgen init` writes.
func (d *Directives) RateLimit32(ctx context.Context, obj any, next graphql.Resolver, limit int32, window string, by *string) (any, error) {
	return d.RateLimit(ctx, obj, next, int(limit), window, by)
}

// RateLimit64 is RateLimit for a schema whose gqlgen.yml maps Int to
// graphql.Int64.
func (d *Directives) RateLimit64(ctx context.Context, obj any, next graphql.Resolver, limit int64, window string, by *string) (any, error) {
	return d.RateLimit(ctx, obj, next, clampInt(limit), window, by)
}

// widen converts a length limit to the int Constraint takes. The values
// come from the schema (GraphQL's Int is 32-bit), so nothing is lost.
func widen[T int32 | int64](p *T) *int {
	if p == nil {
		return nil
	}
	v := clampInt(int64(*p))
	return &v
}

// clampInt converts v to int, saturating where int is 32 bits wide.
func clampInt(v int64) int {
	switch {
	case v > math.MaxInt:
		return math.MaxInt
	case v < math.MinInt:
		return math.MinInt
	}
	return int(v)
}
