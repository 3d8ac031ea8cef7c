package upload

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"slices"
	"strings"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/httpsec"
)

// Defaults used when a Limits field is zero.
const (
	DefaultMaxFiles           = 1
	DefaultMaxFileBytes       = 5 << 20   // 5 MiB
	DefaultMaxTotalBytes      = 10 << 20  // 10 MiB
	DefaultMaxOperationsBytes = 128 << 10 // 128 KiB
	DefaultMaxImagePixels     = 50_000_000
	DefaultMaxFilenameBytes   = 255
)

// maxConfigBytes bounds every byte limit so that sums cannot overflow.
const maxConfigBytes = 1 << 40

// partOverhead is the allowance per multipart part for its boundary line and
// headers (Content-Disposition with the file name, Content-Type).
const partOverhead = 2 << 10

// DefaultAllowedTypes returns the types accepted when Limits.AllowedTypes is
// empty: the four web image formats.
func DefaultAllowedTypes() []string {
	return []string{"image/png", "image/jpeg", "image/gif", "image/webp"}
}

// Limits bounds uploads. The zero value is the hardened default; each field
// names its own. Negative values are a configuration error except where
// rampart.Unlimited is allowed.
type Limits struct {
	// MaxFiles bounds both the files a request carries (keys of the map
	// part) and the variables they fill (paths in the map part); default
	// DefaultMaxFiles (1). Over it: 400 CodeTooManyFiles, before any file
	// byte is read.
	MaxFiles int
	// MaxFileBytes bounds one file; default 5 MiB. Check reads at most
	// MaxFileBytes+1 bytes and refuses larger files with CodeTooLarge.
	MaxFileBytes int64
	// MaxTotalBytes bounds all files of one request together; default
	// 10 MiB. The request body may hold min(MaxTotalBytes,
	// MaxFiles×MaxFileBytes) of files plus MaxOperationsBytes plus 2 KiB
	// per part for boundaries and part headers (see Guard.MaxBodyBytes);
	// a larger Content-Length is refused with 413 before reading, a
	// chunked body when it crosses the limit. It must not be below
	// MaxFileBytes.
	MaxTotalBytes int64
	// MaxOperationsBytes bounds the operations and map parts together;
	// default 128 KiB. They are buffered and parsed before gqlgen sees the
	// request. Over it: 413 CodeTooLarge.
	MaxOperationsBytes int64
	// MaxImagePixels bounds width×height of an image read from its header
	// (decompression bombs: a 5 MiB PNG can declare 50,000×50,000 pixels);
	// default 50 million. rampart.Unlimited switches the check off.
	MaxImagePixels int64
	// MaxFilenameBytes caps the sanitized file name; default 255.
	MaxFilenameBytes int
	// AllowedTypes lists the media types (essence only, such as
	// "image/png") accepted by Check, compared with the type sniffed from
	// the content, never the client's Content-Type or file name. Default
	// DefaultAllowedTypes. Case is ignored. Each must be a type Sniff can
	// return;
	// "application/octet-stream" (anything unrecognised) is refused.
	AllowedTypes []string
}

// Scanner inspects a file's content before Check accepts it: where a virus
// scanner such as ClamAV (over clamd's INSTREAM) plugs in. name is the
// sanitized file name. A non-nil error refuses the file with
// CodeRejected; the error itself is logged, never sent to the client.
// Scan must not retain r after returning.
type Scanner interface {
	Scan(ctx context.Context, name string, r io.Reader) error
}

// ScannerFunc adapts a function to Scanner.
type ScannerFunc func(ctx context.Context, name string, r io.Reader) error

// Scan calls f.
func (f ScannerFunc) Scan(ctx context.Context, name string, r io.Reader) error {
	return f(ctx, name, r)
}

var _ Scanner = ScannerFunc(nil)

// Config configures a Guard. The zero value is the hardened default.
type Config struct {
	// Limits bounds every upload; zero fields take their defaults.
	Limits
	// Scanner, when set, is called by Check on every file that passed the
	// size and type checks. nil scans nothing.
	Scanner Scanner
	// AllowAnonymous lets callers without an auth.Principal upload. Off by
	// default: Transport refuses their multipart requests with 401
	// CodeUnauthenticated before gqlgen reads a file byte, so anonymous
	// clients cannot make the server buffer files that a resolver's @auth
	// would refuse only afterwards. (Middleware does not check the
	// caller: it may run before authentication.)
	AllowAnonymous bool
	// Logger receives scanner failures (with the request id); nil
	// discards.
	Logger *slog.Logger
	// Auditor records each rejection, at the door and in Check; nil
	// records nothing.
	Auditor *httpsec.Auditor
}

