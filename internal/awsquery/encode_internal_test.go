package awsquery

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAppendText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`<a href="x">&'`, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"},
		{"line\nfeed\ttab", "line\nfeed\ttab"},
		{"cr\r", "cr&#xD;"},
		{"nul\x00bell\x07", "nul\uFFFDbell\uFFFD"},
		{"bad utf-8 \xff", "bad utf-8 \uFFFD"},
		{"non-char \uFFFE", "non-char \uFFFD"},
		{"日本語 é \U0001F600", "日本語 é \U0001F600"},
	}
	for _, tt := range tests {
		if got := string(appendText(nil, tt.in)); got != tt.want {
			t.Errorf("appendText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendScalars(t *testing.T) {
	ts := time.Date(2026, 11, 22, 9, 30, 15, 123456789, time.FixedZone("x", 3600))
	tests := []struct {
		shape *Shape
		v     Value
		want  string
	}{
		{&Shape{Kind: KindTimestamp}, Time(ts), "2026-11-22T08:30:15.123Z"},
		{&Shape{Kind: KindTimestamp}, Time(ts.Truncate(time.Second)), "2026-11-22T08:30:15Z"},
		{&Shape{Kind: KindTimestamp, TimestampFormat: TimestampUnix}, Time(ts.Truncate(time.Second)), "1795336215"},
		{&Shape{Kind: KindTimestamp, TimestampFormat: TimestampUnix}, Time(ts), "1795336215.123"},
		{&Shape{Kind: KindTimestamp, TimestampFormat: TimestampRFC822}, Time(ts), "Sun, 22 Nov 2026 08:30:15 GMT"},
		{&Shape{Kind: KindFloat}, Float(float64(float32(0.1))), "0.1"},
		{&Shape{Kind: KindDouble}, Float(math.Inf(-1)), "-Infinity"},
		{&Shape{Kind: KindBoolean}, Bool(true), "true"},
		{&Shape{Kind: KindLong}, Int(-42), "-42"},
	}
	for _, tt := range tests {
		if got := string(appendContent(nil, tt.shape, &tt.v)); got != tt.want {
			t.Errorf("appendContent(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestDecodeScalars(t *testing.T) {
	shape := &Shape{Kind: KindStructure, Members: []Member{
		{Name: "T", Ref: Ref{Shape: &Shape{Kind: KindTimestamp}}},
		{Name: "B", Ref: Ref{Shape: &Shape{Kind: KindBlob}}},
		{Name: "F", Ref: Ref{Shape: &Shape{Kind: KindBoolean}}},
		{Name: "M", Ref: Ref{Shape: &Shape{Kind: KindMap, Key: &Ref{Shape: &Shape{Kind: KindString}}, Value: &Ref{Shape: &Shape{Kind: KindString}}}}},
	}}
	tests := []struct {
		body, wantCode string
	}{
		{"T=2026-11-22T09%3A30%3A15Z", ""},
		{"T=2026-11-22T09%3A30%3A15.5%2B01%3A00", ""},
		{"T=2026-11-22", "InvalidParameterValue"},
		{"T=yesterday", "InvalidParameterValue"},
		{"B=AAEC", ""},
		{"B=AAE", "InvalidParameterValue"},
		{"B=%2A%2A%2A", "InvalidParameterValue"},
		{"F=True", ""},
		{"F=yes", "InvalidParameterValue"},
		{"M.entry.1.key=a&M.entry.1.value=b", ""},
		{"M.entry.1.value=b", "MissingParameter"},
		{"M.entry.1.key=a&M.entry.2.key=a", "InvalidQueryParameter"},
		{"M.entry.1.other=a", "InvalidQueryParameter"},
		{"M.1.key=a", "InvalidQueryParameter"},
	}
	for _, tt := range tests {
		params, err := ParseForm(nil, tt.body)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(shape, params)
		got := ""
		if we, ok := err.(*Error); ok {
			got = we.Code.Name
		} else if err != nil {
			t.Errorf("Decode(%q) = %v, not a wire error", tt.body, err)
			continue
		}
		if got != tt.wantCode {
			t.Errorf("Decode(%q) error code = %q, want %q (%v)", tt.body, got, tt.wantCode, err)
		}
	}
}

// TestHeaderKeys: writeXML stores its headers in the map directly, so the
// keys must be those Header.Set would store them under.
func TestHeaderKeys(t *testing.T) {
	for _, tt := range []struct{ key, name string }{
		{headerContentType, "Content-Type"},
		{headerContentLength, "Content-Length"},
		{headerRequestID, "x-amzn-RequestId"},
	} {
		if want := http.CanonicalHeaderKey(tt.name); tt.key != want {
			t.Errorf("header key for %s = %q, want %q", tt.name, tt.key, want)
		}
	}
}

// TestIsForm: the content types answered without parsing get the answer
// parsing gives.
func TestIsForm(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"", true},
		{"application/x-www-form-urlencoded", true},
		{"application/x-www-form-urlencoded; charset=utf-8", true},
		{"Application/X-WWW-Form-URLEncoded; Charset=UTF-8", true},
		{"application/x-www-form-urlencoded;charset=utf-8", true},
		{"application/json", false},
		{"application/x-www-form-urlencoded; charset=", false},
	}
	for _, tt := range tests {
		if got := isForm(tt.ct); got != tt.want {
			t.Errorf("isForm(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}

// TestReadBodyTakesBody: an unread Body is taken as it is, not copied, and
// is left read; a Body someone has started reading is read like any other.
func TestReadBodyTakesBody(t *testing.T) {
	b := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = NewBody(b), int64(len(b))
	got, err := readBody(r, 1<<20)
	if err != nil || string(got) != string(b) || &got[0] != &b[0] {
		t.Errorf("readBody(unread Body) = %q, %v; want the same bytes, not a copy", got, err)
	}
	if n, err := r.Body.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("Body after readBody: Read = %d, %v; want 0, EOF", n, err)
	}
	body := NewBody(b)
	if _, err := body.Read(make([]byte, 7)); err != nil {
		t.Fatal(err)
	}
	r.Body, r.ContentLength = body, -1
	if got, err := readBody(r, 1<<20); err != nil || string(got) != string(b[7:]) {
		t.Errorf("readBody(partly read Body) = %q, %v; want %q", got, err, b[7:])
	}
}
