package main

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/reqctx"
	"github.com/rampart-go/rampart/wssec"
)

// The admin console reads rejections through rejectionFeed, a small
// in-process seam: today rejectionLog fills it from the audit records the
// guards already write through slog (auditTap); a deployment with metrics
// can feed the counts from its counters instead, without touching the page.
type rejectionFeed interface {
	// Rejections returns the counts per guard and code over the feed's
	// window and the latest events, newest first.
	Rejections() rejectionSnapshot
	// Changed returns a channel closed at the next recorded rejection.
	Changed() <-chan struct{}
}

// rejectionEvent is what the console keeps of one rejection: the facts the
// server established, never a body, a header, a token or a query string.
// Operation is the GraphQL operation name the client sent (attacker-chosen
// text: the page inserts it with textContent only), cut to maxEventField.
type rejectionEvent struct {
	Time      time.Time `json:"time"`
	Guard     string    `json:"guard"`
	Code      string    `json:"code"`
	RequestID string    `json:"requestId"`
	Subject   string    `json:"subject"`
	Operation string    `json:"operation,omitempty"`
}

// rejectionCount is the number of rejections of one guard and code in the
// last minute and over the whole window.
type rejectionCount struct {
	Guard      string `json:"guard"`
	Code       string `json:"code"`
	LastMinute int    `json:"lastMinute"`
	Window     int    `json:"window"`
}

// rejectionSnapshot is what the console shows of the rejections.
type rejectionSnapshot struct {
	WindowMinutes int              `json:"windowMinutes"`
	Counts        []rejectionCount `json:"counts"`
	Latest        []rejectionEvent `json:"latest"`
}

// Sizes of the rejection log: counts per minute for the last
// rejectionWindow minutes, the latest rejectionRing events.
const (
	rejectionWindow = 10
	rejectionRing   = 50
	maxEventField   = 128
)

// rejectionLog counts rejections per guard and code in per-minute buckets
// and keeps the latest events in a ring. It is safe for concurrent use.
type rejectionLog struct {
	now     func() time.Time
	mu      sync.Mutex
	ring    []rejectionEvent // oldest first once full; next is the write slot
	next    int
	minutes [rejectionWindow]minuteBucket
	changed chan struct{}
}

// minuteBucket holds the counts of one minute (Unix minute number).
type minuteBucket struct {
	minute int64
	counts map[[2]string]int
}

func newRejectionLog(now func() time.Time) *rejectionLog {
	if now == nil {
		now = time.Now
	}
	return &rejectionLog{now: now, ring: make([]rejectionEvent, 0, rejectionRing), changed: make(chan struct{})}
}

// record adds ev (its Time set here) and wakes the live consoles.
func (l *rejectionLog) record(ev rejectionEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ev.Time = l.now().UTC()
	if len(l.ring) < rejectionRing {
		l.ring = append(l.ring, ev)
	} else {
		l.ring[l.next] = ev
		l.next = (l.next + 1) % rejectionRing
	}
	m := ev.Time.Unix() / 60
	b := &l.minutes[m%rejectionWindow]
	if b.minute != m || b.counts == nil {
		*b = minuteBucket{minute: m, counts: map[[2]string]int{}}
	}
	b.counts[[2]string{ev.Guard, ev.Code}]++
	close(l.changed)
	l.changed = make(chan struct{})
}

// Changed implements rejectionFeed.
func (l *rejectionLog) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// Rejections implements rejectionFeed.
func (l *rejectionLog) Rejections() rejectionSnapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now().Unix() / 60
	counts := map[[2]string]*rejectionCount{}
	for _, b := range l.minutes {
		if b.counts == nil || now-b.minute >= rejectionWindow || b.minute > now {
			continue
		}
		for k, n := range b.counts {
			c := counts[k]
			if c == nil {
				c = &rejectionCount{Guard: k[0], Code: k[1]}
				counts[k] = c
			}
			c.Window += n
			if b.minute == now {
				c.LastMinute += n
			}
		}
	}
	out := rejectionSnapshot{WindowMinutes: rejectionWindow, Counts: make([]rejectionCount, 0, len(counts)), Latest: make([]rejectionEvent, 0, len(l.ring))}
	for _, c := range counts {
		out.Counts = append(out.Counts, *c)
	}
	sort.Slice(out.Counts, func(i, j int) bool {
		a, b := out.Counts[i], out.Counts[j]
		if a.Guard != b.Guard {
			return a.Guard < b.Guard
		}
		return a.Code < b.Code
	})
	for i := range l.ring {
		// Newest first: the slot before next, backwards.
		out.Latest = append(out.Latest, l.ring[(l.next-1-i+2*len(l.ring))%len(l.ring)])
	}
	return out
}

