package directives

// SDL declares the directives this package implements. Put it in a .graphqls
// file of the schema, verbatim, so that gqlgen generates DirectiveRoot
// signatures that match the methods of *Directives:
//
//	go run github.com/rampart-go/rampart/cmd/rampart sdl > graph/rampart.graphqls
//
// then fill the generated DirectiveRoot with Bind (or assign the methods by
// hand, Constraint32 and RateLimit32 when gqlgen.yml maps Int to
// graphql.Int32: see Bind).
//
// Roles are matched by name ([String!]) rather than through a schema enum, so
// the same directive works in any schema; Validate rejects empty role names
// and, when Options.KnownRoles is set, unknown ones. For the same reason
// @rateLimit(by:) is a String ("CALLER" or "IP") rather than an enum, which
// would clash with a schema's own types; durations are Go duration strings
// ("30s", "1m", "1h") checked by Validate.
const SDL = `"""
@auth requires an authenticated caller. requires: any one of these roles
(by name, matched against auth.Principal.Roles); scopes: all of these scopes.
"""
directive @auth(requires: [String!], scopes: [String!]) on FIELD_DEFINITION | OBJECT
"""
@owner restricts a field to the owner of an object (or a bypass role).
Without lookup it guards a property of the parent object; with lookup it loads
the owner of the object named by argument arg before the resolver runs.
"""
directive @owner(lookup: String, arg: String! = "id") on FIELD_DEFINITION
"""
@constraint rejects an argument or input field that breaks one of its limits.
Lengths count Unicode code points; pattern is RE2 and must match the whole value;
format is one of EMAIL, URL, UUID or a format registered in directives.Options.
"""
directive @constraint(minLength: Int, maxLength: Int, pattern: String, format: String, min: Float, max: Float) on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
"""
@sanitize rewrites a string through an HTML sanitizing policy (strict: strip
all HTML; ugc: keep safe formatting) before the resolver sees it.
"""
directive @sanitize(policy: String! = "strict") on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
"""
@public lets anonymous callers resolve a field, or every field of a type.
"""
directive @public on FIELD_DEFINITION | OBJECT
"""
@rateLimit allows each caller limit calls of the field per window (a Go
duration: "30s", "1m", "1h"); every resolution counts, aliases included.
by: "CALLER" (the authenticated subject, else the client IP) or "IP".
"""
directive @rateLimit(limit: Int!, window: String!, by: String = "CALLER") on FIELD_DEFINITION
"""
@stepUp requires a second factor (an "otp" or "mfa" authentication method)
presented no longer than maxAge ago (a Go duration; default 10m).
"""
directive @stepUp(maxAge: String) on FIELD_DEFINITION
`
