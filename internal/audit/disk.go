package audit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Statfs reports the space of the file system holding dir: bytes free to
// an unprivileged process, and its size.
type Statfs func(dir string) (free, total uint64, err error)

// Watermark is the free space on the trail's file system under which the
// audit directory is reported low: a warning on /readyz and a metric,
// well before writes fail and auditing has to fail closed. Percent and
// Bytes may both be set; either being crossed makes it low.
type Watermark struct {
	Percent float64 // of the file system's size
	Bytes   uint64
}

// DefaultWatermark warns below 10% free.
var DefaultWatermark = Watermark{Percent: 10}

// ParseWatermark reads "10%" or a size ("5GiB", "512MiB", "1048576").
func ParseWatermark(s string) (Watermark, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f >= 100 {
			return Watermark{}, fmt.Errorf("%q is not a percentage from 0 to 100", s)
		}
		return Watermark{Percent: f}, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return Watermark{}, err
	}
	return Watermark{Bytes: uint64(n)}, nil
}

// ParseSize reads a byte count with an optional KiB, MiB, GiB or TiB
// suffix.
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(v), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size; use bytes or a KiB, MiB, GiB or TiB suffix", s)
	}
	return n * mult, nil
}

// String is the watermark as ParseWatermark reads it.
func (w Watermark) String() string {
	var parts []string
	if w.Percent > 0 {
		parts = append(parts, strconv.FormatFloat(w.Percent, 'f', -1, 64)+"%")
	}
	if w.Bytes > 0 {
		parts = append(parts, strconv.FormatUint(w.Bytes, 10)+" bytes")
	}
	if len(parts) == 0 {
		return "off"
	}
	return strings.Join(parts, " or ")
}

// DiskUsage is the audit directory's footprint and its file system's
// space.
type DiskUsage struct {
	// TrailBytes is the size of the files in the audit directory (event
	// files, digests, key; on PostgreSQL, the outage spool's).
	TrailBytes int64
	// FreeBytes and TotalBytes are those of the file system holding it.
	FreeBytes, TotalBytes uint64
	// Low is set when FreeBytes is under the watermark.
	Low bool
}

// DiskLowError is Auditor.CheckDisk's warning.
type DiskLowError struct {
	Usage     DiskUsage
	Watermark Watermark
}

func (e *DiskLowError) Error() string {
	return fmt.Sprintf("audit: %d bytes free of %d on the audit trail's file system, under the watermark (%s); "+
		"prune or archive the trail (audit.retention) or add space before writes fail and requests are refused",
		e.Usage.FreeBytes, e.Usage.TotalBytes, e.Watermark)
}

// low reports whether free is under w.
func (w Watermark) low(free, total uint64) bool {
	if w.Bytes > 0 && free < w.Bytes {
		return true
	}
	return w.Percent > 0 && total > 0 && float64(free) < float64(total)*w.Percent/100
}

// dirBytes sums the regular files of dir and of its direct subfolders.
func dirBytes(dir string) int64 {
	var n int64
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	for _, e := range ents {
		if e.IsDir() {
			n += dirBytes1(filepath.Join(dir, e.Name()))
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

func dirBytes1(dir string) int64 {
	var n int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}
