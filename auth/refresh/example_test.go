package refresh_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
)

// Refresh tokens rotate on every use; presenting an old one again revokes
// the whole family.
func ExampleTokens() {
	ctx := context.Background()
	rt, err := refresh.NewTokens(refresh.NewMemoryStore(nil), refresh.Options{})
	if err != nil {
		panic(err)
	}
	first, _ := rt.Issue(ctx, "user-42")
	subject, second, err := rt.Rotate(ctx, first)
	fmt.Println(subject, err)

	_, _, err = rt.Rotate(ctx, first) // stolen copy replayed
	fmt.Println(errors.Is(err, refresh.ErrReuse))
	_, _, err = rt.Rotate(ctx, second) // the whole family is gone
	fmt.Println(errors.Is(err, auth.ErrRevoked))
	// Output:
	// user-42 <nil>
	// true
	// true
}
