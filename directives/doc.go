// Package directives implements Rampart's gqlgen schema directives: @auth
// (function-level authorization, OWASP API5), @owner (object- and
// property-level authorization, OWASP API1 and API3), the input guards
// @constraint and @sanitize, and @public together with a default-deny field
// interceptor so that a field nobody annotated is refused to anonymous
// callers.
//
// Include SDL in the schema, assign the methods of *Directives to the
// generated DirectiveRoot and install it on the server:
//
//	d, err := directives.New(directives.Options{BypassRoles: []string{"ADMIN"}, Lookups: lookups})
//	es := graph.NewExecutableSchema(graph.Config{Resolvers: r, Directives: graph.DirectiveRoot{
//		Auth: d.Auth, Owner: d.Owner, Constraint: d.Constraint, Sanitize: d.Sanitize, Public: d.Public,
//	}})
//	srv := handler.New(es)
//	srv.Use(d)
//
// srv.Use(d) calls Validate, which checks every directive use in the schema
// (patterns compile, formats, policies and lookups exist, limits agree,
// @owner properties are nullable...) and panics on a mistake, so a bad schema
// never serves. Until it has run, every directive refuses (ErrNotInstalled).
//
// Callers are read from the context with auth.PrincipalFrom; a principal
// whose ExpiresAt has passed counts as anonymous. Refusals are
// *gqlerror.Error values with a stable extensions.code (CodeUnauthenticated,
// CodeForbidden, CodeNotFound, CodeBadUserInput, CodeInternal) and a short
// message without internal detail; they wrap the package's sentinel errors.
//
// Decisions worth knowing:
//
//   - Roles are strings ([String!]), not a schema enum, so SDL fits any
//     schema. @auth(requires:) is any-of, @auth(scopes:) is all-of. Bypass
//     roles bypass @owner only, never @auth.
//   - gqlgen runs an OBJECT directive only on fields that return the type.
//     The interceptor also enforces a type-level @auth on every field of the
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
package directives
