package directives

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/microcosm-cc/bluemonday"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
)

// OwnerFunc returns the id of the owner of obj, the resolved parent object of
// an @owner field (for example *model.User for User.email). It is registered
// per GraphQL type name in Options.Owners.
type OwnerFunc func(ctx context.Context, obj any) (ownerID string, err error)

// LookupFunc returns the owner of the object with the given id. It returns an
// error wrapping ErrNotFound when no such object exists; any other error is
// logged and answered with rampart.CodeInternal.
type LookupFunc func(ctx context.Context, id string) (ownerID string, err error)

// FormatFunc checks a string against a named @constraint format. It returns a
// short, client-safe reason (such as "must be a public URL") when the value is
// rejected. It must not panic on any input.
type FormatFunc func(value string) error

// FormatContextFunc checks a string against a named @constraint format that
// needs the request's context: a check that resolves a host name (an SSRF
// guard such as ssrf.Guard.Check, registered as PUBLIC_URL) must stop when
// the request is cancelled. Its error may carry internal detail (addresses,
// ranges); it is logged and never sent: the client only learns that the value
// is not a valid NAME. It must not panic on any input and should bound its
// own running time.
type FormatContextFunc func(ctx context.Context, value string) error

// Owned is implemented by models that know their owner. It is consulted for an
// @owner property field when no OwnerFunc is registered for the type.
type Owned interface {
	OwnerID() string
}

// Options configures the directives. The zero value is the hardened default:
// nobody bypasses ownership, no lookup or owner function is known (so every
// @owner(lookup:) use fails Validate), the built-in formats and policies only,
// logs discarded, time.Now as the clock.
type Options struct {
	// BypassRoles are roles whose holders pass every @owner check (for
	// example "ADMIN"). Default: none. They do not bypass @auth.
	BypassRoles []string
	// Owners maps a GraphQL object type name to the function that returns the
	// owner of a resolved object of that type. A type not listed here falls
	// back to the Owned interface; a model with neither is refused (FORBIDDEN)
	// and the misconfiguration is logged.
	Owners map[string]OwnerFunc
	// Lookups maps the name used in @owner(lookup: "Post") to the function
	// that loads the owner of an object by id. Validate fails when the schema
	// names a lookup that is not registered.
	Lookups map[string]LookupFunc
	// Formats adds @constraint formats (for example a PUBLIC_URL check that
	// refuses private addresses). Names must not clash with the built-in
	// EMAIL, URL and UUID.
	Formats map[string]FormatFunc
	// FormatsContext adds @constraint formats whose check needs the request's
	// context (see FormatContextFunc); the demo registers PUBLIC_URL here
	// with ssrf.Guard.Check. Names must not clash with the built-in formats
	// or with Formats.
	FormatsContext map[string]FormatContextFunc
	// Policies adds @sanitize policies by name. Names must not clash with the
	// built-in "strict" and "ugc". A policy must not be modified after New.
	Policies map[string]*bluemonday.Policy
	// AllowControl lists the arguments and input fields, by InputCoordinate
	// ("Mutation.createPost.input.body", "Mutation.setWebsite.url"), whose
	// values may keep control characters, ANSI escape sequences and
	// bidirectional overrides (see FindControl): @constraint accepts them
	// and @sanitize keeps them there. Everywhere else @constraint refuses
	// them and @sanitize strips them; tab, line feed and carriage return
	// are always allowed.
	AllowControl []string
	// KnownRoles, when set, is the complete list of role names; Validate then
	// rejects any @auth(requires:) role outside it, catching typos at startup.
	// Default: any non-empty name is accepted.
	KnownRoles []string
	// Limiter backs @rateLimit: ratelimit.NewMemory for one process,
	// redisrl.New to share the buckets between replicas. Validate
	// fails when the schema uses @rateLimit and Limiter is nil.
	Limiter ratelimit.Limiter
	// RateLimitPrefix namespaces @rateLimit keys in a limiter shared with
	// other users. Empty means DefaultRateLimitPrefix ("field:"). Keys are
	// prefix + "Type.field:" + ("user:" + subject | "ip:" + address).
	RateLimitPrefix string
	// RateLimitOnFailure says what @rateLimit does when Limiter fails (for
	// example Redis is down): ratelimit.FailClosed (the default) refuses with
	// rampart.CodeRateLimitUnavailable; ratelimit.FailOpen resolves the field as if
	// the caller had tokens left. Either way the failure is logged (at most
	// once a second).
	RateLimitOnFailure ratelimit.FailureMode
	// RateLimitMode is @rateLimit's mode: the zero value rampart.Enforce
	// refuses with RATE_LIMITED; rampart.Measure resolves the field
	// anyway, counted (outcome "measured") and logged; rampart.Off skips
	// the limiter.
	RateLimitMode rampart.Mode
	// Telemetry counts denials by code (guard telemetry.GuardDirectives;
	// telemetry.GuardFieldRateLimit for @rateLimit) and @rateLimit
	// decisions by backend. Nil records nothing.
	Telemetry *telemetry.Instruments
	// StepUpMaxAge is how long a second factor stays fresh for @stepUp
	// fields that give no maxAge. Zero means DefaultStepUpMaxAge (10
	// minutes); negative is an error.
	StepUpMaxAge time.Duration
	// StepUpMethods are the authentication methods (RFC 8176 "amr" values,
	// matched with auth.Principal.HasAMR) that count as a second factor for
	// @stepUp. Nil means DefaultStepUpMethods ("otp", "mfa"); add "hwk" for
	// security keys. An empty name is an error.
	StepUpMethods []string
	// Logger receives denials (Info) and misconfigurations (Error). Nil
	// discards.
	Logger *slog.Logger
	// Now is the clock used to treat an expired principal as anonymous and
	// to judge the age of a second factor (@stepUp). Nil means time.Now.
	// @rateLimit uses the Limiter's own clock.
	Now func() time.Time
	// CurrentPrincipal, when set, re-authorizes every event of a
	// subscription (a field of the Subscription root type that is not
	// @public): before an event is delivered, the caller's current
	// Principal (see CurrentPrincipalFunc) must still pass the field's
	// @auth (and its type's) and @owner(lookup:), and the event's fields
	// are resolved against it. An event that fails is not delivered and
	// the subscription ends with FORBIDDEN (through SubscriptionError); the
	// connection's other subscriptions go on. Nil means subscriptions are
	// authorized once, when they start.
	CurrentPrincipal CurrentPrincipalFunc
	// SubscriptionError ends a subscription with an error: set it to
	// gqlgen's transport.AddSubscriptionError (the WebSocket transports
	// then send an error message for the subscription). Nil, or a transport
	// without subscription errors, ends a refused subscription without one.
	SubscriptionError func(ctx context.Context, err *gqlerror.Error)
}

