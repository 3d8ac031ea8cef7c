package graph

import (
	"context"
	"sync"

	"github.com/rampart-go/rampart/demo/graph/model"
)

// Broker fans new comments out to the commentAdded subscribers of their
// post, in process. A subscriber that falls behind by more than its buffer
// misses events rather than slowing the publisher.
type Broker struct {
	// OnSubscribe, if set, is called with the post id each time a
	// subscriber has been registered, so that a test can wait for a
	// subscription to be live instead of waiting for time to pass. Set it
	// before the broker is used.
	OnSubscribe func(postID string)

	mu   sync.Mutex
	subs map[string]map[chan *model.Comment]struct{}
}

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: make(map[string]map[chan *model.Comment]struct{})}
}

// subscriberBuffer is how many events a slow subscriber may lag behind.
const subscriberBuffer = 16

// Subscribe returns a channel of the comments added to postID until ctx is
// done; the channel is closed then.
func (b *Broker) Subscribe(ctx context.Context, postID string) <-chan *model.Comment {
	ch := make(chan *model.Comment, subscriberBuffer)
	b.mu.Lock()
	set := b.subs[postID]
	if set == nil {
		set = make(map[chan *model.Comment]struct{})
		b.subs[postID] = set
	}
	set[ch] = struct{}{}
	b.mu.Unlock()
	if b.OnSubscribe != nil {
		b.OnSubscribe(postID)
	}
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(set, ch)
		if len(set) == 0 {
			delete(b.subs, postID)
		}
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}

// Publish sends c to the subscribers of its post without blocking.
func (b *Broker) Publish(c *model.Comment) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[c.PostID] {
		select {
		case ch <- c:
		default: // subscriber is behind: drop rather than block the writer
		}
	}
}

// Subscribers reports how many subscriptions are open on postID.
func (b *Broker) Subscribers(postID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[postID])
}
