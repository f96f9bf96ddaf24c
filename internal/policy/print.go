package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Print writes doc as compact JSON in a canonical form: elements in the
// order the IAM User Guide's grammar lists them, one-element values as a
// bare string, the Statement as an object only when the document wrote it
// that way. Parse(Print(doc)) equals doc for any doc Parse returned.
//
// Print refuses documents Parse could not have produced and whose JSON
// would not read back the same: a Principal that is both "*" and a map, a
// single-object Statement with other than one statement, or a repeated
// (operator, key) pair in a Condition.
func Print(doc *Document) ([]byte, error) {
	if doc == nil {
		return nil, errors.New("policy: Print of nil document")
	}
	p := printer{}
	p.raw('{')
	if doc.Version != "" {
		p.key("Version")
		p.str(doc.Version)
	}
	if doc.ID != "" {
		p.key("Id")
		p.str(doc.ID)
	}
	if doc.Statements != nil {
		p.key("Statement")
		if err := p.statements(doc); err != nil {
			return nil, err
		}
	}
	p.raw('}')
	return p.buf.Bytes(), nil
}

type printer struct {
	buf   bytes.Buffer
	comma bool // whether the next member or element needs a comma first
}

func (p *printer) raw(c byte) {
	p.buf.WriteByte(c)
	p.comma = c != '{' && c != '['
}

func (p *printer) sep() {
	if p.comma {
		p.buf.WriteByte(',')
	}
}

func (p *printer) key(k string) {
	p.sep()
	p.quote(k)
	p.buf.WriteByte(':')
	p.comma = false
}

func (p *printer) str(s string) {
	p.sep()
	p.quote(s)
	p.comma = true
}

// quote writes s as a JSON string without encoding/json's HTML escaping,
// so ARNs and conditions stay readable.
func (p *printer) quote(s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	p.buf.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func (p *printer) values(vs []string) {
	if len(vs) == 1 {
		p.str(vs[0])
		return
	}
	p.sep()
	p.raw('[')
	for _, v := range vs {
		p.str(v)
	}
	p.raw(']')
}

func (p *printer) statements(doc *Document) error {
	if doc.StatementIsObject {
		if len(doc.Statements) != 1 {
			return fmt.Errorf("policy: Print: StatementIsObject with %d statements", len(doc.Statements))
		}
		return p.statement(&doc.Statements[0])
	}
	p.raw('[')
	for i := range doc.Statements {
		if err := p.statement(&doc.Statements[i]); err != nil {
			return err
		}
	}
	p.raw(']')
	return nil
}

func (p *printer) statement(s *Statement) error {
	p.sep()
	p.raw('{')
	if s.HasSid || s.Sid != "" {
		p.key("Sid")
		p.str(s.Sid)
	}
	if s.Effect != "" {
		p.key("Effect")
		p.str(string(s.Effect))
	}
	for _, e := range []struct {
		name string
		p    *Principal
	}{{"Principal", s.Principal}, {"NotPrincipal", s.NotPrincipal}} {
		if e.p == nil {
			continue
		}
		p.key(e.name)
		if err := p.principal(e.p); err != nil {
			return err
		}
	}
	for _, e := range []struct {
		name string
		vs   Values
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if e.vs != nil {
			p.key(e.name)
			p.values(e.vs)
		}
	}
	if s.HasCondition || len(s.Condition) > 0 {
		p.key("Condition")
		if err := p.condition(s.Condition); err != nil {
			return err
		}
	}
	p.raw('}')
	return nil
}

func (p *printer) principal(pr *Principal) error {
	if pr.Wildcard {
		if len(pr.Types) > 0 {
			return errors.New("policy: Print: Principal is both \"*\" and a map")
		}
		p.str("*")
		return nil
	}
	p.raw('{')
	seen := make(map[string]bool, len(pr.Types))
	for _, e := range pr.Types {
		if seen[e.Type] {
			return fmt.Errorf("policy: Print: principal type %q repeated", e.Type)
		}
		seen[e.Type] = true
		p.key(e.Type)
		p.values(e.Values)
	}
	p.raw('}')
	return nil
}

// condition groups the (operator, key) pairs by operator, operators in the
// order they first appear.
func (p *printer) condition(conds []Condition) error {
	var ops []string
	byOp := map[string][]Condition{}
	seen := map[[2]string]bool{}
	for _, c := range conds {
		k := [2]string{c.Operator, c.Key}
		if seen[k] {
			return fmt.Errorf("policy: Print: condition %s on %q repeated", c.Operator, c.Key)
		}
		seen[k] = true
		if _, ok := byOp[c.Operator]; !ok {
			ops = append(ops, c.Operator)
		}
		byOp[c.Operator] = append(byOp[c.Operator], c)
	}
	p.raw('{')
	for _, op := range ops {
		p.key(op)
		p.raw('{')
		for _, c := range byOp[op] {
			p.key(c.Key)
			if len(c.Values) == 1 {
				p.str(c.Values[0])
			} else {
				p.sep()
				p.raw('[')
				for _, v := range c.Values {
					p.str(v)
				}
				p.raw(']')
			}
		}
		p.raw('}')
	}
	p.raw('}')
	return nil
}
