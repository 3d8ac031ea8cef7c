package httpsec

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/reqctx"
)

// Auditor writes one structured record per rejected request, for security
// monitoring. A nil *Auditor, or one built from a nil logger, records
// nothing. It is safe for concurrent use and is shared by every Rampart
// package that rejects requests (httpsec, gqlsec, wssec).
//
// A record holds only facts the server established itself: the code, the
// status, the caller's subject, the resolved client IP, the request id, the
// method, the URL path (no query string) and an optional GraphQL operation
// name and server-written detail. It never holds a header value, a token,
// a password, a query string or a body.
type Auditor struct {
	log *slog.Logger
}

// NewAuditor returns an Auditor that writes to log at level Warn. A nil log
// discards every record.
func NewAuditor(log *slog.Logger) *Auditor {
	return &Auditor{log: log}
}

// RejectEvent describes one rejection. Subject, client IP and request id are
// read from the context by Reject; callers set only what they know.
type RejectEvent struct {
	// Code is the stable error code, such as CodeCSRFRejected.
	Code string
	// Status is the HTTP status sent, or the WebSocket close code.
	Status int
	// Method and Path identify the endpoint. Path must not include the
	// query string; RejectRequest fills both from r.URL.Path.
	Method, Path string
	// Operation is the GraphQL operation name, when the caller parsed one.
	Operation string
	// Detail is a short server-written explanation such as
	// "limit=1048576". Never put request content here.
	Detail string
}

// maxAuditPath bounds how much of an attacker-chosen path reaches the log.
const maxAuditPath = 256

// Reject records ev, adding the caller's subject (auth.PrincipalFrom), the
// client IP (reqctx.ClientIP) and the request id (reqctx.RequestID) found in ctx.
func (a *Auditor) Reject(ctx context.Context, ev RejectEvent) {
	if a == nil || a.log == nil {
		return
	}
	if !a.log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	subject := ""
	if p, ok := auth.PrincipalFrom(ctx); ok {
		subject = p.Subject
	}
	ip := ""
	if addr, ok := reqctx.ClientIP(ctx); ok {
		ip = addr.String()
	}
	path := ev.Path
	if len(path) > maxAuditPath {
		path = path[:maxAuditPath]
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("event", "reject"),
		slog.String("code", ev.Code),
		slog.Int("status", ev.Status),
		slog.String("subject", subject),
		slog.String("client_ip", ip),
		slog.String("request_id", reqctx.RequestID(ctx)),
		slog.String("method", ev.Method),
		slog.String("path", path),
	)
	if ev.Operation != "" {
		attrs = append(attrs, slog.String("operation", ev.Operation))
	}
	if ev.Detail != "" {
		attrs = append(attrs, slog.String("detail", ev.Detail))
	}
	a.log.LogAttrs(ctx, slog.LevelWarn, "request rejected", attrs...)
}

// RejectRequest is Reject with Method and Path taken from r.
func (a *Auditor) RejectRequest(r *http.Request, code string, status int, detail string) {
	if a == nil || a.log == nil {
		return
	}
	a.Reject(r.Context(), RejectEvent{
		Code: code, Status: status, Method: r.Method, Path: r.URL.Path, Detail: detail,
	})
}
