package gqlsec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/jsonerror"
)

// DefaultMaxBatchBytes bounds the body Middleware reads when batching is
// enabled.
const DefaultMaxBatchBytes = 1 << 20

// DefaultMaxBodyBytes bounds the JSON body Middleware reads and checks.
const DefaultMaxBodyBytes = 1 << 20

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
	// MaxBodyBytes bounds the JSON body Middleware reads to check it
	// (see CheckRequestBody); a larger body is refused with 413 and code
	// REQUEST_TOO_LARGE. Zero means DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
}

// Middleware returns HTTP middleware to wrap a gqlgen handler.Server with:
//
//   - It decodes requests strictly before gqlgen sees them (CheckRequestBody,
//     CheckRequestQuery): invalid JSON or UTF-8, repeated member names and
//     repeated GET parameters get 400 with INVALID_JSON or DUPLICATE_KEY,
//     a charset other than utf-8 gets 415, a body that does not arrive
//     before the server's read deadline gets 408. These are a client's
//     mistakes: they are never logged with the body, never reported as
//     internal errors, and never reach a resolver.
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
	if opts.MaxBatch < 0 || opts.MaxBatchBytes < 0 || opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: gqlsec: HTTPOptions.MaxBatch, MaxBatchBytes and MaxBodyBytes must not be negative", rampart.ErrConfig)
	}
	if opts.MaxBatchBytes == 0 {
		opts.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Upgrade") != "" {
				next.ServeHTTP(w, r)
				return
			}
			accept := r.Header.Get("Accept")
			mt := jsonerror.Negotiate(accept)
			if mt == "" && !streamingAccept(accept) {
				writeError(w, r, http.StatusNotAcceptable, CodeNotAcceptable, "the response can be sent only as application/graphql-response+json or application/json")
				return
			}
			switch r.Method {
			case http.MethodGet:
				if err := CheckRequestQuery(r.URL.Query()); err != nil {
					writeRequestError(w, r, err)
					return
				}
			case http.MethodPost:
				isJSON, err := checkContentType(r)
				if err != nil {
					writeRequestError(w, r, err)
					return
				}
				if !isJSON || r.Body == nil {
					break
				}
				body, err := readBody(r.Body, max(opts.MaxBodyBytes, opts.MaxBatchBytes))
				if err != nil {
					writeRequestError(w, r, err)
					return
				}
				if first := firstByte(body); first == '[' {
					serveBatch(w, r, body, next, opts)
					return
				}
				if int64(len(body)) > opts.MaxBodyBytes {
					writeRequestError(w, r, tooLarge(opts.MaxBodyBytes))
					return
				}
				if err := CheckRequestBody(body); err != nil {
					writeRequestError(w, r, err)
					return
				}
				r.Body = readCloser{bytes.NewReader(body), r.Body}
			}
			serveOne(w, r, next, mt)
		})
	}, nil
}

// streamingAccept reports whether accept names a streaming media type one
// of gqlgen's transports answers (SSE, incremental delivery).
func streamingAccept(accept string) bool {
	return strings.Contains(accept, "text/event-stream") || strings.Contains(accept, "multipart/mixed")
}

type readCloser struct {
	io.Reader
	io.Closer
}

func tooLarge(limit int64) *RequestError {
	return &RequestError{Status: http.StatusRequestEntityTooLarge, Code: CodeRequestTooLarge,
		Message: "request body is larger than the limit of " + strconv.FormatInt(limit, 10) + " bytes"}
}

// readBody reads at most limit+1 bytes of body and classifies a failure:
// a read deadline (a slow body) is 408, a body over limit (here or in an
// http.MaxBytesReader in front) 413, anything else 400.
func readBody(body io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	var maxErr *http.MaxBytesError
	var netErr net.Error
	switch {
	case err == nil && int64(len(b)) > limit:
		return nil, tooLarge(limit)
	case err == nil:
		return b, nil
	case errors.As(err, &maxErr):
		return nil, tooLarge(maxErr.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return nil, &RequestError{Status: http.StatusRequestTimeout, Code: CodeRequestTimeout, Message: "request body did not arrive in time"}
	}
	return nil, badRequest(CodeBadRequest, "request body could not be read")
}

// firstByte returns the first non-space byte of b, or 0.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

func serveOne(w http.ResponseWriter, r *http.Request, next http.Handler, mediaType string) {
	h := &holder{}
	sw := &statusWriter{ResponseWriter: w, h: h, mediaType: mediaType}
	next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), holderKey{}, h)))
	sw.finish()
}

