package upload_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/upload"
)

// Example_quickstart wires uploads into a gqlgen server: the guarded
// transport (signed-in callers only), CSRF prevention in front, and the guard's middleware in place
// of the JSON body limit for multipart requests. A request naming two
// files, one more than the default limit, is refused before any file byte
// is read.
func Example_quickstart() {
	guard, err := upload.New(upload.Config{}) // 1 file, 5 MiB, PNG/JPEG/GIF/WebP
	if err != nil {
		panic(err)
	}
	// Your generated executable schema goes here.
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: "scalar Upload type Query { ok: Boolean } type Mutation { attachImage(postId: ID!, file: Upload!): Boolean }"})
	srv := handler.New(&graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: []byte(`{"attachImage":true}`)})
		},
	})
	srv.AddTransport(guard.Transport())

	csrf, _ := httpsec.CSRF(httpsec.CSRFOptions{})
	bodyLimit, _ := httpsec.BodyLimit(httpsec.BodyLimitOptions{})
	h := guard.Split(bodyLimit)(csrf(srv))

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("operations", `{"query":"mutation($a: Upload!, $b: Upload!) { x: attachImage(postId: 1, file: $a) y: attachImage(postId: 1, file: $b) }","variables":{"a":null,"b":null}}`)
	_ = mw.WriteField("map", `{"0":["variables.a"],"1":["variables.b"]}`)
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/query", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Apollo-Require-Preflight", "true")
	// auth.Middleware puts the caller here; anonymous uploads are refused.
	r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Subject: "user-1"}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 400 {"errors":[{"message":"The request carries 2 files; the limit is 1.","extensions":{"code":"UPLOAD_TOO_MANY_FILES"}}]}
}

// ExampleGuard_Check vets files inside a resolver: the type comes from the
// bytes, the name is sanitized, and a script named like an image is
// refused.
func ExampleGuard_Check() {
	guard, err := upload.New(upload.Config{})
	if err != nil {
		panic(err)
	}
	var img bytes.Buffer
	_ = png.Encode(&img, image.NewGray(image.Rect(0, 0, 16, 16)))

	// In a resolver: func (r *mutationResolver) AttachImage(ctx context.Context, postID string, file graphql.Upload) (*model.Post, error)
	ctx := context.Background()
	up, err := guard.Check(ctx, graphql.Upload{File: bytes.NewReader(img.Bytes()), Filename: "../../avatar", Size: int64(img.Len()), ContentType: "text/html"})
	fmt.Println(up.ContentType, up.Filename, up.Size == int64(img.Len()), err)

	script := []byte("<script>alert(1)</script>")
	_, err = guard.Check(ctx, graphql.Upload{File: bytes.NewReader(script), Filename: "cat.png", Size: int64(len(script)), ContentType: "image/png"})
	fmt.Println(err)
	// Output:
	// image/png avatar.png true <nil>
	// input: The file's content is text/html, which is not an allowed type (image/png, image/jpeg, image/gif, image/webp).
}

// ExampleSniff judges content by its bytes alone.
func ExampleSniff() {
	fmt.Println(upload.Sniff([]byte("\x89PNG\r\n\x1a\n<?php system($_GET['c']); ?>")))
	fmt.Println(upload.Sniff([]byte("#!/bin/sh\nid\n")))
	// Output:
	// application/octet-stream
	// text/plain
}

// ExampleSanitizeFilename keeps the base name only.
func ExampleSanitizeFilename() {
	fmt.Println(upload.SanitizeFilename("../../etc/passwd", 255))
	fmt.Println(upload.SanitizeFilename("invoice\u202egnp.exe", 255))
	fmt.Println(upload.SanitizeFilename("CON.png", 255))
	// Output:
	// passwd
	// invoicegnp.exe
	// _CON.png
}
