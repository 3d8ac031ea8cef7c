// Package jsonerror writes the GraphQL-shaped JSON error bodies that
// Rampart's HTTP layers answer with before GraphQL runs:
// {"errors":[{"message":…,"extensions":{"code":…}}]}, so that GraphQL
// clients (Apollo, urql, graphql-request) surface the message and code.
package jsonerror

import (
	"encoding/json"
	"net/http"
	"strconv"
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
func Write(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
