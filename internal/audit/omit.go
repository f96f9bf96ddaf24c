package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// Caps on what one event records, so that what a caller sends cannot
// fill the disk. CloudTrail does the same: a field longer than its
// maximum is replaced by a marker with "omitted": true (CloudTrail's
// documented marker); Brevet's marker adds the original size and the
// SHA-256 of the JSON that was left out, so that an investigator holding
// a copy of the request can match it.
const (
	// DefaultMaxFieldBytes caps requestParameters and responseElements of
	// a request that succeeded. Only a caller allowed to make the change
	// can send one, and it is large enough for every IAM policy document
	// the API accepts (131,072 characters, JSON-escaped) to be recorded
	// in full.
	DefaultMaxFieldBytes = 256 << 10
	// DefaultMaxFailedFieldBytes caps them for a request that failed:
	// anyone who can reach the server, with any credentials or none, can
	// send one, so it is small. 8 KiB keeps every STS request and most
	// policy documents whole.
	DefaultMaxFailedFieldBytes = 8 << 10
	// maxStringField caps userAgent and errorMessage (which can echo a
	// rejected value, as AWS's validation messages do).
	maxStringField = 1024
	// maxResourceName bounds the names resources() takes from the
	// parameters (IAM ARNs are at most 2048 characters).
	maxResourceName = 2048
)

// appendOmitted appends the marker that replaces the object whose JSON
// is orig: {"omitted":true,"originalSize":N,"sha256":"..."}, the bytes
// json.Marshal makes of omittedMap(orig).
func appendOmitted(b, orig []byte) []byte {
	sum := sha256.Sum256(orig)
	b = append(b, `{"omitted":true,"originalSize":`...)
	b = strconv.AppendInt(b, int64(len(orig)), 10)
	b = append(b, `,"sha256":"`...)
	b = hex.AppendEncode(b, sum[:])
	return append(b, `"}`...)
}

// omittedMap is the marker as a map, for the json.Marshal path.
func omittedMap(orig []byte) map[string]any {
	sum := sha256.Sum256(orig)
	return map[string]any{"omitted": true, "originalSize": int64(len(orig)), "sha256": hex.EncodeToString(sum[:])}
}

// IsOmitted reports whether m is an omitted marker, and the original size.
func IsOmitted(m map[string]any) (size int64, ok bool) {
	if o, _ := m["omitted"].(bool); !o {
		return 0, false
	}
	switch n := m["originalSize"].(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, true
}

// truncateString cuts s to at most max bytes (at a character boundary)
// and says how long it was.
func truncateString(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " ...[truncated from " + strconv.Itoa(len(s)) + " bytes]"
}
