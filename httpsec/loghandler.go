package httpsec

import (
	"context"
	"log/slog"

	"github.com/rampart-go/rampart/reqctx"
)

// Attribute keys added by LogHandler and written by Auditor.
const (
	LogKeyRequestID = "request_id"
	LogKeyClientIP  = "client_ip"
)

// LogHandler wraps h so that every record logged with a context
// (slog.InfoContext, Logger.LogAttrs, …) carries the request id and client
// IP stored in that context by the RequestID and ClientIP middleware. A
// record that already has the attribute is left alone, so the Auditor's
// records are not doubled. A nil h discards everything.
func LogHandler(h slog.Handler) slog.Handler {
	if h == nil {
		h = slog.DiscardHandler
	}
	return &ctxHandler{next: h}
}

type ctxHandler struct {
	next slog.Handler
	// hasID / hasIP: the attribute was already bound with WithAttrs at
	// the top level.
	hasID, hasIP bool
	grouped      bool
}

var _ slog.Handler = (*ctxHandler)(nil)

func (h *ctxHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	id := ""
	if !h.hasID {
		id = reqctx.RequestID(ctx)
	}
	ip, ipOK := reqctx.ClientIP(ctx)
	ipOK = ipOK && !h.hasIP
	if id == "" && !ipOK {
		return h.next.Handle(ctx, r)
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case LogKeyRequestID:
			id = ""
		case LogKeyClientIP:
			ipOK = false
		}
		return id != "" || ipOK
	})
	if id == "" && !ipOK {
		return h.next.Handle(ctx, r)
	}
	r = r.Clone()
	if id != "" {
		r.AddAttrs(slog.String(LogKeyRequestID, id))
	}
	if ipOK {
		r.AddAttrs(slog.String(LogKeyClientIP, ip.String()))
	}
	return h.next.Handle(ctx, r)
}

func (h *ctxHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	if !h.grouped {
		for _, a := range attrs {
			switch a.Key {
			case LogKeyRequestID:
				c.hasID = true
			case LogKeyClientIP:
				c.hasIP = true
			}
		}
	}
	return &c
}

func (h *ctxHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.next = h.next.WithGroup(name)
	c.grouped = true
	return &c
}
