package directives_test

import (
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
)

// TestBOLA: object-level authorization (OWASP API1) on mutations that take an
// id, checked by a registered lookup before the resolver runs.
func TestBOLA(t *testing.T) {
	t.Parallel()
	const update = `mutation($id: ID!) { updatePost(id: $id, input: {title: "pwned", body: "x"}) { id title } }`
	const del = `mutation($id: ID!) { deletePost(id: $id) }`
	tests := []struct {
		name     string
		caller   *auth.Principal
		query    string
		id       string
		wantCode string // "" means success
		resolver string
	}{
		{"owner_updates_own_post", alice, update, "p1", "", "updatePost"},
		{"other_user_updates_post_not_found", bob, update, "p1", rampart.CodeNotFound, "updatePost"},
		{"missing_post_not_found", bob, update, "p404", rampart.CodeNotFound, "updatePost"},
		{"admin_bypass_updates_any_post", admin, update, "p1", "", "updatePost"},
		{"anonymous_update_unauthenticated", anonymous, update, "p1", rampart.CodeUnauthenticated, "updatePost"},
		{"owner_deletes_own_post", bob, del, "p2", "", "deletePost"},
		{"other_user_deletes_post_not_found", alice, del, "p2", rampart.CodeNotFound, "deletePost"},
		{"admin_bypass_deletes_any_post", admin, del, "p2", "", "deletePost"},
		{"anonymous_delete_unauthenticated", anonymous, del, "p2", rampart.CodeUnauthenticated, "deletePost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, directives.Options{})
			res := h.do(t, tt.caller, tt.query, map[string]any{"id": tt.id})
			root := "updatePost"
			if tt.resolver == "deletePost" {
				root = "deletePost"
			}
			if got := res.code(root); got != tt.wantCode {
				t.Fatalf("code at %s = %q, want %q; response %s", root, got, tt.wantCode, res.raw)
			}
			calls := h.r.CallCount(tt.resolver)
			if tt.wantCode != "" && calls != 0 {
				t.Fatalf("resolver %s ran %d times despite the refusal", tt.resolver, calls)
			}
			if tt.wantCode == "" && (calls != 1 || len(res.Errors) != 0) {
				t.Fatalf("resolver %s ran %d times, errors %v", tt.resolver, calls, res.Errors)
			}
		})
	}
}

// TestBOLANonOwnerIndistinguishableFromMissing: a caller probing ids cannot
// tell "exists but is not yours" from "does not exist".
func TestBOLANonOwnerIndistinguishableFromMissing(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		`mutation($id: ID!) { updatePost(id: $id, input: {title: "t", body: "b"}) { id } }`,
		`mutation($id: ID!) { deletePost(id: $id) }`,
	} {
		h := newHarness(t, directives.Options{})
		notMine := h.do(t, bob, q, map[string]any{"id": "p1"})
		missing := h.do(t, bob, q, map[string]any{"id": "p404"})
		if notMine.raw != missing.raw {
			t.Fatalf("responses differ:\nnot owner: %s\nmissing:   %s", notMine.raw, missing.raw)
		}
		if notMine.code(pathString([]any{notMine.Errors[0].Path[0]})) != rampart.CodeNotFound {
			t.Fatalf("want NOT_FOUND, got %s", notMine.raw)
		}
	}
}

