package config

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Audit configures what the audit trail records of large and repeated
// requests, how long rotated files are kept, and when the disk is low
// (docs/audit.md).
type Audit struct {
	// MaxFieldBytes and MaxFailedFieldBytes cap the requestParameters and
	// responseElements recorded in full, for requests that succeeded and
	// that failed; 0 means no cap.
	MaxFieldBytes, MaxFailedFieldBytes int64
	// AggregateAfter is how many unauthenticated failures per source and
	// error code each AggregateWindow records in full; 0 records all.
	AggregateAfter  int
	AggregateWindow time.Duration
	// Retention prunes rotated event files.
	Retention Retention
	// DiskFreeWarning is the free space under which /readyz warns.
	DiskFreeWarning DiskWatermark
	// DataEvents are the data event selectors (audit.data_events): a data
	// event is recorded when one of them selects it. They apply only when
	// DataEventsSelected; without the setting every data event is
	// recorded, and with an empty list none is (failures always are).
	DataEvents         []DataEventSelector
	DataEventsSelected bool
}

// DataEventSelector is one audit.data_events entry, shaped like
// CloudTrail's basic event selectors for data events.
type DataEventSelector struct {
	// ReadWriteType is All, ReadOnly or WriteOnly.
	ReadWriteType string `json:"read_write_type"`
	// Resources are ARN prefixes: arn:aws:s3 for every bucket,
	// arn:aws:s3:::BUCKET/ for one, arn:aws:s3:::BUCKET/PREFIX for some of
	// its objects, another service's ARN prefix, or *; none means all.
	Resources []string `json:"resources"`
	// ExcludeActions are actions this selector never records, such as
	// GetObject or s3:GetObject.
	ExcludeActions []string `json:"exclude_actions"`
}

// Retention says when rotated audit files go, and where.
type Retention struct {
	// MaxAge and MaxBytes: zero for no bound (retention is off when both
	// are zero).
	MaxAge   time.Duration
	MaxBytes int64
	// ArchiveDir receives pruned files; Delete deletes them instead.
	// Exactly one is set when retention is on.
	ArchiveDir string
	Delete     bool
}

// DiskWatermark is a percentage of the file system or a byte count;
// both zero turns the warning off.
type DiskWatermark struct {
	Percent float64
	Bytes   int64
}

// convertAudit checks the audit settings.
func convertAudit(v *[numSettings]value, errs []error) (Audit, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	var a Audit
	var msg string
	if a.MaxFieldBytes, msg = parseByteCount(v[sAuditMaxFieldSize].str); msg != "" {
		fail(sAuditMaxFieldSize, msg)
	}
	if a.MaxFailedFieldBytes, msg = parseByteCount(v[sAuditMaxFailedFieldSize].str); msg != "" {
		fail(sAuditMaxFailedFieldSize, msg)
	}
	n, err := strconv.Atoi(strings.TrimSpace(v[sAuditAggregateAfter].str))
	if err != nil || n < 0 {
		fail(sAuditAggregateAfter, fmt.Sprintf("%q is not a count; give a whole number such as 5, or 0 to record every failure", v[sAuditAggregateAfter].str))
	}
	a.AggregateAfter = n
	if a.AggregateWindow, err = time.ParseDuration(v[sAuditAggregateWindow].str); err != nil || a.AggregateWindow < time.Second {
		fail(sAuditAggregateWindow, fmt.Sprintf("%q is not a duration of at least 1s; use a Go duration such as 1m", v[sAuditAggregateWindow].str))
	}
	r := &a.Retention
	if r.MaxAge, err = time.ParseDuration(v[sAuditRetentionMaxAge].str); err != nil || r.MaxAge < 0 {
		fail(sAuditRetentionMaxAge, fmt.Sprintf("%q is not a duration; use a Go duration in hours such as 2160h (90 days), or 0", v[sAuditRetentionMaxAge].str))
	}
	if r.MaxBytes, msg = parseByteCount(v[sAuditRetentionMaxSize].str); msg != "" {
		fail(sAuditRetentionMaxSize, msg)
	}
	r.ArchiveDir = strings.TrimSpace(v[sAuditRetentionArchiveDir].str)
	if r.Delete, err = strconv.ParseBool(v[sAuditRetentionDelete].str); err != nil {
		fail(sAuditRetentionDelete, fmt.Sprintf("%q is not a boolean; use true or false", v[sAuditRetentionDelete].str))
	}
	on := r.MaxAge > 0 || r.MaxBytes > 0
	switch {
	case r.ArchiveDir != "" && r.Delete:
		fail(sAuditRetentionDelete, "is set together with audit.retention.archive_dir; choose one: archive pruned files or delete them")
	case on && r.ArchiveDir == "" && !r.Delete:
		fail(sAuditRetentionArchiveDir, "is not set, nor audit.retention.delete, while audit.retention.max_age or max_size is: "+
			"say what happens to pruned files (archive_dir: move them there; delete: true to delete them)")
	}
	if a.DiskFreeWarning, msg = parseWatermark(v[sAuditDiskFreeWarning].str); msg != "" {
		fail(sAuditDiskFreeWarning, msg)
	}
	if v[sAuditDataEvents].set {
		a.DataEventsSelected = true
		if a.DataEvents, msg = parseDataEvents(v[sAuditDataEvents].str); msg != "" {
			fail(sAuditDataEvents, msg)
		}
	}
	return a, errs
}

