package policy

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestStatementSpans(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Span
		ok   bool
	}{
		{
			name: "array over lines",
			doc:  "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\"},\n    {\n      \"Effect\": \"Deny\"\n    }\n  ]\n}",
			want: []Span{
				{Start: Position{4, 5}, End: Position{4, 23}, StartOffset: 50, EndOffset: 69},
				{Start: Position{5, 5}, End: Position{7, 5}, StartOffset: 75, EndOffset: 105},
			},
			ok: true,
		},
		{
			name: "single object after other keys",
			doc:  `{"Id":"x","Statement":{"Effect":"Allow"},"Version":"2012-10-17"}`,
			want: []Span{{Start: Position{1, 23}, End: Position{1, 40}, StartOffset: 22, EndOffset: 40}},
			ok:   true,
		},
		{
			name: "characters, not bytes",
			doc:  `{"Id":"é","Statement":[{}]}`,
			want: []Span{{Start: Position{1, 24}, End: Position{1, 25}, StartOffset: 24, EndOffset: 26}},
			ok:   true,
		},
		{name: "crlf", doc: "{\r\n\"Statement\":\r\n[{}]}", want: []Span{{Start: Position{3, 2}, End: Position{3, 3}, StartOffset: 18, EndOffset: 20}}, ok: true},
		{name: "empty array", doc: `{"Statement":[]}`, want: []Span{}, ok: true},
		{name: "no statement", doc: `{"Version":"2012-10-17"}`},
		{name: "not JSON", doc: `{"Statement":[{}]`},
		{name: "not an object", doc: `[{"Statement":[]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := StatementSpans([]byte(tt.doc))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
			for _, sp := range got {
				if b := tt.doc[sp.StartOffset]; b != '{' {
					t.Errorf("span starts at %q", b)
				}
				if b := tt.doc[sp.EndOffset-1]; b != '}' {
					t.Errorf("span ends at %q", b)
				}
			}
		})
	}
}

func TestSyntaxErrorOffset(t *testing.T) {
	tests := []struct {
		doc  string
		off  int
		isOK bool
	}{
		{`{"Version":"2012-10-17"}`, 0, false},
		{`{"a":1,"a":2}`, 0, false}, // JSON, though Parse refuses the duplicate
		{`{"Version" "2012-10-17"}`, 11, true},
		{`{"Statement":[{}]`, 17, true},
		{`{} x`, 3, true},
	}
	for _, tt := range tests {
		off, ok := SyntaxErrorOffset([]byte(tt.doc))
		if ok != tt.isOK || off != tt.off {
			t.Errorf("SyntaxErrorOffset(%s) = %d, %v; want %d, %v", tt.doc, off, ok, tt.off, tt.isOK)
		}
	}
}

func TestOffsetInvertsPositionAt(t *testing.T) {
	for _, doc := range []string{
		"{\n  \"Statement\": [\n    {}\n  ]\n}",
		"{\r\n\"Id\":\"é€\",\r\n\"Statement\":{}}",
		"a\rb\n\nc",
	} {
		data := []byte(doc)
		for off := 0; off < len(data); off++ {
			if !utf8.RuneStart(data[off]) || (data[off] == '\n' && off > 0 && data[off-1] == '\r') {
				continue
			}
			p := PositionAt(data, off)
			if got := Offset(data, p); got != off {
				t.Errorf("%q: Offset(PositionAt(%d) = %v) = %d", doc, off, p, got)
			}
		}
	}
	for _, p := range []Position{{0, 1}, {1, 0}, {1, 99}} {
		if got := Offset([]byte("{}\n"), p); got != -1 {
			t.Errorf("Offset(%v) = %d, want -1", p, got)
		}
	}
}

// FuzzStatementSpans checks that StatementSpans never panics, finds one
// span per statement of every document Parse accepts, each the text of
// a JSON value, and that Offset inverts PositionAt at each span's ends;
// and that SimulatorSpans reports one span per statement, each starting
// where the previous ends, which SimulatedStatement maps back to it.
func FuzzStatementSpans(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		"{\r\n\"Statement\":\r\n{\"Effect\":\"Deny\"}}",
		`{"Id":"é","Statement":[{},{"Sid":"a\"}"}]}`,
		`{"Statement":[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spans, ok := StatementSpans(data)
		_, _ = SyntaxErrorOffset(data)
		doc, err := Parse(data)
		if err != nil {
			return
		}
		if len(doc.Statements) == 0 {
			return // no Statement at all, or an empty one
		}
		if !ok || len(spans) != len(doc.Statements) {
			t.Fatalf("%d spans (ok %v) for %d statements", len(spans), ok, len(doc.Statements))
		}
		reported, rok := SimulatorSpans(data)
		if !rok || len(reported) != len(spans) {
			t.Fatalf("%d simulator spans (ok %v) for %d statements", len(reported), rok, len(spans))
		}
		for i, r := range reported {
			if r.EndOffset != spans[i].EndOffset || r.StartOffset > spans[i].StartOffset+1 || (i > 0 && r.Start != reported[i-1].End) {
				t.Fatalf("simulator span %d %+v for statement %+v", i, r, spans[i])
			}
			if got, ok := SimulatedStatement(data, r.Start, r.End); !ok || got != spans[i] {
				t.Fatalf("SimulatedStatement(%v, %v) = %+v, %v; want %+v", r.Start, r.End, got, ok, spans[i])
			}
		}
		for _, sp := range spans {
			if sp.StartOffset >= sp.EndOffset || data[sp.StartOffset] != '{' || data[sp.EndOffset-1] != '}' {
				t.Fatalf("span %+v is not an object's text", sp)
			}
			if got := Offset(data, sp.Start); got != sp.StartOffset {
				t.Fatalf("Offset(%v) = %d, want %d", sp.Start, got, sp.StartOffset)
			}
			if got := Offset(data, sp.End); got != sp.EndOffset-1 {
				t.Fatalf("Offset(%v) = %d, want %d", sp.End, got, sp.EndOffset-1)
			}
		}
	})
}

// TestStatementSpansLinear: finding the statements of a document IAM's
// largest size allows takes time linear in its length (the simulator and
// the console's editor find them for every document they are given).
func TestStatementSpansLinear(t *testing.T) {
	st := `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[` + st)
	for b.Len() < 131000-len(st) {
		b.WriteString(",\n" + st)
	}
	b.WriteString("]}")
	data := []byte(b.String())
	start := time.Now()
	spans, ok := StatementSpans(data)
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("StatementSpans of %d statements took %v, want under 250ms", len(spans), d)
	}
	if last := spans[len(spans)-1]; !ok || last.Start.Line != len(spans) || last.Start.Column != 1 {
		t.Errorf("last span = %+v (ok %v), want at line %d, column 1", last, ok, len(spans))
	}
}
