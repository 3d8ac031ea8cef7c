// Package directives implements Rampart's gqlgen schema directives: @auth
// (function-level authorization, OWASP API5), @owner (object- and
// property-level authorization, OWASP API1 and API3), @stepUp (a recent
// second factor for sensitive operations), @rateLimit (per-caller limits on
// business flows, OWASP API6), the input guards @constraint and @sanitize,
// and @public together with a default-deny rule on every field so that a field
// nobody annotated is refused to anonymous callers.
//
// Include SDL in the schema (`go run github.com/rampart-go/rampart/cmd/rampart
// sdl > graph/rampart.graphqls`), fill the generated DirectiveRoot with Bind
// and install the directives on the server:
//
//	limiter, err := ratelimit.NewMemory(ratelimit.MemoryOptions{}) // or redisrl.New
//	d, err := directives.New(directives.Options{BypassRoles: []string{"ADMIN"}, Lookups: lookups, Limiter: limiter})
//	var dirs graph.DirectiveRoot
//	err = d.Bind(&dirs) // any Int mapping of gqlgen.yml
//	es := graph.NewExecutableSchema(graph.Config{Resolvers: r, Directives: dirs})
//	srv := handler.New(es)
//	srv.Use(d)
//
// gqlgen types the Int arguments of @constraint and @rateLimit as
// gqlgen.yml maps Int: Constraint and RateLimit take int (graphql.Int),
// Constraint32 and RateLimit32 int32 (graphql.Int32, written by `gqlgen
// init`), Constraint64 and RateLimit64 int64; Bind picks the matching pair.
//
// srv.Use(d) calls Validate, which checks every directive use in the schema
// (patterns compile, formats, policies and lookups exist, limits agree,
// @owner properties are nullable, @rateLimit windows and @stepUp ages are
// positive Go durations, a limiter is set when @rateLimit is used...) and
// panics on a mistake, so a bad schema never serves. Until it has run, every directive refuses (ErrNotInstalled).
//
// Callers are read from the context with auth.PrincipalFrom; a principal
// whose ExpiresAt has passed counts as anonymous. Refusals are
// *gqlerror.Error values with a stable extensions.code (rampart.CodeUnauthenticated,
// rampart.CodeForbidden, rampart.CodeNotFound, rampart.CodeMFARequired, rampart.CodeRateLimited,
// rampart.CodeRateLimitUnavailable, rampart.CodeBadUserInput, rampart.CodeInternal) and a short
// message without internal detail; they wrap the package's sentinel errors.
//
// Decisions worth knowing:
//
//   - Roles are strings ([String!]), not a schema enum, so SDL fits any
//     schema. @auth(requires:) is any-of, @auth(scopes:) is all-of. Bypass
//     roles bypass @owner only, never @auth.
//   - gqlgen runs an OBJECT directive only on fields that return the type.
//     GuardField also enforces a type-level @auth on every field of the
//     type, which covers root types, unions and interfaces.
//   - Default deny concerns anonymous callers only: authenticated callers may
//     resolve any field their @auth and @owner directives allow.
//   - @owner(lookup:) answers "not yours" and "does not exist" identically
//     (NOT_FOUND), after UNAUTHENTICATED for anonymous callers.
//   - A property guarded by @owner must be nullable (email: String): a
//     refused read then nulls that field only, with FORBIDDEN at its path.
//   - Write @sanitize before @constraint: directives on an input run in
//     source order, so limits apply to the sanitized, stored value. Strict
//     output is HTML-escaped text ("a & b" is stored as "a &amp; b").
//   - Patterns are RE2 (Go regexp), compiled once by Validate, and must match
//     the whole value.
//   - @rateLimit spends one token per resolution of the field (aliases
//     count) from a bucket keyed by Type.field and the caller (subject, else
//     client IP from reqctx.ClientIP; by: "IP" always the address). It
//     fails closed when the limiter fails. gqlgen runs a field's last
//     directive first: write @rateLimit last so it runs before @auth,
//     @stepUp and @owner lookups.
//   - @stepUp is a directive of its own, not an @auth argument: assurance
//     (how recently, with which factor) is a separate concern from
//     permission, it carries a per-field maxAge, and Auth keeps its
//     signature. A @stepUp field is never anonymous.
//   - Formats that need the request's context (a DNS-resolving SSRF check
//     registered as PUBLIC_URL with ssrf.Guard.Check) go in
//     Options.FormatsContext; their errors are logged, never sent.
//   - @rateLimit and @stepUp were added to SDL after the others: a schema
//     that includes an older SDL still validates, but one that declares them
//     must declare them exactly as SDL does.
package directives
