package gqlsec

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// Codes of requests refused by the strict request decoder.
const (
	// CodeInvalidJSON: the body (or the variables or extensions query
	// parameter of a GET) is not valid JSON, or not valid UTF-8. HTTP 400.
	CodeInvalidJSON = "INVALID_JSON"
	// CodeDuplicateKey: an object in the request repeats a member name
	// (at any depth), or the request has a member whose name differs from
	// query, operationName, variables or extensions only in letter case,
	// or a GET repeats a parameter. HTTP 400.
	CodeDuplicateKey = "DUPLICATE_KEY"
	// CodeUnsupportedMediaType: a charset other than utf-8. HTTP 415.
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	// CodeRequestTimeout: the body did not arrive before the server's read
	// deadline. HTTP 408.
	CodeRequestTimeout = "REQUEST_TIMEOUT"
	// CodeNotAcceptable: the Accept header names neither
	// application/graphql-response+json nor application/json. HTTP 406.
	CodeNotAcceptable = "NOT_ACCEPTABLE"
	// CodeRequestTooLarge: the body is larger than HTTPOptions.MaxBodyBytes
	// (or the limit set by httpsec.BodyLimit in front). HTTP 413.
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
)

// RequestError is a GraphQL-over-HTTP request refused before it reached
// gqlgen: a client's mistake, never an internal error. Its message names
// the kind of mistake and never quotes the request.
type RequestError struct {
	// Status is the HTTP status to answer with.
	Status int
	// Code goes to extensions.code.
	Code string
	// Message is safe to show the client.
	Message string
}

// Error implements error.
func (e *RequestError) Error() string { return e.Message }

func badRequest(code, msg string) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Code: code, Message: msg}
}

// CheckRequestBody checks a GraphQL-over-HTTP JSON request body strictly,
// so that every reader of the body (Rampart, gqlgen, a WAF, a logger)
// sees the same request:
//
//   - it must be one valid JSON object and nothing after it, in valid
//     UTF-8;
//   - no object at any depth repeats a member name (a parser that keeps
//     the first and one that keeps the last would run different queries);
//   - no member name equals query, operationName, variables or extensions
//     in any other letter case (encoding/json, which gqlgen uses, matches
//     member names case-insensitively);
//   - query and operationName are strings or null, variables and
//     extensions objects or null, and there is a query or extensions (a
//     persisted query's hash).
//
// It returns nil or a *RequestError. A JSON array (a batch) is checked
// element by element by Middleware, not here.
func CheckRequestBody(body []byte) error {
	if !utf8.Valid(body) {
		return badRequest(CodeInvalidJSON, "request body is not valid UTF-8")
	}
	s := getScanner(body)
	defer putScanner(s)
	d := s.dec
	if err := checkRequestObject(d); err != nil {
		return err
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return syntaxError(err, "request body has data after the JSON object")
	}
	return nil
}

// scanner is a pooled strict JSON decoder over a caller's bytes.
type scanner struct {
	buf bytes.Buffer
	dec *jsontext.Decoder
}

var scanners = sync.Pool{New: func() any {
	s := &scanner{}
	s.dec = jsontext.NewDecoder(&s.buf)
	return s
}}

func getScanner(b []byte) *scanner {
	s := scanners.Get().(*scanner)
	s.buf = *bytes.NewBuffer(b)
	s.dec.Reset(&s.buf)
	return s
}

func putScanner(s *scanner) {
	s.buf = bytes.Buffer{}
	s.dec.Reset(&s.buf)
	scanners.Put(s)
}

// requestMembers are the members of a GraphQL-over-HTTP request and the
// JSON kinds each may have ('"' string, '{' object, 'n' null).
var requestMembers = [...]struct {
	name  string
	kinds string
}{
	{"query", `"n`},
	{"operationName", `"n`},
	{"variables", `{n`},
	{"extensions", `{n`},
}

