// Package ssrf refuses URLs that would make the server call itself, its
// network or its cloud provider's metadata service (OWASP API7,
// server-side request forgery).
//
// Two layers, both needed:
//
//   - [Guard.Check] validates a URL when it is accepted (a webhook target,
//     an avatar URL, an import source): scheme http or https only, no
//     credentials, no IP literal or resolved address in a loopback,
//     private, link-local, CGNAT, multicast, reserved or otherwise
//     special-purpose range, no numeric host in a non-canonical form, a
//     port from the allowlist. It returns an error wrapping one of the
//     ErrX sentinels; clients get [CodeURLNotAllowed] and nothing more.
//   - [Guard.Transport] and [Guard.Client] check again when the request is
//     made: the dialer resolves the name, checks every address and
//     connects only to an address it checked (a name may resolve
//     differently between Check and the request: DNS rebinding), and
//     every redirect target is checked like the original URL. Environment
//     proxies are ignored, since a proxy would make the connection for us.
//
// The zero Guard is the hardened default. See the README for the ranges
// refused and the reasons for each decision.
package ssrf
