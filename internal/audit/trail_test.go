package audit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
)

func TestAppendVerifyReopen(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	fill(t, a, 10)
	if err := a.Trail().WriteDigest(); err != nil {
		t.Fatal(err)
	}
	fill(t, a, 5)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = openTest(t, dir, nil)
	fill(t, a, 5)
	if seq, _ := a.Trail().Head(); seq != 20 {
		t.Errorf("head after reopen = %d, want 20", seq)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got, want := *rep, (audit.VerifyReport{Events: 20, FirstSeq: 1, LastSeq: 20, Digests: 3, DigestLastSeq: 20}); got != want {
		t.Errorf("report = %+v, want %+v", got, want)
	}
}

func TestConcurrentAppendsGetDistinctSeqs(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	defer a.Close()
	const workers, each = 16, 50
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				seq, err := a.AppendEvent(context.Background(), audit.Converter{}.Convert(record(i, userPrincipal(), "GetCallerIdentity"), nil))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[seq] {
					t.Errorf("seq %d acknowledged twice", seq)
				}
				seen[seq] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("acknowledged %d events, want %d", len(seen), workers*each)
	}
	if st := a.Trail().Stats(); st.Events != workers*each || st.Batches >= st.Events/2 {
		t.Errorf("stats = %+v: want %d events sharing fsyncs (group commit)", st, workers*each)
	}
}

func TestAppendRejectsMultilineEvents(t *testing.T) {
	a := openTest(t, t.TempDir(), nil)
	defer a.Close()
	for _, ev := range []string{"{\n}", "", "[1]"} {
		if _, err := a.Trail().Append(context.Background(), []byte(ev)); err == nil {
			t.Errorf("Append(%q) succeeded", ev)
		}
	}
}
