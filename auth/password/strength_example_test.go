package password_test

import (
	"errors"
	"fmt"

	"github.com/rampart-go/rampart/auth/password"
)

// On registration, run the policy (length) and the strength check, with the
// user's e-mail address and name as words an attacker would try first.
// The refusal's message is meant for the user.
func ExampleCheckStrength() {
	email, name := "alice.smith@example.com", "Alice Smith"
	for _, pw := range []string{"password123", "alice.smith@example.com1", "correct horse battery staple"} {
		err := password.CheckPolicy(pw, email)
		if err == nil {
			err = password.CheckStrength(pw, []string{email, name}, 0)
		}
		var weak *password.WeakError
		switch {
		case errors.As(err, &weak):
			fmt.Printf("score %d/4: %v\n", weak.Score, err)
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Println("accepted")
		}
	}
	// Output:
	// password must be at least 12 characters
	// score 1/4: password is too easy to guess: your e-mail address or name with a number appended; add another word or two (uncommon words are better); do not use your e-mail address or name
	// accepted
}

// EstimateStrength drives a strength meter as the user types.
func ExampleEstimateStrength() {
	s := password.EstimateStrength("Summer2024!", nil)
	fmt.Println(s.Score, s.Warning)
	fmt.Println(s.Suggestions)
	// Output:
	// 2 a common password with digits and symbols appended
	// [add another word or two (uncommon words are better) capitalising the first letter does not help much]
}