// Messages of the audit records auditTap reads, as the guards write them.
const (
	msgHTTPReject    = "request rejected"           // httpsec.Auditor
	msgGraphQLReject = "graphql operation rejected" // gqlsec
	msgAccessDenied  = "directives: access denied"  // directives
	msgOriginRefused = "wssec: origin refused"      // wssec
)

// guardOf names the guard behind a known code, or "" for other codes (the
// caller then names the layer that wrote the record).
func guardOf(code string) string {
	switch code {
	case gqlsec.CodeDepthLimit, gqlsec.CodeAliasLimit, gqlsec.CodeRootFieldLimit, gqlsec.CodeFieldLimit,
		gqlsec.CodeDirectiveLimit, gqlsec.CodeTokenLimit, gqlsec.CodeDocumentSize:
		return "operation limits"
	case gqlsec.CodeCostLimit:
		return "cost limit"
	case gqlsec.CodeThrottled:
		return "cost budget"
	case gqlsec.CodeIntrospection:
		return "introspection"
	case gqlsec.CodePersistedNotFound, gqlsec.CodePersistedRequired, gqlsec.CodePersistedMismatch:
		return "trusted documents"
	case gqlsec.CodeBatchingUnsupported, gqlsec.CodeBatchLimit, gqlsec.CodeBadRequest:
		return "request"
	case httpsec.CodeCSRFRejected:
		return "csrf"
	case httpsec.CodeCORSRejected:
		return "cors"
	case rampart.CodeRateLimited, rampart.CodeRateLimitUnavailable:
		return "rate limit"
	case rampart.CodeRequestTooLarge:
		return "body limit"
	case wssec.CodeOriginNotAllowed:
		return "websocket origin"
	}
	return ""
}

// auditTap is a slog.Handler that passes every record on to next and
// records the rejection records of the guards in log. Only the code, the
// guard, the request id, the subject and the operation name are kept.
type auditTap struct {
	next slog.Handler
	log  *rejectionLog
}

var _ slog.Handler = auditTap{}

// Enabled implements slog.Handler: Info and above are always seen, so that
// the tap counts rejections even when next is quieter.
func (h auditTap) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

// Handle implements slog.Handler.
func (h auditTap) Handle(ctx context.Context, r slog.Record) error {
	var layer string
	switch r.Message {
	case msgHTTPReject:
		layer = "http"
	case msgGraphQLReject:
		layer = "graphql"
	case msgAccessDenied:
		layer = "directives"
	case msgOriginRefused:
		layer = "websocket"
	}
	if layer != "" {
		ev := rejectionEvent{}
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "code":
				ev.Code = eventField(a.Value.String())
			case "subject":
				ev.Subject = eventField(a.Value.String())
			case "request_id":
				ev.RequestID = eventField(a.Value.String())
			case "operation":
				ev.Operation = eventField(a.Value.String())
			}
			return true
		})
		if layer == "websocket" {
			ev.Code = wssec.CodeOriginNotAllowed
		}
		if ev.RequestID == "" && ctx != nil {
			ev.RequestID = eventField(reqctx.RequestID(ctx))
		}
		if ev.Subject == "" {
			ev.Subject = "anonymous"
		}
		ev.Guard = guardOf(ev.Code)
		if ev.Guard == "" {
			ev.Guard = layer
		}
		h.log.record(ev)
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h auditTap) WithAttrs(attrs []slog.Attr) slog.Handler {
	return auditTap{next: h.next.WithAttrs(attrs), log: h.log}
}

// WithGroup implements slog.Handler.
func (h auditTap) WithGroup(name string) slog.Handler {
	return auditTap{next: h.next.WithGroup(name), log: h.log}
}

// eventField cuts s to maxEventField bytes of valid UTF-8.
func eventField(s string) string {
	if len(s) > maxEventField {
		s = s[:maxEventField]
	}
	return strings.ToValidUTF8(s, "")
}
