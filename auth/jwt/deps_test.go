package jwt_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps auth/jwt to one job: it imports auth and golang-jwt, never
// the password libraries, Redis, GraphQL or WebSocket code.
func TestDeps(t *testing.T) {
	t.Parallel()
	depstest.AllowOnly(t, "github.com/rampart-go/rampart/auth/jwt", "only auth and golang-jwt are allowed (argon2 and zxcvbn live in auth/password, Redis in auth/authredis)",
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth",
		// auth's outage log line: standard library only
		"github.com/rampart-go/rampart/internal/logthrottle",
		"github.com/golang-jwt/jwt/",
	)
}
