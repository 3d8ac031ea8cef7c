package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// checkedKey marks a request the Guard has admitted, so that Middleware and
// Transport together check it once.
type checkedKey struct{}

// IsMultipart reports whether r is a GraphQL multipart upload request the
// way gqlgen's MultipartForm transport decides it: POST, media type
// multipart/form-data, no Upgrade header.
func IsMultipart(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// Middleware refuses over-limit multipart requests before gqlgen parses
// them and passes every other request through untouched. For a
// multipart/form-data POST it
//
//   - answers 413 CodeTooLarge at once if Content-Length is over
//     MaxBodyBytes, without reading the body;
//   - caps a chunked body at MaxBodyBytes (http.MaxBytesReader): when a
//     read crosses it, the client gets 413 CodeTooLarge instead of
//     gqlgen's 422;
//   - streams the body until the end of the map part (the spec puts
//     operations first and map second), buffering at most
//     MaxOperationsBytes of those two parts, and refuses with 400
//     CodeTooManyFiles if the map names more than MaxFiles files or file
//     paths;
//   - refuses with 400 CodeMalformed a request whose first parts are not
//     operations and map, whose JSON does not decode, or whose map points
//     anywhere but at a null inside the variables (gqlgen v0.17.98 would
//     panic on some such paths and answer 500);
//   - then hands gqlgen the buffered bytes followed by the unread rest of
//     the body, unchanged. No file byte has been read at that point.
//
// Rejections use the GraphQL error shape with extensions.code. Mount it on
// the GraphQL route after CSRF (a multipart POST is a CORS-simple request:
// httpsec.CSRF must see it first) and in place of httpsec.BodyLimit for
// multipart requests (see Split). Transport runs the same checks when the
// Middleware did not.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !IsMultipart(r) || r.Context().Value(checkedKey{}) == g {
			next.ServeHTTP(w, r)
			return
		}
		g.admit(w, r, next)
	})
}

// Split returns middleware that sends multipart requests through
// g.Middleware and every other request through other, typically
// httpsec.BodyLimit: the 1 MiB JSON body limit would otherwise refuse
// every upload larger than that.
//
//	chain(cors, guard.Split(bodyLimit), csrf, authn, rateLimit)(gql)
func (g *Guard) Split(other func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		up, rest := g.Middleware(next), other(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if IsMultipart(r) {
				up.ServeHTTP(w, r)
				return
			}
			rest.ServeHTTP(w, r)
		})
	}
}

// admit runs the door checks on a multipart request and calls next with
// the body restored, or writes the rejection.
func (g *Guard) admit(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if r.ContentLength > g.bodyMax {
		g.reject(w, r, tooLarge(http.StatusRequestEntityTooLarge,
			"The upload request body of "+strconv.FormatInt(r.ContentLength, 10)+
				" bytes is larger than the limit of "+strconv.FormatInt(g.bodyMax, 10)+" bytes.",
			"max_body_bytes="+strconv.FormatInt(g.bodyMax, 10)+" content_length="+strconv.FormatInt(r.ContentLength, 10)))
		return
	}
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	boundary := params["boundary"]
	if boundary == "" {
		g.reject(w, r, malformed("no multipart boundary"))
		return
	}
	body := &capReader{r: http.MaxBytesReader(w, r.Body, g.bodyMax)}
	head := &capBuffer{max: g.limits.MaxOperationsBytes + headSlack}
	if rej := g.readHead(io.TeeReader(body, head), boundary); rej != nil {
		if body.tripped || head.full {
			rej = g.bodyTooLarge(body.tripped)
		}
		g.reject(w, r, rej)
		return
	}
	r2 := r.WithContext(context.WithValue(r.Context(), checkedKey{}, g))
	r2.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(head.buf.Bytes()), body), Closer: r.Body}
	lw := &tooLargeWriter{ResponseWriter: w, body: body, rej: g.bodyTooLarge(true), g: g, r: r}
	next.ServeHTTP(lw, r2)
}

// headSlack is what the head buffer may hold beyond MaxOperationsBytes:
// the boundaries and headers of the two parts and the multipart reader's
// read-ahead (4 KiB).
const headSlack = 16 << 10

func (g *Guard) bodyTooLarge(body bool) *rejection {
	if body {
		return tooLarge(http.StatusRequestEntityTooLarge,
			"The upload request body is larger than the limit of "+strconv.FormatInt(g.bodyMax, 10)+" bytes.",
			"max_body_bytes="+strconv.FormatInt(g.bodyMax, 10))
	}
	return tooLarge(http.StatusRequestEntityTooLarge,
		"The operations and map parts are larger than the limit of "+strconv.FormatInt(g.limits.MaxOperationsBytes, 10)+" bytes.",
		"max_operations_bytes="+strconv.FormatInt(g.limits.MaxOperationsBytes, 10))
}

