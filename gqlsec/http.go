package gqlsec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
)

// DefaultMaxBatchBytes bounds the body Middleware reads when batching is
// enabled.
const DefaultMaxBatchBytes = 1 << 20

// HTTPOptions configures Middleware.
type HTTPOptions struct {
	// MaxBatch is the number of operations a JSON-array (batched) request
	// may carry. Zero, the default, refuses every batch with HTTP 400 and
	// code BATCHING_NOT_SUPPORTED; a positive value enables batching and
	// refuses larger batches with code BATCH_LIMIT_EXCEEDED. Each operation
	// of a batch goes through every extension on its own.
	MaxBatch int
	// MaxBatchBytes bounds the body read when batching is enabled. Zero
	// means DefaultMaxBatchBytes (1 MiB). Put httpsec.BodyLimit in front of
	// the handler in any case.
	MaxBatchBytes int64
}

// Middleware returns HTTP middleware to wrap a gqlgen handler.Server with:
//
//   - It gives Rampart's rejections their HTTP status. gqlgen answers 200
//     for any error an extension returns (its status depends on error
//     kinds registered in a package-wide map, which Rampart leaves alone),
//     so the extensions record the status in the request context and
//     Middleware writes it: 400 for limits and trusted documents, 403 for
//     INTROSPECTION_DISABLED, 429 with Retry-After for THROTTLED. Without
//     Middleware the same errors arrive with gqlgen's status.
//   - It refuses JSON-array batches (a JSON array as the POST body) with
//     400 and BATCHING_NOT_SUPPORTED unless MaxBatch enables them.
//
// WebSocket upgrades pass through untouched.
func Middleware(opts HTTPOptions) (func(http.Handler) http.Handler, error) {
	if opts.MaxBatch < 0 || opts.MaxBatchBytes < 0 {
		return nil, fmt.Errorf("%w: gqlsec: HTTPOptions.MaxBatch and MaxBatchBytes must not be negative", rampart.ErrConfig)
	}
	if opts.MaxBatchBytes == 0 {
		opts.MaxBatchBytes = DefaultMaxBatchBytes
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				next.ServeHTTP(w, r)
				return
			}
			if r.Method == http.MethodPost && r.Body != nil {
				br := bufio.NewReader(r.Body)
				if first := firstByte(br); first == '[' {
					serveBatch(w, r, br, next, opts)
					return
				}
				r.Body = readCloser{br, r.Body}
			}
			serveOne(w, r, next)
		})
	}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// firstByte returns the first non-space byte of br without consuming it.
func firstByte(br *bufio.Reader) byte {
	for i := 1; i <= 512; i++ {
		b, _ := br.Peek(i)
		if len(b) < i {
			return 0
		}
		c := b[i-1]
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

func serveOne(w http.ResponseWriter, r *http.Request, next http.Handler) {
	h := &holder{}
	sw := &statusWriter{ResponseWriter: w, h: h}
	next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), holderKey{}, h)))
	sw.writeHeader()
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": code}}}})
	_, _ = w.Write(b)
}

func serveBatch(w http.ResponseWriter, r *http.Request, br *bufio.Reader, next http.Handler, opts HTTPOptions) {
	if opts.MaxBatch == 0 {
		writeError(w, http.StatusBadRequest, CodeBatchingUnsupported, "batched operations (a JSON array) are not supported; send one operation per request")
		return
	}
	body, err := io.ReadAll(io.LimitReader(br, opts.MaxBatchBytes+1))
	if err != nil || int64(len(body)) > opts.MaxBatchBytes {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "batch body too large or unreadable")
		return
	}
	// Count elements before decoding them all.
	var items []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "batch body is not a JSON array")
		return
	}
	for dec.More() {
		if len(items) == opts.MaxBatch {
			writeError(w, http.StatusBadRequest, CodeBatchLimit, "batch has more than "+strconv.Itoa(opts.MaxBatch)+" operations")
			return
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			writeError(w, http.StatusBadRequest, CodeBadRequest, "batch body is not a JSON array")
			return
		}
		items = append(items, raw)
	}
	var out bytes.Buffer
	out.WriteByte('[')
	for i, item := range items {
		if i > 0 {
			out.WriteByte(',')
		}
		sub := r.Clone(r.Context())
		sub.Body = io.NopCloser(bytes.NewReader(item))
		sub.ContentLength = int64(len(item))
		rec := &bufferWriter{header: http.Header{}}
		serveOne(rec, sub, next)
		if b := bytes.TrimSpace(rec.body.Bytes()); json.Valid(b) && len(b) > 0 {
			out.Write(b)
		} else {
			out.WriteString(`{"errors":[{"message":"invalid response","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
		}
	}
	out.WriteByte(']')
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
}

// bufferWriter collects one batched operation's response.
type bufferWriter struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferWriter) WriteHeader(code int)        { b.status = code }

type holderKey struct{}

func (holderKey) String() string { return "rampart/gqlsec.status" }

// holder carries the status a rejection asks for from the extensions back
// to Middleware.
type holder struct {
	mu         sync.Mutex
	status     int
	retryAfter time.Duration
}

func (h *holder) set(status int, retryAfter time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.status == 0 {
		h.status, h.retryAfter = status, retryAfter
	}
}

func holderFrom(ctx context.Context) *holder {
	h, _ := ctx.Value(holderKey{}).(*holder)
	return h
}

// statusWriter delays WriteHeader until the first Write, by which time the
// extensions have recorded any rejection.
type statusWriter struct {
	http.ResponseWriter
	h     *holder
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote && s.code == 0 {
		s.code = code
	}
}

func (s *statusWriter) writeHeader() {
	if s.wrote {
		return
	}
	s.wrote = true
	code := s.code
	if code == 0 {
		code = http.StatusOK
	}
	s.h.mu.Lock()
	if s.h.status != 0 {
		code = s.h.status
		if s.h.retryAfter > 0 {
			s.Header().Set("Retry-After", strconv.FormatInt(int64((s.h.retryAfter+time.Second-1)/time.Second), 10))
		}
	}
	s.h.mu.Unlock()
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.writeHeader()
	return s.ResponseWriter.Write(p)
}

// Flush implements http.Flusher for streaming transports.
func (s *statusWriter) Flush() {
	s.writeHeader()
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
