package upload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/upload"

	"github.com/rampart-go/rampart/internal/golden"
)

// Small limits so that rows at each limit are cheap to build.
const (
	testFileBytes = 64 << 10
	testOpsBytes  = 4 << 10
)

func testGuard(t testing.TB, files int, mod ...func(*upload.Config)) *upload.Guard {
	t.Helper()
	cfg := upload.Config{Limits: upload.Limits{
		MaxFiles:           files,
		MaxFileBytes:       testFileBytes,
		MaxTotalBytes:      int64(files) * testFileBytes,
		MaxOperationsBytes: testOpsBytes,
	}, AllowAnonymous: true} // TestAnonymous covers the default
	for _, m := range mod {
		m(&cfg)
	}
	g, err := upload.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// sizedSingle returns a single-file request body of exactly n bytes, its
// file a PNG padded after IEND.
func sizedSingle(t testing.TB, n int) ([]byte, string) {
	t.Helper()
	img := pngBytes(t, 4, 4, false)
	body, _ := singleUpload(t, file{name: "a.png", contentType: "image/png", content: img})
	content := padTo(t, img, len(img)+n-len(body))
	body, ct := singleUpload(t, file{name: "a.png", contentType: "image/png", content: content})
	if len(body) != n {
		t.Fatalf("built %d bytes, want %d", len(body), n)
	}
	return body, ct
}

// TestAttacks runs each attack and its benign neighbour through a real
// gqlgen server with the guarded transport.
func TestAttacks(t *testing.T) {
	t.Parallel()
	g := testGuard(t, 2)
	srv := newServer(t, g, false)
	img := pngBytes(t, 8, 8, false)
	type row struct {
		name     string
		body     func(t *testing.T) ([]byte, string)
		status   int
		code     string // "" means success
		contains string // in the error message or the data
	}
	rows := []row{
		{"real_png_accepted", func(t *testing.T) ([]byte, string) {
			return singleUpload(t, file{name: "../../etc/cat.png", contentType: "application/x-sh", content: img})
		}, 200, "", `{"filename":"cat.png","contentType":"image/png","size":` + fmt.Sprint(len(img)) + `}`},
		{"script_renamed_png_refused", func(t *testing.T) ([]byte, string) {
			return singleUpload(t, file{name: "cat.png", contentType: "image/png", content: []byte("<script>alert(1)</script>")})
		}, 200, upload.CodeTypeNotAllowed, "text/html"},
		{"shell_script_renamed_png_refused", func(t *testing.T) ([]byte, string) {
			return singleUpload(t, file{name: "cat.png", contentType: "image/png", content: []byte("#!/bin/sh\nrm -rf / --no-preserve-root\n")})
		}, 200, upload.CodeTypeNotAllowed, "text/plain"},
		{"png_signature_then_garbage_refused", func(t *testing.T) ([]byte, string) {
			return singleUpload(t, file{name: "cat.png", contentType: "image/png", content: []byte("\x89PNG\r\n\x1a\n<?php system($_GET['c']); ?>")})
		}, 200, upload.CodeTypeNotAllowed, "application/octet-stream"},
		{"file_at_limit_passes", func(t *testing.T) ([]byte, string) {
			return singleUpload(t, file{name: "a.png", contentType: "image/png", content: padTo(t, img, testFileBytes)})
		}, 200, "", fmt.Sprintf(`"size":%d`, testFileBytes)},
		{"file_one_past_limit_refused", func(t *testing.T) ([]byte, string) {
			return singleUpload(t, file{name: "a.png", contentType: "image/png", content: padTo(t, img, testFileBytes+1)})
		}, 200, upload.CodeTooLarge, fmt.Sprint(testFileBytes)},
		{"body_at_limit_passes_the_door", func(t *testing.T) ([]byte, string) {
			return sizedSingle(t, int(g.MaxBodyBytes()))
		}, 200, upload.CodeTooLarge, "The file is larger"}, // refused by Check, not at the door
		{"body_one_past_limit_413", func(t *testing.T) ([]byte, string) {
			return sizedSingle(t, int(g.MaxBodyBytes())+1)
		}, 413, upload.CodeTooLarge, "upload request body"},
		{"files_at_limit_pass", func(t *testing.T) ([]byte, string) { return manyUploads(t, 2, img) }, 200, "", `"f1.png"`},
		{"files_one_past_limit_refused", func(t *testing.T) ([]byte, string) { return manyUploads(t, 3, img) }, 400, upload.CodeTooManyFiles, "3 files; the limit is 2"},
		{"one_file_in_three_variables_refused", func(t *testing.T) ([]byte, string) {
			return multipartBody(t,
				`{"query":"mutation($files: [Upload!]!) { attachMany(files: $files) { size } }","variables":{"files":[null,null,null]}}`,
				`{"0":["variables.files.0","variables.files.1","variables.files.2"]}`,
				file{key: "0", name: "a.png", contentType: "image/png", content: img})
		}, 400, upload.CodeTooManyFiles, "the limit is 2"},
		{"operations_at_limit_pass", func(t *testing.T) ([]byte, string) { return opsSized(t, testOpsBytes, img) }, 200, "", `"cat.png"`},
		{"operations_one_past_limit_413", func(t *testing.T) ([]byte, string) { return opsSized(t, testOpsBytes+1, img) }, 413, upload.CodeTooLarge, "operations and map"},
		{"map_path_into_a_string_refused", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, `{"query":"mutation($file: Upload!) { attachImage(postId: \"1\", file: $file) { size } }","variables":{"file":"x"}}`,
				`{"0":["variables.file.x"]}`, file{key: "0", name: "a.png", contentType: "image/png", content: img})
		}, 400, upload.CodeMalformed, "null inside variables"},
		{"map_index_out_of_range_refused", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, `{"query":"mutation($files: [Upload!]!) { attachMany(files: $files) { size } }","variables":{"files":[null]}}`,
				`{"0":["variables.files.7"]}`, file{key: "0", name: "a.png", contentType: "image/png", content: img})
		}, 400, upload.CodeMalformed, "null inside variables"},
		{"map_outside_variables_refused", func(t *testing.T) ([]byte, string) {
			return multipartBody(t, `{"query":"mutation($file: Upload!) { attachImage(postId: \"1\", file: $file) { size } }","variables":{"file":null}}`,
				`{"0":["query"]}`, file{key: "0", name: "a.png", contentType: "image/png", content: img})
		}, 400, upload.CodeMalformed, "null inside variables"},
		{"map_before_operations_refused", func(t *testing.T) ([]byte, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("map", `{"0":["variables.file"]}`)
			_ = mw.WriteField("operations", `{"query":"{ ok }","variables":{"file":null}}`)
			_ = mw.Close()
			return buf.Bytes(), mw.FormDataContentType()
		}, 400, upload.CodeMalformed, "operations, then map"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			body, ct := r.body(t)
			w := post(srv, body, ct)
			if w.Code != r.status {
				t.Fatalf("status %d, want %d: %s", w.Code, r.status, w.Body)
			}
			resp := decode(t, w)
			if got := code(resp); got != r.code {
				t.Fatalf("code %q, want %q: %s", got, r.code, w.Body)
			}
			if !strings.Contains(w.Body.String(), r.contains) {
				t.Fatalf("response lacks %q: %s", r.contains, w.Body)
			}
		})
	}
}