// readHead parses the operations and map parts from r and checks the map.
func (g *Guard) readHead(r io.Reader, boundary string) *rejection {
	mr := multipart.NewReader(r, boundary)
	budget := g.limits.MaxOperationsBytes
	readPart := func(name string) ([]byte, *rejection) {
		p, err := mr.NextPart()
		if err != nil || p.FormName() != name {
			return nil, malformed("the parts must start with operations, then map")
		}
		data, err := io.ReadAll(io.LimitReader(p, budget+1))
		if err != nil {
			return nil, malformed("unreadable " + name + " part")
		}
		if int64(len(data)) > budget {
			return nil, g.bodyTooLarge(false)
		}
		budget -= int64(len(data))
		return data, nil
	}
	ops, rej := readPart("operations")
	if rej != nil {
		return rej
	}
	mapData, rej := readPart("map")
	if rej != nil {
		return rej
	}
	var files map[string][]string
	if err := json.Unmarshal(mapData, &files); err != nil {
		return malformed("the map part is not a JSON object of string arrays")
	}
	paths := 0
	for _, p := range files {
		paths += len(p)
	}
	if len(files) > g.limits.MaxFiles || paths > g.limits.MaxFiles {
		n := max(len(files), paths)
		return &rejection{code: CodeTooManyFiles, status: http.StatusBadRequest,
			message: "The request carries " + strconv.Itoa(n) + " files; the limit is " + strconv.Itoa(g.limits.MaxFiles) + ".",
			err:     fmt.Errorf("%w: files=%d paths=%d limit=%d", ErrTooManyFiles, len(files), paths, g.limits.MaxFiles),
			detail:  "max_files=" + strconv.Itoa(g.limits.MaxFiles) + " files=" + strconv.Itoa(len(files)) + " paths=" + strconv.Itoa(paths)}
	}
	var params struct {
		Variables map[string]any `json:"variables"`
	}
	dec := json.NewDecoder(bytes.NewReader(ops))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		return malformed("the operations part is not a JSON object")
	}
	for _, ps := range files {
		if len(ps) == 0 {
			return malformed("a map entry lists no path")
		}
		for _, p := range ps {
			if !nullSlot(params.Variables, p) {
				return malformed("every map path must name a null inside variables")
			}
		}
	}
	return nil
}

// nullSlot reports whether path ("variables.a.0.b") names an existing null
// inside vars, walked the way gqlgen's RawParams.AddUpload walks it: a
// segment that parses as an integer indexes an array, any other a key.
// AddUpload type-asserts without checking, so anything else would panic.
func nullSlot(vars map[string]any, path string) bool {
	rest, ok := strings.CutPrefix(path, "variables.")
	if !ok || vars == nil {
		return false
	}
	var cur any = vars
	for seg := range strings.SplitSeq(rest, ".") {
		if i, err := strconv.Atoi(seg); err == nil {
			arr, ok := cur.([]any)
			if !ok || i < 0 || i >= len(arr) {
				return false
			}
			cur = arr[i]
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = obj[seg]; !ok {
			return false
		}
	}
	return cur == nil
}

func (g *Guard) reject(w http.ResponseWriter, r *http.Request, rej *rejection) {
	g.audit.RejectRequest(r, rej.code, rej.status, rej.detail)
	writeRejection(w, rej)
}

// capReader notes when the body limit is crossed.
type capReader struct {
	r       io.Reader
	tripped bool
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		c.tripped = true
	}
	return n, err
}

// capBuffer is a bytes.Buffer that refuses to grow past max.
type capBuffer struct {
	buf  bytes.Buffer
	max  int64
	full bool
}

var errHeadFull = errors.New("upload: operations and map too large")

func (c *capBuffer) Write(p []byte) (int, error) {
	if int64(c.buf.Len()+len(p)) > c.max {
		c.full = true
		return 0, errHeadFull
	}
	return c.buf.Write(p)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// tooLargeWriter replaces the handler's error response with 413
// CodeTooLarge when the body limit was crossed during the handler's reads
// and the handler had not written yet.
type tooLargeWriter struct {
	http.ResponseWriter
	body     *capReader
	rej      *rejection
	g        *Guard
	r        *http.Request
	wrote    bool
	replaced bool
}

func (t *tooLargeWriter) WriteHeader(code int) {
	if t.replaced {
		return
	}
	if !t.wrote && t.body.tripped {
		t.replaced = true
		t.g.reject(t.ResponseWriter, t.r, t.rej)
		return
	}
	t.wrote = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *tooLargeWriter) Write(p []byte) (int, error) {
	if !t.wrote && !t.replaced {
		t.WriteHeader(http.StatusOK)
	}
	if t.replaced {
		return len(p), nil
	}
	return t.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *tooLargeWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

var (
	_ http.ResponseWriter = (*tooLargeWriter)(nil)
	_ io.Reader           = (*capReader)(nil)
	_ io.Writer           = (*capBuffer)(nil)
)
