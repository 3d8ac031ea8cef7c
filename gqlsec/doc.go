// Package gqlsec guards a gqlgen GraphQL endpoint: operation limits, a
// cost limit and per-caller cost budgets, introspection lockdown,
// per-caller suppression of "Did you mean" suggestions, trusted documents
// (persisted queries), error masking, and refusal of batched requests.
//
// Handler (or Install plus Middleware) applies everything with the
// hardened defaults (see Config); each extension is also usable alone with
// srv.Use.
//
// # Where the guards run
//
// gqlgen validates a document before any OperationContextMutator runs, and
// its validation is not linear: 10,000 copies of one field (about 10,000
// tokens, well under the token limit) keep gqlparser's overlapping-fields
// rule busy for seconds. So OperationLimits, CostLimit and the
// introspection check run as OperationParameterMutators, before gqlgen
// parses. A first-seen document is first read token by token (no AST):
// the scan stops at the first token over the token, depth, root-field,
// alias or field limit, and finds __schema and __type for the
// introspection check. A document that passes is parsed once with the
// token limit, measured once with package complexity (shared through the
// operation context), and refused before validation and before any
// resolver if it breaks a limit. Install shares its query cache with
// gqlgen's executor and validates the documents that passed itself, so
// gqlgen neither parses nor validates them again.
//
// # Hot reload
//
// The guards Install adds read their configuration through one atomic
// pointer, loaded once per operation. A Reloader set in Config.Reloader
// swaps in new limits, cost settings, introspection policy and trusted
// documents while the server runs: Reload validates the whole new
// configuration first and changes nothing if it is invalid; an operation
// in flight (an open subscription too) keeps the configuration it started
// with.
//
// # Rejections
//
// Every rejection is a GraphQL error with a stable extensions.code (the
// Code constants), a safe message and, for callers allowed to know (all by
// default; see ConcealLimits), extensions.limit and extensions.observed.
// Each one writes one slog audit record: code, caller subject, client IP,
// operation name, request id — never the document or variables. Through
// Middleware the HTTP status is 400 (limits, trusted documents, batching),
// 403 (INTROSPECTION_DISABLED) or 429 with Retry-After (THROTTLED); gqlgen
// alone would answer 200. gqlgen's own parse and validation errors keep
// gqlgen's status (422 for application/json).
package gqlsec