// TestBOPLA: property-level authorization (OWASP API3). A private field comes
// back null with FORBIDDEN at its path; the rest of the response is intact.
func TestBOPLA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		caller    *auth.Principal
		query     string
		private   string // path of the private field
		wantValue any    // nil when refused
		wantCode  string
		public    string // a public field that must be intact
		publicVal any
	}{
		{"owner_reads_own_email", alice, `{ user(id: "u1") { name email } }`, "user.email", "alice@example.com", "", "user.name", "alice"},
		{"other_user_email_forbidden", bob, `{ user(id: "u1") { name email } }`, "user.email", nil, rampart.CodeForbidden, "user.name", "alice"},
		{"anonymous_email_unauthenticated", anonymous, `{ user(id: "u1") { name email } }`, "user.email", nil, rampart.CodeUnauthenticated, "user.name", "alice"},
		{"admin_bypass_reads_email", admin, `{ user(id: "u1") { name email } }`, "user.email", "alice@example.com", "", "user.name", "alice"},
		{"list_other_email_forbidden", bob, `{ users { name email } }`, "users.0.email", nil, rampart.CodeForbidden, "users.0.name", "alice"},
		{"list_own_email_allowed", bob, `{ users { name email } }`, "users.1.email", "bob@example.com", "", "users.2.name", "root"},
		{"nested_followers_email_forbidden", alice, `{ user(id: "u1") { followers { name email } } }`, "user.followers.0.email", nil, rampart.CodeForbidden, "user.followers.0.name", "bob"},
		{"owner_func_draft_notes_forbidden", bob, `{ post(id: "p1") { title draftNotes } }`, "post.draftNotes", nil, rampart.CodeForbidden, "post.title", "alice's"},
		{"owner_func_draft_notes_allowed", alice, `{ post(id: "p1") { title draftNotes } }`, "post.draftNotes", "alice's notes", "", "post.title", "alice's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, directives.Options{})
			res := h.do(t, tt.caller, tt.query, nil)
			if got := field(res.Data, tt.private); got != tt.wantValue {
				t.Fatalf("%s = %v, want %v; %s", tt.private, got, tt.wantValue, res.raw)
			}
			if got := res.code(tt.private); got != tt.wantCode {
				t.Fatalf("code at %s = %q, want %q; %s", tt.private, got, tt.wantCode, res.raw)
			}
			if got := field(res.Data, tt.public); got != tt.publicVal {
				t.Fatalf("public %s = %v, want %v; %s", tt.public, got, tt.publicVal, res.raw)
			}
		})
	}
}

// TestBFLA: function-level authorization (OWASP API5) with @auth.
func TestBFLA(t *testing.T) {
	t.Parallel()
	withScopes := func(scopes ...string) *auth.Principal {
		return &auth.Principal{Subject: "u9", Roles: []string{"USER"}, Scopes: scopes}
	}
	tests := []struct {
		name     string
		caller   *auth.Principal
		query    string
		root     string
		wantCode string
	}{
		{"anonymous_admin_field_unauthenticated", anonymous, `{ adminOnly }`, "adminOnly", rampart.CodeUnauthenticated},
		{"user_admin_field_forbidden", alice, `{ adminOnly }`, "adminOnly", rampart.CodeForbidden},
		{"admin_admin_field_allowed", admin, `{ adminOnly }`, "adminOnly", ""},
		{"any_of_roles_first_role", editor, `{ editorOrAdmin }`, "editorOrAdmin", ""},
		{"any_of_roles_second_role", admin, `{ editorOrAdmin }`, "editorOrAdmin", ""},
		{"any_of_roles_neither", alice, `{ editorOrAdmin }`, "editorOrAdmin", rampart.CodeForbidden},
		{"all_of_scopes_both", withScopes("posts:read", "posts:write"), `{ scoped }`, "scoped", ""},
		{"all_of_scopes_one_missing", withScopes("posts:read"), `{ scoped }`, "scoped", rampart.CodeForbidden},
		{"all_of_scopes_none", withScopes(), `{ scoped }`, "scoped", rampart.CodeForbidden},
		{"all_of_scopes_admin_role_is_not_a_scope", admin, `{ scoped }`, "scoped", rampart.CodeForbidden},
		{"plain_auth_any_user", bob, `mutation { createPost(input: {title: "t", body: "b"}) { id } }`, "createPost", ""},
		{"plain_auth_anonymous", anonymous, `mutation { createPost(input: {title: "t", body: "b"}) { id } }`, "createPost", rampart.CodeUnauthenticated},
		{"object_auth_user_forbidden", alice, `{ stats { users } }`, "stats", rampart.CodeForbidden},
		{"object_auth_admin_allowed", admin, `{ stats { users } }`, "stats", ""},
		{"object_auth_via_union_user_forbidden", alice, `{ search { ... on Stats { users } } }`, "search.1.users", rampart.CodeForbidden},
		{"object_auth_via_union_anonymous", anonymous, `{ search { ... on Stats { posts } } }`, "search.1.posts", rampart.CodeUnauthenticated},
		{"object_auth_via_union_admin", admin, `{ search { ... on Stats { users } } }`, "search.1.users", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, directives.Options{})
			res := h.do(t, tt.caller, tt.query, nil)
			if got := res.code(tt.root); got != tt.wantCode {
				t.Fatalf("code at %s = %q, want %q; %s", tt.root, got, tt.wantCode, res.raw)
			}
			if tt.wantCode == "" && (len(res.Errors) != 0 || field(res.Data, tt.root) == nil) {
				t.Fatalf("want data at %s and no errors; %s", tt.root, res.raw)
			}
			if tt.wantCode != "" && field(res.Data, tt.root) != nil {
				t.Fatalf("refused field leaked a value: %s", res.raw)
			}
		})
	}
	t.Run("refused_resolver_never_runs", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, directives.Options{})
		h.do(t, alice, `{ adminOnly stats { users } }`, nil)
		if n := h.r.CallCount("adminOnly") + h.r.CallCount("stats"); n != 0 {
			t.Fatalf("guarded resolvers ran %d times", n)
		}
	})
}

