package upload_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart/upload"
)

// FuzzSanitizeFilename: never panics; the result is non-empty, valid
// UTF-8, within the cap, free of separators, control and format
// characters, never starts with a dot, and sanitizing it again changes
// nothing.
func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"photo.png", "../../etc/passwd", `C:\a\b.png`, "..", ".htaccess", "a\x00b.png",
		"invoice\u202egnp.exe", "a\xff.png", "NUL.png", "AUX" + strings.Repeat(" ", 40) + "x", strings.Repeat("é", 200) + ".png"} {
		f.Add(s, 32)
	}
	f.Fuzz(func(t *testing.T, name string, maxBytes int) {
		maxBytes = max(maxBytes%1024, 0)
		got := upload.SanitizeFilename(name, maxBytes)
		limit := max(maxBytes, 16)
		switch {
		case got == "":
			t.Fatal("empty result")
		case !utf8.ValidString(got):
			t.Fatalf("invalid UTF-8: %q", got)
		case len(got) > limit:
			t.Fatalf("%d bytes, cap %d: %q", len(got), limit, got)
		case strings.ContainsAny(got, `/\:*?"<>|`):
			t.Fatalf("forbidden character in %q", got)
		case got[0] == '.' || got[0] == ' ':
			t.Fatalf("leading dot or space: %q", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("control or format character %U in %q", r, got)
			}
		}
		if again := upload.SanitizeFilename(got, maxBytes); again != got {
			t.Fatalf("not idempotent: %q → %q", got, again)
		}
	})
}

// FuzzCheck feeds arbitrary content and names through Sniff and Check:
// never panics; an accepted file has an allowed, sniffed type consistent
// with Sniff, a sanitized name within the cap that ends in an extension
// for its type, and reads back byte for byte; a refused one is a coded
// error wrapping a sentinel.
func FuzzCheck(f *testing.F) {
	f.Add(pngBytes(f, 2, 2, false), "a.png")
	f.Add(jpegBytes(f, 2, 2), "a.jpg")
	f.Add(gifBytes(f, 2, 2), "a.gif")
	f.Add(webp1x1(f), "x.html")
	f.Add(webpVP8X(1<<24, 1<<24), "bomb.webp")
	f.Add([]byte("\x89PNG\r\n\x1a\n<script>"), "a.png")
	f.Add([]byte("<script>alert(1)</script>"), "../../a.png")
	f.Add([]byte("#!/bin/sh\n"), "NUL")
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f\xff\xff\xff\xff"), "a.webp")
	g, err := upload.New(upload.Config{Limits: upload.Limits{MaxFileBytes: 1 << 16, MaxImagePixels: 1 << 20, MaxFilenameBytes: 40}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		typ := upload.Sniff(data)
		if typ == "" || strings.ContainsAny(typ, "; ") {
			t.Fatalf("Sniff = %q", typ)
		}
		got, err := g.Check(context.Background(), graphql.Upload{File: bytes.NewReader(data), Filename: name, Size: int64(len(data)), ContentType: "image/png"})
		if err != nil {
			if got != (graphql.Upload{}) {
				t.Fatal("error with a value")
			}
			ok := false
			for _, s := range []error{upload.ErrTooLarge, upload.ErrTypeNotAllowed, upload.ErrRejected, upload.ErrMalformed} {
				ok = ok || errors.Is(err, s)
			}
			if !ok {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if got.ContentType != typ || !strings.HasPrefix(typ, "image/") {
			t.Fatalf("accepted as %q, Sniff says %q", got.ContentType, typ)
		}
		if len(got.Filename) > 40 || got.Filename == "" || strings.ContainsAny(got.Filename, `/\`) {
			t.Fatalf("bad name %q", got.Filename)
		}
		ext := map[string]string{"image/png": ".png", "image/jpeg": ".jp", "image/gif": ".gif", "image/webp": ".webp"}[typ]
		if !strings.Contains(strings.ToLower(got.Filename), ext) {
			t.Fatalf("name %q lacks an extension for %s", got.Filename, typ)
		}
		b, _ := io.ReadAll(got.File)
		if !bytes.Equal(b, data) || got.Size != int64(len(data)) {
			t.Fatal("content changed")
		}
	})
}

// FuzzDoor sends arbitrary operations and map parts through the guarded
// transport of a real gqlgen server: never a panic, never a 500, and
// every refusal from the door carries an upload code.
func FuzzDoor(f *testing.F) {
	const ops = `{"query":"mutation($file: Upload!) { attachImage(postId: \"1\", file: $file) { size } }","variables":{"file":null}}`
	f.Add(ops, `{"0":["variables.file"]}`, "0")
	f.Add(`{"query":"m","variables":{"file":"x"}}`, `{"0":["variables.file.x"]}`, "0")
	f.Add(`{"query":"m","variables":{"a":{"0":null}}}`, `{"0":["variables.a.0"]}`, "0")
	f.Add(`{"query":"m","variables":{"a":[null]}}`, `{"0":["variables.a.-1"]}`, "0")
	f.Add(`{"query":"m","variables":{"a":[null]}}`, `{"0":["variables.a.+0"]}`, "0")
	f.Add(`[{"query":"m"}]`, `{"0":["variables.file"]}`, "0")
	f.Add(ops, `{"0":["variables.file"],"1":["variables.file"]}`, "1")
	f.Add(ops, `{"0":[]}`, "0")
	f.Add(ops, `{"0":["variables.file"]}`, "zz")
	g, err := upload.New(upload.Config{Limits: upload.Limits{MaxFiles: 2, MaxFileBytes: 1 << 12, MaxOperationsBytes: 1 << 12}, AllowAnonymous: true})
	if err != nil {
		f.Fatal(err)
	}
	srv := newServer(f, g, false)
	img := pngBytes(f, 2, 2, false)
	f.Fuzz(func(t *testing.T, operations, mapping, key string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("operations", operations)
		_ = mw.WriteField("map", mapping)
		if fw, err := mw.CreateFormFile(key, "a.png"); err == nil {
			_, _ = fw.Write(img)
		}
		_ = mw.Close()
		w := post(srv, buf.Bytes(), mw.FormDataContentType())
		if w.Code >= 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if w.Code == http.StatusBadRequest || w.Code == http.StatusRequestEntityTooLarge {
			if c := code(decode(t, w)); !strings.HasPrefix(c, "UPLOAD_") {
				t.Fatalf("door refusal without an upload code: %d %s", w.Code, w.Body)
			}
		}
	})
}
