package main

import (
	"strings"
	"testing"
)

// accounts registers Alice and Bob and logs in the seeded admin.
func accounts(t *testing.T) (s *demoServer, alice, bob, admin, aliceID, bobID string) {
	t.Helper()
	s = startDemo(t, map[string]string{"DEMO_ADMIN_EMAIL": "root@example.com", "DEMO_ADMIN_PASSWORD": "an admin passphrase"})
	alice, _, aliceID = s.register("alice@example.com", "Alice", "alice's long passphrase")
	bob, _, bobID = s.register("bob@example.com", "Bob", "bob's long passphrase!")
	r := s.do("", `mutation { login(email: "root@example.com", password: "an admin passphrase") { accessToken } }`, nil)
	admin, _ = dig(r.Data, "login", "accessToken").(string)
	if admin == "" {
		t.Fatalf("admin login: %+v", r)
	}
	return
}

func (s *demoServer) createPost(token, title, body string) string {
	s.t.Helper()
	r := s.do(token, `mutation($in: PostInput!) { createPost(input: $in) { id } }`, map[string]any{"in": map[string]any{"title": title, "body": body}})
	id, _ := dig(r.Data, "createPost", "id").(string)
	if id == "" {
		s.t.Fatalf("createPost: %+v", r.Errors)
	}
	return id
}

// BOLA (OWASP API1): Bob cannot update or delete Alice's post, and his
// answer is the one a missing post gets; the admin can.
func TestBOLA(t *testing.T) {
	t.Parallel()
	s, alice, bob, admin, _, _ := accounts(t)
	post := s.createPost(alice, "Alice post", "hello")
	const upd = `mutation($id: ID!) { updatePost(id: $id, input: {title: "pwned", body: "pwned"}) { id title } }`
	const del = `mutation($id: ID!) { deletePost(id: $id) }`

	notMine := s.do(bob, upd, map[string]any{"id": post})
	missing := s.do(bob, upd, map[string]any{"id": "doesnotexist"})
	if notMine.code() != "NOT_FOUND" || missing.code() != "NOT_FOUND" || notMine.Errors[0].Message != missing.Errors[0].Message {
		t.Fatalf("update of another's post: %q %q; of a missing post: %q %q; want identical NOT_FOUND",
			notMine.code(), notMine.Errors, missing.code(), missing.Errors)
	}
	if r := s.do(bob, del, map[string]any{"id": post}); r.code() != "NOT_FOUND" {
		t.Fatalf("Bob deleting Alice's post: code %q, want NOT_FOUND", r.code())
	}
	if r := s.do("", del, map[string]any{"id": post}); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous delete: code %q, want UNAUTHENTICATED", r.code())
	}
	if r := s.do("", `query($id: ID!) { post(id: $id) { title } }`, map[string]any{"id": post}); dig(r.Data, "post", "title") != "Alice post" {
		t.Fatalf("post changed by a refused update: %+v", r)
	}
	if r := s.do(alice, upd, map[string]any{"id": post}); dig(r.Data, "updatePost", "title") != "pwned" {
		t.Fatalf("owner update refused: %+v", r.Errors)
	}
	if r := s.do(admin, del, map[string]any{"id": post}); dig(r.Data, "deletePost") != true {
		t.Fatalf("admin delete refused: %+v", r.Errors)
	}
}

