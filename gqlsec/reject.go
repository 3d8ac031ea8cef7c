package gqlsec

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/reqctx"
	"github.com/rampart-go/rampart/telemetry"
)

// Stable codes found in extensions.code of every error Rampart returns.
const (
	CodeDepthLimit          = "DEPTH_LIMIT_EXCEEDED"
	CodeAliasLimit          = "ALIAS_LIMIT_EXCEEDED"
	CodeRootFieldLimit      = "ROOT_FIELD_LIMIT_EXCEEDED"
	CodeFieldLimit          = "FIELD_LIMIT_EXCEEDED"
	CodeDirectiveLimit      = "DIRECTIVE_LIMIT_EXCEEDED"
	CodeTokenLimit          = "TOKEN_LIMIT_EXCEEDED"
	CodeDocumentSize        = "DOCUMENT_TOO_LARGE"
	CodeCostLimit           = "COST_LIMIT_EXCEEDED"
	CodeThrottled           = "THROTTLED"
	CodeIntrospection       = "INTROSPECTION_DISABLED"
	CodePersistedNotFound   = "PERSISTED_QUERY_NOT_FOUND"
	CodePersistedRequired   = "PERSISTED_QUERY_REQUIRED"
	CodePersistedMismatch   = "PERSISTED_QUERY_HASH_MISMATCH"
	CodeBatchingUnsupported = "BATCHING_NOT_SUPPORTED"
	CodeBatchLimit          = "BATCH_LIMIT_EXCEEDED"
	CodeBadRequest          = "BAD_REQUEST"
)

// Sentinel errors returned at startup by Validate, Install and the
// constructors. Test with errors.Is.
var (
	// ErrManifest means a trusted-documents manifest is malformed or a hash
	// does not match its document.
	ErrManifest = errors.New("gqlsec: invalid trusted-documents manifest")
	// ErrPanic wraps a value recovered from a panicking resolver.
	ErrPanic = errors.New("gqlsec: panic in resolver")
)

// statusFor is the HTTP status of a rejection with code, as written by
// Middleware (gqlgen alone answers 200 for all of them).
func statusFor(code string) int {
	switch code {
	case CodeIntrospection:
		return http.StatusForbidden
	case CodeThrottled:
		return http.StatusTooManyRequests
	default:
		return http.StatusBadRequest
	}
}

// rejection describes one refused operation.
type rejection struct {
	code       string
	message    string // safe for every caller
	detail     string // message with figures, for callers allowed to know
	limit      int64
	observed   int64
	hasFigures bool
	retryAfter time.Duration
	extra      map[string]any
}

// auditor writes rejection records, counts them, and builds the client
// error.
type auditor struct {
	logger  *slog.Logger
	conceal func(*auth.Principal) bool
	// ins counts the rejection under guard; mode Measure turns the
	// rejection into a record and a nil error (the operation goes on).
	ins   *telemetry.Instruments
	guard string
	mode  rampart.Mode
}

// reject records r and returns the client error, or, when the auditor's
// mode is rampart.Measure, records it as measured (metric outcome
// "measured", one INFO log line with the request id) and returns nil.
func (a auditor) reject(ctx context.Context, operationName string, r rejection) *gqlerror.Error {
	a.ins.Reject(ctx, a.guard, r.code, a.mode)
	p, _ := auth.PrincipalFrom(ctx)
	if a.mode == rampart.Measure {
		if a.logger != nil {
			attrs := []slog.Attr{
				slog.String("code", r.code),
				slog.String("guard", a.guard),
				slog.String("subject", subject(p)),
				slog.String("operation", operationName),
				slog.String("request_id", reqctx.RequestID(ctx)),
			}
			if r.hasFigures {
				attrs = append(attrs, slog.Int64("limit", r.limit), slog.Int64("observed", r.observed))
			}
			a.logger.LogAttrs(ctx, slog.LevelInfo, "graphql operation would be rejected (measure mode)", attrs...)
		}
		return nil
	}
	show := r.hasFigures && (a.conceal == nil || !a.conceal(p))
	ext := map[string]any{"code": r.code}
	msg := r.message
	if show {
		msg = r.detail
		ext["limit"] = r.limit
		ext["observed"] = r.observed
	}
	for k, v := range r.extra {
		ext[k] = v
	}
	if r.retryAfter > 0 {
		ext["retryAfter"] = int64((r.retryAfter + time.Second - 1) / time.Second)
	}
	if h := holderFrom(ctx); h != nil {
		h.set(statusFor(r.code), r.retryAfter)
	}
	if a.logger != nil {
		attrs := []slog.Attr{
			slog.String("code", r.code),
			slog.String("subject", subject(p)),
			slog.String("operation", operationName),
			slog.String("request_id", reqctx.RequestID(ctx)),
		}
		if ip, ok := reqctx.ClientIP(ctx); ok {
			attrs = append(attrs, slog.String("client_ip", ip.String()))
		}
		if r.hasFigures {
			attrs = append(attrs, slog.Int64("limit", r.limit), slog.Int64("observed", r.observed))
		}
		a.logger.LogAttrs(ctx, slog.LevelWarn, "graphql operation rejected", attrs...)
	}
	return &gqlerror.Error{Message: msg, Extensions: ext}
}

func subject(p *auth.Principal) string {
	if p.Anonymous() {
		return "anonymous"
	}
	return p.Subject
}

func principal(ctx context.Context) *auth.Principal {
	p, _ := auth.PrincipalFrom(ctx)
	return p
}
