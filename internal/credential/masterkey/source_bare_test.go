package masterkey

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseKeyFileBareKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0x5A}, KeyLen)
	b64 := base64.StdEncoding.EncodeToString(raw)
	env, err := FromEnv(b64)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "raw 32 bytes", data: raw},
		{name: "base64 with newline", data: []byte(b64 + "\n")},
		{name: "short base64", data: []byte("c2hvcnQ=\n"), wantErr: "key is 5 bytes"},
		{name: "not base64", data: []byte("this is not a key at all, secret!\n"), wantErr: "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := ParseKeyFile(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseKeyFile error = %v; want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret!") {
					t.Errorf("error echoes the file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The same key, however given, has the same id and opens the
			// other's ciphertexts.
			if kr.ActiveID() != env.ActiveID() {
				t.Errorf("key id = %q; want %q (as from the environment)", kr.ActiveID(), env.ActiveID())
			}
		})
	}
}
