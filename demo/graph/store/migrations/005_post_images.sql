-- One image per post, checked by the upload package (type sniffed from the
-- bytes, size capped) before it is stored.
CREATE TABLE post_images (
  post_id      TEXT PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
  filename     TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data         BLOB NOT NULL,
  created_at   TEXT NOT NULL
);
