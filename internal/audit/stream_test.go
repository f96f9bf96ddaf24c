package audit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
)

// VerifyStream applies Verify's checks to records held elsewhere: here
// the records of a file trail, passed through unchanged or altered.
func TestVerifyStream(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	fill(t, a, 6)
	if err := a.Trail().WriteDigest(); err != nil {
		t.Fatal(err)
	}
	fill(t, a, 2)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	if err := audit.WalkRecords(dir, func(r audit.Record, _ audit.Position) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	digests, err := audit.ReadDigestFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	walk := func(rs []audit.Record) audit.RecordWalker {
		return func(fn func(audit.Record, string) error) error {
			for _, r := range rs {
				if err := fn(r, fmt.Sprintf("row %d", r.Seq)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	where := func(i int) string { return fmt.Sprintf("digest %d", i+1) }
	opts := audit.VerifyOptions{PublicKey: testKey().Public()}
	want, err := audit.Verify(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.VerifyStream(walk(recs), digests, where, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("VerifyStream and Verify disagree (-Verify +VerifyStream):\n%s", diff)
	}

	edited := append([]audit.Record(nil), recs...)
	edited[2].Event = []byte(`{"eventName":"Forged"}`)
	swapped := append([]audit.Record(nil), recs...)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	tests := []struct {
		name  string
		recs  []audit.Record
		want  audit.Kind
		where string
	}{
		{"edited", edited, audit.Edited, "row 3"},
		{"deleted", append(append([]audit.Record(nil), recs[:4]...), recs[5:]...), audit.Deleted, "row 6"},
		{"reordered", swapped, audit.Reordered, "row 5"},
		{"truncated", recs[:4], audit.Truncated, "digest 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := audit.VerifyStream(walk(tt.recs), digests, where, opts)
			var inc *audit.Inconsistency
			if !errors.As(err, &inc) || inc.Kind != tt.want || inc.Where != tt.where {
				t.Errorf("got %v, want %s at %s", err, tt.want, tt.where)
			}
		})
	}
}
