package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// racers is how many goroutines the race tests below start at once.
const racers = 16

func testMFAAttempts(t *testing.T, s store.Store) {
	m := s.MFAAttempts()
	const key = "device:arn:aws:iam::123456789012:mfa/alice"
	var seen store.MFAAttempt
	got := must[store.MFAAttempt](t)(m.Update(ctx(t), key, func(a store.MFAAttempt) store.MFAAttempt {
		seen = a
		return store.MFAAttempt{Failures: 1, WindowStart: Now, Expires: Now.Add(15 * time.Minute)}
	}))
	diff(t, "first Update sees", seen, store.MFAAttempt{Key: key})
	want := store.MFAAttempt{Key: key, Failures: 1, WindowStart: Now, Expires: Now.Add(15 * time.Minute)}
	diff(t, "first Update stores", got, want)

	want2 := store.MFAAttempt{Key: key, Failures: 0, WindowStart: Now.Add(time.Minute), Lockouts: 2,
		LockedUntil: Now.Add(3 * time.Minute), Expires: Now.Add(20 * time.Minute)}
	must[store.MFAAttempt](t)(m.Update(ctx(t), key, func(a store.MFAAttempt) store.MFAAttempt {
		seen = a
		return want2
	}))
	diff(t, "second Update sees", seen, want)
	must[store.MFAAttempt](t)(m.Update(ctx(t), key, func(a store.MFAAttempt) store.MFAAttempt { seen = a; return a }))
	diff(t, "third Update sees", seen, want2)

	other := "principal:AIDAEXAMPLE"
	must[store.MFAAttempt](t)(m.Update(ctx(t), other, func(a store.MFAAttempt) store.MFAAttempt {
		a.Failures, a.Expires = 3, Now.Add(time.Hour)
		return a
	}))
	mustDo(t, m.Reset(ctx(t), key, "no-such-key"))
	must[store.MFAAttempt](t)(m.Update(ctx(t), key, func(a store.MFAAttempt) store.MFAAttempt { seen = a; return a }))
	diff(t, "Update after Reset sees", seen, store.MFAAttempt{Key: key})

	// key now expires at the zero time; other in an hour.
	if n := must[int64](t)(m.Prune(ctx(t), Now.Add(30*time.Minute))); n != 1 {
		t.Errorf("Prune: got %d records, want 1", n)
	}
	must[store.MFAAttempt](t)(m.Update(ctx(t), other, func(a store.MFAAttempt) store.MFAAttempt { seen = a; return a }))
	if seen.Failures != 3 {
		t.Errorf("Prune dropped an unexpired record: got %+v", seen)
	}

	// Concurrent Updates of one key run one after another: none is lost.
	var wg sync.WaitGroup
	errs := make(chan error, racers)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.Update(ctx(t), "race", func(a store.MFAAttempt) store.MFAAttempt {
				a.Failures++
				a.Expires = Now.Add(time.Hour)
				return a
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Update: %v", err)
	}
	final := must[store.MFAAttempt](t)(m.Update(ctx(t), "race", func(a store.MFAAttempt) store.MFAAttempt { return a }))
	if final.Failures != racers {
		t.Errorf("after %d concurrent increments: got Failures %d, want %d", racers, final.Failures, racers)
	}
}

// testMFAStepRace: of concurrent AdvanceSteps to one step (the same code
// sent twice at once), exactly one succeeds.
func testMFAStepRace(t *testing.T, s store.Store) {
	mustDo(t, s.Users().Create(ctx(t), newUser("alice")))
	serial := iam.MFASerial(Account, "/", "alice")
	mustDo(t, s.MFADevices().Create(ctx(t), iam.VirtualMFADevice{Account: Account, SerialNumber: serial, Path: "/", Name: "alice",
		SeedCiphertext: []byte{1}, Created: Now}))
	mustDo(t, s.MFADevices().Assign(ctx(t), serial, "alice", Now, 100))
	wins := race(t, func() (bool, error) {
		err := s.MFADevices().AdvanceStep(ctx(t), serial, 101)
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		return err == nil, err
	})
	if wins != 1 {
		t.Errorf("concurrent AdvanceStep to one step: got %d successes, want 1", wins)
	}
	if got := must[iam.VirtualMFADevice](t)(s.MFADevices().Get(ctx(t), serial)).LastStep; got != 101 {
		t.Errorf("LastStep: got %d, want 101", got)
	}
}

func testSAMLAssertions(t *testing.T, s store.Store) {
	a := s.SAMLAssertions()
	const idp = "https://idp.example.com/saml"
	exp := Now.Add(5 * time.Minute)
	for _, tt := range []struct {
		name, issuer, id string
		expires, now     time.Time
		want             bool
	}{
		{"first use", idp, "_a1", exp, Now, true},
		{"replay", idp, "_a1", exp, Now.Add(time.Minute), false},
		{"replay just before expiry", idp, "_a1", exp, exp.Add(-time.Microsecond), false},
		{"same id, other issuer", "https://other.example.com", "_a1", exp, Now, true},
		{"other id", idp, "_a2", exp, Now, true},
		{"after expiry the record is stale", idp, "_a1", exp.Add(time.Hour), exp, true},
		{"and the new record holds", idp, "_a1", exp.Add(time.Hour), exp.Add(time.Minute), false},
		{"a long id", idp, string(make([]byte, 10000)), exp, Now, true},
	} {
		if got := must[bool](t)(a.Claim(ctx(t), tt.issuer, tt.id, tt.expires, tt.now)); got != tt.want {
			t.Errorf("%s: Claim got %v, want %v", tt.name, got, tt.want)
		}
	}
	// _a1 now expires at exp+1h; the three others at exp.
	if n := must[int64](t)(a.Prune(ctx(t), exp.Add(time.Second))); n != 3 {
		t.Errorf("Prune: got %d records, want 3", n)
	}
	if must[bool](t)(a.Claim(ctx(t), idp, "_a1", exp, exp.Add(time.Second))) {
		t.Error("Prune dropped an unexpired record")
	}
	wins := race(t, func() (bool, error) { return a.Claim(ctx(t), idp, "_race", exp, Now) })
	if wins != 1 {
		t.Errorf("concurrent Claims of one assertion: got %d true, want 1", wins)
	}
}

// race runs fn in racers goroutines at once and counts the true results.
func race(t *testing.T, fn func() (bool, error)) int {
	t.Helper()
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, racers)
	for range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := fn()
			if err != nil {
				errs <- err
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("racer: %v", err)
	}
	return int(wins.Load())
}
