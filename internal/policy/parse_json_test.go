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
// UTF-8 input: the same documents accepted, the same values read.
func checkJSONAgainstStdlib(t *testing.T, data []byte) {
	t.Helper()
	if !utf8.Valid(data) || bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > maxJSONDepth {
		return
	}
	got, err := decodeJSON(data)
	valid := json.Valid(data)
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

func TestDecodeJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, ` {"a" : [1, -0.5e+3, 0, true, false, null, "x"]} `,
		`"\u00e9\ud83d\ude00\ud800x\n\t\"\\\/"`, `"é日本"`, `{"a":1,"a":2}`,
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
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\ud83d\ude00"`, `-1.5e3`, `[true,false]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkJSONAgainstStdlib(t, data)
	})
}
