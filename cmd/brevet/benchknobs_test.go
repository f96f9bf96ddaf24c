//go:build benchknobs

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestBenchKnobs(t *testing.T) {
	dir := t.TempDir()
	event, digests := filepath.Join(dir, "trail-00000000000000000001.jsonl"), filepath.Join(dir, "digests.jsonl")
	for _, tc := range []struct {
		audit, records string
		wantFile       string // the type the event file opens as: "" = *os.File (no substitute)
		wantSkip       bool
		wantErr        bool
	}{
		{"", "", "", false, false},
		{"durable", "sync", "", false, false},
		{"nofsync", "", "audittest.noSyncFile", false, false},
		{"null", "off", "audittest.nullFile", true, false},
		{"", "off", "", true, false},
		{"off", "", "", false, true},
		{"", "async", "", false, true},
	} {
		env := map[string]string{"BREVET_BENCHKNOB_AUDIT": tc.audit, "BREVET_BENCHKNOB_RECORDS": tc.records}
		open, skip, err := benchKnobs(func(k string) string { return env[k] })
		if (err != nil) != tc.wantErr {
			t.Errorf("%q/%q: err = %v, want error %v", tc.audit, tc.records, err, tc.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if skip != tc.wantSkip {
			t.Errorf("%q/%q: skip records = %v, want %v", tc.audit, tc.records, skip, tc.wantSkip)
		}
		if (open == nil) != (tc.wantFile == "") {
			t.Fatalf("%q/%q: open substituted = %v, want %q", tc.audit, tc.records, open != nil, tc.wantFile)
		}
		if open == nil {
			continue
		}
		f, err := open(event, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if got := typeName(f); got != tc.wantFile {
			t.Errorf("%q: the event file opens as %s, want %s", tc.audit, got, tc.wantFile)
		}
		f.Close()
		d, err := open(digests, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if got := typeName(d); got != "*os.File" {
			t.Errorf("%q: the digest file opens as %s, want a real *os.File", tc.audit, got)
		}
		d.Close()
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
