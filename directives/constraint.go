package directives

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart"
)

// Built-in @constraint formats.
const (
	// FormatEmail is a bare address (no display name or comment) of at most
	// 254 bytes whose domain has a dot.
	FormatEmail = "EMAIL"
	// FormatURL is an absolute http or https URL with a host, no user
	// information and no whitespace, of at most 2048 bytes.
	FormatURL = "URL"
	// FormatUUID is an RFC 9562 UUID in its canonical 8-4-4-4-12 hex form.
	FormatUUID = "UUID"
)

// Constraint implements @constraint(minLength, maxLength, pattern, format,
// min, max) on arguments and input fields. It lets next produce the value
// (already sanitized when @sanitize is written before it) and returns it
// unchanged, or a rampart.CodeBadUserInput error at the argument's path whose message
// names the broken limit; extensions.constraint holds the limit's name. Null
// values pass (nullability is the schema's job); lists are checked element by
// element. Lengths count Unicode code points; pattern must match the whole
// value.
//
// A format registered in Options.FormatsContext gets the request's context;
// its refusal reads "must be a valid NAME" without the checker's reason
// (logged at Info, as it may name internal addresses), and a check cut short
// by the end of the request answers rampart.CodeInternal rather than blaming the
// value. Such a check runs once per list element: bound lists of URLs.
func (d *Directives) Constraint(ctx context.Context, obj any, next graphql.Resolver, minLength *int, maxLength *int, pattern *string, format *string, min *float64, max *float64) (any, error) {
	c := d.state.Load()
	if c == nil {
		return nil, d.notInstalled(ctx)
	}
	v, err := next(ctx)
	if err != nil {
		return v, err
	}
	lim := limits{minLength: minLength, maxLength: maxLength, min: min, max: max, refuseControl: !d.allowsControl(ctx)}
	if pattern != nil {
		lim.pattern = c.patterns[*pattern]
		if lim.pattern == nil {
			return nil, d.internal(ctx, "pattern not compiled", fmt.Errorf("%w: directives: pattern %q was not in the validated schema", rampart.ErrConfig, *pattern))
		}
	}
	if format != nil {
		lim.formatName = *format
		lim.format = d.formats[*format]
		if lim.format == nil {
			lim.formatCtx = d.formatsCtx[*format]
			lim.ctx = ctx
		}
		if lim.format == nil && lim.formatCtx == nil {
			return nil, d.internal(ctx, "unknown format", fmt.Errorf("%w: directives: format %q", rampart.ErrConfig, *format))
		}
	}
	if name, msg, bad := lim.check(reflect.ValueOf(v)); bad {
		if lim.formatErr != nil {
			if ctx.Err() != nil {
				// The request ended (client gone, deadline): not the value's fault.
				return nil, d.internal(ctx, "format check interrupted", lim.formatErr)
			}
			d.log.LogAttrs(ctx, slog.LevelInfo, "directives: input refused by format",
				slog.String("format", lim.formatName), slog.Any("error", lim.formatErr))
		}
		return nil, clientError(rampart.CodeBadUserInput, inputName(ctx)+msg, ErrInvalidInput, "constraint", name)
	}
	return v, nil
}

func inputName(ctx context.Context) string {
	if pc := graphql.GetPathContext(ctx); pc != nil && pc.Field != nil {
		return *pc.Field + ": "
	}
	return ""
}

type limits struct {
	minLength, maxLength *int
	min, max             *float64
	pattern              interface{ MatchString(string) bool }
	format               FormatFunc
	formatName           string
	// formatCtx is a context-aware format; its error is kept in formatErr
	// for the log, never sent.
	formatCtx FormatContextFunc
	ctx       context.Context
	formatErr error
	// refuseControl refuses control characters (see FindControl).
	refuseControl bool
}

