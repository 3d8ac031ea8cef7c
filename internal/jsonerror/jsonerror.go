// Package jsonerror writes the GraphQL-shaped JSON error bodies that
// Rampart's HTTP layers answer with before GraphQL runs:
// {"errors":[{"message":…,"extensions":{"code":…}}]}, so that GraphQL
// clients (Apollo, urql, graphql-request) surface the message and code.
package jsonerror

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

type body struct {
	Errors [1]entry `json:"errors"`
}

type entry struct {
	Message    string    `json:"message"`
	Extensions extension `json:"extensions"`
}

type extension struct {
	Code string `json:"code"`
}

// Body renders the error body for code and message, followed by a newline.
// Messages are fixed server-side strings: nothing from the request is
// echoed. Render bodies once, at construction, and reuse them.
func Body(code, message string) []byte {
	b, err := json.Marshal(body{Errors: [1]entry{{Message: message, Extensions: extension{Code: code}}}})
	if err != nil { // cannot happen for two strings
		panic("jsonerror: " + err.Error())
	}
	return append(b, '\n')
}

// Write sends a body from Body with status, as JSON that must not be
// sniffed or cached.
func Write(w http.ResponseWriter, status int, b []byte) { write(w, JSON, status, b) }

func write(w http.ResponseWriter, mediaType string, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Media types of a GraphQL-over-HTTP response.
const (
	// GraphQLResponse is the GraphQL over HTTP spec's own media type: a
	// request that fails before execution gets a 4xx status and no data.
	GraphQLResponse = "application/graphql-response+json"
	// JSON is the legacy media type: every well-formed request gets 200.
	JSON = "application/json"
)

// Negotiate returns the media type of a GraphQL-over-HTTP response to a
// request with this Accept header: GraphQLResponse when the client names
// it, JSON when it names application/json, a wildcard (*/* or
// application/*) or sends no Accept header (the spec's legacy default,
// which browsers' fetch and curl get), and "" when it accepts neither. Of the two, the one with the higher q wins; on a tie,
// GraphQLResponse. It does not allocate.
func Negotiate(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return JSON
	}
	var qGQL, qJSON float64 = -1, -1
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch mt {
		case GraphQLResponse:
			qGQL = max(qGQL, q)
		case JSON, "*/*", "application/*":
			qJSON = max(qJSON, q)
		}
	}
	switch {
	case qGQL > 0 && qGQL >= qJSON:
		return GraphQLResponse
	case qJSON > 0:
		return JSON
	}
	return ""
}

// WriteFor is Write with the Content-Type negotiated from r's Accept
// header (JSON when it accepts neither GraphQL media type).
func WriteFor(w http.ResponseWriter, r *http.Request, status int, b []byte) {
	mt := Negotiate(r.Header.Get("Accept"))
	if mt == "" {
		mt = JSON
	}
	write(w, mt, status, b)
}
