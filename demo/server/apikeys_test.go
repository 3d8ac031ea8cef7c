package main

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := startDemoLog(t, nil, filepath.Join(t.TempDir(), "demo.db"), &logs)
	alice, _, aliceID := s.register("alice@example.com", "Alice", "alice's long passphrase")
	// Creating keys is a step-up operation.
	if r := s.do(alice, `mutation { createAPIKey(name: "x", scopes: ["posts:write"]) { key } }`, nil); r.code() != "MFA_REQUIRED" {
		t.Fatalf("createAPIKey without MFA: code %q, want MFA_REQUIRED", r.code())
	}
	alice, _ = s.withMFA(alice)
	withKey := func(key string) http.Header { return http.Header{"X-Api-Key": []string{key}} }

	const create = `mutation($n: String!, $s: [String!]!) { createAPIKey(name: $n, scopes: $s) { key apiKey { id prefix scopes } } }`
	r := s.do(alice, create, map[string]any{"n": "ci bot", "s": []string{"posts:write"}})
	key, _ := dig(r.Data, "createAPIKey", "key").(string)
	id, _ := dig(r.Data, "createAPIKey", "apiKey", "id").(string)
	if !strings.HasPrefix(key, "rpk_"+id+"_") {
		t.Fatalf("createAPIKey: %+v %+v", r.Data, r.Errors)
	}

	// The key acts for Alice with its scope only.
	const post = `mutation { createPost(input: {title: "by key", body: "b"}) { id author { id } } }`
	if r := s.doWith(withKey(key), post, nil); dig(r.Data, "createPost", "author", "id") != aliceID {
		t.Fatalf("post with key: %+v", r)
	}
	postID := s.createPost(alice, "t", "b")
	if r := s.doWith(withKey(key), `mutation($p: ID!) { addComment(postId: $p, body: "x") { id } }`, map[string]any{"p": postID}); r.code() != "FORBIDDEN" {
		t.Fatalf("key without comments:write: code %q, want FORBIDDEN", r.code())
	}
	// A key cannot manage keys, and cannot be given a scope its owner
	// cannot delegate.
	if r := s.doWith(withKey(key), `{ apiKeys { id } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("key listing keys: code %q, want FORBIDDEN", r.code())
	}
	if r := s.do(alice, create, map[string]any{"n": "x", "s": []string{"keys:manage"}}); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("key with keys:manage: code %q, want BAD_USER_INPUT", r.code())
	}
	// A key sent in the URL is never read: the request stays anonymous.
	res, err := http.Post(s.base+"/query?api_key="+key, "application/json", strings.NewReader(`{"query":"{ me { id } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"me":null`) {
		t.Fatalf("key in the URL was honoured: %s", body)
	}

	// Listing shows the prefix and last use, never the key.
	list := s.do(alice, `{ apiKeys { id prefix scopes lastUsedAt revoked } }`, nil)
	keys, _ := dig(list.Data, "apiKeys").([]any)
	if len(keys) != 1 || dig(keys[0].(map[string]any), "lastUsedAt") == nil {
		t.Fatalf("apiKeys = %+v %+v", list.Data, list.Errors)
	}
	secret := key[strings.LastIndex(key, "_")+1:]
	for _, where := range []string{list.Header.Get("X-Request-Id"), logs.String()} {
		if strings.Contains(where, secret) {
			t.Fatal("the key's secret appears in a log or response after creation")
		}
	}
	if raw := mustJSON(list.Data); strings.Contains(raw, secret) {
		t.Fatal("the key's secret appears in the key list")
	}

	// Rotation: both keys work during the overlap; revoking ends the old one.
	rot := s.do(alice, `mutation($id: ID!) { rotateAPIKey(id: $id, overlapHours: 1) { key apiKey { id } } }`, map[string]any{"id": id})
	newKey, _ := dig(rot.Data, "rotateAPIKey", "key").(string)
	if newKey == "" || newKey == key {
		t.Fatalf("rotate: %+v", rot)
	}
	for name, k := range map[string]string{"old": key, "new": newKey} {
		if r := s.doWith(withKey(k), post, nil); len(r.Errors) > 0 || r.Status != http.StatusOK {
			t.Fatalf("%s key during overlap: %d %+v", name, r.Status, r.Errors)
		}
	}
	if r := s.do(alice, `mutation($id: ID!) { revokeAPIKey(id: $id) }`, map[string]any{"id": id}); dig(r.Data, "revokeAPIKey") != true {
		t.Fatalf("revoke: %+v", r)
	}
	if r := s.doWith(withKey(key), post, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked key: status %d, want 401", r.Status)
	}
	if r := s.doWith(withKey(newKey), post, nil); len(r.Errors) > 0 {
		t.Fatalf("new key after old revoked: %+v", r.Errors)
	}
	// Another user cannot revoke or rotate Alice's key: NOT_FOUND.
	bob, _, _ := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	newID := dig(rot.Data, "rotateAPIKey", "apiKey", "id")
	if r := s.do(bob, `mutation($id: ID!) { revokeAPIKey(id: $id) }`, map[string]any{"id": newID}); r.code() != "NOT_FOUND" {
		t.Fatalf("Bob revoking Alice's key: %q, want NOT_FOUND", r.code())
	}
}
