package policy

import "unicode/utf8"

// Position is a place in a policy document's text, as IAM's policy
// simulator reports a matched statement's StartPosition and EndPosition:
// Line counts lines from 1, Column counts characters (not bytes) in the
// line, from 1.
type Position struct {
	Line, Column int
}

// Span is where one statement is written in a document: from its opening
// brace (Start, at byte offset StartOffset) to its closing brace (End, at
// byte offset EndOffset-1), so data[StartOffset:EndOffset] is the
// statement's text.
type Span struct {
	Start, End             Position
	StartOffset, EndOffset int
}

// StatementSpans finds where each statement of a policy document is
// written: the spans of the elements of its Statement array, in order, or
// the one span of a Statement written as a single object. It reports false
// when data is not JSON or has no top-level Statement; it does not
// validate the statements (an element that is not an object has a span
// too, so that indices stay those of Document.Statements).
func StatementSpans(data []byte) ([]Span, bool) {
	s := jsonScanner{data: data, allowDuplicates: true}
	if _, err := s.document(); err != nil {
		return nil, false
	}
	s.pos = 0
	if s.next() != '{' {
		return nil, false
	}
	s.pos++
	if s.next() == '}' {
		return nil, false
	}
	for {
		if s.next() != '"' {
			return nil, false
		}
		key, err := s.string()
		if err != nil || s.next() != ':' {
			return nil, false
		}
		s.pos++
		if key == "Statement" {
			return s.statementSpans()
		}
		if _, err := s.value(1); err != nil {
			return nil, false
		}
		if s.next() != ',' {
			return nil, false
		}
		s.pos++
	}
}

// statementSpans reads the value of Statement, at s.pos.
func (s *jsonScanner) statementSpans() ([]Span, bool) {
	// The spans come in order: one cursor finds all their positions in
	// one pass over the text.
	c := newCursor(s.data)
	one := func() (Span, bool) {
		start := s.pos
		if _, err := s.value(2); err != nil {
			return Span{}, false
		}
		return Span{Start: c.at(start), End: c.at(s.pos - 1), StartOffset: start, EndOffset: s.pos}, true
	}
	if s.next() != '[' {
		sp, ok := one()
		return []Span{sp}, ok
	}
	s.pos++
	spans := []Span{}
	if s.next() == ']' {
		return spans, true
	}
	for {
		s.skipSpace()
		sp, ok := one()
		if !ok {
			return nil, false
		}
		spans = append(spans, sp)
		switch s.next() {
		case ',':
			s.pos++
		case ']':
			return spans, true
		default:
			return nil, false
		}
	}
}

// PositionAt is the Position of byte offset off in data (clamped to
// data). A "\r\n" counts as one line break, as does a lone "\r" or "\n".
func PositionAt(data []byte, off int) Position {
	c := newCursor(data)
	return c.at(off)
}

// cursor finds the Positions of increasing offsets in one pass over the
// text: each at continues from where the previous one stopped.
type cursor struct {
	data []byte
	i    int      // the next byte to count
	p    Position // the Position of data[i]
	cr   bool     // data[i-1] is a '\r', already counted as a line break
	// utf16 counts columns in UTF-16 code units, as IAM's policy
	// simulator does (a character beyond U+FFFF is two), rather than in
	// characters.
	utf16 bool
}

func newCursor(data []byte) *cursor {
	return &cursor{data: data, p: Position{Line: 1, Column: 1}}
}

// at is the Position of byte offset off (clamped to the data). An offset
// before the previous one starts again from the beginning.
func (c *cursor) at(off int) Position {
	off = max(0, min(off, len(c.data)))
	if off < c.i {
		*c = cursor{data: c.data, p: Position{Line: 1, Column: 1}, utf16: c.utf16}
	}
	for c.i < off {
		b := c.data[c.i]
		switch {
		case b == '\n':
			if !c.cr {
				c.p.Line, c.p.Column = c.p.Line+1, 1
			}
			c.cr = false
			c.i++
		case b == '\r':
			c.p.Line, c.p.Column = c.p.Line+1, 1
			c.cr = true
			c.i++
		case b < utf8.RuneSelf:
			c.p.Column++
			c.cr = false
			c.i++
		default:
			r, n := utf8.DecodeRune(c.data[c.i:])
			c.p.Column++
			if c.utf16 && r > 0xFFFF {
				c.p.Column++
			}
			c.cr = false
			c.i += n
		}
	}
	return c.p
}

// SyntaxErrorOffset reports where data stops being JSON: the byte offset
// at which Parse's reader gave up, and true; false when data is JSON
// (whatever its shape as a policy).
func SyntaxErrorOffset(data []byte) (int, bool) {
	s := jsonScanner{data: data, allowDuplicates: true}
	if _, err := s.document(); err != nil {
		return min(s.pos, len(data)), true
	}
	return 0, false
}

// Offset is the byte offset in data of Position p, the inverse of
// PositionAt: len(data) when p is past the end, -1 when p is not a
// position (Line or Column below 1, or Column past its line's end).
func Offset(data []byte, p Position) int {
	if p.Line < 1 || p.Column < 1 {
		return -1
	}
	i := 0
	for line := 1; line < p.Line; line++ {
		for i < len(data) && data[i] != '\n' && data[i] != '\r' {
			i++
		}
		if i == len(data) {
			return len(data)
		}
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			i++
		}
		i++
	}
	for col := 1; col < p.Column; col++ {
		if i >= len(data) || data[i] == '\n' || data[i] == '\r' {
			return -1
		}
		_, n := utf8.DecodeRune(data[i:])
		i += n
	}
	return i
}
