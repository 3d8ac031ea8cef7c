package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/auth/refresh/refreshtest"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
)

func open(t *testing.T) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestMigrationsAreIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := open(t)
	if _, err := s.CreateUser(ctx, "a@example.com", "A", "h", model.RoleUser); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if _, err := s2.UserByEmail(ctx, "A@EXAMPLE.COM"); err != nil {
		t.Fatalf("user lost across reopen (or email not case-insensitive): %v", err)
	}
}

func TestDuplicateEmailConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	if _, err := s.CreateUser(ctx, "a@example.com", "A", "h", model.RoleUser); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "A@Example.com", "A2", "h", model.RoleUser); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate email: err = %v, want ErrConflict", err)
	}
}

func TestSQLInjectionIsData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	u, _ := s.CreateUser(ctx, "a@example.com", "A", "h", model.RoleUser)
	evil := `x'); DROP TABLE posts; --`
	p, err := s.CreatePost(ctx, u.ID, evil, evil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.PostByID(ctx, p.ID)
	if err != nil || got.Title != evil {
		t.Fatalf("post round trip = %+v, %v", got, err)
	}
	if _, err := s.UserByEmail(ctx, `' OR '1'='1`); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("injection in lookup: err = %v, want ErrNotFound", err)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	u, _ := s.CreateUser(ctx, "a@example.com", "A", "h", model.RoleUser)
	for i := range 60 {
		if _, err := s.CreatePost(ctx, u.ID, fmt.Sprint("t", i), "b"); err != nil {
			t.Fatal(err)
		}
	}
	huge := 1000000
	page, pi, err := s.ListPosts(ctx, "", store.Page{First: &huge})
	if err != nil || len(page) != store.MaxPageSize || !pi.HasNextPage {
		t.Fatalf("first: 1000000 → %d posts (hasNext %v, err %v), want the %d cap", len(page), pi.HasNextPage, err, store.MaxPageSize)
	}
	def, pi, _ := s.ListPosts(ctx, "", store.Page{})
	if len(def) != store.DefaultPageSize {
		t.Fatalf("default page = %d", len(def))
	}
	seen := len(def)
	for pi.HasNextPage {
		var next []*model.Post
		next, pi, err = s.ListPosts(ctx, "", store.Page{After: pi.EndCursor})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(next)
	}
	if seen != 60 {
		t.Fatalf("walked %d posts, want 60", seen)
	}
	for _, bad := range []string{"garbage", "YzotMQ", "!!!"} {
		if _, _, err := s.ListPosts(ctx, "", store.Page{After: &bad}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q: err = %v, want ErrBadCursor", bad, err)
		}
	}
}

func TestRefreshStoreRotateIsCompareAndSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	u, _ := s.CreateUser(ctx, "a@example.com", "A", "h", model.RoleUser)
	rt, err := refresh.NewTokens(s.RefreshTokens(), refresh.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := rt.Issue(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := rt.Rotate(ctx, tok); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent rotations of one token succeeded, want exactly 1", wins)
	}
}

func TestDeletePostCascades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	u, _ := s.CreateUser(ctx, "a@example.com", "A", "h", model.RoleUser)
	p, _ := s.CreatePost(ctx, u.ID, "t", "b")
	if _, err := s.CreateComment(ctx, p.ID, u.ID, "c"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePost(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	cs, _, _ := s.ListComments(ctx, p.ID, store.Page{})
	if len(cs) != 0 {
		t.Fatalf("%d comments survive their post", len(cs))
	}
	if _, err := s.CreateComment(ctx, "missing", u.ID, "c"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("comment on missing post: %v, want ErrNotFound", err)
	}
}

// TestSessionCutoffsAreDurable: a cutoff survives a reopen of the
// database, a later cutoff is never replaced by an earlier one, and a
// lapsed one is forgotten.
func TestSessionCutoffsAreDurable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := store.Open(ctx, path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	at := now.Add(-time.Second)
	if err := s.CutSessions(ctx, "u1", at, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.CutSessions(ctx, "u1", at.Add(-time.Minute), now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.CutSessions(ctx, "u2", at, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.CutSessions(ctx, "u3", at, now.Add(-time.Minute)); err != nil { // already lapsed
		t.Fatal(err)
	}
	s.Close()
	s, err = store.Open(ctx, path, store.Options{Now: func() time.Time { return now.Add(30 * time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.SessionCutoffs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SessionCutoff{{Subject: "u1", At: at, Until: now.Add(2 * time.Hour)}}
	if len(got) != 1 || got[0].Subject != want[0].Subject || !got[0].At.Equal(want[0].At) || !got[0].Until.Equal(want[0].Until) {
		t.Fatalf("cutoffs after reopen = %+v, want %+v (u2 lapsed, u3 never stored, u1's later cutoff kept)", got, want)
	}
}

// TestRefreshStoreConformance runs refreshtest's contract on the demo's
// SQLite refresh store, through two handles on one database file (two
// replicas): each check writes through one and reads through the other.
func TestRefreshStoreConformance(t *testing.T) {
	t.Parallel()
	refreshtest.Run(t, func(t *testing.T) refreshtest.Stores {
		a, path := open(t)
		b, err := store.Open(context.Background(), path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		// Refresh records name an existing user (a foreign key).
		u, err := a.CreateUser(context.Background(), "refresh@example.com", "Refresh", "h", model.RoleUser)
		if err != nil {
			t.Fatal(err)
		}
		return refreshtest.Stores{Writer: a.RefreshTokens(), Reader: b.RefreshTokens(), Subject: u.ID}
	})
}

// TestReplacePasswordHashIsCompareAndSet: a rehash replaces the hash it
// was computed from and nothing else, so it can never undo a password
// change that landed in the meantime.
func TestReplacePasswordHashIsCompareAndSet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := open(t)
	u, err := s.CreateUser(ctx, "cas@example.com", "CAS", "old", model.RoleUser)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasswordHash(ctx, u.ID, "changed"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ReplacePasswordHash(ctx, u.ID, "old", "rehashed-old"); err != nil || ok {
		t.Fatalf("rehash over a changed password: %v, %v; want false", ok, err)
	}
	if ok, err := s.ReplacePasswordHash(ctx, u.ID, "changed", "rehashed"); err != nil || !ok {
		t.Fatalf("rehash of the current hash: %v, %v; want true", ok, err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "rehashed" {
		t.Fatalf("hash = %q, want rehashed", got.PasswordHash)
	}
}
