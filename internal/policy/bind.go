package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// AWSPrincipals returns the values of the document's AWS principals (in
// every Principal and NotPrincipal), in the order written, each once.
func (d *Document) AWSPrincipals() []string {
	var out []string
	for i := range d.Statements {
		s := &d.Statements[i]
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if p == nil {
				continue
			}
			for _, e := range p.Types {
				if e.Type != "AWS" {
					continue
				}
				for _, v := range e.Values {
					if !contains(out, v) {
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}

// IsUniqueID reports whether s has the form of an IAM user's (AIDA...)
// or role's (AROA...) unique id, which a policy shows in place of a bound
// principal that no longer exists.
func IsUniqueID(s string) bool { return isUniqueID(s) }

// RewriteAWSPrincipals returns doc with the AWS principal values (in
// Principal and NotPrincipal) for which to reports true replaced by what
// it returns. Everything else is kept byte for byte: white space, member
// order, escapes. A document that is not a policy's JSON is returned as it
// is. It is for output (a bound principal that was deleted is shown as its
// unique id), not for the request path.
func RewriteAWSPrincipals(doc string, to func(v string) (string, bool)) string {
	rw := &rewriter{src: doc, dec: json.NewDecoder(strings.NewReader(doc)), to: to}
	if err := rw.document(); err != nil || len(rw.edits) == 0 {
		return doc
	}
	var b strings.Builder
	last := 0
	for _, e := range rw.edits {
		b.WriteString(doc[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.WriteString(doc[last:])
	return b.String()
}

type edit struct {
	start, end int // the quoted string's bytes in the source
	text       string
}

// rewriter walks a policy's tokens and records where the AWS principal
// strings are.
type rewriter struct {
	src   string
	dec   *json.Decoder
	to    func(string) (string, bool)
	edits []edit
}

var errNotPolicy = errors.New("policy: not a policy document")

// token reads the next token and the byte offset its text starts at.
func (rw *rewriter) token() (json.Token, int, error) {
	before := int(rw.dec.InputOffset())
	tok, err := rw.dec.Token()
	if err != nil {
		return nil, 0, err
	}
	start := before
	if _, ok := tok.(string); ok {
		// Between the previous token and this one lie only white space and
		// separators (':' or ','), never a quote.
		start += strings.IndexByte(rw.src[before:], '"')
	}
	return tok, start, nil
}

func (rw *rewriter) delim(want json.Delim) error {
	tok, _, err := rw.token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return errNotPolicy
	}
	return nil
}

// members calls member for each key of the object about to be read, which
// must consume the key's value.
func (rw *rewriter) members(member func(key string) error) error {
	if err := rw.delim('{'); err != nil {
		return err
	}
	for rw.dec.More() {
		tok, _, err := rw.token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return errNotPolicy
		}
		if err := member(key); err != nil {
			return err
		}
	}
	return rw.delim('}')
}

// skip consumes one value.
func (rw *rewriter) skip() error {
	var v json.RawMessage
	return rw.dec.Decode(&v)
}

func (rw *rewriter) document() error {
	err := rw.members(func(key string) error {
		if key != "Statement" {
			return rw.skip()
		}
		return rw.statements()
	})
	if err != nil {
		return err
	}
	if _, err := rw.dec.Token(); err != io.EOF {
		return errNotPolicy
	}
	return nil
}

// statements reads the Statement element: one object or an array of them.
func (rw *rewriter) statements() error {
	if !rw.peekIs('[') {
		return rw.statement()
	}
	if err := rw.delim('['); err != nil {
		return err
	}
	for rw.dec.More() {
		if err := rw.statement(); err != nil {
			return err
		}
	}
	return rw.delim(']')
}

func (rw *rewriter) statement() error {
	return rw.members(func(key string) error {
		if (key != "Principal" && key != "NotPrincipal") || !rw.peekIs('{') {
			return rw.skip()
		}
		return rw.members(func(typ string) error {
			if typ != "AWS" {
				return rw.skip()
			}
			return rw.values()
		})
	})
}

// values reads a string or an array of strings, recording the edits.
func (rw *rewriter) values() error {
	array := rw.peekIs('[')
	if array {
		if err := rw.delim('['); err != nil {
			return err
		}
	}
	for !array || rw.dec.More() {
		tok, start, err := rw.token()
		if err != nil {
			return err
		}
		v, ok := tok.(string)
		if !ok {
			return errNotPolicy
		}
		if text, ok := rw.to(v); ok {
			rw.edits = append(rw.edits, edit{start: start, end: int(rw.dec.InputOffset()), text: quote(text)})
		}
		if !array {
			return nil
		}
	}
	return rw.delim(']')
}

// peekIs reports whether the next value starts with c.
func (rw *rewriter) peekIs(c byte) bool {
	rest := strings.TrimLeft(rw.src[rw.dec.InputOffset():], " \t\r\n:,")
	return rest != "" && rest[0] == c
}

// quote writes s as a JSON string.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// InvalidPrincipal is the error IAM answers for a principal that does not
// exist (a user or role ARN naming no one): MalformedPolicyDocument,
// "Invalid principal in policy: "AWS":"arn:..."".
func InvalidPrincipal(typ, value string) *MalformedError {
	return &MalformedError{Message: fmt.Sprintf(msgBadPrincipalFmt, fmt.Sprintf("%q:%q", typ, value))}
}
