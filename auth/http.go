package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/rampart-go/rampart/internal/logthrottle"
)

// Header names read by CredentialFromRequest.
const (
	HeaderAuthorization = "Authorization"
	HeaderAPIKey        = "X-API-Key"
)

// MaxCredentialBytes is the longest credential header value
// CredentialFromRequest accepts; longer values are ErrInvalidToken.
const MaxCredentialBytes = 8 << 10

// CredentialFromRequest extracts the caller's credential from r's headers:
// "Authorization: Bearer <token>" (scheme matched case-insensitively) or
// "X-API-Key: <key>". It never reads the URL query, the body or cookies.
//
// It returns ErrNoCredential when neither header is present, and an error
// wrapping ErrInvalidToken when a header is present but unusable: repeated,
// empty, another scheme than Bearer, characters outside the token syntax of
// RFC 6750, longer than MaxCredentialBytes, or both headers at once.
func CredentialFromRequest(r *http.Request) (Credential, error) {
	authz := r.Header.Values(HeaderAuthorization)
	keys := r.Header.Values(HeaderAPIKey)
	switch {
	case len(authz) == 0 && len(keys) == 0:
		return Credential{}, ErrNoCredential
	case len(authz) > 0 && len(keys) > 0:
		return Credential{}, errHTTP("both Authorization and X-API-Key present")
	case len(authz) > 1 || len(keys) > 1:
		return Credential{}, errHTTP("credential header repeated")
	case len(keys) == 1:
		v := keys[0]
		if len(v) > MaxCredentialBytes {
			return Credential{}, errHTTP("X-API-Key too long")
		}
		if v == "" || !isVisibleASCII(v) {
			return Credential{}, errHTTP("X-API-Key malformed")
		}
		return Credential{Kind: CredentialAPIKey, Value: v}, nil
	}
	return ParseAuthorization(authz[0])
}

// ParseAuthorization parses one Authorization header value of the form
// "Bearer <token>" (scheme matched case-insensitively, token in RFC 6750
// b64token syntax, at most MaxCredentialBytes in all). WebSocket
// transports use it for an "Authorization" value sent in a
// connection_init payload, so that they parse exactly as HTTP does. Any
// other value is an error wrapping ErrInvalidToken.
func ParseAuthorization(v string) (Credential, error) {
	if len(v) > MaxCredentialBytes {
		return Credential{}, errHTTP("Authorization too long")
	}
	scheme, token, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Credential{}, errHTTP("Authorization scheme is not Bearer")
	}
	token = strings.TrimLeft(token, " ")
	if !isB64Token(token) {
		return Credential{}, errHTTP("bearer token malformed")
	}
	return Credential{Kind: CredentialBearer, Value: token}, nil
}

func errHTTP(reason string) error { return fmt.Errorf("auth: http: %w: %s", ErrInvalidToken, reason) }

// isB64Token reports whether s matches RFC 6750's b64token:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}

func isVisibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// MiddlewareOptions configures Middleware. The zero value is ready to use.
type MiddlewareOptions struct {
	// Logger receives the real reason a credential was refused (never the
	// credential itself). Nil means discard.
	Logger *slog.Logger
}

// Bodies of the responses Middleware writes. They carry a stable code and a
// generic message, never the reason.
const (
	unauthorizedBody = `{"errors":[{"message":"` + MessageUnauthenticated + `","extensions":{"code":"` + CodeUnauthenticated + `"}}]}`
	unavailableBody  = `{"errors":[{"message":"` + MessageAuthUnavailable + `","extensions":{"code":"` + CodeAuthUnavailable + `"}}]}`
)

// Middleware identifies the caller of every request with a:
//
//   - a valid credential puts its Principal in the context (WithPrincipal);
//   - no credential at all makes the request explicitly anonymous
//     (WithPrincipal(ctx, nil)), so later layers decide what anonymous
//     callers may do;
//   - a credential that is present but malformed, invalid, expired or
//     revoked is answered with 401, `WWW-Authenticate: Bearer
//     error="invalid_token"` and a generic GraphQL-shaped JSON body with
//     code CodeUnauthenticated. It never falls back to anonymous;
//   - a credential that could not be checked because a backend failed
//     (ErrUnavailable) is answered with 503, Retry-After: 1 and code
//     CodeAuthUnavailable.
//
// The reason is logged to opts.Logger; backend failures at most once a
// second, with the number of lines suppressed since the last one, so that
// an outage does not flood the log. Middleware panics if a is nil, at
// construction, like any other startup misconfiguration.
func Middleware(a Authenticator, opts MiddlewareOptions) func(http.Handler) http.Handler {
	if a == nil {
		panic("auth: Middleware requires an Authenticator")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	outage := &logthrottle.Throttle{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			cred, err := CredentialFromRequest(r)
			if errors.Is(err, ErrNoCredential) {
				next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, nil)))
				return
			}
			var p *Principal
			if err == nil {
				p, err = a.Authenticate(ctx, cred)
				if err == nil && p == nil {
					err = fmt.Errorf("auth: %w: authenticator returned no principal", ErrInvalidToken)
				}
			}
			if err != nil {
				refuse(ctx, w, log, outage, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(ctx, p)))
		})
	}
}

func refuse(ctx context.Context, w http.ResponseWriter, log *slog.Logger, outage *logthrottle.Throttle, err error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if errors.Is(err, ErrUnavailable) {
		if suppressed, ok := outage.Allow(); ok {
			log.LogAttrs(ctx, slog.LevelError, "auth: credential check unavailable",
				slog.Int("suppressed", suppressed), slog.String("error", err.Error()))
		}
		h.Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(unavailableBody))
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "auth: credential refused", slog.String("error", err.Error()))
	h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedBody))
}

// MultiAuthenticator dispatches a credential to the authenticator for its
// kind. A nil field refuses that kind with ErrInvalidToken, so the zero
// value refuses everything.
type MultiAuthenticator struct {
	// Bearer verifies CredentialBearer credentials, typically a
	// *jwt.Verifier (package auth/jwt).
	Bearer Authenticator
	// APIKey verifies CredentialAPIKey credentials, typically an
	// *apikey.Authenticator (package auth/apikey).
	APIKey Authenticator
}

var _ Authenticator = MultiAuthenticator{}

// Authenticate calls the authenticator for cred.Kind.
func (m MultiAuthenticator) Authenticate(ctx context.Context, cred Credential) (*Principal, error) {
	var a Authenticator
	switch cred.Kind {
	case CredentialBearer:
		a = m.Bearer
	case CredentialAPIKey:
		a = m.APIKey
	}
	if a == nil {
		return nil, fmt.Errorf("auth: %w: credential kind %d not accepted", ErrInvalidToken, cred.Kind)
	}
	p, err := a.Authenticate(ctx, cred)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("auth: %w: authenticator returned no principal", ErrInvalidToken)
	}
	return p, nil
}
