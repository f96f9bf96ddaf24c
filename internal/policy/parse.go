package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// MalformedError is an invalid policy document. Message is the text AWS
// returns with MalformedPolicyDocument for the same document, so the wire
// layer can pass it through unchanged.
type MalformedError struct {
	Message string
}

func (e *MalformedError) Error() string { return "malformed policy document: " + e.Message }

// The messages AWS gives for the rejections Parse itself makes.
const msgSyntax = "Syntax errors in policy."

func syntaxError() error { return &MalformedError{Message: msgSyntax} }

// Parse reads a policy document into its AST.
//
// Parse accepts every JSON document whose shape the AST can hold (an object
// with known elements, Statement as object or array, string-or-array
// values, condition values as strings, numbers or booleans) and leaves all
// other rules to Validate. What it cannot hold it rejects with AWS's
// "Syntax errors in policy.", which is also what AWS says for those
// documents, and which AWS reports before any other error, so Parse
// rejecting early never changes the message a document gets.
//
// Duplicate object keys take the last value, as AWS's JSON parser does.
func Parse(data []byte) (*Document, error) {
	root, err := decodeJSON(data)
	if err != nil {
		return nil, syntaxError()
	}
	doc, ok := documentFrom(root)
	if !ok {
		return nil, syntaxError()
	}
	return doc, nil
}

// node is a JSON value that keeps object members in document order, which
// encoding/json's maps do not.
type node struct {
	kind    nodeKind
	text    string // string value, or a number's or boolean's literal text
	members []member
	elems   []node
}

type member struct {
	key   string
	value node
}

type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindString
	kindNumber
	kindBool
	kindObject
	kindArray
)

// maxDepth bounds nesting; no valid policy nests deeper than 5.
const maxDepth = 64

var errJSON = errors.New("policy: invalid JSON")

func decodeJSON(data []byte) (node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeValue(dec, 0)
	if err != nil {
		return node{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return node{}, errJSON // trailing data
	}
	return n, nil
}

func decodeValue(dec *json.Decoder, depth int) (node, error) {
	if depth > maxDepth {
		return node{}, errJSON
	}
	tok, err := dec.Token()
	if err != nil {
		return node{}, errJSON
	}
	switch v := tok.(type) {
	case nil:
		return node{kind: kindNull}, nil
	case string:
		return node{kind: kindString, text: v}, nil
	case json.Number:
		return node{kind: kindNumber, text: v.String()}, nil
	case bool:
		if v {
			return node{kind: kindBool, text: "true"}, nil
		}
		return node{kind: kindBool, text: "false"}, nil
	case json.Delim:
		switch v {
		case '{':
			n := node{kind: kindObject, members: []member{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return node{}, errJSON
				}
				key, _ := kt.(string)
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return node{}, err
				}
				n.setMember(key, val)
			}
			if _, err := dec.Token(); err != nil {
				return node{}, errJSON
			}
			return n, nil
		case '[':
			n := node{kind: kindArray, elems: []node{}}
			for dec.More() {
				val, err := decodeValue(dec, depth+1)
				if err != nil {
					return node{}, err
				}
				n.elems = append(n.elems, val)
			}
			if _, err := dec.Token(); err != nil {
				return node{}, errJSON
			}
			return n, nil
		}
	}
	return node{}, errJSON
}

// setMember adds key, or replaces its earlier value in place (last wins).
func (n *node) setMember(key string, val node) {
	for i := range n.members {
		if n.members[i].key == key {
			n.members[i].value = val
			return
		}
	}
	n.members = append(n.members, member{key: key, value: val})
}