// Guard enforces Limits on GraphQL multipart uploads: its Middleware and
// Transport refuse requests before gqlgen parses them, and Check vets each
// file inside a resolver. It is immutable and safe for concurrent use.
type Guard struct {
	limits  Limits
	allowed []string
	bodyMax int64
	scanner Scanner
	anon    bool
	log     *slog.Logger
	audit   *httpsec.Auditor
}

// New validates cfg, fills in defaults and returns a Guard. Errors wrap
// rampart.ErrConfig.
func New(cfg Config) (*Guard, error) {
	l := cfg.Limits
	bad := func(format string, args ...any) (*Guard, error) {
		return nil, fmt.Errorf("%w: upload: "+format, append([]any{rampart.ErrConfig}, args...)...)
	}
	if l.MaxFiles < 0 || l.MaxFileBytes < 0 || l.MaxTotalBytes < 0 || l.MaxOperationsBytes < 0 || l.MaxFilenameBytes < 0 {
		return bad("negative limit in %+v", l)
	}
	if l.MaxImagePixels < 0 && l.MaxImagePixels != rampart.Unlimited {
		return bad("MaxImagePixels %d: use rampart.Unlimited (-1) to switch it off", l.MaxImagePixels)
	}
	l.MaxFiles = orDefault(l.MaxFiles, DefaultMaxFiles)
	l.MaxFileBytes = orDefault(l.MaxFileBytes, DefaultMaxFileBytes)
	l.MaxTotalBytes = orDefault(l.MaxTotalBytes, DefaultMaxTotalBytes)
	l.MaxOperationsBytes = orDefault(l.MaxOperationsBytes, DefaultMaxOperationsBytes)
	l.MaxImagePixels = orDefault(l.MaxImagePixels, DefaultMaxImagePixels)
	l.MaxFilenameBytes = orDefault(l.MaxFilenameBytes, DefaultMaxFilenameBytes)
	switch {
	case l.MaxFiles > 1000:
		return bad("MaxFiles %d is over 1000", l.MaxFiles)
	case l.MaxFileBytes > maxConfigBytes || l.MaxTotalBytes > maxConfigBytes || l.MaxOperationsBytes > maxConfigBytes:
		return bad("byte limits must not exceed %d", int64(maxConfigBytes))
	case l.MaxTotalBytes < l.MaxFileBytes:
		return bad("MaxTotalBytes %d is below MaxFileBytes %d", l.MaxTotalBytes, l.MaxFileBytes)
	case l.MaxFilenameBytes < 16:
		return bad("MaxFilenameBytes %d is below 16", l.MaxFilenameBytes)
	}
	if len(l.AllowedTypes) == 0 {
		l.AllowedTypes = DefaultAllowedTypes()
	}
	allowed := make([]string, 0, len(l.AllowedTypes))
	for _, t := range l.AllowedTypes {
		mt, params, err := mime.ParseMediaType(t)
		switch {
		case err != nil || len(params) != 0 || mt != strings.TrimSpace(strings.ToLower(t)):
			return bad("AllowedTypes: %q is not a bare media type such as image/png", t)
		case mt == "application/octet-stream":
			return bad("AllowedTypes: %q would accept any unrecognised content", t)
		case !sniffable(mt):
			return bad("AllowedTypes: %q is never detected from content (see Sniff)", t)
		}
		if !slices.Contains(allowed, mt) {
			allowed = append(allowed, mt)
		}
	}
	l.AllowedTypes = allowed
	files := l.MaxTotalBytes
	if l.MaxFileBytes <= files/int64(l.MaxFiles) {
		files = l.MaxFileBytes * int64(l.MaxFiles)
	}
	return &Guard{
		limits:  l,
		allowed: allowed,
		bodyMax: files + l.MaxOperationsBytes + int64(l.MaxFiles+2)*partOverhead,
		scanner: cfg.Scanner,
		anon:    cfg.AllowAnonymous,
		log:     cfg.Logger,
		audit:   cfg.Auditor,
	}, nil
}

func orDefault[T int | int64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Limits returns the limits in force, defaults filled in.
func (g *Guard) Limits() Limits {
	l := g.limits
	l.AllowedTypes = slices.Clone(g.allowed)
	return l
}

// MaxBodyBytes is the largest multipart request body the Guard lets
// through: min(MaxTotalBytes, MaxFiles×MaxFileBytes) + MaxOperationsBytes +
// 2 KiB × (MaxFiles+2). With the defaults: 5 MiB + 134 KiB.
func (g *Guard) MaxBodyBytes() int64 { return g.bodyMax }
