package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/ratelimit"
)

// policyFile is the demo's reloadable configuration file (-config,
// RAMPART_CONFIG), JSON. Every key is optional; a key left out keeps its
// default (below). Unknown keys are an error, so a misspelt key is never
// silently ignored.
//
//	{
//	  "limits":      {"depth": 15, "aliases": 30, "rootFields": 20, "fields": 1000,
//	                  "directivesPerField": 10, "directives": 50, "tokens": 15000, "documentBytes": 131072},
//	  "adminLimits": {"depth": 25, "aliases": 100, "fields": 5000},
//	  "cost":        {"max": 5000, "budget": {"points": 20000, "per": "1m"}},
//	  "http":        {"bodyBytes": 1048576,
//	                  "rateLimits": {"anonymous": {"requests": 120, "per": "1m"},
//	                                 "authenticated": {"requests": 600, "per": "1m"},
//	                                 "admin": {"requests": 3000, "per": "1m"}}},
//	  "trustedDocuments": "trusted-documents.json"
//	}
type policyFile struct {
	// Limits are the operation limits of every caller but admins.
	Limits *limitsFile `json:"limits"`
	// AdminLimits are the operation limits of admins.
	AdminLimits *limitsFile `json:"adminLimits"`
	// Cost is the per-operation cost limit and the per-caller budget.
	Cost *costFile `json:"cost"`
	// HTTP is the GraphQL endpoint's body limit and its rate limits by
	// caller.
	HTTP *httpFile `json:"http"`
	// TrustedDocuments is the path of the trusted-documents manifest
	// (relative to the config file's directory), or "off". When present it
	// overrides -trusted-documents; the manifest is re-read at each
	// reload, so a new manifest under the same path is picked up.
	TrustedDocuments *string `json:"trustedDocuments"`
}

// limitsFile is one set of operation limits: a positive number, or -1 for
// no limit. A key left out is the default.
type limitsFile struct {
	Depth              *int `json:"depth"`
	Aliases            *int `json:"aliases"`
	RootFields         *int `json:"rootFields"`
	Fields             *int `json:"fields"`
	DirectivesPerField *int `json:"directivesPerField"`
	Directives         *int `json:"directives"`
	Tokens             *int `json:"tokens"`
	DocumentBytes      *int `json:"documentBytes"`
}

// costFile is the cost section.
type costFile struct {
	// Max is the cost limit of one operation (-1: none).
	Max *int `json:"max"`
	// Budget is every caller's cost budget.
	Budget *budgetFile `json:"budget"`
}

// httpFile is the http section.
type httpFile struct {
	// BodyBytes is the largest request body (uploads have their own
	// limits).
	BodyBytes *int64 `json:"bodyBytes"`
	// RateLimits are the requests a caller may make: anonymous (per
	// client IP), authenticated (per subject) and admin.
	RateLimits *struct {
		Anonymous     *rateFile `json:"anonymous"`
		Authenticated *rateFile `json:"authenticated"`
		Admin         *rateFile `json:"admin"`
	} `json:"rateLimits"`
}

// rateFile is a rate: Requests every Per.
type rateFile struct {
	Requests int    `json:"requests"`
	Per      string `json:"per"`
}

// maxBodyBytes bounds http.bodyBytes (64 MiB): a body the server would
// buffer whole.
const maxBodyBytes = 64 << 20

// budgetFile is a cost budget: Points refilled every Per.
type budgetFile struct {
	Points int    `json:"points"`
	Per    string `json:"per"`
}

// policy is the reloadable configuration in force: the config file (when
// there is one) over the defaults and the command line, with the manifest
// it names loaded.
type policy struct {
	limits, adminLimits gqlsec.OperationLimits
	maxCost             int
	budget              ratelimit.Rate
	// manifest is the trusted-documents manifest's path, "embedded" or ""
	// (none); docs is what it holds.
	manifest string
	docs     *gqlsec.DocumentStore
	// digest is the start of the manifest's SHA-256, so that the reload
	// log shows a manifest whose content changed under the same path.
	digest string
	// bodyBytes is the GraphQL endpoint's body limit; rates its rate
	// limits by caller.
	bodyBytes int64
	rates     httpRates
}