// parseDataEvents reads the selectors' JSON (the file's list is passed on
// in the same form) strictly: unknown keys are errors.
func parseDataEvents(s string) ([]DataEventSelector, string) {
	const shape = `; give a JSON list of selectors such as [{"read_write_type":"All","resources":["arn:aws:s3:::logs-bucket/"],"exclude_actions":["GetObject"]}], or [] to record none`
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var sels []DataEventSelector
	if err := dec.Decode(&sels); err != nil {
		return nil, "is not a list of selectors (" + err.Error() + ")" + shape
	}
	if dec.More() {
		return nil, "has more than one JSON value" + shape
	}
	if sels == nil {
		return nil, "is null" + shape
	}
	for i := range sels {
		sel := &sels[i]
		switch rw := strings.TrimSpace(sel.ReadWriteType); {
		case rw == "":
			sel.ReadWriteType = "All"
		case strings.EqualFold(rw, "All"), strings.EqualFold(rw, "ReadOnly"), strings.EqualFold(rw, "WriteOnly"):
			sel.ReadWriteType = map[string]string{"all": "All", "readonly": "ReadOnly", "writeonly": "WriteOnly"}[strings.ToLower(rw)]
		default:
			return nil, fmt.Sprintf("selector %d: read_write_type %q is not All, ReadOnly or WriteOnly", i+1, sel.ReadWriteType)
		}
		for j, r := range sel.Resources {
			r = strings.TrimSpace(r)
			if r != "*" && (!strings.HasPrefix(r, "arn:") || len(r) == len("arn:") || strings.HasPrefix(r, "arn:aws:s3:::/")) {
				return nil, fmt.Sprintf("selector %d: resource %q is not an ARN prefix; give arn:aws:s3 (every bucket), "+
					"arn:aws:s3:::BUCKET/ (one bucket), arn:aws:s3:::BUCKET/PREFIX, another service's ARN prefix, or *", i+1, r)
			}
			sel.Resources[j] = r
		}
		for j, act := range sel.ExcludeActions {
			act = strings.TrimSpace(act)
			if act == "" || strings.HasSuffix(act, ":") || strings.Contains(act, "*") {
				return nil, fmt.Sprintf("selector %d: exclude_actions item %q is not an action name such as GetObject or s3:GetObject", i+1, act)
			}
			sel.ExcludeActions[j] = act
		}
	}
	return sels, ""
}

// parseByteCount reads a size that may be 0, with an optional KiB, MiB,
// GiB or TiB suffix.
func parseByteCount(s string) (int64, string) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}} {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Sprintf("%q is not a size; give bytes (16384), a KiB/MiB/GiB/TiB suffix (16KiB), or 0", s)
	}
	return n * mult, ""
}

// parseWatermark reads "10%" or a size.
func parseWatermark(s string) (DiskWatermark, string) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f >= 100 {
			return DiskWatermark{}, fmt.Sprintf("%q is not a percentage from 0 to 100; give e.g. 10%%, a size such as 5GiB, or 0", s)
		}
		return DiskWatermark{Percent: f}, ""
	}
	n, msg := parseByteCount(t)
	if msg != "" {
		return DiskWatermark{}, fmt.Sprintf("%q is neither a percentage (10%%) nor a size (5GiB); give 0 to turn the warning off", s)
	}
	return DiskWatermark{Bytes: n}, ""
}
