package webhook

import (
	"errors"
	"net/http"

	"github.com/rampart-go/rampart/internal/jsonerror"
)

// Stable error codes, sent to clients in extensions.code. They never change
// once released.
const (
	// CodeSignatureInvalid: the delivery was refused for any reason to do
	// with its signature: header missing or malformed, timestamp outside
	// the window, no signature matching, or a replay (401). The body never
	// says which.
	CodeSignatureInvalid = "WEBHOOK_SIGNATURE_INVALID"
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

// errorJSON renders a GraphQL-shaped error body (internal/jsonerror).
func errorJSON(code, message string) []byte { return jsonerror.Body(code, message) }

// writeError writes a body from errorJSON with status.
func writeError(w http.ResponseWriter, status int, body []byte) { jsonerror.Write(w, status, body) }
