package upload_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart/upload"
)

// onePNG is a 512×512 noise PNG: about 1 MiB that does not compress.
func onePNG(b *testing.B) []byte {
	img := pngBytes(b, 512, 512, true)
	if len(img) < 1<<20 {
		b.Fatalf("image is %d bytes, want ≥ 1 MiB", len(img))
	}
	return img
}

// BenchmarkCheck measures Check on a 1 MiB PNG: the bounded read, the
// sniff, the PNG header decode and the name sanitizing.
func BenchmarkCheck(b *testing.B) {
	img := onePNG(b)
	g, err := upload.New(upload.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		up, err := g.Check(ctx, graphql.Upload{File: bytes.NewReader(img), Filename: "photo.png", Size: int64(len(img))})
		if err != nil || up.ContentType != "image/png" {
			b.Fatal(up.ContentType, err)
		}
	}
}

// BenchmarkBaselineCopy is the bare baseline: io.Copy of the same file to
// io.Discard, what a resolver that checks nothing might do.
func BenchmarkBaselineCopy(b *testing.B) {
	img := onePNG(b)
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.Copy(io.Discard, bytes.NewReader(img)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineReadAll buffers the file as Check does, without any
// check: the fair comparison for the copy Check makes.
func BenchmarkBaselineReadAll(b *testing.B) {
	img := onePNG(b)
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.ReadAll(bytes.NewReader(img)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServer sends a 1 MiB single-file upload through a gqlgen server
// end to end: guarded transport and Check in the resolver, against gqlgen's
// bare MultipartForm with a resolver that only reads the file.
func BenchmarkServer(b *testing.B) {
	img := onePNG(b)
	g, err := upload.New(upload.Config{AllowAnonymous: true})
	if err != nil {
		b.Fatal(err)
	}
	body, ct := singleUpload(b, file{name: "photo.png", contentType: "image/png", content: img})
	run := func(b *testing.B, h http.Handler) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
			r.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body)
			}
		}
	}
	b.Run("guarded", func(b *testing.B) { run(b, newServer(b, g, false)) })
	b.Run("bare", func(b *testing.B) { run(b, newBareServer(b, g)) })
}
