package parity

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// node is an element of an answer: its name, its text and its children
// in document order.
type node struct {
	name     string
	text     string
	children []*node
}

// parseXML reads a whole answer into a tree; it returns the root element.
func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no XML element in the answer")
	}
	return root, nil
}

// child is n's first child named name.
func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// find walks a dotted path down from n. "member.N" (or "entry.N") picks
// the N-th such child, 1-based; "entry[K]" picks the entry of a map whose
// key is K; any other step picks the first child of that name.
func (n *node) find(path string) *node {
	steps := strings.Split(path, ".")
	cur := n
	for i := 0; i < len(steps) && cur != nil; i++ {
		s := steps[i]
		if i+1 < len(steps) {
			if k, err := strconv.Atoi(steps[i+1]); err == nil {
				cur = cur.nth(s, k)
				i++
				continue
			}
		}
		if name, key, ok := strings.Cut(strings.TrimSuffix(s, "]"), "["); ok && strings.HasSuffix(s, "]") {
			cur = cur.keyed(name, key)
			continue
		}
		cur = cur.child(s)
	}
	return cur
}

// keyed is the child named name whose "key" child's text is key: a map
// entry.
func (n *node) keyed(name, key string) *node {
	for _, c := range n.children {
		if c.name == name && text(c.child("key")) == key {
			return c
		}
	}
	return nil
}

func (n *node) nth(name string, k int) *node {
	for _, c := range n.children {
		if c.name == name {
			k--
			if k == 0 {
				return c
			}
		}
	}
	return nil
}

// value is n's text with the surrounding white space of an element that
// has children removed.
func (n *node) value() string {
	if len(n.children) > 0 {
		return strings.TrimSpace(n.text)
	}
	return n.text
}
