// Package model holds the demo's GraphQL model types. The hand-written ones
// carry the foreign keys that field resolvers follow; the rest are generated
// into models_gen.go by gqlgen.
package model

import (
	"time"

	"github.com/rampart-go/rampart/auth/apikey"
)

// APIKey is what the store keeps of an API key: never the key itself.
type APIKey struct {
	Record     apikey.Record
	Name       string
	LastUsedAt time.Time
}

// User is a registered account. PasswordHash never leaves the server: the
// schema has no field for it.
type User struct {
	ID           string
	Name         string
	Email        *string
	Role         Role
	CreatedAt    string
	Website      *string
	PasswordHash string `json:"-"`
}

// OwnerID reports the user who owns u: u itself.
func (u *User) OwnerID() string { return u.ID }

// Post is an article written by AuthorID.
type Post struct {
	ID        string
	Title     string
	Body      string
	AuthorID  string
	CreatedAt string
}

// OwnerID reports the post's author.
func (p *Post) OwnerID() string { return p.AuthorID }

// Comment is a reply to PostID written by AuthorID.
type Comment struct {
	ID        string
	Body      string
	PostID    string
	AuthorID  string
	CreatedAt string
}

// OwnerID reports the comment's author.
func (c *Comment) OwnerID() string { return c.AuthorID }
