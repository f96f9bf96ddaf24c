package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolateAWS points the AWS SDK's configuration at empty files in a fresh
// home, so that nothing on the machine running the tests is read.
func isolateAWS(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	return home
}

// adminKeys returns the access key id and secret in the admin
// credentials file.
func adminKeys(t *testing.T, dataDir string) (id, secret string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dataDir, "admin-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, "=")
		switch k = strings.TrimSpace(k); {
		case !ok:
		case k == "aws_access_key_id":
			id = strings.TrimSpace(v)
		case k == "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	return id, secret
}

// TestSessionsCredentialChain: brevet sessions signs with whatever the
// AWS SDKs' chain finds: a file given with --credentials (even with other
// keys in the environment), the environment's keys, and profiles of the
// config file, credential_process included.
func TestSessionsCredentialChain(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url, _, _ := serveInProcess(t, data)
	id, secret := adminKeys(t, data)
	creds := filepath.Join(data, "admin-credentials")
	process := fmt.Sprintf(`printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}'`, id, secret)
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"--credentials beats environment keys", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAWRONGWRONGWRONG0", "AWS_SECRET_ACCESS_KEY": "wrong"},
			[]string{"--credentials", creds}},
		{"environment keys", map[string]string{"AWS_ACCESS_KEY_ID": id, "AWS_SECRET_ACCESS_KEY": secret}, nil},
		{"AWS_SHARED_CREDENTIALS_FILE and AWS_ENDPOINT_URL_STS", map[string]string{"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_ENDPOINT_URL_STS": url}, []string{"--endpoint", ""}},
		{"credential_process profile", map[string]string{"config": "[profile ops]\ncredential_process = sh -c \"" + strings.ReplaceAll(process, `"`, `\"`) + "\"\n"},
			[]string{"--profile", "ops"}},
		{"AWS_PROFILE with endpoint_url", map[string]string{"AWS_PROFILE": "ops", "config": "[profile ops]\nendpoint_url = " + url + "\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"},
			[]string{"--endpoint", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolateAWS(t)
			for k, v := range tt.env {
				if k == "config" {
					if err := os.WriteFile(filepath.Join(home, "config"), []byte(v), 0o600); err != nil {
						t.Fatal(err)
					}
					continue
				}
				t.Setenv(k, v)
			}
			args := append([]string{"sessions", "list", "--endpoint", url}, tt.args...)
			out, err := runCLI(t, args...)
			if err != nil {
				t.Fatalf("brevet %v: %v\n%s", args, err, out)
			}
			if !strings.HasPrefix(out, "ACCESS KEY ID") {
				t.Errorf("output:\n%s", out)
			}
		})
	}
}

// TestSessionsErrorsNameNoInternals: what brevet sessions says when it
// cannot work tells the user what to do, in their terms, and never names
// one of Brevet's internal packages.
func TestSessionsErrorsNameNoInternals(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url, _, _ := serveInProcess(t, data)
	ents, err := os.ReadDir("../../internal")
	if err != nil {
		t.Fatal(err)
	}
	var pkgs []string
	for _, e := range ents {
		if e.IsDir() {
			pkgs = append(pkgs, e.Name())
		}
	}
	pkgs = append(pkgs, "brevetapi", "loadgen", "internal/")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no endpoint", nil, []string{"list"}, "no endpoint: give --endpoint"},
		{"no credentials", nil, []string{"list", "--endpoint", url}, "no credentials to sign with"},
		{"missing credentials file", nil, []string{"list", "--endpoint", url, "--credentials", "/nonexistent/credentials"}, "--credentials: stat /nonexistent/credentials: no such file"},
		{"unknown profile", nil, []string{"list", "--endpoint", url, "--profile", "nope"}, "nope"},
		{"wrong key", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAWRONGWRONGWRONG0", "AWS_SECRET_ACCESS_KEY": "wrong"},
			[]string{"list", "--endpoint", url}, "ListSessions: InvalidClientTokenId"},
		{"server down", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAWRONGWRONGWRONG0", "AWS_SECRET_ACCESS_KEY": "wrong"},
			[]string{"list", "--endpoint", "http://127.0.0.1:1"}, "ListSessions: "},
		{"bad endpoint", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAWRONGWRONGWRONG0", "AWS_SECRET_ACCESS_KEY": "wrong"},
			[]string{"list", "--endpoint", "::not a url"}, "endpoint"},
		{"bad time", nil, []string{"revoke", "--principal", "arn:aws:iam::111122223333:role/x", "--issued-before", "yesterday", "--endpoint", url}, "--issued-before"},
		{"neither target", nil, []string{"revoke", "--endpoint", url}, "give exactly one of --access-key-id and --principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out, err := runCLI(t, append([]string{"sessions"}, tt.args...)...)
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "IMDS") {
				t.Errorf("error %q talks of EC2 instance metadata, which brevet never asks", msg)
			}
			for _, p := range pkgs {
				if strings.Contains(msg, p+": ") || strings.Contains(msg, p+"/") && p == "internal/" || strings.Contains(msg, "brevet/internal") {
					t.Errorf("error %q names the internal package %s", msg, p)
				}
			}
		})
	}
}
