package audit

// AppendLine exposes the record encoding to tests that forge records.
func (r *Record) AppendLine(b []byte) []byte { return r.appendLine(b) }
