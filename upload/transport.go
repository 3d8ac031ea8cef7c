package upload

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/auth"
)

// MultipartForm returns gqlgen's multipart transport configured for g:
// MaxUploadSize is MaxBodyBytes, and MaxMemory is one byte more, so gqlgen
// keeps files in memory (at most MaxBodyBytes per request) and never
// writes temporary files. On its own it caps only the body size: prefer
// Transport, which also runs the Middleware checks.
func (g *Guard) MultipartForm() transport.MultipartForm {
	return transport.MultipartForm{MaxUploadSize: g.bodyMax, MaxMemory: g.bodyMax + 1}
}

// Transport is a gqlgen transport for the GraphQL multipart request spec:
// gqlgen's MultipartForm behind the Guard's door checks (see Middleware),
// which it runs itself unless Middleware already admitted the request.
// Before them it refuses callers without an auth.Principal, unless
// Config.AllowAnonymous: mount auth.Middleware in front of the server.
// Add it with handler.Server.AddTransport.
type Transport struct {
	guard *Guard
	form  transport.MultipartForm
}

var _ graphql.Transport = (*Transport)(nil)

// Transport returns the guarded multipart transport.
func (g *Guard) Transport() *Transport {
	return &Transport{guard: g, form: g.MultipartForm()}
}

// Supports reports multipart/form-data POSTs, as gqlgen's MultipartForm.
func (t *Transport) Supports(r *http.Request) bool { return t.form.Supports(r) }

// Do refuses anonymous callers (unless Config.AllowAnonymous), runs the
// door checks if Middleware has not, then gqlgen's MultipartForm.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !t.guard.anon {
		if p, _ := auth.PrincipalFrom(r.Context()); p.Anonymous() {
			t.guard.reject(w, r, &rejection{code: CodeUnauthenticated, status: http.StatusUnauthorized,
				message: "Sign in to upload files.", err: ErrUnauthenticated, detail: "anonymous"})
			return
		}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.form.Do(w, r, exec) })
	if r.Context().Value(checkedKey{}) == t.guard {
		h.ServeHTTP(w, r)
		return
	}
	t.guard.admit(w, r, h)
}
