package upload_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/upload"
)

// webp1x1 is a 1×1 lossless WebP.
func webp1x1(t testing.TB) []byte {
	b, err := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// webpVP8X is an extended-format WebP header declaring w×h.
func webpVP8X(w, h int) []byte {
	b := []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	return append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
}

func jpegBytes(t testing.TB, w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gifBytes(t testing.TB, w, h int) []byte {
	var buf bytes.Buffer
	if err := gif.Encode(&buf, image.NewPaletted(image.Rect(0, 0, w, h), []color.Color{color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSniff(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name string
		data []byte
		want string
	}{
		{"png", pngBytes(t, 3, 3, false), "image/png"},
		{"jpeg", jpegBytes(t, 3, 3), "image/jpeg"},
		{"gif", gifBytes(t, 3, 3), "image/gif"},
		{"webp_lossless", webp1x1(t), "image/webp"},
		{"webp_extended", webpVP8X(640, 480), "image/webp"},
		{"png_signature_then_garbage", []byte("\x89PNG\r\n\x1a\n<script>alert(1)</script>"), "application/octet-stream"},
		{"jpeg_soi_then_garbage", []byte("\xff\xd8\xff<script>alert(1)</script>"), "application/octet-stream"},
		{"gif_header_truncated", []byte("GIF89a\x01"), "application/octet-stream"},
		{"webp_without_image_chunk", []byte("RIFF\x00\x00\x00\x00WEBPJUNK\x00\x00\x00\x00" + strings.Repeat("\x00", 20)), "application/octet-stream"},
		{"webp_vp8_bad_start_code", []byte("RIFF\x00\x00\x00\x00WEBPVP8 \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00"), "application/octet-stream"},
		{"html_script", []byte("<script>alert(1)</script>"), "text/html"},
		{"html_after_whitespace", []byte("\n\t <html><body onload=alert(1)>"), "text/html"},
		{"shell_script", []byte("#!/bin/sh\necho pwned\n"), "text/plain"},
		{"svg_with_script", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "text/xml"},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf"},
		{"empty", nil, "text/plain"},
		{"binary", []byte{0, 1, 2, 3, 0xfe}, "application/octet-stream"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			if got := upload.Sniff(r.data); got != r.want {
				t.Fatalf("Sniff = %q, want %q", got, r.want)
			}
		})
	}
}

func codeOf(t *testing.T, err error) string {
	t.Helper()
	var ge *gqlerror.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error %v (%T) is not a *gqlerror.Error", err, err)
	}
	c, _ := ge.Extensions["code"].(string)
	return c
}

func TestCheck(t *testing.T) {
	t.Parallel()
	g, err := upload.New(upload.Config{Limits: upload.Limits{MaxFileBytes: 4096, MaxImagePixels: 100 * 100}})
	if err != nil {
		t.Fatal(err)
	}
	small := pngBytes(t, 2, 2, false)
	up := func(data []byte, name, ct string) graphql.Upload {
		return graphql.Upload{File: bytes.NewReader(data), Filename: name, Size: int64(len(data)), ContentType: ct}
	}
	rows := []struct {
		name     string
		in       graphql.Upload
		sentinel error
		code     string
		wantName string
		wantType string
	}{
		{"png_with_client_lies_accepted", up(small, "photo.exe", "application/x-msdownload"), nil, "", "photo.exe.png", "image/png"},
		{"jpeg_named_jpg_kept", up(jpegBytes(t, 4, 4), "Holiday.JPG", "image/png"), nil, "", "Holiday.JPG", "image/jpeg"},
		{"gif_accepted", up(gifBytes(t, 4, 4), "a.gif", ""), nil, "", "a.gif", "image/gif"},
		{"webp_accepted", up(webp1x1(t), "a.webp", ""), nil, "", "a.webp", "image/webp"},
		{"png_named_html_gets_png_extension", up(small, "x.html", "text/html"), nil, "", "x.html.png", "image/png"},
		{"path_traversal_name_reduced", up(small, `..\..\windows\system32\a.png`, ""), nil, "", "a.png", "image/png"},
		{"size_at_limit_accepted", up(padTo(t, small, 4096), "a.png", ""), nil, "", "a.png", "image/png"},
		{"size_one_past_limit_refused", up(padTo(t, small, 4097), "a.png", ""), upload.ErrTooLarge, upload.CodeTooLarge, "", ""},
		{"size_claim_smaller_than_content_refused", graphql.Upload{File: bytes.NewReader(padTo(t, small, 5000)), Size: 10}, upload.ErrTooLarge, upload.CodeTooLarge, "", ""},
		{"size_claim_over_limit_refused_unread", graphql.Upload{File: bytes.NewReader(small), Size: 4097}, upload.ErrTooLarge, upload.CodeTooLarge, "", ""},
		{"pixels_at_limit_accepted", up(pngBytes(t, 100, 100, false), "a.png", ""), nil, "", "a.png", "image/png"},
		{"pixels_one_row_past_limit_refused", up(pngBytes(t, 100, 101, false), "a.png", ""), upload.ErrTooLarge, upload.CodeTooLarge, "", ""},
		{"webp_header_bomb_refused", up(webpVP8X(1<<24, 1<<24), "a.webp", ""), upload.ErrTooLarge, upload.CodeTooLarge, "", ""},
		{"html_refused", up([]byte("<html><script>alert(1)</script>"), "a.png", "image/png"), upload.ErrTypeNotAllowed, upload.CodeTypeNotAllowed, "", ""},
		{"svg_refused", up([]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "a.svg", "image/svg+xml"), upload.ErrTypeNotAllowed, upload.CodeTypeNotAllowed, "", ""},
		{"empty_file_refused", up(nil, "a.png", "image/png"), upload.ErrTypeNotAllowed, upload.CodeTypeNotAllowed, "", ""},
		{"no_file_refused", graphql.Upload{Filename: "a.png"}, upload.ErrMalformed, upload.CodeMalformed, "", ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			got, err := g.Check(context.Background(), r.in)
			if r.sentinel != nil {
				if !errors.Is(err, r.sentinel) || codeOf(t, err) != r.code {
					t.Fatalf("err = %v, want %v with code %s", err, r.sentinel, r.code)
				}
				if got != (graphql.Upload{}) {
					t.Fatalf("refused upload returned a value: %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got.Filename != r.wantName || got.ContentType != r.wantType {
				t.Fatalf("got %q %q, want %q %q", got.Filename, got.ContentType, r.wantName, r.wantType)
			}
			for range 2 { // re-readable
				_, _ = got.File.Seek(0, io.SeekStart)
				b, _ := io.ReadAll(got.File)
				if int64(len(b)) != got.Size || got.Size != r.in.Size {
					t.Fatalf("read %d bytes, Size %d, sent %d", len(b), got.Size, r.in.Size)
				}
			}
		})
	}
}

// TestCheckRereadsFromStart: a resolver that peeked at the file first
// still gets the whole file checked.
func TestCheckRereadsFromStart(t *testing.T) {
	t.Parallel()
	g, _ := upload.New(upload.Config{})
	img := pngBytes(t, 2, 2, false)
	r := bytes.NewReader(img)
	_, _ = r.Seek(8, io.SeekStart)
	got, err := g.Check(context.Background(), graphql.Upload{File: r, Size: int64(len(img))})
	if err != nil || got.ContentType != "image/png" || got.Filename != "upload.png" {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestUnlimitedPixels(t *testing.T) {
	t.Parallel()
	g, err := upload.New(upload.Config{Limits: upload.Limits{MaxImagePixels: rampart.Unlimited}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(context.Background(), graphql.Upload{File: bytes.NewReader(webpVP8X(1<<24, 1<<24))}); err != nil {
		t.Fatalf("rampart.Unlimited pixels still refused: %v", err)
	}
}

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	rows := []struct{ name, in, want string }{
		{"plain", "photo.png", "photo.png"},
		{"unix_traversal", "../../etc/passwd", "passwd"},
		{"windows_traversal", `C:\Users\x\..\evil.png`, "evil.png"},
		{"trailing_separator", "dir/", "upload"},
		{"dot_dot", "..", "upload"},
		{"hidden_file", ".htaccess", "htaccess"},
		{"trailing_dots_and_spaces", "a.png. . ", "a.png"},
		{"control_chars", "a\x00b\r\nc\x7f.png", "abc.png"},
		{"bidi_override", "invoice\u202egnp.exe", "invoicegnp.exe"},
		{"zero_width", "a\u200bb.png", "ab.png"},
		{"invalid_utf8", "a\xff\xfeb.png", "ab.png"},
		{"windows_forbidden", `a:b*c?"d<e>f|g.png`, "a_b_c__d_e_f_g.png"},
		{"unicode_spaces", "a\u00a0b\u2003c.png", "a b c.png"},
		{"tab_is_a_control_char", "a\tb.png", "ab.png"},
		{"device_name", "NUL.png", "_NUL.png"},
		{"device_name_com", "com1", "_com1"},
		{"not_a_device", "CONSOLE.png", "CONSOLE.png"},
		{"unicode_kept", "фото 😀.png", "фото 😀.png"},
		{"empty", "", "upload"},
		{"length_at_limit_kept", strings.Repeat("a", 28) + ".png", strings.Repeat("a", 28) + ".png"},
		{"length_one_past_limit_cut_keeping_extension", strings.Repeat("a", 29) + ".png", strings.Repeat("a", 28) + ".png"},
		{"cut_on_rune_boundary", strings.Repeat("é", 20) + ".png", strings.Repeat("é", 14) + ".png"},
		{"device_after_cut", "AUX" + strings.Repeat(" ", 40) + "x", "_AUX"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			got := upload.SanitizeFilename(r.in, 32)
			if got != r.want {
				t.Fatalf("SanitizeFilename(%q) = %q, want %q", r.in, got, r.want)
			}
			if again := upload.SanitizeFilename(got, 32); again != got {
				t.Fatalf("not idempotent: %q → %q", got, again)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	g, err := upload.New(upload.Config{})
	if err != nil {
		t.Fatal(err)
	}
	l := g.Limits()
	if l.MaxFiles != 1 || l.MaxFileBytes != 5<<20 || l.MaxTotalBytes != 10<<20 || l.MaxOperationsBytes != 128<<10 ||
		l.MaxImagePixels != 50_000_000 || l.MaxFilenameBytes != 255 || strings.Join(l.AllowedTypes, ",") != "image/png,image/jpeg,image/gif,image/webp" {
		t.Fatalf("zero config gave %+v", l)
	}
	if want := int64(5<<20 + 128<<10 + 3*2<<10); g.MaxBodyBytes() != want {
		t.Fatalf("MaxBodyBytes = %d, want %d", g.MaxBodyBytes(), want)
	}
	if f := g.MultipartForm(); f.MaxUploadSize != g.MaxBodyBytes() || f.MaxMemory <= f.MaxUploadSize {
		t.Fatalf("MultipartForm = %+v", f)
	}
	bad := []struct {
		name string
		l    upload.Limits
	}{
		{"negative_files", upload.Limits{MaxFiles: -1}},
		{"negative_file_bytes", upload.Limits{MaxFileBytes: -1}},
		{"negative_pixels_other_than_unlimited", upload.Limits{MaxImagePixels: -2}},
		{"files_over_1000", upload.Limits{MaxFiles: 1001}},
		{"total_below_file", upload.Limits{MaxFileBytes: 2 << 20, MaxTotalBytes: 1 << 20}},
		{"huge_total", upload.Limits{MaxTotalBytes: 1 << 50}},
		{"filename_cap_below_16", upload.Limits{MaxFilenameBytes: 15}},
		{"type_with_params", upload.Limits{AllowedTypes: []string{"text/plain; charset=utf-8"}}},
		{"type_wildcard", upload.Limits{AllowedTypes: []string{"image/*"}}},
		{"svg_never_sniffed", upload.Limits{AllowedTypes: []string{"image/svg+xml"}}},
		{"octet_stream_accepts_anything", upload.Limits{AllowedTypes: []string{"application/octet-stream"}}},
	}
	for _, r := range bad {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			if _, err := upload.New(upload.Config{Limits: r.l}); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("New(%+v) = %v, want rampart.ErrConfig", r.l, err)
			}
		})
	}
	if g, err := upload.New(upload.Config{Limits: upload.Limits{AllowedTypes: []string{"IMAGE/PNG", "image/png"}}}); err != nil ||
		strings.Join(g.Limits().AllowedTypes, ",") != "image/png" {
		t.Fatalf("upper case type not normalised: %v", err)
	}
	// Total bounded by MaxFiles×MaxFileBytes when that is smaller.
	g, err = upload.New(upload.Config{Limits: upload.Limits{MaxFiles: 4, MaxFileBytes: 1 << 20, MaxTotalBytes: 3 << 20, AllowedTypes: []string{"application/pdf"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(3<<20 + 128<<10 + 6*2<<10); g.MaxBodyBytes() != want {
		t.Fatalf("MaxBodyBytes = %d, want %d", g.MaxBodyBytes(), want)
	}
}