// Directives implements the directives of SDL for gqlgen and the default-deny
// rule applied to every field (GuardField). Create it with New, assign its methods to the generated
// DirectiveRoot, and install it on the server with srv.Use(d): Use calls
// Validate, which checks every directive use in the schema and precomputes
// the per-field policy. Until then every directive fails closed with
// rampart.CodeInternal (ErrNotInstalled). It is safe for concurrent use.
type Directives struct {
	bypass     []string
	owners     map[string]OwnerFunc
	lookups    map[string]LookupFunc
	formats    map[string]FormatFunc
	formatsCtx map[string]FormatContextFunc
	policies   map[string]*bluemonday.Policy
	knownRoles map[string]bool
	log        *slog.Logger
	now        func() time.Time

	limiter       ratelimit.Limiter
	rlPrefix      string
	rlFailOpen    bool
	rlLastLog     atomic.Int64 // unix nanoseconds of the last limiter-failure log
	rlMode        rampart.Mode
	ins           *telemetry.Instruments
	stepUpMaxAge  time.Duration
	stepUpMethods []string
	current       CurrentPrincipalFunc
	subErr        func(context.Context, *gqlerror.Error)

	state atomic.Pointer[compiled]

	// allowControl is Options.AllowControl as a set.
	allowControl map[string]bool
}

var (
	_ graphql.HandlerExtension        = (*Directives)(nil)
	_ graphql.OperationContextMutator = (*Directives)(nil)
)

