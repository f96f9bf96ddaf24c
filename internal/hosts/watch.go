package hosts

import (
	"sync"

	"github.com/brevet-dev/brevet/internal/store"
)

// watchers wakes WaitHostChange's waiters: next returns a channel closed
// at the next wake of the waiter's account, so that a change in one
// account does not have every host of every account read its state again.
type watchers struct {
	mu sync.Mutex
	// ch holds each account's channel, made by the first next after a
	// wake of that account.
	ch   map[string]chan struct{}
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
	w.ch, w.stop, w.waiting = map[string]chan struct{}{}, make(chan struct{}), map[string]int{}
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

func (w *watchers) next(account string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.ch[account]
	if c == nil {
		c = make(chan struct{})
		w.ch[account] = c
	}
	return c
}

// wake wakes the waiters of accounts, or of every account when all is
// set.
func (w *watchers) wake(accounts map[string]bool, all bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for a, c := range w.ch {
		if all || accounts[a] {
			close(c)
			delete(w.ch, a)
		}
	}
}

// Apply wakes the waiters of WaitHostChange when changes touch a host,
// an instance profile (profileKind, "" for none) or a role of their
// account, on every node. Each waiter reads its host's state again.
func (s *Service) Apply(changes []store.Change, profileKind string) {
	var accounts map[string]bool
	all := false
	for _, c := range changes {
		relevant := c.Kind == store.ChangeRole || (profileKind != "" && c.Kind == profileKind)
		if c.Kind == store.ChangeObject {
			kind, _ := store.SplitObjectKey(c.Key)
			relevant = relevant || kind == KindHost
		}
		switch {
		case !relevant:
		case c.Account == "":
			all = true
		default:
			if accounts == nil {
				accounts = map[string]bool{}
			}
			accounts[c.Account] = true
		}
	}
	if all || accounts != nil {
		s.watch.wake(accounts, all)
	}
}