// TestDefaultDeny: a field without @auth or @public is refused to anonymous
// callers; @public opens it; authenticated callers are not affected.
func TestDefaultDeny(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		caller   *auth.Principal
		query    string
		root     string
		wantCode string
	}{
		{"unannotated_field_anonymous_refused", anonymous, `{ secret }`, "secret", rampart.CodeUnauthenticated},
		{"unannotated_field_authenticated_allowed", bob, `{ secret }`, "secret", ""},
		{"public_field_anonymous_allowed", anonymous, `{ user(id: "u2") { name } }`, "user.name", ""},
		{"public_type_fields_anonymous_allowed", anonymous, `{ post(id: "p1") { title author { name } } }`, "post.author.name", ""},
		{"public_mutation_anonymous_allowed", anonymous, `mutation { ping }`, "ping", ""},
		{"unannotated_type_anonymous_refused", anonymous, `{ stats { users } }`, "stats", rampart.CodeUnauthenticated},
		{"typename_left_to_gqlsec", anonymous, `{ __typename }`, "__typename", ""},
		{"introspection_left_to_gqlsec", anonymous, `{ __schema { queryType { name } } }`, "__schema.queryType.name", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, directives.Options{})
			res := h.do(t, tt.caller, tt.query, nil)
			if got := res.code(tt.root); got != tt.wantCode {
				t.Fatalf("code at %s = %q, want %q; %s", tt.root, got, tt.wantCode, res.raw)
			}
			if tt.wantCode == "" && (len(res.Errors) != 0 || field(res.Data, tt.root) == nil) {
				t.Fatalf("want data at %s and no errors; %s", tt.root, res.raw)
			}
		})
	}
	t.Run("refused_resolver_never_runs", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, directives.Options{})
		h.do(t, anonymous, `{ secret }`, nil)
		if n := h.r.CallCount("secret"); n != 0 {
			t.Fatalf("secret resolver ran %d times for an anonymous caller", n)
		}
	})
}

// TestSubscriptions: directives and default-deny guard subscription fields.
func TestSubscriptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		caller   *auth.Principal
		query    string
		wantCode string
		wantData string
	}{
		{"auth_subscription_anonymous_refused", anonymous, `subscription { postAdded { id } }`, rampart.CodeUnauthenticated, ""},
		{"auth_subscription_user_allowed", alice, `subscription { postAdded { id } }`, "", "postAdded.id"},
		{"public_subscription_anonymous_allowed", anonymous, `subscription { ticks }`, "", "ticks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, directives.Options{})
			events := h.subscribe(t, tt.caller, tt.query)
			first := events[0]
			if tt.wantCode != "" {
				if len(first.Errors) == 0 || first.Errors[0].Extensions["code"] != tt.wantCode {
					t.Fatalf("want %s, got %s", tt.wantCode, first.raw)
				}
				if n := h.r.CallCount("postAdded"); n != 0 {
					t.Fatalf("subscription resolver ran %d times", n)
				}
				return
			}
			if len(first.Errors) != 0 || field(first.Data, tt.wantData) == nil {
				t.Fatalf("want data at %s, got %s", tt.wantData, first.raw)
			}
		})
	}
}
