package authzapi

import (
	"fmt"
	"net/url"
	"strings"
)

// maxCaptures bounds the captures of one path template, so that a match
// keeps them in a fixed array.
const maxCaptures = 8

// segment is one segment of a path template.
type segment struct {
	literal string // the segment's text, when capture is ""
	capture string // the capture's name, for {name} and {name+}
	greedy  bool   // {name+}: the rest of the path, one segment or more
}

// template is a compiled path template: literal segments, {name} (one
// segment) and {name+} (the rest of the path, last only).
type template struct {
	text     string
	segments []segment
}

// span is a capture's place in the matched path.
type span struct{ start, end int }

// captures are the spans of a template's captures in a matched path, in
// the template's order.
type captures struct {
	n    int
	span [maxCaptures]span
}

// compileTemplate parses a path template.
func compileTemplate(t string) (*template, error) {
	if !strings.HasPrefix(t, "/") {
		return nil, fmt.Errorf("path %q must start with /", t)
	}
	if strings.ContainsAny(t, "?#") {
		return nil, fmt.Errorf("path %q must not hold a query or fragment; take query values with conditions (query:NAME)", t)
	}
	tp := &template{text: t}
	names := map[string]bool{}
	parts := strings.Split(t[1:], "/")
	for i, p := range parts {
		if !strings.ContainsAny(p, "{}") {
			if p == "." || p == ".." {
				return nil, fmt.Errorf("path %q holds a dot segment", t)
			}
			if strings.Contains(p, "%") {
				return nil, fmt.Errorf("path %q: write literal segments unescaped (%q)", t, p)
			}
			tp.segments = append(tp.segments, segment{literal: p})
			continue
		}
		if len(p) < 3 || p[0] != '{' || p[len(p)-1] != '}' {
			return nil, fmt.Errorf("path %q: segment %q must be a literal, {name} or {name+}; a capture takes a whole segment", t, p)
		}
		name, greedy := p[1:len(p)-1], false
		if strings.HasSuffix(name, "+") {
			name, greedy = name[:len(name)-1], true
			if i != len(parts)-1 {
				return nil, fmt.Errorf("path %q: the greedy capture {%s+} must be the last segment", t, name)
			}
		}
		if !validName(name) {
			return nil, fmt.Errorf("path %q: capture name %q must be letters, digits and _, starting with a letter", t, name)
		}
		if reservedPlaceholder(name) {
			return nil, fmt.Errorf("path %q: capture name %q is reserved for the resource template", t, name)
		}
		if names[name] {
			return nil, fmt.Errorf("path %q: capture %q appears twice", t, name)
		}
		names[name] = true
		tp.segments = append(tp.segments, segment{capture: name, greedy: greedy})
	}
	if len(names) > maxCaptures {
		return nil, fmt.Errorf("path %q has more than %d captures", t, maxCaptures)
	}
	return tp, nil
}

func validName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !('0' <= c && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// reservedPlaceholder names the placeholders a resource template takes
// from the service rather than from the path.
func reservedPlaceholder(s string) bool { return s == "region" || s == "account" }

// captureIndex is the index of a capture in the template's order, or -1.
func (t *template) captureIndex(name string) int {
	i := 0
	for _, s := range t.segments {
		if s.capture == "" {
			continue
		}
		if s.capture == name {
			return i
		}
		i++
	}
	return -1
}

// match matches path, the raw (escaped) path of a request without its
// query, against t and fills c. It allocates nothing. A path with a dot
// segment ("." or "..", escaped or not) never matches: a route is never
// reached by traversal. A {name} capture matches one non-empty segment
// that holds no escaped slash; {name+} one segment or more.
func (t *template) match(path string, c *captures) bool {
	if len(path) == 0 || path[0] != '/' {
		return false
	}
	c.n = 0
	pos := 1
	for i, s := range t.segments {
		if pos > len(path) {
			return false
		}
		if s.greedy {
			rest := path[pos:]
			if rest == "" || hasDotSegment(rest) {
				return false
			}
			c.span[c.n] = span{pos, len(path)}
			c.n++
			return true
		}
		end := strings.IndexByte(path[pos:], '/')
		if end < 0 {
			end = len(path)
		} else {
			end += pos
		}
		seg := path[pos:end]
		if isDotSegment(seg) {
			return false
		}
		if s.capture == "" {
			if seg != s.literal {
				return false
			}
		} else {
			if seg == "" || hasEscapedSlash(seg) {
				return false
			}
			c.span[c.n] = span{pos, end}
			c.n++
		}
		last := i == len(t.segments)-1
		if last {
			return end == len(path)
		}
		if end == len(path) {
			return false
		}
		pos = end + 1
	}
	return false
}

// isDotSegment reports whether a raw segment is "." or "..", escaped or
// not (%2e).
func isDotSegment(seg string) bool {
	if len(seg) > 6 {
		return false
	}
	n := 0
	for i := 0; i < len(seg); {
		switch {
		case seg[i] == '.':
			i++
		case i+2 < len(seg) && seg[i] == '%' && seg[i+1] == '2' && (seg[i+2] == 'e' || seg[i+2] == 'E'):
			i += 3
		default:
			return false
		}
		n++
	}
	return n == 1 || n == 2
}

func hasDotSegment(p string) bool {
	for p != "" {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return isDotSegment(p)
		}
		if isDotSegment(p[:i]) {
			return true
		}
		p = p[i+1:]
	}
	return false
}

func hasEscapedSlash(seg string) bool {
	for i := 0; i+2 < len(seg); i++ {
		if seg[i] == '%' && seg[i+1] == '2' && (seg[i+2] == 'f' || seg[i+2] == 'F') {
			return true
		}
	}
	return false
}

// value is capture i's decoded value; ok is false for an invalid
// escape.
func (c *captures) value(path string, i int) (string, bool) {
	s := path[c.span[i].start:c.span[i].end]
	if strings.IndexByte(s, '%') < 0 {
		return s, true
	}
	v, err := url.PathUnescape(s)
	return v, err == nil
}
