package directives

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/rampart-go/rampart/auth"
)

// BenchmarkLiveEvent measures one subscription event through the per-event
// re-authorization (Options.CurrentPrincipal answering from a cache, an
// @auth(requires:) check, the forwarding goroutine's two channel hand-offs)
// beside BenchmarkLiveEventBaseline, the same hand-off without the
// directive. The difference is the per-event cost.
func BenchmarkLiveEvent(b *testing.B) {
	p := &auth.Principal{Subject: "u1", Roles: []string{"ADMIN"}}
	d, err := New(Options{CurrentPrincipal: func(context.Context, *auth.Principal) (*auth.Principal, error) { return p, nil }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(auth.WithPrincipal(context.Background(), p))
	defer cancel()
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: "Subscription"})
	src := make(chan int)
	res, err := d.liveSubscription(ctx, &liveRule{auth: []*requirement{{roles: []string{"ADMIN"}}}}, func(context.Context) (any, error) {
		return (<-chan int)(src), nil
	})
	if err != nil {
		b.Fatal(err)
	}
	out := res.(<-chan int)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		src <- i
		if <-out != i {
			b.Fatal("event lost")
		}
	}
}

// BenchmarkLiveEventBaseline is one event through a plain forwarding
// goroutine, as gqlgen delivers it without re-authorization.
func BenchmarkLiveEventBaseline(b *testing.B) {
	src, out := make(chan int), make(chan int)
	go func() {
		for v := range src {
			out <- v
		}
	}()
	defer close(src)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		src <- i
		if <-out != i {
			b.Fatal("event lost")
		}
	}
}