// opsSized is a single-file request whose operations and map parts are n
// bytes together.
func opsSized(t testing.TB, n int, img []byte) ([]byte, string) {
	const mapping = `{"0":["variables.file"]}`
	ops := `{"query":"mutation($file: Upload!) { attachImage(postId: \"1\", file: $file) { filename } }","variables":{"file":null}}`
	ops = ops[:len(ops)-1] + `,"extensions":{"pad":"` + strings.Repeat("x", n-len(ops)-len(mapping)-len(`,"extensions":{"pad":""}`)) + `"}}`
	if len(ops)+len(mapping) != n {
		t.Fatalf("built %d bytes, want %d", len(ops)+len(mapping), n)
	}
	return multipartBody(t, ops, mapping, file{key: "0", name: "cat.png", contentType: "image/png", content: img})
}

// TestChunkedBody checks the body limit on a request without
// Content-Length: gqlgen alone would answer 422, the guard answers 413.
func TestChunkedBody(t *testing.T) {
	t.Parallel()
	g := testGuard(t, 1)
	srv := newServer(t, g, false)
	for _, r := range []struct {
		name   string
		size   int
		status int
		code   string
	}{
		{"chunked_at_limit_passes_the_door", int(g.MaxBodyBytes()), 200, upload.CodeTooLarge},
		{"chunked_one_past_limit_413", int(g.MaxBodyBytes()) + 1, 413, upload.CodeTooLarge},
	} {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			body, ct := sizedSingle(t, r.size)
			req := httptest.NewRequest(http.MethodPost, "/query", io.MultiReader(bytes.NewReader(body)))
			req.ContentLength = -1
			req.Header.Set("Content-Type", ct)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != r.status || code(decode(t, w)) != r.code {
				t.Fatalf("status %d, want %d with %s: %s", w.Code, r.status, r.code, w.Body)
			}
		})
	}
}

