package audit

import (
	"bytes"
	"testing"
)

// FuzzReadRecords feeds arbitrary bytes to the event-file reader: it must
// not panic, and every record it accepts must encode back to a line that
// reads as the same record.
func FuzzReadRecords(f *testing.F) {
	var prev [32]byte
	ev := []byte(`{"eventVersion":"1.11","eventName":"GetCallerIdentity"}`)
	r := Record{Seq: 1, PrevHash: prev, Hash: ChainHash(prev, 1, ev), Event: ev}
	f.Add(r.appendLine(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var recs []Record
		_ = ReadRecords(bytes.NewReader(data), func(r Record, end int64) error {
			if end <= 0 || end > int64(len(data)) {
				t.Fatalf("end offset %d outside input of %d bytes", end, len(data))
			}
			recs = append(recs, r)
			return nil
		})
		for _, r := range recs {
			line := r.appendLine(nil)
			var back []Record
			if err := ReadRecords(bytes.NewReader(line), func(r Record, _ int64) error { back = append(back, r); return nil }); err != nil {
				t.Fatalf("re-encoded record does not read back: %v\n%s", err, line)
			}
			if len(back) != 1 || back[0].Seq != r.Seq || back[0].Hash != r.Hash || back[0].PrevHash != r.PrevHash {
				t.Fatalf("round trip changed the record: %+v → %+v", r, back)
			}
		}
		_ = ReadDigests(bytes.NewReader(data), func(d SignedDigest, _ int64) error {
			_, _ = d.Decode()
			return nil
		})
	})
}
