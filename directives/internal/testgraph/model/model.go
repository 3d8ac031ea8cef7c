// Package model holds the hand-written models of the directives test graph.
package model

// User is a person; Email is private to its owner.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// OwnerID makes User satisfy directives.Owned: a user owns itself.
func (u *User) OwnerID() string { return u.ID }

// Post is written by a user; DraftNotes is private to its author.
type Post struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	AuthorID   string `json:"-"`
	DraftNotes string `json:"draftNotes"`
}

// Stats is an admin-only summary.
type Stats struct {
	Users int `json:"users"`
	Posts int `json:"posts"`
}

// IsSearchResult marks Post as a member of the SearchResult union.
func (Post) IsSearchResult() {}

// IsSearchResult marks Stats as a member of the SearchResult union.
func (Stats) IsSearchResult() {}
