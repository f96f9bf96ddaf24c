package backup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyEventCompressedMeanwhile pins the race a live backup meets on a
// busy trail: an event file listed plain is compressed (trail-N.jsonl.gz
// renamed into place, trail-N.jsonl removed) before it is opened.
func TestCopyEventCompressedMeanwhile(t *testing.T) {
	const plain = "trail-00000000000000000007.jsonl"
	tests := []struct {
		name     string
		files    []string // in the trail when copyEvent opens the file
		want     string
		wantGone bool
	}{
		{"still plain", []string{plain}, plain, false},
		{"plain and compressed", []string{plain, plain + ".gz"}, plain, false},
		{"compressed meanwhile", []string{plain + ".gz"}, plain + ".gz", false},
		{"pruned meanwhile", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dst := t.TempDir(), t.TempDir()
			for _, n := range tt.files {
				if err := os.WriteFile(filepath.Join(src, n), []byte(n+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := copyEvent(src, dst, plain, 0)
			if gone := errors.Is(err, fs.ErrNotExist); gone != tt.wantGone || (err != nil && !gone) {
				t.Fatalf("copyEvent: %v, want not-exist %v", err, tt.wantGone)
			}
			if got != tt.want {
				t.Errorf("copyEvent copied %q, want %q", got, tt.want)
			}
			if got == "" {
				return
			}
			b, err := os.ReadFile(filepath.Join(dst, got))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != got+"\n" {
				t.Errorf("copy of %s holds %q", got, b)
			}
		})
	}
}
