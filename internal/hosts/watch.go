package hosts

import (
	"sync"

	"github.com/brevet-dev/brevet/internal/store"
)

// watchers wakes WaitHostChange's waiters: next returns a channel closed
// at the next wake.
type watchers struct {
	mu   sync.Mutex
	ch   chan struct{}
	stop chan struct{} // closed by Stop
	once sync.Once
}

func (w *watchers) init() { w.ch, w.stop = make(chan struct{}), make(chan struct{}) }

// Stop releases every WaitHostChange waiting now and to come, which
// answer with the host's state at once: the server is shutting down and
// must not wait for long polls.
func (s *Service) Stop() { s.watch.once.Do(func() { close(s.watch.stop) }) }

func (w *watchers) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *watchers) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}

// Apply wakes the waiters of WaitHostChange when changes touch a host,
// an instance profile (profileKind, "" for none) or a role, on every node.
// Each waiter reads its host's state again.
func (s *Service) Apply(changes []store.Change, profileKind string) {
	for _, c := range changes {
		relevant := c.Kind == store.ChangeRole || (profileKind != "" && c.Kind == profileKind)
		if c.Kind == store.ChangeObject {
			kind, _ := store.SplitObjectKey(c.Key)
			relevant = relevant || kind == KindHost
		}
		if relevant {
			s.watch.wake()
			return
		}
	}
}
