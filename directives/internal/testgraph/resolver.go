package testgraph

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/rampart-go/rampart/directives/internal/testgraph/model"
)

// ErrNoPost is returned by PostOwner for an unknown post id.
var ErrNoPost = errors.New("testgraph: no such post")

// Resolver is an in-memory store seeded with two users (u1 alice, u2 bob),
// an admin (u3) and one post each for alice (p1) and bob (p2).
type Resolver struct {
	mu     sync.Mutex
	users  map[string]*model.User
	posts  map[string]*model.Post
	order  []string
	nextID int
	// Calls counts resolver calls by name, so tests can prove a guard ran
	// before the resolver.
	Calls map[string]int
	// Feed receives, for each adminFeed, userFeed or postFeed subscription,
	// the channel its events are sent on (closed when the subscription
	// ends); nil means those subscriptions get no events.
	Feed chan<- FeedSub
}

// FeedSub is one feed subscription: Name is the field, Events its channel.
type FeedSub struct {
	Name   string
	Events chan<- int
}

// NewResolver returns a freshly seeded store.
func NewResolver() *Resolver {
	r := &Resolver{
		users: map[string]*model.User{
			"u1": {ID: "u1", Name: "alice", Email: "alice@example.com"},
			"u2": {ID: "u2", Name: "bob", Email: "bob@example.com"},
			"u3": {ID: "u3", Name: "root", Email: "root@example.com"},
		},
		posts: map[string]*model.Post{
			"p1": {ID: "p1", Title: "alice's", Body: "hello", AuthorID: "u1", DraftNotes: "alice's notes"},
			"p2": {ID: "p2", Title: "bob's", Body: "hi", AuthorID: "u2", DraftNotes: "bob's notes"},
		},
		order:  []string{"u1", "u2", "u3"},
		nextID: 3,
		Calls:  map[string]int{},
	}
	return r
}

// PostOwner is the @owner lookup for posts.
func (r *Resolver) PostOwner(_ context.Context, id string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.posts[id]
	if !ok {
		return "", ErrNoPost
	}
	return p.AuthorID, nil
}

// CallCount reports how often the named resolver ran.
func (r *Resolver) CallCount(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.Calls[name]
}

func (r *Resolver) called(name string) {
	r.mu.Lock()
	r.Calls[name]++
	r.mu.Unlock()
}

// Mutation returns the mutation resolver.
func (r *Resolver) Mutation() MutationResolver { return &mutationResolver{r} }

// Post returns the Post resolver.
func (r *Resolver) Post() PostResolver { return &postResolver{r} }

// Query returns the query resolver.
func (r *Resolver) Query() QueryResolver { return &queryResolver{r} }

// Subscription returns the subscription resolver.
func (r *Resolver) Subscription() SubscriptionResolver { return &subscriptionResolver{r} }

// User returns the User resolver.
func (r *Resolver) User() UserResolver { return &userResolver{r} }

type (
	mutationResolver     struct{ *Resolver }
	postResolver         struct{ *Resolver }
	queryResolver        struct{ *Resolver }
	subscriptionResolver struct{ *Resolver }
	userResolver         struct{ *Resolver }
)

func ptr[T any](v T) *T { return &v }

func (r *mutationResolver) CreatePost(_ context.Context, input model.PostInput) (*model.Post, error) {
	r.called("createPost")
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	p := &model.Post{ID: fmt.Sprintf("p%d", r.nextID), Title: input.Title, Body: input.Body}
	r.posts[p.ID] = p
	return p, nil
}

func (r *mutationResolver) UpdatePost(_ context.Context, id string, input model.PostInput) (*model.Post, error) {
	r.called("updatePost")
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.posts[id]
	if !ok {
		return nil, nil
	}
	p.Title, p.Body = input.Title, input.Body
	return p, nil
}

func (r *mutationResolver) DeletePost(_ context.Context, id string) (*bool, error) {
	r.called("deletePost")
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.posts[id]
	delete(r.posts, id)
	return ptr(ok), nil
}

func (r *mutationResolver) Ping(context.Context) (bool, error) { return true, nil }

func (r *postResolver) Author(_ context.Context, obj *model.Post) (*model.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[obj.AuthorID], nil
}

func (r *queryResolver) Me(context.Context) (*model.User, error) { return r.users["u1"], nil }

func (r *queryResolver) User(_ context.Context, id string) (*model.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.users[id], nil
}

func (r *queryResolver) Users(context.Context) ([]*model.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*model.User, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.users[id])
	}
	return out, nil
}

