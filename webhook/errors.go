package webhook

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
)

// Stable error codes, sent to clients in extensions.code. They never change
// once released.
const (
	// CodeSignatureInvalid: the delivery was refused for any reason to do
	// with its signature: header missing or malformed, timestamp outside
	// the window, no signature matching, or a replay (401). The body never
	// says which.
	CodeSignatureInvalid = "WEBHOOK_SIGNATURE_INVALID"
	// CodeRequestTooLarge: the body exceeded MaxBytes (413). The same
	// string as httpsec.CodeRequestTooLarge.
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
	// CodeBodyUnreadable: reading the body failed before the limit, for
	// example because the client hung up (400).
	CodeBodyUnreadable = "WEBHOOK_BODY_UNREADABLE"
	// CodeReplayCacheFull: the replay cache holds MaxReplayEntries live
	// entries, so a new delivery cannot be remembered and is refused rather
	// than accepted unprotected (503 with Retry-After). Senders retry.
	CodeReplayCacheFull = "WEBHOOK_REPLAY_CACHE_FULL"
)

// Errors. Verify returns them wrapped; the middleware logs them and sends
// clients only the codes above.
var (
	// ErrInvalidConfig is wrapped by every New and NewVerifier error.
	ErrInvalidConfig = errors.New("webhook: invalid configuration")
	// ErrNoSignature: the signature header is absent or empty.
	ErrNoSignature = errors.New("webhook: no signature header")
	// ErrMalformedSignature: the header does not follow the scheme (no t=,
	// no v1=, a v1 that is not 64 lowercase hex digits, duplicates, too
	// long, several header lines).
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	// ErrTimestampOutOfRange: t= lies further than the tolerance from now,
	// in the past or in the future.
	ErrTimestampOutOfRange = errors.New("webhook: timestamp outside the tolerance window")
	// ErrSignatureMismatch: no signature in the header matches the body
	// under any configured secret.
	ErrSignatureMismatch = errors.New("webhook: no signature matches")
	// ErrReplayed: an identical delivery was accepted earlier in the window.
	ErrReplayed = errors.New("webhook: delivery replayed")
	// ErrReplayCacheFull: the replay cache is full of live entries.
	ErrReplayCacheFull = errors.New("webhook: replay cache full")
	// ErrBodyTooLarge: the body exceeded MaxBytes.
	ErrBodyTooLarge = errors.New("webhook: body too large")
)

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

// errorJSON renders {"errors":[{"message":…,"extensions":{"code":…}}]} and a
// newline. Messages are fixed server-side strings: nothing from the request
// is echoed.
func errorJSON(code, message string) []byte {
	b, err := json.Marshal(errorBody{Errors: [1]errorEntry{{
		Message:    message,
		Extensions: errorExtension{Code: code},
	}}})
	if err != nil { // cannot happen for two strings
		panic("webhook: " + err.Error())
	}
	return append(b, '\n')
}

func writeError(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
