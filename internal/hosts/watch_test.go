package hosts

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/store"
)

// TestApplyWakesTheAccount: a change wakes the waiters of its account
// only (a role changed in one account has no host of another read its
// state again); a change without an account wakes every waiter.
func TestApplyWakesTheAccount(t *testing.T) {
	s := &Service{}
	s.watch.init()
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	a, b := s.watch.next("111111111111"), s.watch.next("222222222222")
	s.Apply([]store.Change{{Account: "222222222222", Kind: store.ChangeRole, Key: "web-role"}}, store.ChangeInstanceProfile)
	if closed(a) || !closed(b) {
		t.Errorf("a role change in 222222222222 woke 111111111111: %v, 222222222222: %v; want false, true", closed(a), closed(b))
	}
	s.Apply([]store.Change{{Account: "111111111111", Kind: store.ChangeUser, Key: "alice"}}, store.ChangeInstanceProfile)
	if closed(a) {
		t.Error("a user change woke a host")
	}
	s.Apply([]store.Change{{Account: "111111111111", Kind: store.ChangeObject, Key: store.ObjectKey(KindHost, "i-0123456789abcdef0")}}, "")
	if !closed(a) {
		t.Error("a host change did not wake its account")
	}
	a, b = s.watch.next("111111111111"), s.watch.next("222222222222")
	s.Apply([]store.Change{{Kind: store.ChangeInstanceProfile, Key: "web"}}, store.ChangeInstanceProfile)
	if !closed(a) || !closed(b) {
		t.Error("a change without an account did not wake every account")
	}
}