// TestBareGqlgenPanics shows what the map check prevents: gqlgen
// v0.17.98's own transport panics (500) on a map path into a string.
func TestBareGqlgenPanics(t *testing.T) {
	t.Parallel()
	g := testGuard(t, 1)
	body, ct := multipartBody(t, `{"query":"mutation($file: Upload!) { attachImage(postId: \"1\", file: $file) { size } }","variables":{"file":"x"}}`,
		`{"0":["variables.file.x"]}`, file{key: "0", name: "a.png", contentType: "image/png", content: []byte("x")})
	if w := post(newServer(t, g, true), body, ct); w.Code != http.StatusInternalServerError {
		t.Logf("gqlgen no longer panics here (status %d): the map check stays as defence in depth", w.Code)
	}
	if w := post(newServer(t, g, false), body, ct); w.Code != http.StatusBadRequest || code(decode(t, w)) != upload.CodeMalformed {
		t.Fatalf("guarded: status %d: %s", w.Code, w.Body)
	}
}

// TestCSRF mounts httpsec.CSRF in front of the guarded server: a
// multipart POST is a CORS-simple request, so a cross-site form could
// send it; without a preflight-forcing header it is refused.
func TestCSRF(t *testing.T) {
	t.Parallel()
	g := testGuard(t, 1)
	csrf, err := httpsec.CSRF(httpsec.CSRFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h := csrf(g.Middleware(newServer(t, g, false)))
	body, ct := singleUpload(t, file{name: "a.png", contentType: "image/png", content: pngBytes(t, 2, 2, false)})
	for _, r := range []struct {
		name   string
		header []string
		status int
		code   string
	}{
		{"multipart_without_header_refused", nil, 400, httpsec.CodeCSRFRejected},
		{"multipart_with_empty_header_refused", []string{"Apollo-Require-Preflight", " "}, 400, httpsec.CodeCSRFRejected},
		{"multipart_with_apollo_require_preflight_passes", []string{"Apollo-Require-Preflight", "true"}, 200, ""},
	} {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			w := post(h, body, ct, r.header...)
			resp := decode(t, w)
			if w.Code != r.status || code(resp) != r.code {
				t.Fatalf("status %d code %q, want %d %q: %s", w.Code, code(resp), r.status, r.code, w.Body)
			}
			if r.code == "" && !strings.Contains(w.Body.String(), `"contentType":"image/png"`) {
				t.Fatalf("upload not processed: %s", w.Body)
			}
		})
	}
}

