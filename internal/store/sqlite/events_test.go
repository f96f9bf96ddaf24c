package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// TestIndexEventsChunks: IndexEvents adds rows many to a statement; a
// batch of several full statements and a partial one keeps every row and
// its values, and rows read again (across a statement's boundary) are
// kept once.
func TestIndexEventsChunks(t *testing.T) {
	s := openTest(t)
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	var rows []store.EventRecord
	const n = 3*64 + 8
	for i := 1; i <= n; i++ {
		rows = append(rows, store.EventRecord{Key: uint64(i), Account: "123456789012", Time: t0.Add(time.Duration(i) * time.Second),
			EventID: fmt.Sprint("id-", i), Source: "sts.amazonaws.com", Name: "AssumeRole", Username: fmt.Sprint("u", i),
			IssuedKeyID: fmt.Sprint("ASIA", i), Management: true, Event: []byte(fmt.Sprintf(`{"n":%d}`, i))})
	}
	if err := s.IndexEvents(t.Context(), rows, n); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexEvents(t.Context(), rows[50:150], n); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindEvents(t.Context(), store.EventFilter{Account: "123456789012", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d rows; want %d", len(got), n)
	}
	for i, e := range got {
		want := rows[n-1-i]
		if e.Key != want.Key || e.EventID != want.EventID || e.Username != want.Username || e.IssuedKeyID != want.IssuedKeyID ||
			!e.Time.Equal(want.Time) || string(e.Event) != string(want.Event) || !e.Management || e.ReadOnly {
			t.Fatalf("row %d: %+v; want %+v", i, e, want)
		}
	}
}
