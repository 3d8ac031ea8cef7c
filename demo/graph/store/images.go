package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Image is a post's attached image.
type Image struct {
	PostID, Filename, ContentType string
	Data                          []byte
}

// SetPostImage attaches (or replaces) a post's image.
func (s *Store) SetPostImage(ctx context.Context, img Image) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO post_images (post_id, filename, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (post_id) DO UPDATE SET filename = excluded.filename, content_type = excluded.content_type, data = excluded.data, created_at = excluded.created_at`,
		img.PostID, img.Filename, img.ContentType, img.Data, s.stamp())
	if isForeignKey(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: image: %w", err)
	}
	return nil
}

// PostImage returns a post's image, or ErrNotFound.
func (s *Store) PostImage(ctx context.Context, postID string) (Image, error) {
	img := Image{PostID: postID}
	err := s.db.QueryRowContext(ctx, `SELECT filename, content_type, data FROM post_images WHERE post_id = ?`, postID).Scan(&img.Filename, &img.ContentType, &img.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return img, ErrNotFound
	}
	if err != nil {
		return img, fmt.Errorf("store: image: %w", err)
	}
	return img, nil
}

// HasPostImage reports whether a post has an image.
func (s *Store) HasPostImage(ctx context.Context, postID string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM post_images WHERE post_id = ?`, postID).Scan(&n); err != nil {
		return false, fmt.Errorf("store: image: %w", err)
	}
	return n > 0, nil
}
