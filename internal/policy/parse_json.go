package policy

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small JSON reader that keeps object members in order
// (which encoding/json's maps do not) and keeps numbers as their literal
// text. It accepts exactly RFC 8259 JSON in valid UTF-8, nested at most
// maxJSONDepth deep, with no key twice in one object (RFC 8259 leaves
// duplicates to the reader; taking the last would let a reviewer read the
// first and see another policy). It exists because Parse is on the request path for
// session policies, and a token-by-token encoding/json.Decoder costs an
// allocation per token.

// jsonNode is a JSON value that keeps object members in document order.
type jsonNode struct {
	kind    jsonKind
	text    string // string value, or a number's or boolean's literal text
	members []jsonMember
	elems   []jsonNode
}

type jsonMember struct {
	key   string
	value jsonNode
}

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonString
	jsonNumber
	jsonBool
	jsonObject
	jsonArray
)

// maxJSONDepth bounds nesting; no valid policy nests deeper than 5.
const maxJSONDepth = 64

var errBadJSON = errors.New("policy: invalid JSON")

// duplicateKeyError is an object with the same key twice. path leads from
// the document's root to the object, innermost first while the error
// travels up (object and array prepend themselves), in order once
// decodeJSON returns.
type duplicateKeyError struct {
	key  string
	path []string
}

func (e *duplicateKeyError) Error() string {
	return fmt.Sprintf("policy: duplicate key %q in %s", e.key, e.where())
}