// BFLA (OWASP API5): a plain user cannot call admin functions.
func TestBFLA(t *testing.T) {
	t.Parallel()
	s, alice, _, admin, _, bobID := accounts(t)
	const setRole = `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }`
	if r := s.do(alice, setRole, map[string]any{"id": bobID}); r.code() != "FORBIDDEN" {
		t.Fatalf("user setUserRole: code %q, want FORBIDDEN", r.code())
	}
	if r := s.do(alice, `{ users { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("user users: code %q, want FORBIDDEN", r.code())
	}
	if r := s.do("", `{ users { nodes { id } } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous users: code %q, want UNAUTHENTICATED", r.code())
	}
	// Admins need a fresh second factor for this one (step-up).
	if r := s.do(admin, setRole, map[string]any{"id": bobID}); r.code() != "MFA_REQUIRED" {
		t.Fatalf("admin setUserRole without MFA: code %q, want MFA_REQUIRED", r.code())
	}
	stepped, _ := s.withMFA(admin)
	if r := s.do(stepped, setRole, map[string]any{"id": bobID}); dig(r.Data, "setUserRole", "role") != "ADMIN" {
		t.Fatalf("admin setUserRole with MFA: %+v", r.Errors)
	}
}

// BOPLA (OWASP API3): another user's email is null with FORBIDDEN at its
// path, and the public fields beside it are intact.
func TestBOPLA(t *testing.T) {
	t.Parallel()
	s, alice, bob, admin, aliceID, _ := accounts(t)
	const q = `query($id: ID!) { user(id: $id) { id name email } }`
	r := s.do(bob, q, map[string]any{"id": aliceID})
	if dig(r.Data, "user", "name") != "Alice" || dig(r.Data, "user", "email") != nil {
		t.Fatalf("Bob reading Alice: %+v", r.Data)
	}
	if r.code() != "FORBIDDEN" || len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "email" {
		t.Fatalf("Bob reading Alice's email: errors %+v, want FORBIDDEN at [user email]", r.Errors)
	}
	if r := s.do("", q, map[string]any{"id": aliceID}); dig(r.Data, "user", "email") != nil || dig(r.Data, "user", "name") != "Alice" {
		t.Fatalf("anonymous reading Alice: %+v", r.Data)
	}
	for who, tok := range map[string]string{"alice": alice, "admin": admin} {
		if r := s.do(tok, q, map[string]any{"id": aliceID}); dig(r.Data, "user", "email") != "alice@example.com" {
			t.Errorf("%s reading Alice's email: %+v %+v", who, r.Data, r.Errors)
		}
	}
	// Emails stay private inside lists too.
	s.createPost(alice, "t", "b")
	r = s.do(bob, `{ posts { nodes { author { name email } } } }`, nil)
	if dig(r.Data, "posts") == nil || r.code() != "FORBIDDEN" {
		t.Fatalf("email through posts.nodes.author: %+v", r)
	}
}

// Stored XSS: HTML in posts and comments is sanitized before it is stored.
func TestXSSIsSanitizedBeforeStorage(t *testing.T) {
	t.Parallel()
	s, alice, _, _, _, _ := accounts(t)
	payloads := []string{
		`<script>alert(1)</script>hello`,
		`<img src=x onerror=alert(1)>`,
		`<a href="javascript:alert(1)">click</a>`,
		`<svg onload=alert(1)><circle/></svg>`,
		`<a href="&#106;avascript:alert(1)">x</a>`,
		`<scr<script>ipt>alert(1)</script>`,
		`<iframe src="https://evil.example"></iframe>`,
	}
	bad := []string{"<script", "onerror", "onload", "javascript:", "<svg", "<iframe", "&#106;avascript"}
	post := s.createPost(alice, "safe title", "safe body")
	for _, p := range payloads {
		r := s.do(alice, `mutation($in: PostInput!) { createPost(input: $in) { title body } }`,
			map[string]any{"in": map[string]any{"title": "t " + p, "body": "b " + p}})
		c := s.do(alice, `mutation($p: ID!, $b: String!) { addComment(postId: $p, body: $b) { body } }`,
			map[string]any{"p": post, "b": "c " + p})
		for _, stored := range []any{dig(r.Data, "createPost", "title"), dig(r.Data, "createPost", "body"), dig(c.Data, "addComment", "body")} {
			str, ok := stored.(string)
			if !ok {
				t.Fatalf("payload %q: no stored value (%+v %+v)", p, r.Errors, c.Errors)
			}
			for _, b := range bad {
				if strings.Contains(strings.ToLower(str), b) {
					t.Errorf("payload %q stored as %q (contains %q)", p, str, b)
				}
			}
		}
	}
	// Safe formatting survives in the body (ugc policy).
	r := s.do(alice, `mutation($in: PostInput!) { createPost(input: $in) { body } }`,
		map[string]any{"in": map[string]any{"title": "t", "body": "<b>bold</b> text"}})
	if dig(r.Data, "createPost", "body") != "<b>bold</b> text" {
		t.Errorf("benign formatting = %v, want kept", dig(r.Data, "createPost", "body"))
	}
}

func TestInputConstraints(t *testing.T) {
	t.Parallel()
	s, alice, _, _, _, _ := accounts(t)
	const q = `mutation($in: PostInput!) { createPost(input: $in) { id } }`
	cases := []struct {
		name, title string
		wantCode    string
	}{
		{"title_200_passes", strings.Repeat("t", 200), ""},
		{"title_201_refused", strings.Repeat("t", 201), "BAD_USER_INPUT"},
		{"title_empty_refused", "", "BAD_USER_INPUT"},
	}
	for _, tc := range cases {
		r := s.do(alice, q, map[string]any{"in": map[string]any{"title": tc.title, "body": "b"}})
		if r.code() != tc.wantCode {
			t.Errorf("%s: code %q, want %q (%+v)", tc.name, r.code(), tc.wantCode, r.Errors)
		}
	}
	if r := s.do("", `{ posts(first: 51) { nodes { id } } }`, nil); r.code() != "BAD_USER_INPUT" {
		t.Errorf("first: 51: code %q, want BAD_USER_INPUT", r.code())
	}
	// A huge page is refused by the static cost analysis, before any resolver.
	if r := s.do("", `{ posts(first: 1000000) { nodes { id } } }`, nil); r.code() != "COST_LIMIT_EXCEEDED" || r.Status != 400 {
		t.Errorf("first: 1000000: %d %q, want 400 COST_LIMIT_EXCEEDED", r.Status, r.code())
	}
	if r := s.do("", `{ posts(first: 50) { nodes { id } } }`, nil); len(r.Errors) > 0 {
		t.Errorf("first: 50 refused: %+v", r.Errors)
	}
}
