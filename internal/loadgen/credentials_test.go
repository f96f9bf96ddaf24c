package loadgen

import (
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/google/go-cmp/cmp"
)

func TestParseSharedCredentials(t *testing.T) {
	const file = `# written by brevet serve
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key=secret/with+chars=

; another profile
[ profile admin ]
AWS_ACCESS_KEY_ID = ASIAADMIN
aws_secret_access_key = s2
aws_session_token = tok==
`
	tests := []struct {
		name    string
		file    string
		profile string
		want    sigv4.Credentials
	}{
		{"default", file, "", sigv4.Credentials{AccessKeyID: "AKIADEFAULT", SecretAccessKey: "secret/with+chars="}},
		{"named, with session token", file, "admin", sigv4.Credentials{AccessKeyID: "ASIAADMIN", SecretAccessKey: "s2", SessionToken: "tok=="}},
		{"only section", "[brevet-admin]\naws_access_key_id=A\naws_secret_access_key=B\n", "", sigv4.Credentials{AccessKeyID: "A", SecretAccessKey: "B"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSharedCredentials(strings.NewReader(tt.file), tt.profile)
			if err != nil {
				t.Fatalf("ParseSharedCredentials: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseSharedCredentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSharedCredentialsErrors(t *testing.T) {
	tests := []struct {
		name, file, profile, wantErr string
	}{
		{"missing profile", "[a]\naws_access_key_id=A\naws_secret_access_key=B\n[b]\n", "", `no profile "default" (have a, b)`},
		{"key outside a section", "aws_access_key_id=A\n", "", "inside a [section]"},
		{"bad section", "[default\n", "", "is not a [section]"},
		{"no secret", "[default]\naws_access_key_id=A\n", "", "needs aws_access_key_id and aws_secret_access_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSharedCredentials(strings.NewReader(tt.file), tt.profile)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSharedCredentials error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