// eicar is the EICAR anti-virus test string: every scanner reports it.
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// TestScanner hides the EICAR string after a valid PNG's IEND (a
// polyglot: the type check passes) and lets a scanner refuse it.
func TestScanner(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	scanned := 0
	g := testGuard(t, 1, func(c *upload.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		c.Scanner = upload.ScannerFunc(func(_ context.Context, name string, r io.Reader) error {
			scanned++
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(eicar)) {
				return errors.New("clamd: stream: Win.Test.EICAR_HDB-1 FOUND in " + name)
			}
			return nil
		})
	})
	srv := newServer(t, g, false)
	img := pngBytes(t, 4, 4, false)

	body, ct := singleUpload(t, file{name: "clean.png", contentType: "image/png", content: img})
	if w := post(srv, body, ct); w.Code != 200 || code(decode(t, w)) != "" {
		t.Fatalf("clean_png: %d %s", w.Code, w.Body)
	}
	body, ct = singleUpload(t, file{name: "eicar.png", contentType: "image/png", content: append(bytes.Clone(img), eicar...)})
	w := post(srv, body, ct)
	if code(decode(t, w)) != upload.CodeRejected {
		t.Fatalf("eicar_png: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "EICAR") || strings.Contains(w.Body.String(), "clamd") {
		t.Fatalf("scanner detail leaked to the client: %s", w.Body)
	}
	if !strings.Contains(logs.String(), "Win.Test.EICAR_HDB-1") {
		t.Fatalf("scanner error not logged: %s", logs.String())
	}
	if scanned != 2 {
		t.Fatalf("scanner ran %d times, want 2", scanned)
	}
}

// TestGolden pins the exact bytes, status and headers of the door's
// rejections.
func TestGolden(t *testing.T) {
	t.Parallel()
	g := testGuard(t, 1)
	srv := newServer(t, g, false)
	img := pngBytes(t, 2, 2, false)
	var out bytes.Buffer
	show := func(name string, w *httptest.ResponseRecorder) {
		fmt.Fprintf(&out, "== %s\nstatus: %d\ncontent-type: %s\nconnection: %s\n%s", name, w.Code,
			w.Header().Get("Content-Type"), w.Header().Get("Connection"), w.Body)
	}
	body, ct := sizedSingle(t, int(g.MaxBodyBytes())+1)
	show("body_too_large", post(srv, body, ct))
	body, ct = manyUploads(t, 2, img)
	show("too_many_files", post(srv, body, ct))
	body, ct = multipartBody(t, `{"query":"{ ok }","variables":{"file":"x"}}`, `{"0":["variables.file.x"]}`)
	show("malformed_map", post(srv, body, ct))
	body, ct = singleUpload(t, file{name: "x.png", contentType: "image/png", content: []byte("<script>alert(1)</script>")})
	show("type_not_allowed", post(srv, body, ct))
	golden.Check(t, "rejections", out.Bytes())
}

// TestAnonymous: by default the transport refuses multipart requests from
// callers without a principal before reading a file byte.
func TestAnonymous(t *testing.T) {
	t.Parallel()
	g, err := upload.New(upload.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(t, g, false)
	body, ct := singleUpload(t, file{name: "a.png", contentType: "image/png", content: pngBytes(t, 2, 2, false)})
	for _, r := range []struct {
		name   string
		p      *auth.Principal
		status int
		code   string
	}{
		{"anonymous_refused", nil, 401, upload.CodeUnauthenticated},
		{"empty_subject_refused", &auth.Principal{}, 401, upload.CodeUnauthenticated},
		{"signed_in_passes", &auth.Principal{Subject: "user-1"}, 200, ""},
	} {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			if r.p != nil {
				req = req.WithContext(auth.WithPrincipal(req.Context(), r.p))
			}
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code != r.status || code(decode(t, w)) != r.code {
				t.Fatalf("status %d, want %d %s: %s", w.Code, r.status, r.code, w.Body)
			}
		})
	}
}

// TestMiddlewarePassesOthers checks that non-multipart requests reach the
// next handler untouched, and that Split sends them to the other
// middleware.
func TestMiddlewarePassesOthers(t *testing.T) {
	t.Parallel()
	g := testGuard(t, 1)
	var got string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
	})
	const q = `{"query":"{ ok }"}`
	post(g.Middleware(next), []byte(q), "application/json")
	if got != q {
		t.Fatalf("json body changed: %q", got)
	}
	limited := 0
	other := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { limited++; h.ServeHTTP(w, r) })
	}
	split := g.Split(other)(next)
	post(split, []byte(q), "application/json")
	body, ct := singleUpload(t, file{name: "a.png", contentType: "image/png", content: []byte("x")})
	got = ""
	post(split, body, ct)
	if limited != 1 {
		t.Fatalf("other middleware ran %d times, want 1 (JSON only)", limited)
	}
	if got != string(body) {
		t.Fatalf("multipart body not restored byte for byte through the middleware")
	}
}