// httpRates are the GraphQL endpoint's rate limits by caller.
type httpRates struct{ anonymous, authenticated, admin ratelimit.Rate }

// defaultPolicy is the demo's policy without a config file: gqlsec's
// default limits, deeper and wider ones for admins, cost 5000 and a budget
// of 20,000 points a minute.
func defaultPolicy() *policy {
	return &policy{
		adminLimits: gqlsec.OperationLimits{Depth: 25, Aliases: 100, Fields: 5000},
		budget:      costBudgetRate(),
		bodyBytes:   httpsec.DefaultBodyLimit,
		rates: httpRates{
			anonymous:     ratelimit.PerMinute(120),
			authenticated: ratelimit.PerMinute(600),
			admin:         ratelimit.PerMinute(3000),
		},
	}
}

// costBudgetRate is every caller's default cost budget: 20,000 points a
// minute.
func costBudgetRate() ratelimit.Rate { return ratelimit.Rate{Limit: 20000, Period: time.Minute} }

// maxConfigBytes bounds the config file read.
const maxConfigBytes = 1 << 20

// loadPolicy reads the config file cfg names (if any) over the defaults
// and cfg's flags, and loads the trusted-documents manifest it selects.
// Every error names the file and the key at fault.
func loadPolicy(cfg *config) (*policy, error) {
	p := defaultPolicy()
	manifest := cfg.TrustedDocuments // flag or TRUSTED_DOCUMENTS
	base := ""
	if cfg.ConfigFile != "" {
		f, err := readPolicyFile(cfg.ConfigFile)
		if err != nil {
			return nil, err
		}
		if err := f.apply(p); err != nil {
			return nil, fmt.Errorf("config %s: %w", cfg.ConfigFile, err)
		}
		if f.TrustedDocuments != nil {
			if *f.TrustedDocuments == "" {
				return nil, fmt.Errorf("config %s: trustedDocuments: empty path (use \"off\" to turn the allowlist off)", cfg.ConfigFile)
			}
			manifest, base = *f.TrustedDocuments, filepath.Dir(cfg.ConfigFile)
		}
	}
	if err := p.loadManifest(cfg, manifest, base); err != nil {
		return nil, err
	}
	return p, nil
}

// readPolicyFile reads and decodes path strictly: one JSON object, no
// unknown keys, nothing after it.
func readPolicyFile(path string) (*policyFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config %s: larger than %d bytes", path, maxConfigBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f policyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, jsonError(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("config %s: data after the JSON object", path)
	}
	return &f, nil
}

// jsonError adds the line of a syntax error to err.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("%s: want %s, not a JSON %s", typ.Field, typ.Type, typ.Value)
	}
	return err
}

// apply overlays f on p, checking every value.
func (f *policyFile) apply(p *policy) error {
	if err := f.Limits.apply("limits", &p.limits); err != nil {
		return err
	}
	if err := f.AdminLimits.apply("adminLimits", &p.adminLimits); err != nil {
		return err
	}
	if c := f.Cost; c != nil {
		if c.Max != nil {
			if err := checkLimit("cost.max", *c.Max); err != nil {
				return err
			}
			p.maxCost = *c.Max
		}
		if b := c.Budget; b != nil {
			if b.Points <= 0 {
				return fmt.Errorf("cost.budget.points: must be a positive number, not %d", b.Points)
			}
			d, err := time.ParseDuration(b.Per)
			if err != nil || d < time.Second || d > 24*time.Hour {
				return fmt.Errorf("cost.budget.per: must be a duration from 1s to 24h such as \"1m\", not %q", b.Per)
			}
			p.budget = ratelimit.Rate{Limit: b.Points, Period: d}
		}
	}
	if h := f.HTTP; h != nil {
		if b := h.BodyBytes; b != nil {
			if *b < 1 || *b > maxBodyBytes {
				return fmt.Errorf("http.bodyBytes: must be from 1 to %d, not %d", maxBodyBytes, *b)
			}
			p.bodyBytes = *b
		}
		if r := h.RateLimits; r != nil {
			for _, x := range []struct {
				key string
				v   *rateFile
				dst *ratelimit.Rate
			}{
				{"anonymous", r.Anonymous, &p.rates.anonymous},
				{"authenticated", r.Authenticated, &p.rates.authenticated},
				{"admin", r.Admin, &p.rates.admin},
			} {
				if x.v == nil {
					continue
				}
				rate, err := x.v.rate("http.rateLimits." + x.key)
				if err != nil {
					return err
				}
				*x.dst = rate
			}
		}
	}
	return nil
}