// where names the object holding the duplicate key, as Statement[0].Condition.
func (e *duplicateKeyError) where() string {
	if len(e.path) == 0 {
		return "the policy"
	}
	var b strings.Builder
	for _, p := range e.path {
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// within records that the error happened inside the member or element step.
func within(err error, step string) error {
	if d, ok := err.(*duplicateKeyError); ok {
		d.path = append(d.path, step)
	}
	return err
}

type jsonScanner struct {
	data []byte
	pos  int
	// allowDuplicates keeps both members of a duplicate key; decodeJSON
	// reads with it only to tell whether a document with a duplicate key
	// is otherwise JSON.
	allowDuplicates bool
}

func decodeJSON(data []byte) (jsonNode, error) {
	s := jsonScanner{data: data}
	n, err := s.document()
	if d, ok := err.(*duplicateKeyError); ok {
		// A document that is not JSON is that first, wherever the
		// duplicate is: read it again, this time past duplicates.
		again := jsonScanner{data: data, allowDuplicates: true}
		if _, err := again.document(); err != nil {
			return jsonNode{}, err
		}
		slices.Reverse(d.path)
	}
	return n, err
}

func (s *jsonScanner) document() (jsonNode, error) {
	n, err := s.value(0)
	if err != nil {
		return jsonNode{}, err
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return jsonNode{}, errBadJSON // trailing data
	}
	return n, nil
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// next skips whitespace and returns the next byte without consuming it, or
// 0 at the end.
func (s *jsonScanner) next() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *jsonScanner) value(depth int) (jsonNode, error) {
	if depth > maxJSONDepth {
		return jsonNode{}, errBadJSON
	}
	switch c := s.next(); {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		str, err := s.string()
		return jsonNode{kind: jsonString, text: str}, err
	case c == 't':
		return s.literal("true", jsonNode{kind: jsonBool, text: "true"})
	case c == 'f':
		return s.literal("false", jsonNode{kind: jsonBool, text: "false"})
	case c == 'n':
		return s.literal("null", jsonNode{kind: jsonNull})
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return jsonNode{}, errBadJSON
}

func (s *jsonScanner) literal(word string, n jsonNode) (jsonNode, error) {
	if !strings.HasPrefix(string(s.data[s.pos:min(len(s.data), s.pos+len(word))]), word) {
		return jsonNode{}, errBadJSON
	}
	s.pos += len(word)
	return n, nil
}

func (s *jsonScanner) object(depth int) (jsonNode, error) {
	s.pos++ // {
	n := jsonNode{kind: jsonObject, members: []jsonMember{}}
	var seen map[string]struct{}
	if s.next() == '}' {
		s.pos++
		return n, nil
	}
	for {
		if s.next() != '"' {
			return jsonNode{}, errBadJSON
		}
		key, err := s.string()
		if err != nil {
			return jsonNode{}, err
		}
		if s.next() != ':' {
			return jsonNode{}, errBadJSON
		}
		s.pos++
		val, err := s.value(depth + 1)
		if err != nil {
			return jsonNode{}, within(err, key)
		}
		if s.allowDuplicates {
			n.members = append(n.members, jsonMember{key: key, value: val})
		} else if seen, err = n.addMember(key, val, seen); err != nil {
			return jsonNode{}, err
		}
		switch s.next() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return n, nil
		default:
			return jsonNode{}, errBadJSON
		}
	}
}

// smallObject is the number of members up to which addMember looks for a
// duplicate by scanning the members (every object of a typical policy);
// past it, by a set of the keys, so that a large object stays linear.
const smallObject = 16

// addMember appends key, or fails if the object already has it. seen is the
// set of keys once the object is past smallObject members (nil before);
// addMember returns it, started or grown.
func (n *jsonNode) addMember(key string, val jsonNode, seen map[string]struct{}) (map[string]struct{}, error) {
	if seen == nil {
		for i := range n.members {
			if n.members[i].key == key {
				return nil, &duplicateKeyError{key: key}
			}
		}
		if len(n.members) == smallObject {
			seen = make(map[string]struct{}, 2*smallObject)
			for _, m := range n.members {
				seen[m.key] = struct{}{}
			}
		}
	}
	if seen != nil {
		if _, dup := seen[key]; dup {
			return nil, &duplicateKeyError{key: key}
		}
		seen[key] = struct{}{}
	}
	n.members = append(n.members, jsonMember{key: key, value: val})
	return seen, nil
}

func (s *jsonScanner) array(depth int) (jsonNode, error) {
	s.pos++ // [
	n := jsonNode{kind: jsonArray, elems: []jsonNode{}}
	if s.next() == ']' {
		s.pos++
		return n, nil
	}
	for {
		val, err := s.value(depth + 1)
		if err != nil {
			return jsonNode{}, within(err, "["+strconv.Itoa(len(n.elems))+"]")
		}
		n.elems = append(n.elems, val)
		switch s.next() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return n, nil
		default:
			return jsonNode{}, errBadJSON
		}
	}
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and keeps its text.
func (s *jsonScanner) number() (jsonNode, error) {
	start := s.pos
	d := s.data
	if s.pos < len(d) && d[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(d) && d[s.pos] == '0':
		s.pos++
	case s.pos < len(d) && d[s.pos] >= '1' && d[s.pos] <= '9':
		s.digits()
	default:
		return jsonNode{}, errBadJSON
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return jsonNode{}, errBadJSON
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return jsonNode{}, errBadJSON
		}
	}
	return jsonNode{kind: jsonNumber, text: string(d[start:s.pos])}, nil
}

func (s *jsonScanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// string reads a string starting at its opening quote.
func (s *jsonScanner) string() (string, error) {
	s.pos++ // opening quote
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			str := string(s.data[start:s.pos])
			s.pos++
			return str, nil
		case c == '\\' || c >= utf8.RuneSelf:
			return s.slowString(start)
		case c < 0x20:
			return "", errBadJSON
		}
		s.pos++
	}
	return "", errBadJSON
}

// slowString finishes a string that has escapes or non-ASCII text.
func (s *jsonScanner) slowString(start int) (string, error) {
	var b strings.Builder
	b.Write(s.data[start:s.pos])
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return b.String(), nil
		case c == '\\':
			if err := s.escape(&b); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", errBadJSON
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", errBadJSON // not UTF-8
			}
			b.WriteRune(r)
			s.pos += size
		}
	}
	return "", errBadJSON
}

var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// escape reads one escape sequence. A lone UTF-16 surrogate becomes
// U+FFFD, as in encoding/json.
func (s *jsonScanner) escape(b *strings.Builder) error {
	if s.pos+1 >= len(s.data) {
		return errBadJSON
	}
	e := s.data[s.pos+1]
	if e != 'u' {
		if simpleEscapes[e] == 0 {
			return errBadJSON
		}
		b.WriteByte(simpleEscapes[e])
		s.pos += 2
		return nil
	}
	r, ok := s.hex4(s.pos + 2)
	if !ok {
		return errBadJSON
	}
	s.pos += 6
	if utf16.IsSurrogate(r) {
		if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
			if r2, ok := s.hex4(s.pos + 2); ok {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					b.WriteRune(dec)
					s.pos += 6
					return nil
				}
			}
		}
		r = utf8.RuneError
	}
	b.WriteRune(r)
	return nil
}

func (s *jsonScanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
