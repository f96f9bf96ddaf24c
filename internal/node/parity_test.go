package node

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/parity"
)

// TestParity runs the AWS parity suite (internal/parity/cases): each case
// file on a fresh node, the files in parallel. It fails when a case
// differs from AWS without a documented reason (differs:), when a case
// marked differs: matches, when a setup step fails, or when fewer than
// 95 % of the cases match.
func TestParity(t *testing.T) {
	files, err := parity.LoadDir("../parity/cases")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no case files in ../parity/cases")
	}
	var (
		mu  sync.Mutex
		all []parity.Outcome
	)
	t.Run("files", func(t *testing.T) {
		for _, f := range files {
			t.Run(strings.TrimSuffix(f.Name, ".txt"), func(t *testing.T) {
				t.Parallel()
				outs := runParityFile(t, f)
				s := parity.Tally(outs)
				for _, o := range s.Setup {
					t.Errorf("setup: %s", o)
				}
				for _, o := range s.Unexpected {
					t.Errorf("differs from AWS: %s", o)
				}
				for _, o := range s.StaleDiffers {
					t.Errorf("marked differs: but matches AWS (remove the marker and its docs entry): %s:%d %s", o.File, o.Case.Line, o.Case.Title)
				}
				mu.Lock()
				all = append(all, outs...)
				mu.Unlock()
			})
		}
	})
	s := parity.Tally(all)
	t.Logf("parity: %s; %d documented differences", s, s.Counted-s.Matched-len(s.Unexpected))
	if s.Rate() < 0.95 {
		t.Errorf("parity %s, below the 95 %% target", s)
	}
}

// runParityFile runs one case file against a fresh node as its admin.
func runParityFile(t *testing.T, f *parity.File) []parity.Outcome {
	dir := t.TempDir()
	n, _ := startNode(t, dir, Options{})
	admin := adminCreds(t, dir)
	send := parity.HTTPSender(n.URL(), admin, time.Now)
	return parity.Run(context.Background(), f, send, map[string]string{"account": testAccount})
}
