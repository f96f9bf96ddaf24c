package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/store"
)

func issued(id string) store.SessionRecord {
	return store.SessionRecord{
		AccessKeyID: id, SessionID: "s-" + id, Account: account, PrincipalARN: roleA, SessionARN: roleA + "/s",
		Kind: "AssumeRole", SessionName: "s", ParentAccessKeyID: "AKIAROOT", RootAccessKeyID: "AKIAROOT",
		Issued: now, Expires: now.Add(time.Hour),
	}
}

// Against the real store: concurrent records are all committed and
// visible once Record returns; an id recorded again is added beside the
// first (store.Sessions).
func TestRecorderStore(t *testing.T) {
	st := openStore(t)
	rc := revocation.NewRecorder(st.Sessions(), 5*time.Second)
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			id := fmt.Sprintf("ASIA%04d", i)
			if errs[i] = rc.Record(t.Context(), issued(id)); errs[i] != nil {
				return
			}
			got, err := st.Sessions().List(t.Context(), store.SessionFilter{AccessKeyID: id})
			if err != nil || len(got) != 1 {
				errs[i] = fmt.Errorf("after Record, List(%s) = %d records, %v; want 1", id, len(got), err)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Record %d: %v", i, err)
		}
	}
	if err := rc.Record(t.Context(), issued("ASIA0000")); err != nil {
		t.Errorf("Record of a recorded id = %v, want nil", err)
	}
	all, err := st.Sessions().List(t.Context(), store.SessionFilter{})
	if err != nil || len(all) != n+1 {
		t.Errorf("List = %d records, %v; want %d", len(all), err, n+1)
	}
}

// fakeSessions records the batches and blocks each RecordMany until
// released.
type fakeSessions struct {
	store.Sessions
	release chan struct{}
	fail    error
	mu      sync.Mutex
	batches [][]string
}

func (f *fakeSessions) RecordMany(ctx context.Context, rs []store.SessionRecord) error {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.AccessKeyID)
	}
	f.mu.Lock()
	f.batches = append(f.batches, ids)
	f.mu.Unlock()
	<-f.release
	return f.fail
}

// While one transaction is in progress the others' records pile up and
// share the next one; nothing waits for a timer.
func TestRecorderGroupCommit(t *testing.T) {
	tests := []struct {
		name string
		fail error // every record of a failed batch has its error
	}{
		{"ok", nil},
		{"store down", errors.New("disk I/O error")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSessions{release: make(chan struct{}), fail: tt.fail}
				rc := revocation.NewRecorder(f, time.Second)
				var mu sync.Mutex
				got := map[string]error{}
				var wg sync.WaitGroup
				rec := func(id string) {
					wg.Go(func() {
						err := rc.Record(t.Context(), issued(id))
						mu.Lock()
						got[id] = err
						mu.Unlock()
					})
				}
				rec("ASIAFIRST")
				synctest.Wait() // the first batch is being written
				ids := []string{"ASIA1", "ASIA2", "ASIA3"}
				for _, id := range ids {
					rec(id)
					synctest.Wait()
				}
				close(f.release)
				wg.Wait()

				if diff := cmp.Diff([][]string{{"ASIAFIRST"}, ids}, f.batches); diff != "" {
					t.Errorf("batches (-want +got):\n%s", diff)
				}
				for _, id := range append(ids, "ASIAFIRST") {
					want := tt.fail
					if err := got[id]; !errors.Is(err, want) || (want == nil) != (err == nil) {
						t.Errorf("Record(%s) = %v, want %v", id, err, want)
					}
				}
			})
		})
	}
}

// A caller whose context ends stops waiting; the others are unaffected.
func TestRecorderCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSessions{release: make(chan struct{})}
		rc := revocation.NewRecorder(f, time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := rc.Record(ctx, issued("ASIASLOW")); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Record = %v, want DeadlineExceeded", err)
		}
		close(f.release)
		if err := rc.Record(t.Context(), issued("ASIANEXT")); err != nil {
			t.Errorf("next Record = %v", err)
		}
	})
}

// With WithCallers the writer waits for the records of the requests in
// flight, at most the linger, and not at all for a lone caller.
func TestRecorderWaitsForCallers(t *testing.T) {
	tests := []struct {
		name        string
		callers     int
		delays      []time.Duration
		wantBatches int
		wantElapsed time.Duration // when the last Record returned
	}{
		{"three in flight, one batch", 3, []time.Duration{0, time.Millisecond, 2 * time.Millisecond}, 1, 2 * time.Millisecond},
		{"a lone caller does not wait", 1, []time.Duration{0}, 1, 0},
		{"at most the linger", 10, []time.Duration{0, 0}, 1, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeSessions{release: make(chan struct{})}
				close(f.release)
				rc := revocation.NewRecorder(f, time.Second, revocation.WithCallers(func() int { return tt.callers }, 10*time.Millisecond))
				start := time.Now()
				var wg sync.WaitGroup
				for i, d := range tt.delays {
					wg.Go(func() {
						time.Sleep(d)
						if err := rc.Record(t.Context(), issued(fmt.Sprintf("ASIA%d", i))); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				if got := time.Since(start); got < tt.wantElapsed || got > tt.wantElapsed+time.Millisecond {
					t.Errorf("the records were committed after %v; want %v", got, tt.wantElapsed)
				}
				if len(f.batches) != tt.wantBatches {
					t.Errorf("batches = %v; want %d", f.batches, tt.wantBatches)
				}
			})
		})
	}
}

func TestRecorderWaitingCountsParkedCallers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeSessions{release: make(chan struct{})}
		rc := revocation.NewRecorder(f, time.Second)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() { rc.Record(t.Context(), issued(fmt.Sprintf("ASIA%d", i))) })
		}
		synctest.Wait()
		if n := rc.Waiting(); n != 3 {
			t.Errorf("Waiting = %d while three records wait for a commit; want 3", n)
		}
		close(f.release)
		wg.Wait()
		if n := rc.Waiting(); n != 0 {
			t.Errorf("Waiting = %d after the records returned; want 0", n)
		}
	})
}
