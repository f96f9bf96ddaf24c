package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// exportJSON is what `aws iam get-account-authorization-details` prints
// for a small account: documents as JSON objects, as the CLI decodes them.
const exportJSON = `{
  "UserDetailList": [{"Path": "/", "UserName": "ana", "UserId": "AIDAEXAMPLE", "Arn": "arn:aws:iam::999999999999:user/ana",
    "CreateDate": "2024-01-02T03:04:05+00:00", "GroupList": ["devs"],
    "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}}],
    "AttachedManagedPolicies": [{"PolicyName": "team", "PolicyArn": "arn:aws:iam::999999999999:policy/team"}],
    "Tags": [{"Key": "k", "Value": "v"}]}],
  "GroupDetailList": [{"Path": "/", "GroupName": "devs", "GroupId": "AGPAEXAMPLE", "Arn": "arn:aws:iam::999999999999:group/devs",
    "CreateDate": "2024-01-02T03:04:05+00:00", "GroupPolicyList": [],
    "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}],
  "RoleDetailList": [{"Path": "/", "RoleName": "app", "RoleId": "AROAEXAMPLE", "Arn": "arn:aws:iam::999999999999:role/app",
    "CreateDate": "2024-01-02T03:04:05+00:00",
    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    "InstanceProfileList": [{"Path": "/", "InstanceProfileName": "app", "InstanceProfileId": "AIPAEXAMPLE",
      "Arn": "arn:aws:iam::999999999999:instance-profile/app", "CreateDate": "2024-01-02T03:04:05+00:00",
      "Roles": [{"Path": "/", "RoleName": "app", "RoleId": "AROAEXAMPLE", "Arn": "arn:aws:iam::999999999999:role/app",
        "CreateDate": "2024-01-02T03:04:05+00:00",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}]}],
    "RolePolicyList": [], "AttachedManagedPolicies": [], "Tags": []}],
  "Policies": [{"PolicyName": "team", "PolicyId": "ANPAEXAMPLE", "Arn": "arn:aws:iam::999999999999:policy/team", "Path": "/",
    "DefaultVersionId": "v3", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
    "CreateDate": "2024-01-02T03:04:05+00:00", "UpdateDate": "2024-02-02T03:04:05+00:00",
    "PolicyVersionList": [
      {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}, "VersionId": "v3", "IsDefaultVersion": true, "CreateDate": "2024-02-02T03:04:05+00:00"},
      {"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": "2024-01-02T03:04:05+00:00"}]}]
}`

func TestImportCmd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "details.json")
	if err := os.WriteFile(file, []byte(exportJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BREVET_MASTER_KEY", "")
	var stderr bytes.Buffer
	run := func(args ...string) (string, error) {
		root := newRootCmd()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&stderr)
		root.SetArgs(append([]string{"import"}, args...))
		err := root.Execute()
		return out.String(), err
	}
	if _, err := run(file, "--data-dir", data); err == nil || !strings.Contains(err.Error(), "--account-id") {
		t.Fatalf("import into an empty data directory without --account-id: %v, want a request for --account-id", err)
	}
	out, err := run(file, "--data-dir", data, "--account-id", "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if want := "1 users, 1 groups, 1 roles, 1 instance profiles, 1 customer managed policies, 0 AWS managed policies"; !strings.Contains(out, want) {
		t.Errorf("output %q, want it to contain %q", out, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("unexpected warning: %s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(data, "master.key")); err != nil {
		t.Errorf("no master key in the data directory: %v", err)
	}
	if _, err := run(file, "--data-dir", data, "--account-id", "210987654321"); err == nil {
		t.Error("import into another account of the same data directory succeeded")
	}
	if _, err := run(file, "--data-dir", data); err != nil {
		t.Fatalf("second import: %v", err)
	}

	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(data, "brevet.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	arn := "arn:aws:iam::123456789012:policy/team"
	pol, err := st.Policies().Get(t.Context(), arn)
	if err != nil {
		t.Fatal(err)
	}
	if pol.DefaultVersion != "v3" || pol.AttachmentCount != 1 {
		t.Errorf("policy default %s attachments %d, want v3 and 1", pol.DefaultVersion, pol.AttachmentCount)
	}
	vs, err := st.Policies().ListVersions(t.Context(), arn)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.VersionID)
	}
	if got := strings.Join(ids, ","); got != "v3,v1" {
		t.Errorf("versions %s, want v3,v1", got)
	}
	groups, err := st.Groups().ListForUser(t.Context(), "123456789012", "ana")
	if err != nil || len(groups) != 1 {
		t.Errorf("ana's groups = %v, %v", groups, err)
	}
	if _, err := st.Roles().Get(t.Context(), "123456789012", "app"); err != nil {
		t.Error(err)
	}
	if ip, err := st.InstanceProfiles().Get(t.Context(), "123456789012", "app"); err != nil || len(ip.Roles) != 1 || ip.Roles[0] != "app" {
		t.Errorf("instance profile app = %+v, %v, want it to hold role app", ip, err)
	}
	if u, err := st.Users().Get(t.Context(), "123456789012", "ana"); err != nil || len(u.Tags) != 1 || u.Created.Year() != 2024 {
		t.Errorf("ana = %+v, %v", u, err)
	}
}

// TestImportWarnsAboutAdmin: importing a user named admin into an empty data
// directory would leave brevet serve's first start without a key to hand
// out, so the command says so.
func TestImportWarnsAboutAdmin(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "details.json")
	doc := strings.Replace(exportJSON, `"UserName": "ana"`, `"UserName": "admin"`, 1)
	doc = strings.Replace(doc, `"ana"`, `"admin"`, -1)
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BREVET_MASTER_KEY", "")
	root := newRootCmd()
	var out, stderr bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&stderr)
	root.SetArgs([]string{"import", file, "--data-dir", filepath.Join(dir, "data"), "--account-id", "123456789012"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "start brevet serve once before importing") {
		t.Errorf("stderr %q, want the warning about the admin user", stderr.String())
	}
}
