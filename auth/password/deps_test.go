package password_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps auth/password to one job: it imports auth, argon2 and
// zxcvbn, never golang-jwt, Redis, GraphQL or WebSocket code.
func TestDeps(t *testing.T) {
	t.Parallel()
	depstest.AllowOnly(t, "github.com/rampart-go/rampart/auth/password", "only auth, argon2 and zxcvbn are allowed (JWTs live in auth/jwt)",
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth",
		// auth's outage log line: standard library only
		"github.com/rampart-go/rampart/internal/logthrottle",
		// argon2 and what it needs
		"golang.org/x/crypto/argon2", "golang.org/x/crypto/blake2b", "golang.org/x/sys/cpu",
		// zxcvbn and its backtracking regexp engine
		"github.com/trustelem/zxcvbn", "github.com/trustelem/zxcvbn/", "github.com/dlclark/regexp2", "github.com/dlclark/regexp2/",
	)
}