// writeRequestError answers a request refused before execution: a
// GraphQL response with errors and no data, in the media type the client
// accepts (see responseType), with err's status when err is a
// *RequestError and 400 otherwise.
func writeRequestError(w http.ResponseWriter, r *http.Request, err error) {
	var re *RequestError
	if !errors.As(err, &re) {
		re = badRequest(CodeBadRequest, "bad request")
	}
	if re.Status == http.StatusRequestTimeout {
		w.Header().Set("Connection", "close")
	}
	writeError(w, r, re.Status, re.Code, re.Message)
}

// writeError answers a request refused before it reached gqlgen, in the
// negotiated media type. There is no data member: nothing was executed.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	jsonerror.WriteFor(w, r, status, jsonerror.Body(code, msg))
}

func serveBatch(w http.ResponseWriter, r *http.Request, body []byte, next http.Handler, opts HTTPOptions) {
	if opts.MaxBatch == 0 {
		writeError(w, r, http.StatusBadRequest, CodeBatchingUnsupported, "batched operations (a JSON array) are not supported; send one operation per request")
		return
	}
	if int64(len(body)) > opts.MaxBatchBytes {
		writeRequestError(w, r, tooLarge(opts.MaxBatchBytes))
		return
	}
	// Count elements before decoding them all.
	var items []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		writeError(w, r, http.StatusBadRequest, CodeInvalidJSON, "batch body is not a JSON array")
		return
	}
	for dec.More() {
		if len(items) == opts.MaxBatch {
			writeError(w, r, http.StatusBadRequest, CodeBatchLimit, "batch has more than "+strconv.Itoa(opts.MaxBatch)+" operations")
			return
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			writeError(w, r, http.StatusBadRequest, CodeInvalidJSON, "batch body is not a JSON array")
			return
		}
		if err := CheckRequestBody(raw); err != nil {
			writeRequestError(w, r, err)
			return
		}
		items = append(items, raw)
	}
	if _, err := dec.Token(); err != nil || dec.More() {
		writeError(w, r, http.StatusBadRequest, CodeInvalidJSON, "batch body is not a JSON array")
		return
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
		serveOne(rec, sub, next, jsonerror.JSON)
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
// extensions have recorded any rejection, and applies the GraphQL over
// HTTP spec's status rules for the negotiated media type:
//
//   - application/json (legacy): a well-formed request gets 200 whatever
//     GraphQL errors it raised (parse, validation, Rampart's rejections),
//     except THROTTLED, which keeps 429 and Retry-After;
//   - application/graphql-response+json: a request that failed before
//     execution gets its 4xx status and its response has no data member.
type statusWriter struct {
	http.ResponseWriter
	h         *holder
	mediaType string
	code      int
	wrote     bool
	// strip buffers an error response to remove its "data": null.
	strip bool
	buf   bytes.Buffer
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
	if ct := s.Header().Get("Content-Type"); s.mediaType != "" && (ct == "" || strings.HasPrefix(ct, jsonerror.JSON) || strings.HasPrefix(ct, jsonerror.GraphQLResponse)) {
		s.Header().Set("Content-Type", s.mediaType)
		switch {
		case s.mediaType == jsonerror.JSON && (code == http.StatusBadRequest || code == http.StatusForbidden || code == http.StatusUnprocessableEntity):
			code = http.StatusOK
		case s.mediaType == jsonerror.GraphQLResponse && code >= 400:
			if code == http.StatusUnprocessableEntity {
				code = http.StatusBadRequest // gqlgen's legacy status for validation failures
			}
			s.strip = true
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.writeHeader()
	if s.strip {
		return s.buf.Write(p)
	}
	return s.ResponseWriter.Write(p)
}

// finish writes the status if nothing was written, and the buffered error
// response without its data member.
func (s *statusWriter) finish() {
	s.writeHeader()
	if !s.strip {
		return
	}
	b := s.buf.Bytes()
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) == nil {
		if d, ok := m["data"]; ok && string(bytes.TrimSpace(d)) == "null" {
			delete(m, "data")
			if out, err := json.Marshal(m); err == nil {
				b = out
			}
		}
	}
	_, _ = s.ResponseWriter.Write(b)
}

// Flush implements http.Flusher for streaming transports.
func (s *statusWriter) Flush() {
	s.writeHeader()
	if s.strip {
		return
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
