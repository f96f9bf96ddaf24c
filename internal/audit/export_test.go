package audit

import "github.com/brevet-dev/brevet/internal/request"

// AppendLine exposes the record encoding to tests that forge records.
func (r *Record) AppendLine(b []byte) []byte { return r.appendLine(b) }

// ConvertEncode is what Auditor.Audit does before the append, for
// benchmarks.
func ConvertEncode(c Converter, b []byte, rec *request.Record, tls *TLSDetails) ([]byte, error) {
	b, _, err := c.appendJSON(b, rec, tls)
	return b, err
}