// rate checks r; key names it in errors.
func (r *rateFile) rate(key string) (ratelimit.Rate, error) {
	if r.Requests <= 0 {
		return ratelimit.Rate{}, fmt.Errorf("%s.requests: must be a positive number, not %d", key, r.Requests)
	}
	d, err := time.ParseDuration(r.Per)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return ratelimit.Rate{}, fmt.Errorf("%s.per: must be a duration from 1s to 24h such as \"1m\", not %q", key, r.Per)
	}
	return ratelimit.Rate{Limit: r.Requests, Period: d}, nil
}

// apply overlays l on out; section names l in errors.
func (l *limitsFile) apply(section string, out *gqlsec.OperationLimits) error {
	if l == nil {
		return nil
	}
	for _, f := range []struct {
		key string
		v   *int
		dst *int
	}{
		{"depth", l.Depth, &out.Depth}, {"aliases", l.Aliases, &out.Aliases},
		{"rootFields", l.RootFields, &out.RootFields}, {"fields", l.Fields, &out.Fields},
		{"directivesPerField", l.DirectivesPerField, &out.DirectivesPerField},
		{"directives", l.Directives, &out.Directives}, {"tokens", l.Tokens, &out.Tokens},
		{"documentBytes", l.DocumentBytes, &out.DocumentBytes},
	} {
		if f.v == nil {
			continue
		}
		if err := checkLimit(section+"."+f.key, *f.v); err != nil {
			return err
		}
		*f.dst = *f.v
	}
	return nil
}

// checkLimit accepts a positive limit or -1 (no limit).
func checkLimit(key string, v int) error {
	if v > 0 || v == -1 {
		return nil
	}
	return fmt.Errorf("%s: must be a positive number, or -1 for no limit, not %d", key, v)
}

// loadManifest loads the trusted-documents manifest at path (relative to
// base when not absolute): "off" disables the allowlist, "" means the
// embedded demo manifest in production and none in development.
func (p *policy) loadManifest(cfg *config, path, base string) error {
	var data []byte
	switch {
	case path == "off":
		return nil
	case path != "":
		if base != "" && !filepath.IsAbs(path) {
			path = filepath.Join(base, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("trusted documents: %w", err)
		}
		data, p.manifest = b, path
	case cfg.Env == envProduction:
		data, p.manifest = demoManifest, "embedded"
	default:
		return nil
	}
	store, err := gqlsec.ParseManifest(data)
	if err != nil {
		return fmt.Errorf("trusted documents %s: %w", p.manifest, err)
	}
	p.docs, p.digest = store, gqlsec.Hash(string(data))[:12]
	return nil
}

// changes describes what differs from old to p, for the reload log line.
func (p *policy) changes(old *policy) string {
	var out []string
	add := func(key string, was, now any) {
		if was != now {
			out = append(out, fmt.Sprintf("%s %v → %v", key, was, now))
		}
	}
	limits := func(section string, was, now gqlsec.OperationLimits) {
		add(section+".depth", limitText(was.Depth), limitText(now.Depth))
		add(section+".aliases", limitText(was.Aliases), limitText(now.Aliases))
		add(section+".rootFields", limitText(was.RootFields), limitText(now.RootFields))
		add(section+".fields", limitText(was.Fields), limitText(now.Fields))
		add(section+".directivesPerField", limitText(was.DirectivesPerField), limitText(now.DirectivesPerField))
		add(section+".directives", limitText(was.Directives), limitText(now.Directives))
		add(section+".tokens", limitText(was.Tokens), limitText(now.Tokens))
		add(section+".documentBytes", limitText(was.DocumentBytes), limitText(now.DocumentBytes))
	}
	limits("limits", old.limits, p.limits)
	limits("adminLimits", old.adminLimits, p.adminLimits)
	add("cost.max", limitText(old.maxCost), limitText(p.maxCost))
	add("cost.budget", fmt.Sprintf("%d/%v", old.budget.Limit, old.budget.Period), fmt.Sprintf("%d/%v", p.budget.Limit, p.budget.Period))
	add("trustedDocuments", old.manifestText(), p.manifestText())
	add("http.bodyBytes", old.bodyBytes, p.bodyBytes)
	rate := func(r ratelimit.Rate) string { return fmt.Sprintf("%d/%v", r.Limit, r.Period) }
	add("http.rateLimits.anonymous", rate(old.rates.anonymous), rate(p.rates.anonymous))
	add("http.rateLimits.authenticated", rate(old.rates.authenticated), rate(p.rates.authenticated))
	add("http.rateLimits.admin", rate(old.rates.admin), rate(p.rates.admin))
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, "; ")
}

