package httpsec

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/telemetry"
)

// DefaultBodyLimit is the request body limit when BodyLimitOptions.MaxBytes
// is zero: 1 MiB.
const DefaultBodyLimit int64 = 1 << 20

// BodyLimitOptions configures BodyLimit.
type BodyLimitOptions struct {
	// MaxBytes is the largest accepted body; zero means DefaultBodyLimit.
	// Negative is an error. There is no "unlimited": pick a large value.
	MaxBytes int64
	// Auditor records each rejection; nil records nothing.
	Auditor *Auditor
	// Mode: the zero value rampart.Enforce refuses; rampart.Measure lets
	// the request through, counted (outcome "measured") and audited;
	// rampart.Off skips the check.
	Mode rampart.Mode
	// Telemetry counts refusals (guard telemetry.GuardBodyLimit). Nil records nothing.
	Telemetry *telemetry.Instruments
}

// BodyLimit returns middleware that caps request bodies at MaxBytes.
//
//   - A Content-Length above the limit is answered at once: 413 and
//     rampart.CodeRequestTooLarge, without reading the body or calling the handler.
//   - A body of unknown length (chunked) is wrapped in http.MaxBytesReader.
//     When the handler's read first crosses the limit and the handler has
//     written nothing yet, BodyLimit answers 413 with the same JSON and
//     discards whatever the handler writes afterwards. (gqlgen on its own
//     would answer 400 "json request body could not be decoded" or similar:
//     the wrapper keeps the status honest.) If the handler had already
//     written, its response stands; the read error is its to handle.
//
// Either way the server closes the connection after the response
// (MaxBytesReader marks it), so the unread rest of the body is not parsed as
// a next request. Each request over the limit is audited once. The returned
// error wraps rampart.ErrConfig.
func BodyLimit(opts BodyLimitOptions) (func(http.Handler) http.Handler, error) {
	limit := opts.MaxBytes
	switch {
	case limit < 0:
		return nil, fmt.Errorf("%w: httpsec: body limit: negative MaxBytes", rampart.ErrConfig)
	case limit == 0:
		limit = DefaultBodyLimit
	}
	body := errorJSON(rampart.CodeRequestTooLarge, "The request body is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes.")
	detail := "limit=" + strconv.FormatInt(limit, 10)
	audit := opts.Auditor
	if err := checkMode("body limit", opts.Mode); err != nil {
		return nil, err
	}
	if opts.Mode == rampart.Off {
		return func(next http.Handler) http.Handler { return next }, nil
	}
	g := guard{name: telemetry.GuardBodyLimit, mode: opts.Mode, ins: opts.Telemetry, audit: audit}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > limit {
				if g.refuse(r, rampart.CodeRequestTooLarge, http.StatusRequestEntityTooLarge,
					detail+" content_length="+strconv.FormatInt(r.ContentLength, 10)) {
					w.Header().Set("Connection", "close")
					writeError(w, r, http.StatusRequestEntityTooLarge, body)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			if opts.Mode == rampart.Measure {
				// Measure a body of unknown length as it is read; never cut it.
				if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody {
					r2 := r.WithContext(r.Context())
					r2.Body = &countingReader{rc: r.Body, left: limit, over: func() {
						g.refuse(r, rampart.CodeRequestTooLarge, http.StatusRequestEntityTooLarge, detail+" chunked")
					}}
					r = r2
				}
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength >= 0 || r.Body == nil || r.Body == http.NoBody {
				// Known length within the limit: net/http never reads past
				// Content-Length, so there is nothing more to guard.
				next.ServeHTTP(w, r)
				return
			}
			lw := &limitWriter{ResponseWriter: w, r: r, body: body}
			lr := &limitReader{rc: http.MaxBytesReader(w, r.Body, limit), w: lw, r: r, g: g, detail: detail}
			r2 := r.WithContext(r.Context()) // shallow copy; only Body changes
			r2.Body = lr
			next.ServeHTTP(lw, r2)
		})
	}, nil
}

var (
	_ http.ResponseWriter = (*limitWriter)(nil)
	_ http.Flusher        = (*limitWriter)(nil)
	_ io.ReadCloser       = (*limitReader)(nil)
)

// limitWriter answers 413 on behalf of a handler whose body read tripped
// the limit before it wrote, and swallows the handler's own answer.
type limitWriter struct {
	http.ResponseWriter
	r    *http.Request
	body []byte

	mu      sync.Mutex
	wrote   bool // the handler (or we) sent the header
	tripped bool // we sent 413
}

func (lw *limitWriter) WriteHeader(code int) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.tripped {
		return
	}
	if code >= 200 {
		lw.wrote = true
	}
	lw.ResponseWriter.WriteHeader(code)
}

func (lw *limitWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.tripped {
		return len(p), nil
	}
	lw.wrote = true
	return lw.ResponseWriter.Write(p)
}

// Flush forwards to the underlying writer unless 413 has been sent.
func (lw *limitWriter) Flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.tripped {
		return
	}
	lw.wrote = true
	_ = http.NewResponseController(lw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (lw *limitWriter) Unwrap() http.ResponseWriter { return lw.ResponseWriter }

// trip sends the 413 if nothing was written yet.
func (lw *limitWriter) trip() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.wrote || lw.tripped {
		return
	}
	lw.tripped = true
	h := lw.ResponseWriter.Header()
	// Drop what the handler staged for its own answer; keep the security,
	// CORS, rate-limit and request-id headers set by earlier middleware.
	for _, k := range [...]string{
		"Content-Encoding", "Content-Disposition", "Content-Range", "Content-Language",
		"Etag", "Last-Modified", "Location", "Set-Cookie", "Trailer",
	} {
		delete(h, k)
	}
	writeError(lw.ResponseWriter, lw.r, http.StatusRequestEntityTooLarge, lw.body)
}

type limitReader struct {
	rc     io.ReadCloser
	w      *limitWriter
	r      *http.Request
	g      guard
	detail string
	once   sync.Once
}

// countingReader calls over once when more than left bytes have been read
// (BodyLimit in measure mode).
type countingReader struct {
	rc   io.ReadCloser
	left int64
	over func()
	once sync.Once
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if c.left -= int64(n); c.left < 0 {
		c.once.Do(c.over)
	}
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

func (lr *limitReader) Read(p []byte) (int, error) {
	n, err := lr.rc.Read(p)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			lr.once.Do(func() {
				lr.g.refuse(lr.r, rampart.CodeRequestTooLarge, http.StatusRequestEntityTooLarge, lr.detail+" chunked")
				lr.w.trip()
			})
		}
	}
	return n, err
}

func (lr *limitReader) Close() error { return lr.rc.Close() }
