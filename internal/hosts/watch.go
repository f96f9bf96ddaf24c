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
	// waiting counts each host's WaitHostChange requests waiting now.
	waiting map[string]int
}

// MaxWaitsPerHost bounds the WaitHostChange requests one host may have
// waiting at once on a node (the agent has one; a restart may overlap
// it): past it, WaitHostChange is refused with a *ThrottledError, so
// that a host's key cannot hold a node's connections and goroutines.
const MaxWaitsPerHost = 4

func (w *watchers) init() {
	w.ch, w.stop, w.waiting = make(chan struct{}), make(chan struct{}), map[string]int{}
}

// enter counts a waiter of host, or reports false when the host has
// MaxWaitsPerHost already.
func (w *watchers) enter(host string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting[host] >= MaxWaitsPerHost {
		return false
	}
	w.waiting[host]++
	return true
}

// leave uncounts a waiter of host.
func (w *watchers) leave(host string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting[host]--; w.waiting[host] <= 0 {
		delete(w.waiting, host)
	}
}

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
