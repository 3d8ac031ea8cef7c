// Package upload hardens file uploads through gqlgen's GraphQL multipart
// request transport (https://github.com/jaydenseric/graphql-multipart-request-spec,
// gqlgen's transport.MultipartForm and graphql.Upload).
//
// A Guard, built by New from Limits whose zero value is the hardened
// default, works at two points:
//
//   - At the door, before gqlgen reads a file byte: Guard.Transport (a
//     gqlgen transport) refuses callers without an auth.Principal unless
//     AllowAnonymous; it and Guard.Middleware (HTTP middleware; Split
//     routes around httpsec.BodyLimit) refuse a body over the limit with 413,
//     stream the operations and map parts and refuse more files than
//     MaxFiles with 400, and refuse map paths gqlgen would panic on.
//   - In the resolver: Guard.Check reads at most MaxFileBytes+1 bytes,
//     sniffs the type from the content (never the client's Content-Type or
//     file name) against AllowedTypes, bounds image dimensions, runs an
//     optional Scanner (ClamAV and the like), and returns a re-readable
//     Upload with the sniffed type and a sanitized file name.
//
// Rejections carry a stable extensions.code (CodeTooLarge,
// CodeTooManyFiles, CodeTypeNotAllowed, CodeRejected, CodeMalformed,
// CodeUnauthenticated) and a
// client-safe message; errors wrap the Err sentinels.
//
// A multipart POST is a request a browser sends cross-site without a CORS
// preflight: mount httpsec.CSRF in front, so that only clients sending a
// header such as Apollo-Require-Preflight can upload.
//
// Dependencies: gqlgen's graphql and transport packages (the latter pulls
// in coder/websocket for gqlgen's WebSocket transport; this package never
// uses it), auth for the caller, and httpsec for request ids and audit
// records.
package upload