// limitText is a limit as the log shows it.
func limitText(v int) string {
	switch {
	case v == -1:
		return "unlimited"
	case v == 0:
		return "default"
	}
	return fmt.Sprint(v)
}

// manifestText names the manifest in force and its size.
func (p *policy) manifestText() string {
	if p.docs == nil {
		return "off"
	}
	return fmt.Sprintf("%s (%d documents, %s)", p.manifest, p.docs.Len(), p.digest)
}

// reload re-reads the config file and the trusted-documents manifest and,
// if both are valid, swaps them into the guards (gqlsec.Reloader): the
// next operation, on HTTP or on a WebSocket already open, runs under
// them; operations in flight finish under the old ones. A bad file or
// manifest is refused with one log line naming the problem, and the
// configuration in force stays. A reload that succeeds logs what changed.
func (a *app) reload() error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	old := a.policy.Load()
	p, err := loadPolicy(a.cfg)
	var query http.Handler
	if err == nil {
		query, err = a.buildQuery(p)
	}
	if err == nil {
		err = a.reloader.Reload(a.gqlsecConfig(a.shared.limiter, p))
	}
	attrs := []any{}
	if a.cfg.ConfigFile != "" {
		attrs = append(attrs, "config", a.cfg.ConfigFile)
	}
	if err != nil {
		a.log.Error("configuration reload refused; the previous configuration stays in force", append(attrs, "error", err.Error())...)
		return err
	}
	a.policy.Store(p)
	a.query.Store(&query)
	a.log.Info("configuration reloaded", append(attrs, "changes", p.changes(old))...)
	return nil
}

// filesDigest is the SHA-256 of the config file's content and of the
// manifest in force: what -config-watch compares. A file that cannot be
// read counts as empty (the reload then says why).
func (a *app) filesDigest() string {
	h := sha256.New()
	for _, path := range []string{a.cfg.ConfigFile, a.policy.Load().manifestPath()} {
		if path == "" {
			continue
		}
		if b, err := os.ReadFile(path); err == nil {
			h.Write(b)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// manifestPath is the manifest file in force, or "" (none, or embedded).
func (p *policy) manifestPath() string {
	if p.docs == nil || p.manifest == "embedded" {
		return ""
	}
	return p.manifest
}

// watchFiles checks the files at each tick and signals changed (without
// blocking: one pending reload is enough) when their content differs
// from what it saw last, until ctx is done. A file refused by the reload
// is not reported again until it changes once more.
func (a *app) watchFiles(ctx context.Context, ticks <-chan time.Time, changed chan<- struct{}) {
	last := a.filesDigest()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		if d := a.filesDigest(); d != last {
			last = d
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	}
}