func checkRequestObject(d *jsontext.Decoder) error {
	tok, err := d.ReadToken()
	if err != nil {
		return syntaxError(err, "request body is empty")
	}
	if tok.Kind() != '{' {
		return badRequest(CodeBadRequest, "request body must be a JSON object")
	}
	var hasQuery bool
	for d.PeekKind() == '"' {
		tok, err := d.ReadToken()
		if err != nil {
			return syntaxError(err, "")
		}
		name := tok.String()
		known := -1
		for i, m := range requestMembers {
			if name == m.name {
				known = i
				break
			}
			if strings.EqualFold(name, m.name) {
				return badRequest(CodeDuplicateKey, "request member "+quoteName(name)+" differs from "+m.name+" only in letter case")
			}
		}
		kind := d.PeekKind()
		if kind == 0 {
			_, err := d.ReadValue()
			return syntaxError(err, "")
		}
		if known >= 0 && !strings.ContainsRune(requestMembers[known].kinds, rune(kind)) {
			want := "a string"
			if requestMembers[known].kinds[0] == '{' {
				want = "an object"
			}
			return badRequest(CodeBadRequest, requestMembers[known].name+" must be "+want+" or null")
		}
		if known == 0 || known == 3 { // query, or extensions for a persisted query
			hasQuery = hasQuery || kind != 'n'
		}
		if err := d.SkipValue(); err != nil {
			return syntaxError(err, "")
		}
	}
	if _, err := d.ReadToken(); err != nil {
		return syntaxError(err, "")
	}
	if !hasQuery {
		return badRequest(CodeBadRequest, "request has neither a query nor extensions (a persisted query)")
	}
	return nil
}

// quoteName returns a member name for an error message, shortened.
func quoteName(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// syntaxError classifies a jsontext error without echoing the input.
func syntaxError(err error, fallback string) *RequestError {
	switch {
	case errors.Is(err, jsontext.ErrDuplicateName):
		return badRequest(CodeDuplicateKey, "request JSON repeats an object member name")
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest(CodeInvalidJSON, "request body is truncated JSON")
	case err == nil && fallback != "":
		return badRequest(CodeInvalidJSON, fallback)
	}
	return badRequest(CodeInvalidJSON, "request body is not valid JSON")
}

// checkJSONObject checks a JSON object given as a GET parameter
// (variables, extensions): valid UTF-8, valid JSON, an object or null,
// no repeated member names.
func checkJSONObject(param, s string) error {
	if !utf8.ValidString(s) {
		return badRequest(CodeInvalidJSON, param+" is not valid UTF-8")
	}
	sc := getScanner([]byte(s))
	defer putScanner(sc)
	d := sc.dec
	if k := d.PeekKind(); k != '{' && k != 'n' {
		if k == 0 {
			return badRequest(CodeInvalidJSON, param+" is not valid JSON")
		}
		return badRequest(CodeBadRequest, param+" must be a JSON object")
	}
	if err := d.SkipValue(); err != nil {
		e := syntaxError(err, "")
		e.Message = strings.Replace(e.Message, "request body", param, 1)
		return e
	}
	if _, err := d.ReadToken(); err != io.EOF {
		return badRequest(CodeInvalidJSON, param+" has data after the JSON value")
	}
	return nil
}

// CheckRequestQuery checks the parameters of a GraphQL-over-HTTP GET
// request: no parameter repeated (gqlgen reads the first, other readers
// may read the last), and variables and extensions strict JSON objects
// (see CheckRequestBody). It returns nil or a *RequestError.
func CheckRequestQuery(q url.Values) error {
	for name, vs := range q {
		if len(vs) > 1 {
			return badRequest(CodeDuplicateKey, "query parameter "+quoteName(name)+" is repeated")
		}
	}
	for _, p := range [...]string{"variables", "extensions"} {
		if v := q.Get(p); v != "" {
			if err := checkJSONObject(p, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkContentType refuses a JSON body declared in a charset other than
// UTF-8. It reports whether the body is JSON (only JSON bodies are
// decoded strictly; other media types are left to gqlgen's transports).
func checkContentType(r *http.Request) (isJSON bool, err error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false, nil
	}
	mt, params, perr := mime.ParseMediaType(ct)
	if perr != nil {
		return false, &RequestError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType, Message: "Content-Type is malformed"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return false, &RequestError{Status: http.StatusUnsupportedMediaType, Code: CodeUnsupportedMediaType, Message: "only the utf-8 charset is supported"}
	}
	return mt == "application/json", nil
}
