package policy

import "fmt"

// MalformedError is an invalid policy document. Message is the text AWS
// returns with MalformedPolicyDocument for the same document, so the wire
// layer can pass it through unchanged; for a duplicate JSON key, whose
// message AWS does not document, it is AWS's syntax message followed by
// the key and where it is.
type MalformedError struct {
	Message string
}

func (e *MalformedError) Error() string { return "malformed policy document: " + e.Message }

// The messages AWS gives for the rejections Parse itself makes.
const msgSyntax = "Syntax errors in policy."

func syntaxError() error { return &MalformedError{Message: msgSyntax} }

// duplicateKeyMessage keeps AWS's sentence first, so that tools that match
// it still do, and names the key a reviewer must look for.
func duplicateKeyMessage(d *duplicateKeyError) string {
	return fmt.Sprintf("%s Duplicate key %q in %s.", msgSyntax, d.key, d.where())
}

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
// A key that appears twice in one object, at any level (Version,
// Statement, a statement's elements, Principal types, condition operators
// and keys), is refused: which of the two counts would be the reader's
// guess, and a reviewer reading the first would see another policy.
func Parse(data []byte) (*Document, error) {
	root, err := decodeJSON(data)
	if err != nil {
		if d, ok := err.(*duplicateKeyError); ok {
			return nil, &MalformedError{Message: duplicateKeyMessage(d)}
		}
		return nil, syntaxError()
	}
	doc, ok := documentFrom(root)
	if !ok {
		return nil, syntaxError()
	}
	return doc, nil
}

func documentFrom(root jsonNode) (*Document, bool) {
	if root.kind != jsonObject {
		return nil, false
	}
	doc := &Document{}
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.value.kind != jsonString || m.value.text == "" {
				return nil, false
			}
			doc.Version = m.value.text
		case "Id":
			if m.value.kind != jsonString {
				return nil, false
			}
			doc.ID = m.value.text
		case "Statement":
			switch m.value.kind {
			case jsonObject:
				s, ok := statementFrom(m.value)
				if !ok {
					return nil, false
				}
				doc.Statements = []Statement{s}
				doc.StatementIsObject = true
			case jsonArray:
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

func statementFrom(n jsonNode) (Statement, bool) {
	var s Statement
	if n.kind != jsonObject {
		return s, false
	}
	ok := true
	for _, m := range n.members {
		v := m.value
		switch m.key {
		case "Sid":
			ok = v.kind == jsonString
			s.Sid, s.HasSid = v.text, true
		case "Effect":
			ok = v.kind == jsonString
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
func valuesFrom(n jsonNode) (Values, bool) {
	switch n.kind {
	case jsonString:
		return Values{n.text}, true
	case jsonArray:
		vs := make(Values, 0, len(n.elems))
		for _, e := range n.elems {
			if e.kind != jsonString {
				return nil, false
			}
			vs = append(vs, e.text)
		}
		return vs, true
	}
	return nil, false
}

func principalFrom(n jsonNode) (*Principal, bool) {
	switch n.kind {
	case jsonString:
		if n.text != "*" {
			return nil, false
		}
		return &Principal{Wildcard: true}, true
	case jsonObject:
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
func conditionFrom(n jsonNode) ([]Condition, bool) {
	if n.kind != jsonObject {
		return nil, false
	}
	conds := []Condition{}
	for _, op := range n.members {
		if op.value.kind != jsonObject {
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

func conditionValues(n jsonNode) ([]string, bool) {
	switch n.kind {
	case jsonString, jsonNumber, jsonBool:
		return []string{n.text}, true
	case jsonArray:
		vs := make([]string, 0, len(n.elems))
		for _, e := range n.elems {
			switch e.kind {
			case jsonString, jsonNumber, jsonBool:
				vs = append(vs, e.text)
			default:
				return nil, false
			}
		}
		return vs, true
	}
	return nil, false
}
