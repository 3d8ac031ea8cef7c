package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Stable error codes, sent to clients in extensions.code and written to
// audit records. They never change once released.
const (
	// CodeTooLarge: the request body, the operations and map parts, one
	// file, or one image's pixel count is over its limit. Refused at the
	// door with 413, or by Check inside the GraphQL response.
	CodeTooLarge = "UPLOAD_TOO_LARGE"
	// CodeTooManyFiles: the map part names more files, or more variables
	// to fill with files, than Limits.MaxFiles (400).
	CodeTooManyFiles = "UPLOAD_TOO_MANY_FILES"
	// CodeTypeNotAllowed: the content sniffed from the file's bytes is not
	// in Limits.AllowedTypes. The message names the detected type.
	CodeTypeNotAllowed = "UPLOAD_TYPE_NOT_ALLOWED"
	// CodeRejected: the Scanner refused the file (or failed). The reason is
	// logged, never sent.
	CodeRejected = "UPLOAD_REJECTED"
	// CodeUnauthenticated: a multipart request from a caller without an
	// auth.Principal reached Guard.Transport, and Config.AllowAnonymous is
	// off (401). No file byte was read.
	CodeUnauthenticated = "UPLOAD_UNAUTHENTICATED"
	// CodeMalformed: the multipart request does not follow the GraphQL
	// multipart request spec (operations then map first, every map path
	// pointing at a null in the variables), or Check got no file (400).
	CodeMalformed = "UPLOAD_MALFORMED"
)

// Sentinel errors. Every error this package returns wraps one of them
// (errors.Is works through the *gqlerror.Error that Check returns) and
// carries the "upload:" prefix.
var (
	// ErrTooLarge pairs with CodeTooLarge.
	ErrTooLarge = errors.New("upload: too large")
	// ErrTooManyFiles pairs with CodeTooManyFiles.
	ErrTooManyFiles = errors.New("upload: too many files")
	// ErrTypeNotAllowed pairs with CodeTypeNotAllowed.
	ErrTypeNotAllowed = errors.New("upload: type not allowed")
	// ErrRejected pairs with CodeRejected.
	ErrRejected = errors.New("upload: rejected")
	// ErrUnauthenticated pairs with CodeUnauthenticated.
	ErrUnauthenticated = errors.New("upload: unauthenticated")
	// ErrMalformed pairs with CodeMalformed.
	ErrMalformed = errors.New("upload: malformed request")
)

// rejection is one refusal: what the client sees (code, message, status
// at the HTTP layer) and what the server logs (err, detail).
type rejection struct {
	code    string
	message string // fixed server-side text; never echoes request content
	status  int
	err     error  // wraps a sentinel; may hold internal detail
	detail  string // for the audit record: server-written facts only
}

// gqlError is the client-facing error with extensions.code. Its Err keeps
// the sentinel chain for errors.Is and for logging.
func (j *rejection) gqlError() *gqlerror.Error {
	return &gqlerror.Error{
		Err:        j.err,
		Message:    j.message,
		Extensions: map[string]any{"code": j.code},
	}
}

func tooLarge(status int, message, detail string) *rejection {
	return &rejection{code: CodeTooLarge, message: message, status: status,
		err: fmt.Errorf("%w: %s", ErrTooLarge, detail), detail: detail}
}

func malformed(reason string) *rejection {
	return &rejection{code: CodeMalformed, status: http.StatusBadRequest,
		message: "The multipart upload request is malformed: " + reason + ".",
		err:     fmt.Errorf("%w: %s", ErrMalformed, reason), detail: reason}
}

// errorBody is the GraphQL error shape, so that GraphQL clients surface the
// message and code unchanged.
type errorBody struct {
	Errors [1]errorEntry `json:"errors"`
}

type errorEntry struct {
	Message    string         `json:"message"`
	Extensions errorExtension `json:"extensions"`
}

type errorExtension struct {
	Code string `json:"code"`
}

// writeRejection writes {"errors":[{"message":…,"extensions":{"code":…}}]}
// with j.status, the way httpsec writes its rejections.
func writeRejection(w http.ResponseWriter, j *rejection) {
	b, _ := json.Marshal(errorBody{Errors: [1]errorEntry{{Message: j.message, Extensions: errorExtension{Code: j.code}}}})
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if j.status == http.StatusRequestEntityTooLarge {
		// The rest of the body stays unread: do not parse it as a next request.
		h.Set("Connection", "close")
	}
	w.WriteHeader(j.status)
	_, _ = w.Write(b)
}
