package masterkey

import (
	"errors"
	"testing"
)

// FuzzOpen: stored ciphertexts come from a database an attacker may have
// written to; Open never panics and fails only with *OpenError.
func FuzzOpen(f *testing.F) {
	kr := testKeyring(f, 1)
	ct, err := kr.Seal([]byte("brevetTESTsecretKEY0123456789abcdefGHIJ+"), "access-key:AKIAQAAAAAAAAAAAAAAA")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct, "access-key:AKIAQAAAAAAAAAAAAAAA")
	f.Add([]byte{1, 0}, "")
	f.Fuzz(func(t *testing.T, ct []byte, purpose string) {
		_, err := kr.Open(ct, purpose)
		var oe *OpenError
		if err != nil && !errors.As(err, &oe) {
			t.Fatalf("Open: untyped error %v", err)
		}
	})
}

// FuzzParseKeyFile: a key file never panics the parser, and what parses
// marshals to a file that parses to the same keys.
func FuzzParseKeyFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		kr, err := ParseKeyFile(data)
		if err != nil {
			return
		}
		out, err := kr.MarshalKeyFile()
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseKeyFile(out)
		if err != nil {
			t.Fatalf("re-marshalled key file does not parse: %v", err)
		}
		if again.ActiveID() != kr.ActiveID() || len(again.IDs()) != len(kr.IDs()) {
			t.Fatalf("round trip changed the keys: %v vs %v", again, kr)
		}
	})
}
