package directives

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/microcosm-cc/bluemonday"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/textctl"
)

// Built-in @sanitize policies.
const (
	// PolicyStrict strips every HTML element and attribute and HTML-escapes
	// the remaining text (bluemonday.StrictPolicy): "a < b & c" is stored as
	// "a &lt; b &amp; c". The stored value is safe to insert into HTML; a
	// client that shows it as plain text must unescape it into a text node.
	PolicyStrict = "strict"
	// PolicyUGC keeps safe formatting (b, i, a with http/https/mailto href
	// and rel="nofollow", lists, tables, images...) and drops scripts, event
	// handlers, styles and javascript: URLs (bluemonday.UGCPolicy).
	PolicyUGC = "ugc"
)

// maxSanitizePasses bounds the passes Sanitize makes to reach a fixed point.
const maxSanitizePasses = 4

// Sanitize implements @sanitize(policy: String! = "strict") on arguments and
// input fields: it lets next produce the value and returns it rewritten by
// the policy before the resolver (or a @constraint written after it) sees it.
// Strings, *string and lists of them are rewritten; null stays null. The
// output is a fixed point: sanitizing it again changes nothing.
func (d *Directives) Sanitize(ctx context.Context, obj any, next graphql.Resolver, policy string) (any, error) {
	if d.state.Load() == nil {
		return nil, d.notInstalled(ctx)
	}
	p := d.policies[policy]
	if p == nil {
		return nil, d.internal(ctx, "unknown sanitize policy", fmt.Errorf("%w: directives: policy %q", rampart.ErrConfig, policy))
	}
	v, err := next(ctx)
	if err != nil {
		return v, err
	}
	// Control characters are stripped before the policy runs and again
	// after it (textctl.Sanitize), unless the field opted out.
	clean := func(s string) string {
		return textctl.Sanitize(s, func(s string) string { return sanitizeString(p, s) })
	}
	if d.allowsControl(ctx) {
		clean = func(s string) string { return sanitizeString(p, s) }
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return clean(v), nil
	case *string:
		if v == nil {
			return v, nil
		}
		s := clean(*v)
		return &s, nil
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = clean(s)
		}
		return out, nil
	case []*string:
		out := make([]*string, len(v))
		for i, s := range v {
			if s != nil {
				c := clean(*s)
				out[i] = &c
			}
		}
		return out, nil
	}
	return nil, d.internal(ctx, "@sanitize on a non-string value", fmt.Errorf("%w: directives: %T", rampart.ErrConfig, v))
}

// SanitizeString applies the named policy to s as @sanitize would. It is the
// same code path, exposed for messages that do not travel through GraphQL
// arguments (and for tests).
func (d *Directives) SanitizeString(policy, s string) (string, error) {
	p := d.policies[policy]
	if p == nil {
		return "", fmt.Errorf("%w: directives: unknown sanitize policy %q", rampart.ErrConfig, policy)
	}
	return textctl.Sanitize(s, func(s string) string { return sanitizeString(p, s) }), nil
}

func sanitizeString(p *bluemonday.Policy, s string) string {
	out := p.Sanitize(s)
	if out == s {
		return out // unchanged input is already a fixed point
	}
	for range maxSanitizePasses - 1 {
		again := p.Sanitize(out)
		if again == out {
			break
		}
		out = again
	}
	return out
}
