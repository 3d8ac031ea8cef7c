package password_test

import (
	"fmt"

	"github.com/rampart-go/rampart/auth/password"
)

// Register and log in with argon2id password hashes. VerifyDummy makes an
// unknown e-mail address cost as much as a wrong password.
func ExampleHasher() {
	// Tests use light parameters; production uses the zero value (OWASP:
	// 19 MiB, 2 iterations, 1 lane).
	h, err := password.NewHasher(password.Params{Memory: 64, Iterations: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(password.CheckPolicy("too short", "ann@example.com"))
	fmt.Println(password.CheckPolicy("ann@example.com", "Ann@Example.com"))

	stored, _ := h.Hash("correct horse battery staple")
	users := map[string]string{"ann@example.com": stored}

	login := func(email, pw string) bool {
		enc, ok := users[email]
		if !ok {
			h.VerifyDummy(pw) // same cost as a real check
			return false
		}
		match, err := h.Verify(pw, enc)
		return err == nil && match
	}
	fmt.Println(login("ann@example.com", "correct horse battery staple"))
	fmt.Println(login("ann@example.com", "wrong password!"))
	fmt.Println(login("bob@example.com", "correct horse battery staple"))
	// Output:
	// password must be at least 12 characters
	// password must not be the same as the e-mail address
	// true
	// false
	// false
}
