package credential

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestSealJSONRoundTrip(t *testing.T) {
	type payload struct {
		Name string `json:"n"`
		N    int    `json:"i"`
	}
	in := payload{Name: "alice", N: 7}
	sealed, err := SealJSON(fakeSealer{}, "p1", in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(sealed, "+/=") {
		t.Errorf("sealed %q is not unpadded base64url", sealed)
	}
	var got payload
	if err := OpenJSON(fakeSealer{}, "p1", sealed, 100, &got); err != nil {
		t.Fatal(err)
	}
	if got != in {
		t.Errorf("got %+v, want %+v", got, in)
	}
}

func TestOpenJSONRefuses(t *testing.T) {
	sealed, err := SealJSON(fakeSealer{}, "p1", map[string]string{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, purpose, sealed string
		maxLen                int
	}{
		{"empty", "p1", "", 100},
		{"over the bound", "p1", sealed, len(sealed) - 1},
		{"not base64url", "p1", sealed + "*", 100},
		{"other purpose", "p2", sealed, 100},
		{"not JSON", "p1", mustSeal(t, "p1", "{"), 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]string
			if err := OpenJSON(fakeSealer{}, tc.purpose, tc.sealed, tc.maxLen, &v); err == nil {
				t.Errorf("OpenJSON(%q) = nil, want an error", tc.sealed)
			}
		})
	}
	var v map[string]string
	if err := OpenJSON(fakeSealer{}, "p1", sealed, len(sealed), &v); err != nil {
		t.Errorf("at the bound: %v", err)
	}
}

// mustSeal seals raw bytes (not JSON-encoded) for purpose.
func mustSeal(t *testing.T, purpose, raw string) string {
	t.Helper()
	ct, err := fakeSealer{}.Seal([]byte(raw), purpose)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(ct)
}
