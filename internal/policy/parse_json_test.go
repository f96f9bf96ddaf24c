package policy

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// toAny converts a jsonNode to what encoding/json decodes (with UseNumber).
func toAny(n jsonNode) any {
	switch n.kind {
	case jsonString:
		return n.text
	case jsonNumber:
		return json.Number(n.text)
	case jsonBool:
		return n.text == "true"
	case jsonObject:
		m := make(map[string]any, len(n.members))
		for _, mb := range n.members {
			m[mb.key] = toAny(mb.value)
		}
		return m
	case jsonArray:
		a := make([]any, len(n.elems))
		for i, e := range n.elems {
			a[i] = toAny(e)
		}
		return a
	}
	return nil
}

// checkJSONAgainstStdlib checks decodeJSON against encoding/json on valid
// UTF-8 input: the same documents accepted, except that decodeJSON refuses
// exactly those with a key twice in an object, and the same values read.
func checkJSONAgainstStdlib(t *testing.T, data []byte) {
	t.Helper()
	if !utf8.Valid(data) || bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > maxJSONDepth {
		return
	}
	got, err := decodeJSON(data)
	valid := json.Valid(data)
	_, isDup := err.(*duplicateKeyError)
	if wantDup := valid && hasDuplicateKey(t, data); isDup != wantDup {
		t.Fatalf("decodeJSON(%q) error %v, but encoding/json finds a duplicate key: %v", data, err, wantDup)
	}
	if isDup {
		return
	}
	if (err == nil) != valid {
		t.Fatalf("decodeJSON(%q) error %v, but json.Valid = %v", data, err, valid)
	}
	if err != nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	if diff := cmp.Diff(want, toAny(got)); diff != "" {
		t.Fatalf("decodeJSON(%q) (-encoding/json +decodeJSON):\n%s", data, diff)
	}
}

// hasDuplicateKey reports whether valid JSON has an object with a key
// twice, reading it with encoding/json's tokenizer.
func hasDuplicateKey(t *testing.T, data []byte) bool {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// One frame per open object or array; objects track their keys and
	// whether the next string is a key.
	type frame struct {
		keys     map[string]bool
		isObject bool
		wantKey  bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false // io.EOF: no duplicate
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.isObject && top.wantKey {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				key := tok.(string)
				if top.keys[key] {
					return true
				}
				top.keys[key] = true
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, isObject: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: the enclosing object wants a key next.
		if len(stack) > 0 && stack[len(stack)-1].isObject {
			stack[len(stack)-1].wantKey = true
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, ` {"a" : [1, -0.5e+3, 0, true, false, null, "x"]} `,
		`"\u00e9\ud83d\ude00\ud800x\n\t\"\\\/"`, `"é日本"`, `{"a":1,"a":2}`,
		`{"a":{"b":1},"c":[{"b":2,"b":3}]}`, `{"a":{"a":{}}}`, `[{"a":1},{"a":1}]`, `{"\u0061":1,"a":2}`,
		`01`, `1.`, `-`, `.5`, `1e`, `+1`, `[1,]`, `{"a":1,}`, `{"a"}`, `{1:2}`,
		`"\x"`, `"\u12"`, "\"a\tb\"", `tru`, `nul`, `[1 2]`, `{} {}`, ``, `   `,
		`"unterminated`, `[`, `{"a":`, `1E+2`, `-0`, `[[[]]]`,
	} {
		checkJSONAgainstStdlib(t, []byte(in))
	}
	if _, err := decodeJSON([]byte(strings.Repeat("[", 100) + strings.Repeat("]", 100))); err == nil {
		t.Error("decodeJSON accepted nesting deeper than maxJSONDepth")
	}
	if _, err := decodeJSON([]byte("\"\xff\"")); err == nil {
		t.Error("decodeJSON accepted invalid UTF-8")
	}
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,"b",{"c":null}]}`, `"\ud83d\ude00"`, `-1.5e3`, `[true,false]`,
		`{"a":1,"b":{"a":2,"a":3}}`, `[{"x":1},{"y":{"z":[{"q":1,"\u0071":2}]}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONAgainstStdlib(t, data)
	})
}
