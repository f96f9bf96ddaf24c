package policy

// SimulatorSpans finds the StartPosition and EndPosition IAM's policy
// simulator reports for each statement of a policy document, in order:
// the places of a reader's cursor before and after it reads the
// statement, counted as IAM counts them.
//
//   - EndPosition is the place just past the statement's closing brace.
//   - StartPosition, for the first element of a Statement array, is the
//     place just past the array's opening bracket (whatever whitespace
//     follows it); for a later element, the place just past the previous
//     element's closing brace (before the comma), so it equals the
//     previous element's EndPosition; for a Statement written as a single
//     object, the place just past that object's opening brace.
//   - Lines count from 1, a "\r\n", a lone "\r" or a "\n" each ending one;
//     columns count from 1 in UTF-16 code units (one per character of the
//     Basic Multilingual Plane, two for any other), so an escape such as
//     \u00e9 counts its six characters as written.
//
// In the spans returned, Start and End are those positions and
// StartOffset and EndOffset their byte offsets in data. It reports false
// when StatementSpans does.
func SimulatorSpans(data []byte) ([]Span, bool) {
	spans, ok := StatementSpans(data)
	if !ok || len(spans) == 0 {
		return spans, ok
	}
	out := make([]Span, len(spans))
	c := &cursor{data: data, p: Position{Line: 1, Column: 1}, utf16: true}
	for i, sp := range spans {
		start := sp.StartOffset + 1 // a single object: just past its brace
		switch {
		case i > 0:
			start = spans[i-1].EndOffset
		case openedByBracket(data, sp.StartOffset):
			start = lastNonSpace(data, sp.StartOffset) + 1
		}
		out[i] = Span{Start: c.at(start), End: c.at(sp.EndOffset), StartOffset: start, EndOffset: sp.EndOffset}
	}
	return out, true
}

// openedByBracket reports whether the first statement, whose brace is at
// off, is the first element of an array rather than the Statement value
// itself (then a ':' precedes it).
func openedByBracket(data []byte, off int) bool {
	i := lastNonSpace(data, off)
	return i >= 0 && data[i] == '['
}

// lastNonSpace is the offset of the last byte before off that is not
// JSON whitespace, or -1.
func lastNonSpace(data []byte, off int) int {
	for i := off - 1; i >= 0; i-- {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return -1
}

// SimulatedStatement finds the statement of a document that IAM's policy
// simulator reports at start and end (see SimulatorSpans): its span as
// StatementSpans gives it, from its opening to its closing brace, and
// true; false when no statement of data is reported there.
func SimulatedStatement(data []byte, start, end Position) (Span, bool) {
	reported, ok := SimulatorSpans(data)
	if !ok {
		return Span{}, false
	}
	for i, r := range reported {
		if r.Start == start && r.End == end {
			spans, _ := StatementSpans(data)
			return spans[i], true
		}
	}
	return Span{}, false
}
