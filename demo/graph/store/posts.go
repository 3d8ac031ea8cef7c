package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart/demo/graph/model"
)

const postCols = `seq, id, author_id, title, body, created_at`

func scanPost(row interface{ Scan(...any) error }) (*model.Post, int64, error) {
	var (
		p   model.Post
		seq int64
	)
	if err := row.Scan(&seq, &p.ID, &p.AuthorID, &p.Title, &p.Body, &p.CreatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, 0, ErrNotFound
		}
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	return &p, seq, nil
}

// CreatePost stores a post written by authorID.
func (s *Store) CreatePost(ctx context.Context, authorID, title, body string) (*model.Post, error) {
	id := NewID()
	_, err := s.db.ExecContext(ctx, `INSERT INTO posts (id, author_id, title, body, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, authorID, title, body, s.stamp())
	if isForeignKey(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: create post: %w", err)
	}
	return s.PostByID(ctx, id)
}

// PostByID returns the post with id, or ErrNotFound.
func (s *Store) PostByID(ctx context.Context, id string) (*model.Post, error) {
	p, _, err := scanPost(s.db.QueryRowContext(ctx, `SELECT `+postCols+` FROM posts WHERE id = ?`, id))
	return p, err
}

// UpdatePost replaces a post's title and body.
func (s *Store) UpdatePost(ctx context.Context, id, title, body string) (*model.Post, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE posts SET title = ?, body = ? WHERE id = ?`, title, body, id)
	if err != nil {
		return nil, fmt.Errorf("store: update post: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return s.PostByID(ctx, id)
}

// DeletePost deletes a post and its comments.
func (s *Store) DeletePost(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM posts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete post: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ListPosts returns one page of posts, oldest first; authorID "" means every
// author.
func (s *Store) ListPosts(ctx context.Context, authorID string, p Page) ([]*model.Post, *model.PageInfo, error) {
	limit, after, err := p.limits()
	if err != nil {
		return nil, nil, err
	}
	var rows *sql.Rows
	if authorID == "" {
		rows, err = s.db.QueryContext(ctx, `SELECT `+postCols+` FROM posts WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit+1)
	} else {
		rows, err = s.db.QueryContext(ctx, `SELECT `+postCols+` FROM posts WHERE author_id = ? AND seq > ? ORDER BY seq LIMIT ?`, authorID, after, limit+1)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: list posts: %w", err)
	}
	defer rows.Close()
	var (
		posts []*model.Post
		seqs  []int64
	)
	for rows.Next() {
		p, seq, err := scanPost(rows)
		if err != nil {
			return nil, nil, err
		}
		posts, seqs = append(posts, p), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: list posts: %w", err)
	}
	return posts[:min(len(posts), limit)], pageInfo(len(posts), limit, seqs), nil
}

const commentCols = `seq, id, post_id, author_id, body, created_at`

func scanComment(row interface{ Scan(...any) error }) (*model.Comment, int64, error) {
	var (
		c   model.Comment
		seq int64
	)
	if err := row.Scan(&seq, &c.ID, &c.PostID, &c.AuthorID, &c.Body, &c.CreatedAt); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, 0, ErrNotFound
		}
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	return &c, seq, nil
}

// CreateComment stores a comment on postID; an unknown post is ErrNotFound.
func (s *Store) CreateComment(ctx context.Context, postID, authorID, body string) (*model.Comment, error) {
	id := NewID()
	_, err := s.db.ExecContext(ctx, `INSERT INTO comments (id, post_id, author_id, body, created_at) VALUES (?, ?, ?, ?, ?)`,
		id, postID, authorID, body, s.stamp())
	if isForeignKey(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: create comment: %w", err)
	}
	c, _, err := scanComment(s.db.QueryRowContext(ctx, `SELECT `+commentCols+` FROM comments WHERE id = ?`, id))
	return c, err
}

// ListComments returns one page of a post's comments, oldest first.
func (s *Store) ListComments(ctx context.Context, postID string, p Page) ([]*model.Comment, *model.PageInfo, error) {
	limit, after, err := p.limits()
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+commentCols+` FROM comments WHERE post_id = ? AND seq > ? ORDER BY seq LIMIT ?`, postID, after, limit+1)
	if err != nil {
		return nil, nil, fmt.Errorf("store: list comments: %w", err)
	}
	defer rows.Close()
	var (
		comments []*model.Comment
		seqs     []int64
	)
	for rows.Next() {
		c, seq, err := scanComment(rows)
		if err != nil {
			return nil, nil, err
		}
		comments, seqs = append(comments, c), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: list comments: %w", err)
	}
	return comments[:min(len(comments), limit)], pageInfo(len(comments), limit, seqs), nil
}