// New checks opts and returns the directives. It copies the maps of opts.
func New(opts Options) (*Directives, error) {
	d := &Directives{
		bypass:     append([]string(nil), opts.BypassRoles...),
		owners:     maps.Clone(opts.Owners),
		lookups:    maps.Clone(opts.Lookups),
		formats:    builtinFormats(),
		policies:   map[string]*bluemonday.Policy{PolicyStrict: bluemonday.StrictPolicy(), PolicyUGC: bluemonday.UGCPolicy()},
		log:        opts.Logger,
		now:        opts.Now,
		knownRoles: map[string]bool{},
		formatsCtx: map[string]FormatContextFunc{},
		limiter:    opts.Limiter,
		rlPrefix:   opts.RateLimitPrefix,

		stepUpMaxAge:  opts.StepUpMaxAge,
		stepUpMethods: append([]string(nil), opts.StepUpMethods...),
		current:       opts.CurrentPrincipal,
		subErr:        opts.SubscriptionError,
	}
	d.allowControl = setOf(opts.AllowControl)
	if d.rlPrefix == "" {
		d.rlPrefix = DefaultRateLimitPrefix
	}
	if !opts.RateLimitMode.Valid() {
		return nil, fmt.Errorf("%w: directives: invalid RateLimitMode %v", rampart.ErrConfig, opts.RateLimitMode)
	}
	d.rlMode, d.ins = opts.RateLimitMode, opts.Telemetry
	switch opts.RateLimitOnFailure {
	case ratelimit.FailClosed:
	case ratelimit.FailOpen:
		d.rlFailOpen = true
	default:
		return nil, fmt.Errorf("%w: directives: unknown RateLimitOnFailure %v", rampart.ErrConfig, opts.RateLimitOnFailure)
	}
	switch {
	case d.stepUpMaxAge < 0:
		return nil, fmt.Errorf("%w: directives: negative StepUpMaxAge %v", rampart.ErrConfig, d.stepUpMaxAge)
	case d.stepUpMaxAge == 0:
		d.stepUpMaxAge = DefaultStepUpMaxAge
	}
	if opts.StepUpMethods == nil {
		d.stepUpMethods = DefaultStepUpMethods()
	}
	if len(d.stepUpMethods) == 0 {
		return nil, fmt.Errorf("%w: directives: StepUpMethods is empty: no caller could pass @stepUp", rampart.ErrConfig)
	}
	for _, m := range d.stepUpMethods {
		if m == "" {
			return nil, fmt.Errorf("%w: directives: empty step-up method", rampart.ErrConfig)
		}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	for _, r := range opts.BypassRoles {
		if r == "" {
			return nil, fmt.Errorf("%w: directives: empty bypass role", rampart.ErrConfig)
		}
	}
	for _, r := range opts.KnownRoles {
		if r == "" {
			return nil, fmt.Errorf("%w: directives: empty known role", rampart.ErrConfig)
		}
		d.knownRoles[r] = true
	}
	for name, f := range opts.Owners {
		if name == "" || f == nil {
			return nil, fmt.Errorf("%w: directives: owner function for type %q is empty", rampart.ErrConfig, name)
		}
	}
	for name, f := range opts.Lookups {
		if name == "" || f == nil {
			return nil, fmt.Errorf("%w: directives: lookup %q is empty", rampart.ErrConfig, name)
		}
	}
	for name, f := range opts.Formats {
		if _, builtin := d.formats[name]; builtin || name == "" || f == nil {
			return nil, fmt.Errorf("%w: directives: format %q is empty or shadows a built-in format", rampart.ErrConfig, name)
		}
		d.formats[name] = f
	}
	for name, f := range opts.FormatsContext {
		if _, taken := d.formats[name]; taken || name == "" || f == nil {
			return nil, fmt.Errorf("%w: directives: context format %q is empty or shadows another format", rampart.ErrConfig, name)
		}
		d.formatsCtx[name] = f
	}
	for name, p := range opts.Policies {
		if _, builtin := d.policies[name]; builtin || name == "" || p == nil {
			return nil, fmt.Errorf("%w: directives: sanitize policy %q is empty or shadows a built-in policy", rampart.ErrConfig, name)
		}
		d.policies[name] = p
	}
	return d, nil
}

// ExtensionName names the extension for gqlgen.
func (d *Directives) ExtensionName() string { return "RampartDirectives" }

// Validate implements graphql.HandlerExtension: srv.Use(d) calls it and
// panics on its error, so a bad schema stops startup. See ValidateSchema.
func (d *Directives) Validate(es graphql.ExecutableSchema) error {
	return d.ValidateSchema(es.Schema())
}

// ValidateSchema checks every use of the directives in schema (unknown
// lookups, formats, policies and roles, patterns that do not compile, limits
// that contradict each other, constraints on the wrong type, @owner on a
// non-null property, @public inside an @auth type) and precomputes the
// default-deny policy of every field. It replaces any earlier state, so one
// *Directives serves one schema.
func (d *Directives) ValidateSchema(schema *ast.Schema) error {
	if schema == nil {
		return fmt.Errorf("%w: directives: nil schema", rampart.ErrConfig)
	}
	c, err := d.compile(schema)
	if err != nil {
		return err
	}
	d.state.Store(c)
	return nil
}

// principal returns the caller, or nil for an anonymous caller or one whose
// credential has expired.
func (d *Directives) principal(ctx context.Context) *auth.Principal {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok || p.ExpiredAt(d.now()) {
		return nil
	}
	return p
}

// compiled is the immutable per-schema state built by ValidateSchema.
type compiled struct {
	fields   map[fieldKey]fieldPolicy
	patterns map[string]*regexp.Regexp
}

// policy returns the policy of the field in fc: the one of the field of
// the object type being resolved (fc.Object), whatever definition fc
// carries (an interface's, for a field selected through it). An unknown
// field has the zero policy: anonymous callers are refused.
func (c *compiled) policy(fc *graphql.FieldContext) fieldPolicy {
	return c.fields[fieldKey{fc.Object, fc.Field.Name}]
}

type fieldKey struct{ typ, field string }

// fieldPolicy is what GuardField enforces for one field of an
// object type.
type fieldPolicy struct {
	// anonymous: an anonymous caller may resolve the field.
	anonymous bool
	// typeAuth: the parent type carries @auth, enforced on every field.
	typeAuth *requirement
	// rate: the field's @rateLimit, nil when it has none.
	rate *rateRule
	// stepUp: the maximum age of the second factor @stepUp asks for; zero
	// when the field has no @stepUp.
	stepUp time.Duration
	// live: how each event of a guarded root subscription field is
	// re-authorized; nil for other fields.
	live *liveRule
}

// requirement is one @auth: any of roles, all of scopes.
type requirement struct {
	roles, scopes []string
}
