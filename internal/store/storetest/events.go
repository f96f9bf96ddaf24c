package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/store"
)

// testEventIndex checks the audit event index: newest first, the cursor,
// every filter, account scoping and idempotent re-indexing.
func testEventIndex(t *testing.T, s store.Store) {
	ix, ok := s.(store.EventIndex)
	if !ok {
		t.Skip("the backend has no event index")
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	var rows []store.EventRecord
	for i := 1; i <= 30; i++ {
		r := store.EventRecord{
			Key: uint64(i), Account: Account, Time: t0.Add(time.Duration(i) * time.Second), EventID: fmt.Sprint("id-", i),
			Source: "sts.amazonaws.com", Name: "GetCallerIdentity", PrincipalARN: "arn:aws:iam::123456789012:user/alice",
			Username: "alice", AccessKeyID: "AKIAALICE", ReadOnly: true, Management: true, Event: []byte(fmt.Sprintf(`{"n":%d}`, i)),
		}
		switch {
		case i%3 == 0:
			r.Name, r.ReadOnly, r.IssuedKeyID = "AssumeRole", false, fmt.Sprint("ASIA", i)
		case i%5 == 0:
			r.ErrorCode = "AccessDenied"
		case i%7 == 0:
			r.Source, r.Name, r.Management, r.Username, r.AccessKeyID = "s3.amazonaws.com", "GetObject", false, "bob", "ASIA3"
		}
		rows = append(rows, r)
		if i%4 == 0 { // the caller's account differs: a row for each
			o := r
			o.Account = "210987654321"
			rows = append(rows, o)
		}
	}
	mustDo(t, ix.IndexEvents(ctx(t), rows, 30))
	mustDo(t, ix.IndexEvents(ctx(t), rows[:5], 12)) // read again: kept once, position kept
	pos, err := ix.EventIndexPosition(ctx(t))
	mustDo(t, err)
	if pos != 30 && pos != 0 { // PostgreSQL indexes in the trail's transaction: no position
		t.Errorf("position = %d, want 30", pos)
	}
	keys := func(f store.EventFilter) []uint64 {
		t.Helper()
		got, err := ix.FindEvents(ctx(t), f)
		mustDo(t, err)
		ks := []uint64{}
		for _, r := range got {
			if r.Account != f.Account {
				t.Errorf("event %d of account %s returned to %s", r.Key, r.Account, f.Account)
			}
			ks = append(ks, r.Key)
		}
		return ks
	}
	yes := true
	tests := []struct {
		name string
		f    store.EventFilter
		want []uint64
	}{
		{"newest", store.EventFilter{Limit: 3}, []uint64{30, 29, 28}},
		{"before", store.EventFilter{Limit: 3, Before: 28}, []uint64{27, 26, 25}},
		{"other account", store.EventFilter{Account: "210987654321", Limit: 3}, []uint64{28, 24, 20}},
		{"no account", store.EventFilter{Account: "999999999999"}, []uint64{}},
		{"time", store.EventFilter{From: t0.Add(10 * time.Second), To: t0.Add(12*time.Second + time.Nanosecond)}, []uint64{12, 11, 10}},
		{"fractional from", store.EventFilter{From: t0.Add(10*time.Second + time.Millisecond), To: t0.Add(12 * time.Second)}, []uint64{11}},
		{"name", store.EventFilter{Name: "AssumeRole", Limit: 2}, []uint64{30, 27}},
		{"issued", store.EventFilter{IssuedKeyID: "ASIA9"}, []uint64{9}},
		{"key", store.EventFilter{AccessKeyID: "ASIA3"}, []uint64{28, 14, 7}},
		{"username", store.EventFilter{Username: "bob", Before: 28}, []uint64{14, 7}},
		{"error", store.EventFilter{ErrorCode: "AccessDenied"}, []uint64{25, 20, 10, 5}},
		{"any error", store.EventFilter{AnyError: true, Limit: 2}, []uint64{25, 20}},
		{"management", store.EventFilter{Management: true, Source: "s3.amazonaws.com"}, []uint64{}},
		{"data", store.EventFilter{Source: "s3.amazonaws.com"}, []uint64{28, 14, 7}},
		{"read only", store.EventFilter{ReadOnly: &yes, Management: true, Limit: 4}, []uint64{29, 26, 25, 23}},
		{"event id", store.EventFilter{EventID: "id-17"}, []uint64{17}},
		{"principal", store.EventFilter{Principal: "arn:aws:iam::123456789012:user/alice", Limit: 1}, []uint64{30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.f.Account == "" {
				tt.f.Account = Account
			}
			if diff := cmp.Diff(tt.want, keys(tt.f)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
		})
	}
	got, err := ix.FindEvents(ctx(t), store.EventFilter{Account: Account, EventID: "id-9"})
	mustDo(t, err)
	want := rows[0]
	for _, r := range rows {
		if r.Key == 9 {
			want = r
		}
	}
	if diff := cmp.Diff([]store.EventRecord{want}, got); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}

	// Retention pruned the trail up to 26: every account forgets those
	// events, and pruning again changes nothing.
	for range 2 {
		mustDo(t, ix.PruneEvents(ctx(t), 26))
	}
	for acct, want := range map[string][]uint64{Account: {30, 29, 28, 27}, "210987654321": {28}} {
		if diff := cmp.Diff(want, keys(store.EventFilter{Account: acct})); diff != "" {
			t.Errorf("%s after pruning to 26 (-want +got):\n%s", acct, diff)
		}
	}
}
