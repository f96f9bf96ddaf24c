package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestSSOCLI drives brevet sso against a server: assign a user and a
// provider-less group, list them, unassign, and the refusals the server
// and the command report.
func TestSSOCLI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	url, _, _ := serveInProcess(t, data)
	isolateAWS(t)
	client := iam.NewFromConfig(adminConfig(t, url, data))
	ctx := t.Context()
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Dev"), Path: aws.String("/people/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sso.amazonaws.com"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	auth := []string{"--endpoint", url, "--credentials", filepath.Join(data, "admin-credentials")}
	run := func(args ...string) (string, error) {
		t.Helper()
		return runCLI(t, append(append([]string{"sso"}, args...), auth...)...)
	}
	out, err := run("assign", "--role", "Dev", "--user", "admin")
	if err != nil || !strings.Contains(out, "assigned arn:aws:iam::111122223333:role/people/Dev to user admin AIDA") {
		t.Fatalf("assign --user: %v\n%s", err, out)
	}
	if out, err := run("assign", "--role", "dev", "--group", "devs"); err != nil {
		t.Fatalf("assign --group: %v\n%s", err, out)
	}
	out, err = run("list")
	if err != nil || !strings.HasPrefix(out, "ROLE") || !strings.Contains(out, "group devs") || !strings.Contains(out, "user admin") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = run("list", "--group", "devs")
	if err != nil || strings.Contains(out, "user admin") || !strings.Contains(out, "group devs") {
		t.Fatalf("list --group devs: %v\n%s", err, out)
	}
	if out, err := run("unassign", "--role", "Dev", "--group", "devs"); err != nil || !strings.Contains(out, "unassigned arn:aws:iam::111122223333:role/people/Dev from group devs AGPA") {
		t.Fatalf("unassign: %v\n%s", err, out)
	}
	if out, err := run("list", "--role", "Dev"); err != nil || strings.Contains(out, "group devs") {
		t.Fatalf("list after unassign: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"twice", []string{"assign", "--role", "Dev", "--user", "admin"}, "CreateAccountAssignment: EntityAlreadyExists"},
		{"no such role", []string{"assign", "--role", "Nope", "--user", "admin"}, "CreateAccountAssignment: NoSuchEntity"},
		{"no such user", []string{"assign", "--role", "Dev", "--user", "zed"}, "CreateAccountAssignment: NoSuchEntity"},
		{"unconfigured provider", []string{"assign", "--role", "Dev", "--user", "ann", "--idp", "okta"}, "CreateAccountAssignment: ValidationError"},
		{"not assigned", []string{"unassign", "--role", "Dev", "--group", "devs"}, "DeleteAccountAssignment: NoSuchEntity"},
		{"no role", []string{"assign", "--user", "admin"}, "give --role"},
		{"no principal", []string{"assign", "--role", "Dev"}, "give --user or --group"},
		{"both", []string{"assign", "--role", "Dev", "--user", "a", "--group", "b"}, "give one of --user and --group"},
		{"id of a provider", []string{"unassign", "--role", "Dev", "--user-id", "AIDAXXXXXXXXXXXXXXXX", "--idp", "okta"}, "--user-id and --group-id name IAM"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(tt.args...)
			if err == nil || !strings.Contains(err.Error()+out, tt.want) {
				t.Errorf("got %v\n%s\nwant an error with %q", err, out, tt.want)
			}
		})
	}
}

func TestSSOHelp(t *testing.T) {
	got := helpOf(t, "sso", "unassign")
	for _, w := range []string{"--role string", "--user string", "--group string", "--idp string", "--user-id string", "--endpoint string"} {
		if !strings.Contains(got, w) {
			t.Errorf("help lacks %q:\n%s", w, got)
		}
	}
	if got := helpOf(t, "sso"); !strings.Contains(got, "sso.amazonaws.com") {
		t.Errorf("sso help does not say what the trust policy needs:\n%s", got)
	}
}
