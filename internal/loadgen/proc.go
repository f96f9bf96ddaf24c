package loadgen

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicksPerSecond is the unit of utime and stime in /proc/PID/stat
// (sysconf(_SC_CLK_TCK)). It is 100 on every Linux architecture Go
// supports: the kernel's USER_HZ is fixed for the user ABI whatever the
// kernel's internal HZ, so we do not need cgo or getconf to read it.
const clockTicksPerSecond = 100

// ProcSample is what /proc says about a process at one moment.
type ProcSample struct {
	// CPU is user plus system CPU time since the process started, to
	// the kernel's 10 ms tick: take samples far enough apart (seconds of
	// load) for the difference to mean something.
	CPU time.Duration
	// RSS is the resident set size (VmRSS) in bytes.
	RSS int64
}

// ReadProc samples process pid from /proc (Linux only).
func ReadProc(pid int) (ProcSample, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return ProcSample{}, fmt.Errorf("loadgen: read CPU time: %w", err)
	}
	cpu, err := ParseStatCPU(string(stat))
	if err != nil {
		return ProcSample{}, err
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ProcSample{}, fmt.Errorf("loadgen: read RSS: %w", err)
	}
	rss, err := ParseStatusRSS(string(status))
	if err != nil {
		return ProcSample{}, err
	}
	return ProcSample{CPU: cpu, RSS: rss}, nil
}

// ParseStatCPU returns utime+stime from the contents of /proc/PID/stat.
// The second field is the command name in parentheses, which may itself
// hold spaces and parentheses, so the fields are counted from the last
// ')'; utime and stime are fields 14 and 15 of proc(5).
func ParseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("loadgen: /proc/PID/stat: no command name")
	}
	// fields[0] is field 3 (state), so field n is fields[n-3].
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("loadgen: /proc/PID/stat: %d fields after the command name, want at least 13", len(fields))
	}
	var ticks int64
	for _, f := range fields[14-3 : 15-3+1] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("loadgen: /proc/PID/stat: CPU time %q is not a tick count", f)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / clockTicksPerSecond), nil
}

// ParseStatusRSS returns VmRSS, in bytes, from the contents of
// /proc/PID/status ("VmRSS:	  12345 kB").
func ParseStatusRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("loadgen: /proc/PID/status: VmRSS %q is not \"N kB\"", strings.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("loadgen: /proc/PID/status: VmRSS %q is not a size", f[0])
		}
		return kb * 1024, nil
	}
	// Kernel threads and zombies have no VmRSS line.
	return 0, errors.New("loadgen: /proc/PID/status: no VmRSS (has the process exited?)")
}