func documentFrom(root node) (*Document, bool) {
	if root.kind != kindObject {
		return nil, false
	}
	doc := &Document{}
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.value.kind != kindString || m.value.text == "" {
				return nil, false
			}
			doc.Version = m.value.text
		case "Id":
			if m.value.kind != kindString {
				return nil, false
			}
			doc.ID = m.value.text
		case "Statement":
			switch m.value.kind {
			case kindObject:
				s, ok := statementFrom(m.value)
				if !ok {
					return nil, false
				}
				doc.Statements = []Statement{s}
				doc.StatementIsObject = true
			case kindArray:
				doc.Statements = make([]Statement, 0, len(m.value.elems))
				doc.StatementIsObject = false
				for _, e := range m.value.elems {
					s, ok := statementFrom(e)
					if !ok {
						return nil, false
					}
					doc.Statements = append(doc.Statements, s)
				}
			default:
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return doc, true
}

func statementFrom(n node) (Statement, bool) {
	var s Statement
	if n.kind != kindObject {
		return s, false
	}
	ok := true
	for _, m := range n.members {
		v := m.value
		switch m.key {
		case "Sid":
			ok = v.kind == kindString
			s.Sid, s.HasSid = v.text, true
		case "Effect":
			ok = v.kind == kindString
			s.Effect = Effect(v.text)
		case "Principal":
			s.Principal, ok = principalFrom(v)
		case "NotPrincipal":
			s.NotPrincipal, ok = principalFrom(v)
		case "Action":
			s.Action, ok = valuesFrom(v)
		case "NotAction":
			s.NotAction, ok = valuesFrom(v)
		case "Resource":
			s.Resource, ok = valuesFrom(v)
		case "NotResource":
			s.NotResource, ok = valuesFrom(v)
		case "Condition":
			s.Condition, ok = conditionFrom(v)
			s.HasCondition = true
		default:
			ok = false
		}
		if !ok {
			return s, false
		}
	}
	return s, true
}

// valuesFrom reads a string or an array of strings. An empty array gives a
// non-nil empty Values.
func valuesFrom(n node) (Values, bool) {
	switch n.kind {
	case kindString:
		return Values{n.text}, true
	case kindArray:
		vs := make(Values, 0, len(n.elems))
		for _, e := range n.elems {
			if e.kind != kindString {
				return nil, false
			}
			vs = append(vs, e.text)
		}
		return vs, true
	}
	return nil, false
}

func principalFrom(n node) (*Principal, bool) {
	switch n.kind {
	case kindString:
		if n.text != "*" {
			return nil, false
		}
		return &Principal{Wildcard: true}, true
	case kindObject:
		p := &Principal{Types: make([]PrincipalEntry, 0, len(n.members))}
		for _, m := range n.members {
			vs, ok := valuesFrom(m.value)
			if !ok {
				return nil, false
			}
			p.Types = append(p.Types, PrincipalEntry{Type: m.key, Values: vs})
		}
		return p, true
	}
	return nil, false
}

// conditionFrom reads a Condition block: operator → key → value(s). Values
// may be strings, numbers or booleans (kept as their literal text), alone or
// in an array. An operator with an empty block contributes no Condition;
// Validate cannot see it, which is harmless because AWS accepts an empty
// block for any operator name.
func conditionFrom(n node) ([]Condition, bool) {
	if n.kind != kindObject {
		return nil, false
	}
	conds := []Condition{}
	for _, op := range n.members {
		if op.value.kind != kindObject {
			return nil, false
		}
		for _, kv := range op.value.members {
			vals, ok := conditionValues(kv.value)
			if !ok {
				return nil, false
			}
			conds = append(conds, Condition{Operator: op.key, Key: kv.key, Values: vals})
		}
	}
	return conds, true
}

func conditionValues(n node) ([]string, bool) {
	switch n.kind {
	case kindString, kindNumber, kindBool:
		return []string{n.text}, true
	case kindArray:
		vs := make([]string, 0, len(n.elems))
		for _, e := range n.elems {
			switch e.kind {
			case kindString, kindNumber, kindBool:
				vs = append(vs, e.text)
			default:
				return nil, false
			}
		}
		return vs, true
	}
	return nil, false
}
