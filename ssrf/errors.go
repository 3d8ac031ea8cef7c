package ssrf

import "errors"

// CodeURLNotAllowed is the stable code clients get for any refusal; the
// message they see should be as generic ("the URL is not allowed").
const CodeURLNotAllowed = "URL_NOT_ALLOWED"

// Errors returned by Check and the dialer, wrapped with detail for logs.
var (
	// ErrInvalidURL: the URL does not parse, is not absolute or is longer
	// than MaxURLBytes.
	ErrInvalidURL = errors.New("ssrf: invalid URL")
	// ErrSchemeNotAllowed: the scheme is not http or https.
	ErrSchemeNotAllowed = errors.New("ssrf: scheme not allowed")
	// ErrCredentialsInURL: the URL carries userinfo (user:pass@).
	ErrCredentialsInURL = errors.New("ssrf: credentials in URL")
	// ErrHostNotAllowed: the host is empty, malformed, a non-canonical
	// numeric form, zoned, or outside AllowHosts.
	ErrHostNotAllowed = errors.New("ssrf: host not allowed")
	// ErrPortNotAllowed: the port is outside AllowPorts.
	ErrPortNotAllowed = errors.New("ssrf: port not allowed")
	// ErrAddressNotAllowed: the host is, or resolves to, an address in a
	// refused range.
	ErrAddressNotAllowed = errors.New("ssrf: address not allowed")
	// ErrResolve: the host name did not resolve (or resolved to nothing).
	ErrResolve = errors.New("ssrf: resolve")
	// ErrTooManyRedirects: Client followed MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("ssrf: too many redirects")
)
