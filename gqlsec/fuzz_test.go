package gqlsec_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// FuzzParseManifest: arbitrary manifests never panic, and an accepted one
// maps every hash to a document with that hash.
func FuzzParseManifest(f *testing.F) {
	const doc = `query Me { me { id } }`
	f.Add(`{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"` + gqlsec.Hash(doc) + `","body":"query Me { me { id } }"}]}`)
	f.Add(`{"` + gqlsec.Hash(doc) + `":"query Me { me { id } }"}`)
	f.Add(`{"` + strings.ToUpper(gqlsec.Hash(doc)) + `":"query Me { me { id } }"}`)
	f.Add(`{"format":"apollo-persisted-query-manifest","version":2}`)
	f.Add(`{"abc":"{ a }"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, manifest string) {
		s, err := gqlsec.ParseManifest([]byte(manifest))
		if err != nil {
			if s != nil {
				t.Fatal("store with error")
			}
			return
		}
		if s == nil || s.Len() == 0 {
			t.Fatal("nil or empty store without error")
		}
		var relay map[string]any
		_ = json.Unmarshal([]byte(manifest), &relay)
		for id, v := range relay {
			body, ok := v.(string)
			if _, isApollo := relay["format"]; isApollo || !ok {
				break
			}
			if got, ok := s.Lookup(id); !ok || got != body || gqlsec.Hash(body) != strings.ToLower(id) {
				t.Fatalf("lookup %s", id)
			}
		}
	})
}

// FuzzHandler sends arbitrary request bodies and documents through the
// hardened handler: it never panics, never answers 5xx, always answers
// JSON, and a refused request runs no resolver.
func FuzzHandler(f *testing.F) {
	for _, q := range []string{
		gqltest.Typical, gqltest.Deep(40), gqltest.Aliases(40), gqltest.Copies(1200), gqltest.Directives(12),
		gqltest.FragmentBomb(10, 10), gqltest.FragmentCycle(), gqltest.CircularIntrospection(20),
		`{ posts(first: 1000000) { nodes { id } } }`, `{ me { nmae } }`, `{ fail boom publicFail }`,
	} {
		f.Add(mustJSON(map[string]any{"query": q}))
	}
	f.Add(`[` + mustJSON(map[string]any{"query": "{ tags }"}) + `]`)
	f.Add(`{"extensions":{"persistedQuery":{"sha256Hash":"00"}}}`)
	f.Add(`{"query": 1}`)
	f.Add(``)
	h := newHarness(f, gqlsec.Config{HTTP: gqlsec.HTTPOptions{MaxBatch: 3}, Introspection: gqlsec.AllowRoles("ADMIN")})
	f.Fuzz(func(t *testing.T, body string) {
		r := h.do(t, nil, body)
		if r.status >= 500 {
			t.Fatalf("status %d for %q: %s", r.status, body, r.body)
		}
		if !json.Valid(r.body) {
			t.Fatalf("invalid JSON %q", r.body)
		}
		for _, leak := range []string{"hunter2", "resolver.go", "goroutine "} {
			if strings.Contains(string(r.body), leak) {
				t.Fatalf("leak %q in %s", leak, r.body)
			}
		}
	})
}
