package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type uploadFile struct {
	name, contentType string
	data              []byte
}

// upload sends a GraphQL multipart request attaching files to postID.
func (s *demoServer) upload(token, postID string, preflight bool, files ...uploadFile) (int, string) {
	s.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	vars := map[string]any{"f": nil}
	m := map[string][]string{}
	for i := range files {
		m[fmt.Sprint(i)] = []string{"variables.f"}
	}
	ops, _ := json.Marshal(map[string]any{
		"query":     `mutation($f: Upload!) { attachImage(postId: "` + postID + `", file: $f) { imageURL } }`,
		"variables": vars,
	})
	mp, _ := json.Marshal(m)
	w.WriteField("operations", string(ops))
	w.WriteField("map", string(mp))
	for i, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="%d"; filename="%s"`, i, f.name)}
		h["Content-Type"] = []string{f.contentType}
		part, _ := w.CreatePart(h)
		part.Write(f.data)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/query", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	if preflight {
		req.Header.Set("Apollo-Require-Preflight", "true")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

func TestImageUploads(t *testing.T) {
	t.Parallel()
	s, alice, bob, _, _, _ := accounts(t)
	post := s.createPost(alice, "with image", "b")
	real := uploadFile{"cat.png", "image/png", pngBytes(t)}

	cases := []struct {
		name      string
		token     string
		preflight bool
		files     []uploadFile
		want      string
	}{
		{"no_csrf_header_refused", alice, false, []uploadFile{real}, "CSRF_REJECTED"},
		{"script_renamed_png_refused", alice, true, []uploadFile{{"x.png", "image/png", []byte("<script>alert(1)</script>")}}, "UPLOAD_TYPE_NOT_ALLOWED"},
		{"shell_script_renamed_png_refused", alice, true, []uploadFile{{"x.png", "image/png", []byte("#!/bin/sh\nrm -rf /\n")}}, "UPLOAD_TYPE_NOT_ALLOWED"},
		{"too_many_files_refused", alice, true, []uploadFile{real, real}, "UPLOAD_TOO_MANY_FILES"},
		{"oversized_file_refused", alice, true, []uploadFile{{"big.png", "image/png", append(pngBytes(t), make([]byte, 6<<20)...)}}, "UPLOAD_TOO_LARGE"},
		{"someone_elses_post_not_found", bob, true, []uploadFile{real}, "NOT_FOUND"},
		{"real_png_stored", alice, true, []uploadFile{real}, `"imageURL":"/images/` + post + `"`},
	}
	for _, tc := range cases {
		code, out := s.upload(tc.token, post, tc.preflight, tc.files...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%s: %d %s, want %s", tc.name, code, out, tc.want)
		}
	}
	res, err := http.Get(s.base + "/images/" + post)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("RateLimit-Limit") != "300" {
		t.Errorf("images are not rate-limited: RateLimit-Limit %q", res.Header.Get("RateLimit-Limit"))
	}
	if res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, real.data) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("served image: %s %q nosniff=%q (%d bytes)", res.Status, res.Header.Get("Content-Type"), res.Header.Get("X-Content-Type-Options"), len(got))
	}
}
