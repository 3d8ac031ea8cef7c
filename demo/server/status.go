package main

import (
	"net/http"

	"github.com/rampart-go/rampart/demo/graph"
)

// resolverStatus lets resolvers answer a real HTTP status (503 with
// Retry-After for TOO_BUSY and AUTH_UNAVAILABLE) where gqlgen would write
// 200: each request carries a graph.ResponseStatus, applied when the
// status line is written.
func resolverStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, st := graph.WithResponseStatus(r.Context())
		next.ServeHTTP(&statusOverride{ResponseWriter: w, st: st}, r.WithContext(ctx))
	})
}

// statusOverride replaces the status of a response with the one a resolver
// asked for.
type statusOverride struct {
	http.ResponseWriter
	st    *graph.ResponseStatus
	wrote bool
}

func (s *statusOverride) WriteHeader(code int) {
	if !s.wrote {
		s.wrote = true
		code = s.st.Apply(s.Header(), code)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusOverride) Write(p []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer
// (flushing, hijacking for WebSockets, deadlines).
func (s *statusOverride) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// holdQuery runs hold before next (the holdQuery test hook).
func holdQuery(hold func(*http.Request), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hold(r)
		next.ServeHTTP(w, r)
	})
}
