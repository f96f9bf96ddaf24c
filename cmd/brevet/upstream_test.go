package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

// TestUpstreamParams: add sends every flag given, update only the flags
// changed (absent members stay unchanged), and the secret comes from a
// file or stdin, never a flag, and never shows in an error.
func TestUpstreamParams(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		create  bool
		args    []string
		stdin   string
		want    url.Values
		wantErr string
	}{{
		name: "oidc", create: true, args: []string{"--mode", "oidc", "--sts-endpoint", "https://sts.example", "--region", "eu-west-1", "--cache"},
		want: url.Values{"Mode": {"OIDC"}, "StsEndpoint": {"https://sts.example"}, "Region": {"eu-west-1"}, "CacheCredentials": {"true"}},
	}, {
		name: "key from a file", create: true,
		args: []string{"--mode", "KEY", "--access-key-id", "AKIAEXAMPLE", "--secret-access-key-file", secretFile, "--user-name", "brevet",
			"--rotate-every-days", "30", "--rate", "20", "--burst", "40", "--ca-bundle", ca, "--description", "prod"},
		want: url.Values{"Mode": {"KEY"}, "AccessKeyId": {"AKIAEXAMPLE"}, "SecretAccessKey": {secret}, "UserName": {"brevet"},
			"RotateEveryDays": {"30"}, "Rate": {"20"}, "Burst": {"40"}, "CaBundle": {"-----BEGIN CERTIFICATE-----\n"}, "Description": {"prod"}},
	}, {
		name: "key from stdin", args: []string{"--access-key-id", "AKIAEXAMPLE", "--secret-access-key-file", "-"}, stdin: "  " + secret + "\r\n",
		want: url.Values{"AccessKeyId": {"AKIAEXAMPLE"}, "SecretAccessKey": {secret}},
	}, {
		name: "update: only what changed", args: []string{"--cache=false", "--rotate-every-days", "0"},
		want: url.Values{"CacheCredentials": {"false"}, "RotateEveryDays": {"0"}},
	}, {
		name: "add without a mode", create: true, args: []string{"--region", "eu-west-1"}, wantErr: "give --mode",
	}, {
		name: "bad mode", create: true, args: []string{"--mode", "password"}, wantErr: `--mode "password"`,
	}, {
		name: "key id without secret", args: []string{"--access-key-id", "AKIAEXAMPLE"}, wantErr: "together",
	}, {
		name: "empty stdin", args: []string{"--access-key-id", "AKIAEXAMPLE", "--secret-access-key-file", "-"}, wantErr: "no secret access key",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u upstreamFlags
			cmd := &cobra.Command{Use: "x"}
			u.add(cmd)
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := u.params(cmd, tt.create, strings.NewReader(tt.stdin))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := readSecret(filepath.Join(dir, "missing"), nil); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("missing file: %v", err)
	}
	if f := newUpstreamEditCmd(true).Flags().Lookup("secret-access-key"); f != nil {
		t.Error("a --secret-access-key flag exists: the secret would be in the shell's history and the process list")
	}
}

// TestBrokeredRoleParams: role add needs a trust policy; file:// reads a
// file; update sends what changed (an empty --session-policy removes
// the ceiling).
func TestBrokeredRoleParams(t *testing.T) {
	trustFile := filepath.Join(t.TempDir(), "trust.json")
	const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`
	if err := os.WriteFile(trustFile, []byte(trust), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		create  bool
		args    []string
		want    url.Values
		wantErr string
	}{
		{"add", true, []string{"--trust-policy", "file://" + trustFile, "--max-session-duration", "7200", "--external-id", "x-123"},
			url.Values{"AssumeRolePolicyDocument": {trust}, "MaxSessionDuration": {"7200"}, "ExternalId": {"x-123"}}, ""},
		{"add inline with a ceiling", true, []string{"--trust-policy", trust, "--session-policy", `{"Version":"2012-10-17"}`},
			url.Values{"AssumeRolePolicyDocument": {trust}, "SessionPolicy": {`{"Version":"2012-10-17"}`}}, ""},
		{"update removes the ceiling", false, []string{"--session-policy", ""}, url.Values{"SessionPolicy": {""}}, ""},
		{"add without trust policy", true, nil, nil, "give --trust-policy"},
		{"missing file", true, []string{"--trust-policy", "file:///nonexistent/trust.json"}, nil, "--trust-policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := newBrokeredRoleEditCmd(tt.create)
			var r roleFlags
			c := &cobra.Command{Use: "x"}
			f := c.Flags()
			f.StringVar(&r.trust, "trust-policy", "", "")
			f.IntVar(&r.maxSession, "max-session-duration", 0, "")
			f.StringVar(&r.sessionPolicy, "session-policy", "", "")
			f.StringVar(&r.externalID, "external-id", "", "")
			f.StringVar(&r.description, "description", "", "")
			for _, name := range []string{"trust-policy", "max-session-duration", "session-policy", "external-id", "description"} {
				if cmd.Flags().Lookup(name) == nil {
					t.Fatalf("role command lacks --%s", name)
				}
			}
			if err := c.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := r.params(c, tt.create)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}
