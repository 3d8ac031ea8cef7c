package gqlsec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/reqctx"
)

// InternalMessage is the message clients get for any error not meant for
// them.
const InternalMessage = "internal error"

// PublicError is an error whose message and code are meant for the client.
// Return it (or wrap it) from a resolver; MaskErrors passes it through.
type PublicError struct {
	// Code goes to extensions.code; use SCREAMING_SNAKE_CASE.
	Code string
	// Message is shown to the client as is.
	Message string
}

// Error implements error.
func (e *PublicError) Error() string { return e.Message }

// Public returns a *PublicError.
func Public(code, message string) error { return &PublicError{Code: code, Message: message} }

// logged marks an error Recover has already logged.
type logged struct{ err error }

func (l *logged) Error() string { return l.err.Error() }
func (l *logged) Unwrap() error { return l.err }

// MaskErrors returns an error presenter that keeps internal detail away
// from clients. An error passes through unchanged (message, path,
// locations, extensions) when it is meant for the client: a *PublicError,
// or a *gqlerror.Error carrying an extensions.code (gqlgen's parse and
// validation errors, Rampart's rejections, errors your resolvers tag with
// a code). Anything else — plain errors, wrapped driver errors, panics —
// reaches the client as
//
//	{"message":"internal error","path":[…],"extensions":{"code":"INTERNAL_SERVER_ERROR","requestId":"…"}}
//
// and is logged in full with the same request id (reqctx.RequestID).
// No stack trace or file path is ever sent. A nil logger discards the
// records.
func MaskErrors(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if err == nil {
			return nil
		}
		path := graphql.GetPath(ctx)
		var pub *PublicError
		if errors.As(err, &pub) {
			return &gqlerror.Error{Message: pub.Message, Path: path, Extensions: map[string]any{"code": pub.Code}}
		}
		var gqlErr *gqlerror.Error
		var already *logged
		if errors.As(err, &gqlErr) && !errors.As(err, &already) {
			if code, _ := gqlErr.Extensions["code"].(string); code != "" {
				if gqlErr.Path == nil && path != nil {
					c := *gqlErr
					c.Path = path
					return &c
				}
				return gqlErr
			}
		}
		if gqlErr != nil && gqlErr.Path == nil {
			if pub := transportError(gqlErr.Message); pub != nil {
				// gqlgen's transports quote the request body in these
				// messages: never log or echo them.
				if logger != nil {
					logger.LogAttrs(ctx, slog.LevelDebug, "graphql request refused",
						slog.String("code", pub.Code),
						slog.String("request_id", reqctx.RequestID(ctx)))
				}
				return &gqlerror.Error{Message: pub.Message, Locations: gqlErr.Locations, Extensions: map[string]any{"code": pub.Code}}
			}
		}
		id := reqctx.RequestID(ctx)
		if logger != nil && !errors.As(err, &already) {
			logger.LogAttrs(ctx, slog.LevelError, "graphql internal error",
				slog.String("error", err.Error()),
				slog.String("path", path.String()),
				slog.String("request_id", id))
		}
		out := &gqlerror.Error{Message: InternalMessage, Path: path, Extensions: map[string]any{"code": rampart.CodeInternal}}
		if gqlErr != nil {
			out.Locations = gqlErr.Locations
			if out.Path == nil {
				out.Path = gqlErr.Path
			}
		}
		if id != "" {
			out.Extensions["requestId"] = id
		}
		return out
	}
}

// transportError recognizes the errors gqlgen's HTTP transports report
// for a body they cannot read or decode: client mistakes whose messages
// quote the body (passwords included). It returns the public error to
// send instead, or nil.
func transportError(msg string) *PublicError {
	for _, p := range [...]string{"json request body could not be decoded", "json body could not be decoded"} {
		if strings.HasPrefix(msg, p) {
			return &PublicError{Code: CodeInvalidJSON, Message: "request body is not valid JSON"}
		}
	}
	for _, p := range [...]string{"could not read request body", "could not get json request body", "could not get form body", "could not get request body", "could not cleanup body", "unable to get Request Body"} {
		if strings.HasPrefix(msg, p) {
			return &PublicError{Code: CodeBadRequest, Message: "request body could not be read"}
		}
	}
	return nil
}

// Recover returns a gqlgen recover func that logs a resolver panic with its
// stack (server side only) and returns an error wrapping ErrPanic, which
// MaskErrors turns into the generic internal error. A nil logger discards
// the record.
func Recover(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		err := fmt.Errorf("%w: %v", ErrPanic, p)
		if logger != nil {
			logger.LogAttrs(ctx, slog.LevelError, "graphql resolver panic",
				slog.String("error", err.Error()),
				slog.String("path", graphql.GetPath(ctx).String()),
				slog.String("request_id", reqctx.RequestID(ctx)),
				slog.String("stack", string(debug.Stack())))
		}
		return &logged{err: err}
	}
}
