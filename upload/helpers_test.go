package upload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/upload"
)

// testSchema is the smallest schema with an Upload argument, the shape of
// the demo's attachImage mutation.
const testSchema = `
scalar Upload
type Query { ok: Boolean }
type Attachment { filename: String! contentType: String! size: Int! }
type Mutation {
  attachImage(postId: ID!, file: Upload!): Attachment!
  attachMany(files: [Upload!]!): [Attachment!]!
}`

type attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// newServer returns a real gqlgen handler.Server (no code generation:
// graphql.ExecutableSchemaMock, as gqlgen's own transport tests use) whose
// resolvers call g.Check on every Upload in the variables. With bare set,
// it gets gqlgen's unguarded transport.MultipartForm instead of
// g.Transport, to show what the guard prevents.
func newServer(t testing.TB, g *upload.Guard, bare bool) *handler.Server {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	srv := handler.New(&graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			opCtx := graphql.GetOperationContext(ctx)
			field := opCtx.Operation.SelectionSet[0].(*ast.Field).Name
			var out []attachment
			for _, up := range uploads(opCtx.Variables) {
				checked, err := g.Check(ctx, up)
				if err != nil {
					graphql.AddError(ctx, err)
					return graphql.OneShot(&graphql.Response{Data: []byte(`null`)})
				}
				// Read the returned file to prove it is re-readable.
				n, _ := io.Copy(io.Discard, checked.File)
				out = append(out, attachment{checked.Filename, checked.ContentType, n})
			}
			var data any = out
			if field == "attachImage" && len(out) == 1 {
				data = out[0]
			}
			b, _ := json.Marshal(map[string]any{field: data})
			return graphql.OneShot(&graphql.Response{Data: b})
		},
	})
	if bare {
		// Quiet: gqlgen's default recover func prints the panic's stack.
		srv.SetRecoverFunc(func(context.Context, any) error { return errors.New("internal system error") })
		srv.AddTransport(g.MultipartForm())
	} else {
		srv.AddTransport(g.Transport())
	}
	return srv
}

// newBareServer is gqlgen's own MultipartForm with a resolver that reads
// each file without checking it: the baseline for BenchmarkServer.
func newBareServer(t testing.TB, g *upload.Guard) *handler.Server {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	srv := handler.New(&graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			for _, up := range uploads(graphql.GetOperationContext(ctx).Variables) {
				_, _ = io.Copy(io.Discard, up.File)
			}
			return graphql.OneShot(&graphql.Response{Data: []byte(`{"attachImage":null}`)})
		},
	})
	srv.AddTransport(g.MultipartForm())
	return srv
}

// uploads collects the Upload values in vars, in a stable order.
func uploads(v any) []graphql.Upload {
	switch v := v.(type) {
	case graphql.Upload:
		return []graphql.Upload{v}
	case []any:
		var out []graphql.Upload
		for _, e := range v {
			out = append(out, uploads(e)...)
		}
		return out
	case map[string]any:
		var out []graphql.Upload
		for _, k := range []string{"file", "files"} {
			out = append(out, uploads(v[k])...)
		}
		return out
	}
	return nil
}

type file struct {
	key, name, contentType string
	content                []byte
}

// multipartBody encodes a GraphQL multipart request.
func multipartBody(t testing.TB, operations, mapping string, files ...file) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(mw.WriteField("operations", operations))
	must(mw.WriteField("map", mapping))
	for _, f := range files {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.key, f.name))
		h.Set("Content-Type", f.contentType)
		w, err := mw.CreatePart(h)
		must(err)
		_, err = w.Write(f.content)
		must(err)
	}
	must(mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

// singleUpload is attachImage with one file.
func singleUpload(t testing.TB, f file) (body []byte, contentType string) {
	f.key = "0"
	return multipartBody(t,
		`{"query":"mutation($file: Upload!) { attachImage(postId: \"1\", file: $file) { filename contentType size } }","variables":{"file":null}}`,
		`{"0":["variables.file"]}`, f)
}

// manyUploads is attachMany with n files.
func manyUploads(t testing.TB, n int, content []byte) (body []byte, contentType string) {
	nulls, mapping := "", ""
	var files []file
	for i := range n {
		if i > 0 {
			nulls += ","
			mapping += ","
		}
		nulls += "null"
		mapping += fmt.Sprintf(`"%d":["variables.files.%d"]`, i, i)
		files = append(files, file{key: fmt.Sprint(i), name: fmt.Sprintf("f%d.png", i), contentType: "image/png", content: content})
	}
	return multipartBody(t,
		`{"query":"mutation($files: [Upload!]!) { attachMany(files: $files) { filename contentType size } }","variables":{"files":[`+nulls+`]}}`,
		"{"+mapping+"}", files...)
}

func post(h http.Handler, body []byte, contentType string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type gqlResponse struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func decode(t testing.TB, w *httptest.ResponseRecorder) gqlResponse {
	t.Helper()
	var resp gqlResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("status %d, body not JSON: %v\n%s", w.Code, err, w.Body)
	}
	return resp
}

func code(r gqlResponse) string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// pngBytes encodes a w×h PNG; noise makes it incompressible.
func pngBytes(t testing.TB, w, h int, noise bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for i := range img.Pix {
		if noise {
			seed = seed*1664525 + 1013904223
			img.Pix[i] = byte(seed >> 24)
		} else {
			img.Pix[i] = 0xff
		}
	}
	img.Set(0, 0, color.NRGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// padTo appends bytes after a PNG's IEND chunk (ignored by decoders) until
// it is n bytes long.
func padTo(t testing.TB, b []byte, n int) []byte {
	t.Helper()
	if len(b) > n {
		t.Fatalf("image is %d bytes, more than %d", len(b), n)
	}
	return append(bytes.Clone(b), bytes.Repeat([]byte{0}, n-len(b))...)
}