// check returns the name of the broken constraint and a client-safe message.
func (l *limits) check(v reflect.Value) (name, msg string, bad bool) {
	switch v.Kind() {
	case reflect.Invalid:
		return "", "", false
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", "", false
		}
		return l.check(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if name, msg, bad := l.check(v.Index(i)); bad {
				return name, msg, bad
			}
		}
		return "", "", false
	case reflect.String:
		return l.checkString(v.String())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return l.checkNumber(float64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return l.checkNumber(float64(v.Uint()))
	case reflect.Float32, reflect.Float64:
		return l.checkNumber(v.Float())
	}
	return "", "", false
}

func (l *limits) checkString(s string) (string, string, bool) {
	if name, msg, bad := l.checkControl(s); bad {
		return name, msg, bad
	}
	n := utf8.RuneCountInString(s)
	if l.minLength != nil && n < *l.minLength {
		return "minLength", fmt.Sprintf("must be at least %d characters (got %d)", *l.minLength, n), true
	}
	if l.maxLength != nil && n > *l.maxLength {
		return "maxLength", fmt.Sprintf("must be at most %d characters (got %d)", *l.maxLength, n), true
	}
	if l.pattern != nil && !l.pattern.MatchString(s) {
		return "pattern", "does not match the required pattern", true
	}
	if l.format != nil {
		if err := l.format(s); err != nil {
			return "format", fmt.Sprintf("must be a valid %s: %v", l.formatName, err), true
		}
	}
	if l.formatCtx != nil {
		if err := l.formatCtx(l.ctx, s); err != nil {
			l.formatErr = err
			return "format", "must be a valid " + l.formatName, true
		}
	}
	return "", "", false
}

func (l *limits) checkNumber(f float64) (string, string, bool) {
	if l.min != nil && f < *l.min {
		return "min", fmt.Sprintf("must be at least %g", *l.min), true
	}
	if l.max != nil && f > *l.max {
		return "max", fmt.Sprintf("must be at most %g", *l.max), true
	}
	return "", "", false
}

func builtinFormats() map[string]FormatFunc {
	return map[string]FormatFunc{
		FormatEmail: CheckEmail,
		FormatURL:   CheckURL,
		FormatUUID:  CheckUUID,
	}
}

var (
	errBadEmail = errors.New("not an email address")
	errBadURL   = errors.New("not an absolute http(s) URL")
	errBadUUID  = errors.New("not a UUID")
)

// CheckEmail is the EMAIL format: a bare address (no display name, comment
// or surrounding space) of at most 254 bytes whose domain contains a dot.
func CheckEmail(s string) error {
	if len(s) == 0 || len(s) > 254 || hasSpaceOrControl(s) {
		return errBadEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return errBadEmail
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, ".") {
		return errBadEmail
	}
	return nil
}

// CheckURL is the URL format: an absolute http or https URL with a host and
// no user information (https://trusted@evil.example), no whitespace or
// control characters, at most 2048 bytes. It does not resolve the host; a
// server that fetches the URL needs an SSRF check too (register a PUBLIC_URL
// format in Options.Formats).
func CheckURL(s string) error {
	if len(s) == 0 || len(s) > 2048 || hasSpaceOrControl(s) {
		return errBadURL
	}
	// Characters RFC 3986 never allows unencoded: url.Parse lets some of
	// them through (a quote in the host), and they are what breaks out of
	// an HTML attribute the URL is later written into.
	if strings.ContainsAny(s, "<>\"`{}|\\^") {
		return errBadURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil || !validHost(u.Hostname()) {
		return errBadURL
	}
	return nil
}

// validHost accepts a DNS name (letters, digits, '-', '.') or an IP
// address (IPv6 without its brackets, as url.URL.Hostname returns it).
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if strings.Contains(h, ":") {
		_, err := netip.ParseAddr(h)
		return err == nil
	}
	for i := range len(h) {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// CheckUUID is the UUID format: 8-4-4-4-12 hexadecimal digits, any version.
func CheckUUID(s string) error {
	if len(s) != 36 {
		return errBadUUID
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return errBadUUID
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return errBadUUID
			}
		}
	}
	return nil
}

func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}) >= 0
}
