package sqlite_test

import (
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// TestIndexIssued: records and the trail position are written together,
// the position never moves back, and with ReindexIssued a record already
// there (the index reading a trail again after a restore or a migration)
// is skipped.
func TestIndexIssued(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if pos, known, err := s.IndexPosition(ctx); err != nil || known || pos != 0 {
		t.Fatalf("fresh store: position %d (known %v), %v; want none known", pos, known, err)
	}
	at := time.Date(2026, 11, 22, 8, 0, 0, 123456000, time.UTC)
	rec := func(id string, i int) store.SessionRecord {
		return store.SessionRecord{AccessKeyID: id, Account: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/r",
			SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s", Kind: "AssumeRole", SessionName: "s",
			ParentAccessKeyID: "AKIAPARENT", RootAccessKeyID: "AKIAPARENT", SourceIP: "192.0.2.1",
			Issued: at.Add(time.Duration(i) * time.Microsecond), Expires: at.Add(time.Hour)}
	}
	for _, step := range []struct {
		reindex   bool
		recs      []store.SessionRecord
		position  uint64
		wantPos   uint64
		wantCount int
	}{
		{false, []store.SessionRecord{rec("ASIAONE", 0), rec("ASIATWO", 1)}, 7, 7, 2},
		{false, nil, 9, 9, 2},
		{true, []store.SessionRecord{rec("ASIATWO", 1), rec("ASIATHREE", 2)}, 12, 12, 3}, // ASIATWO again: skipped
		{false, []store.SessionRecord{rec("ASIAFOUR", 3)}, 10, 12, 4},                    // an older position does not win
		{true, []store.SessionRecord{rec("ASIAONE", 5)}, 12, 12, 5},                      // the same id issued again is another session
		{false, []store.SessionRecord{rec("ASIAFOUR", 3)}, 13, 13, 6},                    // IndexIssued does not look: the live path never repeats
	} {
		write := s.IndexIssued
		if step.reindex {
			write = s.ReindexIssued
		}
		if err := write(ctx, step.recs, step.position); err != nil {
			t.Fatal(err)
		}
		pos, known, err := s.IndexPosition(ctx)
		if err != nil || !known || pos != step.wantPos {
			t.Errorf("after position %d: position %d, %v; want %d", step.position, pos, err, step.wantPos)
		}
		got, err := s.Sessions().List(ctx, store.SessionFilter{})
		if err != nil || len(got) != step.wantCount {
			t.Errorf("after position %d: %d records, %v; want %d", step.position, len(got), err, step.wantCount)
		}
	}
}
