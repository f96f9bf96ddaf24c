package loadgen

import (
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want time.Duration
	}{
		{
			name: "brevet serve",
			// A real line's shape: utime 1234, stime 567 ticks.
			stat: "4242 (brevet) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1234 567 0 0 20 0 9 0 123456 1234567890 4567 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0\n",
			want: 18010 * time.Millisecond,
		},
		{
			name: "command with spaces and parentheses",
			stat: "77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1",
			want: 70 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStatCPU(tt.stat)
			if err != nil {
				t.Fatalf("ParseStatCPU: %v", err)
			}
			if got != tt.want {
				t.Errorf("ParseStatCPU = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseStatCPUErrors(t *testing.T) {
	for _, stat := range []string{
		"",
		"12 brevet S 1",
		"12 (brevet) S 1 2 3",
		"12 (brevet) S 1 4242 4242 0 -1 4194560 12345 0 0 0 x 567 0 0",
		"12 (brevet) S 1 4242 4242 0 -1 4194560 12345 0 0 0 -1 567 0 0",
	} {
		if got, err := ParseStatCPU(stat); err == nil {
			t.Errorf("ParseStatCPU(%q) = %v, want an error", stat, got)
		}
	}
}

func TestParseStatusRSS(t *testing.T) {
	status := "Name:\tbrevet\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 1300000 kB\nVmRSS:\t   45678 kB\nRssAnon:\t   30000 kB\nThreads:\t9\n"
	got, err := ParseStatusRSS(status)
	if err != nil {
		t.Fatalf("ParseStatusRSS: %v", err)
	}
	if want := int64(45678 * 1024); got != want {
		t.Errorf("ParseStatusRSS = %d, want %d", got, want)
	}
	for _, bad := range []string{"Name:\tkthreadd\n", "VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n"} {
		if got, err := ParseStatusRSS(bad); err == nil {
			t.Errorf("ParseStatusRSS(%q) = %d, want an error", bad, got)
		}
	}
}

func TestReadProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	got, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatalf("ReadProc: %v", err)
	}
	if got.RSS <= 0 {
		t.Errorf("RSS = %d, want > 0", got.RSS)
	}
}
