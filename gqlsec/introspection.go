package gqlsec

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/telemetry"
)

// Introspection is a gqlgen extension that lets only some callers
// introspect the schema. Use it instead of gqlgen's extension.Introspection
// (which turns introspection on for everyone). For callers Allow accepts it
// enables introspection for that request (opCtx.DisableIntrospection =
// false); for everyone else an operation selecting __schema or __type is
// refused with INTROSPECTION_DISABLED (HTTP 403 through Middleware) before
// any resolver runs. __typename is always allowed.
//
// The same Allow decides who sees validation "Did you mean …?"
// suggestions, which leak field names: see SuggestionsFor.
type Introspection struct {
	// Allow reports whether a caller (nil for anonymous) may introspect.
	// Nil allows nobody. AllowRoles("ADMIN") is the usual choice.
	Allow func(*auth.Principal) bool
	// Logger receives one audit record per rejection. Nil discards them.
	Logger *slog.Logger
	// Mode: the zero value rampart.Enforce refuses; rampart.Measure lets
	// every caller introspect but counts and logs (with the request id)
	// what would have been refused; rampart.Off lets every caller
	// introspect and records nothing.
	Mode rampart.Mode
	// Telemetry counts rejections (guard telemetry.GuardIntrospection) and
	// opens a span per evaluation. Nil records nothing.
	Telemetry *telemetry.Instruments
}

// introspectionSeenKey marks an operation whose introspection the
// pre-validation check already recorded, so that the post-validation
// check does not count it twice in measure mode.
const introspectionSeenKey = "RampartIntrospectionSeen"

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = (*Introspection)(nil)

// AllowRoles returns an Allow func accepting callers that hold any of roles.
func AllowRoles(roles ...string) func(*auth.Principal) bool {
	roles = append([]string(nil), roles...)
	return func(p *auth.Principal) bool { return p.HasAnyRole(roles...) }
}

// ExtensionName implements graphql.HandlerExtension.
func (i *Introspection) ExtensionName() string { return "RampartIntrospection" }

// Validate implements graphql.HandlerExtension.
func (i *Introspection) Validate(graphql.ExecutableSchema) error {
	if !i.Mode.Valid() {
		return fmt.Errorf("%w: gqlsec: Introspection.Mode = %v", rampart.ErrConfig, i.Mode)
	}
	return nil
}

func (i *Introspection) allowed(ctx context.Context) bool {
	return i.Mode == rampart.Off || (i.Allow != nil && i.Allow(principal(ctx)))
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
// When OperationLimits or CostLimit ran before it (as Install arranges)
// their parse is reused to refuse introspection before validation;
// otherwise MutateOperationContext refuses it after validation.
func (i *Introspection) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if !graphql.HasOperationContext(ctx) || i.allowed(ctx) {
		return nil
	}
	stats := &graphql.GetOperationContext(ctx).Stats
	if seen, _ := stats.GetExtension(introspectionSeenKey).(bool); seen {
		return nil // recorded by the pre-scan (measure mode)
	}
	an, ok := stats.GetExtension(analysisKey).(*analysis)
	if ok && an.doc != nil && an.report.IntrospectionFields > 0 {
		ctx, span := i.Telemetry.Start(ctx, telemetry.GuardIntrospection)
		defer span.End()
		stats.SetExtension(introspectionSeenKey, true)
		return i.reject(ctx, params.OperationName)
	}
	return nil
}

// early is the check OperationLimits makes when its pre-scan finds
// introspection fields in a first-seen document: the caller who may not
// introspect is refused before the document is parsed.
func (i *Introspection) early(ctx context.Context, op string) *gqlerror.Error {
	if !graphql.HasOperationContext(ctx) || i.allowed(ctx) {
		return nil
	}
	ctx, span := i.Telemetry.Start(ctx, telemetry.GuardIntrospection)
	defer span.End()
	graphql.GetOperationContext(ctx).Stats.SetExtension(introspectionSeenKey, true)
	return i.reject(ctx, op)
}

func (i *Introspection) reject(ctx context.Context, op string) *gqlerror.Error {
	aud := auditor{logger: i.Logger, ins: i.Telemetry, guard: telemetry.GuardIntrospection, mode: i.Mode}
	return aud.reject(ctx, op, rejection{code: CodeIntrospection, message: "introspection is disabled"})
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (i *Introspection) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if i.allowed(ctx) {
		opCtx.DisableIntrospection = false
		return nil
	}
	opCtx.DisableIntrospection = i.Mode != rampart.Measure
	if seen, _ := opCtx.Stats.GetExtension(introspectionSeenKey).(bool); seen {
		return nil // recorded before validation (measure mode)
	}
	if opCtx.Operation != nil && selectsIntrospection(opCtx.Doc, opCtx.Operation.SelectionSet, map[string]bool{}) {
		return i.reject(ctx, opCtx.OperationName)
	}
	return nil
}

// selectsIntrospection reports whether a root selection set selects
// __schema or __type, looking through fragments (validation guarantees
// they can only appear at the root).
func selectsIntrospection(doc *ast.QueryDocument, ss ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range ss {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name == "__schema" || sel.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if selectsIntrospection(doc, sel.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if seen[sel.Name] || doc == nil {
				continue
			}
			seen[sel.Name] = true
			if f := doc.Fragments.ForName(sel.Name); f != nil && selectsIntrospection(doc, f.SelectionSet, seen) {
				return true
			}
		}
	}
	return false
}

// SuggestionsFor wraps an error presenter so that callers allow rejects get
// validation errors without "Did you mean …?" suggestions (which reveal
// field, argument, type and enum names). gqlgen's own switch
// (SetDisableSuggestion) is server-wide; this one is per caller. Nil allow
// withholds suggestions from everyone; a nil next means
// graphql.DefaultErrorPresenter.
func SuggestionsFor(allow func(*auth.Principal) bool, next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	return suggestions(func(ctx context.Context) bool { return allow != nil && allow(principal(ctx)) }, next)
}

// suggestions is SuggestionsFor with allow deciding from the context (the
// operation's pinned configuration, see Reloader).
func suggestions(allow func(context.Context) bool, next graphql.ErrorPresenterFunc) graphql.ErrorPresenterFunc {
	if next == nil {
		next = graphql.DefaultErrorPresenter
	}
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := next(ctx, err)
		if out == nil || allow(ctx) {
			return out
		}
		if out.Rule == "" && out.Extensions["code"] != errcode.ValidationFailed {
			return out
		}
		if i := strings.Index(out.Message, " Did you mean "); i >= 0 {
			c := *out
			c.Message = out.Message[:i]
			return &c
		}
		return out
	}
}