func (r *queryResolver) Post(_ context.Context, id string) (*model.Post, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts[id], nil
}

func (r *queryResolver) Secret(context.Context) (*string, error) {
	r.called("secret")
	return ptr("s3cret"), nil
}

func (r *queryResolver) AdminOnly(context.Context) (*string, error) {
	r.called("adminOnly")
	return ptr("admin"), nil
}

func (r *queryResolver) EditorOrAdmin(context.Context) (*string, error) { return ptr("edit"), nil }

func (r *queryResolver) Scoped(context.Context) (*string, error) { return ptr("scoped"), nil }

func (r *queryResolver) Stats(context.Context) (*model.Stats, error) {
	r.called("stats")
	return &model.Stats{Users: 3, Posts: 2}, nil
}

func (r *queryResolver) Search(context.Context) ([]model.SearchResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return []model.SearchResult{r.posts["p1"], &model.Stats{Users: 3, Posts: 2}}, nil
}

func (r *queryResolver) Echo(_ context.Context, text string) (string, error) { return text, nil }

func (r *queryResolver) Shout(_ context.Context, text string) (string, error) { return text, nil }

func (r *queryResolver) EchoUgc(_ context.Context, html string) (string, error) { return html, nil }

func (r *queryResolver) CheckEmail(context.Context, string) (bool, error) { return true, nil }

func (r *queryResolver) CheckURL(context.Context, string) (bool, error) { return true, nil }

func (r *queryResolver) CheckUUID(context.Context, string) (bool, error) { return true, nil }

func (r *queryResolver) CheckAge(context.Context, int) (bool, error) { return true, nil }

func (r *queryResolver) CheckTags(context.Context, []string) (bool, error) { return true, nil }

func (r *subscriptionResolver) PostAdded(context.Context) (<-chan *model.Post, error) {
	r.called("postAdded")
	ch := make(chan *model.Post, 1)
	ch <- &model.Post{ID: "p9", Title: "new", AuthorID: "u1"}
	close(ch)
	return ch, nil
}

func (r *subscriptionResolver) AdminFeed(ctx context.Context) (<-chan int, error) {
	return r.feed(ctx, "adminFeed"), nil
}

func (r *subscriptionResolver) UserFeed(ctx context.Context) (<-chan int, error) {
	return r.feed(ctx, "userFeed"), nil
}

func (r *subscriptionResolver) PostFeed(ctx context.Context, _ string) (<-chan int, error) {
	return r.feed(ctx, "postFeed"), nil
}

// feed hands a new event channel to Resolver.Feed and closes it when ctx
// ends.
func (r *subscriptionResolver) feed(ctx context.Context, name string) <-chan int {
	r.called(name)
	ch := make(chan int)
	if r.Feed == nil {
		close(ch)
		return ch
	}
	select {
	case r.Feed <- FeedSub{Name: name, Events: ch}:
	case <-ctx.Done():
	}
	return ch
}

func (r *subscriptionResolver) Ticks(context.Context) (<-chan int, error) {
	ch := make(chan int, 1)
	ch <- 1
	close(ch)
	return ch, nil
}

func (r *userResolver) Posts(_ context.Context, obj *model.User) ([]*model.Post, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*model.Post
	for _, id := range []string{"p1", "p2"} {
		if p, ok := r.posts[id]; ok && p.AuthorID == obj.ID {
			out = append(out, p)
		}
	}
	return out, nil
}

func (r *userResolver) Followers(_ context.Context, obj *model.User) ([]*model.User, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*model.User
	for _, id := range r.order {
		if id != obj.ID {
			out = append(out, r.users[id])
		}
	}
	return out, nil
}

func (r *queryResolver) CheckPublicURL(context.Context, string) (bool, error) { return true, nil }

func (r *queryResolver) Hits(context.Context) (int, error) { return 1, nil }

func (r *queryResolver) LimitedHits(context.Context) (int, error) { return 1, nil }

func (r *queryResolver) Wallet(context.Context) (*string, error) {
	r.called("wallet")
	return ptr("1000 credits"), nil
}

func (r *mutationResolver) SignUp(context.Context, string) (bool, error) {
	r.called("signUp")
	return true, nil
}

func (r *mutationResolver) Follow(context.Context, string) (*bool, error) {
	r.called("follow")
	return ptr(true), nil
}

func (r *mutationResolver) ChangeEmail(context.Context, string) (bool, error) {
	r.called("changeEmail")
	return true, nil
}

func (r *mutationResolver) Transfer(context.Context, int) (bool, error) {
	r.called("transfer")
	return true, nil
}
