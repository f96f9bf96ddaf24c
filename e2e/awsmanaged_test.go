package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/vectortest"
)

// TestImportAWSManagedPolicies loads AWS's managed policies with `brevet
// import --aws-managed-policies` between two runs of a server, then uses
// them through the AWS CLI: list-policies --scope AWS, get-policy,
// attach-role-policy by ARN, and decisions on a session of that role and
// in a simulation.
func TestImportAWSManagedPolicies(t *testing.T) {
	need(t, "the AWS CLI (aws)", have("aws"))
	file, defaults := vectortest.MotoAWSManagedPolicies(t)
	dir := t.TempDir()
	first := startBrevetIn(t, dir)
	for _, p := range first.shutdown() {
		t.Fatal(p)
	}
	path := filepath.Join(dir, "aws-managed-policies.json")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	imp := exec.Command(brevetBin, "import", "--aws-managed-policies", path, "--data-dir", first.DataDir)
	imp.Env = cleanEnv()
	if out, err := imp.CombinedOutput(); err != nil || !strings.Contains(string(out), "AWS managed policies into") {
		t.Fatalf("brevet import --aws-managed-policies: %v\n%s", err, out)
	}
	b := startBrevetIn(t, dir)
	c := newClient(t, b)

	var list struct {
		Policies []struct{ PolicyName, Arn, DefaultVersionId string }
	}
	c.json(&list, "iam", "list-policies", "--scope", "AWS", "--page-size", "300")
	if len(list.Policies) != len(defaults) {
		t.Errorf("list-policies --scope AWS: %d policies, want %d", len(list.Policies), len(defaults))
	}
	names := make([]string, 0, len(list.Policies))
	for _, p := range list.Policies {
		names = append(names, p.PolicyName)
		if want, ok := defaults[p.PolicyName]; !ok || p.DefaultVersionId != want {
			t.Errorf("%s: DefaultVersionId %s, want %s", p.Arn, p.DefaultVersionId, want)
		}
	}
	if !sort.SliceIsSorted(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) }) {
		t.Error("list-policies --scope AWS is not in name order")
	}
	var local struct{ Policies []struct{ Arn string } }
	c.json(&local, "iam", "list-policies", "--scope", "Local")
	if len(local.Policies) != 0 {
		t.Errorf("list-policies --scope Local: %d policies, want none", len(local.Policies))
	}

	const ec2ReadOnly = "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"
	const iamReadOnly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	var got struct {
		Policy struct {
			DefaultVersionId string
			AttachmentCount  int
		}
	}
	c.json(&got, "iam", "get-policy", "--policy-arn", ec2ReadOnly)
	if got.Policy.DefaultVersionId != defaults["AmazonEC2ReadOnlyAccess"] || got.Policy.AttachmentCount != 0 {
		t.Errorf("get-policy %s: %+v", ec2ReadOnly, got.Policy)
	}

	roleARN := "arn:aws:iam::" + b.Account + ":role/imported-readers"
	c.aws("iam", "create-role", "--role-name", "imported-readers", "--assume-role-policy-document", trustPolicy(`{"AWS":"arn:aws:iam::`+b.Account+`:root"}`, ""))
	for _, arn := range []string{ec2ReadOnly, iamReadOnly} {
		c.aws("iam", "attach-role-policy", "--role-name", "imported-readers", "--policy-arn", arn)
	}
	c.json(&got, "iam", "get-policy", "--policy-arn", ec2ReadOnly)
	if got.Policy.AttachmentCount != 1 {
		t.Errorf("AttachmentCount after attach-role-policy: %d, want 1", got.Policy.AttachmentCount)
	}
	var attached struct{ Policies []struct{ Arn string } }
	c.json(&attached, "iam", "list-policies", "--scope", "AWS", "--only-attached")
	var attachedARNs []string
	for _, p := range attached.Policies {
		attachedARNs = append(attachedARNs, p.Arn)
	}
	// The first start attached AdministratorAccess to the admin user.
	if want := []string{"arn:aws:iam::aws:policy/AdministratorAccess", ec2ReadOnly, iamReadOnly}; strings.Join(attachedARNs, " ") != strings.Join(want, " ") {
		t.Errorf("list-policies --scope AWS --only-attached: %v, want %v", attachedARNs, want)
	}

	// A decision on a real request: the session holds AWS's
	// IAMReadOnlyAccess, so it may list roles and may not create a user.
	s := c.as(c.assumeRole("--role-arn", roleARN, "--role-session-name", "reader"))
	s.aws("iam", "list-roles")
	if msg := s.awsErr("iam", "create-user", "--user-name", "nope"); !strings.Contains(msg, "(AccessDenied)") ||
		!strings.Contains(msg, "is not authorized to perform: iam:CreateUser") {
		t.Errorf("create-user as the role: %s", msg)
	}
	// And a simulation of AWS's AmazonEC2ReadOnlyAccess.
	var sim struct {
		EvaluationResults []struct{ EvalActionName, EvalDecision string }
	}
	c.json(&sim, "iam", "simulate-principal-policy", "--policy-source-arn", roleARN, "--action-names", "ec2:DescribeInstances", "ec2:RunInstances")
	decisions := map[string]string{}
	for _, r := range sim.EvaluationResults {
		decisions[r.EvalActionName] = r.EvalDecision
	}
	if decisions["ec2:DescribeInstances"] != "allowed" || decisions["ec2:RunInstances"] != "implicitDeny" {
		t.Errorf("simulate-principal-policy: %v, want DescribeInstances allowed and RunInstances implicitDeny", decisions)
	}

	// AWS publishes a newer IAMReadOnlyAccess: importing it adds the
	// version, makes it the default, and the role it stays attached to is
	// governed by it.
	for _, p := range b.shutdown() {
		t.Fatal(p)
	}
	old := defaults["IAMReadOnlyAccess"]
	n, err := strconv.Atoi(strings.TrimPrefix(old, "v"))
	if err != nil {
		t.Fatal(err)
	}
	newer := "v" + strconv.Itoa(n+1)
	update := `{"Policies":[{"PolicyName":"IAMReadOnlyAccess","Arn":"` + iamReadOnly + `","Path":"/","DefaultVersionId":"` + newer + `",` +
		`"PolicyVersionList":[{"VersionId":"` + newer + `","IsDefaultVersion":true,"Document":` +
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}}]}]}`
	imp = exec.Command(brevetBin, "import", "--aws-managed-policies", "-", "--data-dir", first.DataDir)
	imp.Env, imp.Stdin = cleanEnv(), strings.NewReader(update)
	if out, err := imp.CombinedOutput(); err != nil || !strings.Contains(string(out), "0 added, 1 updated, 0 unchanged") {
		t.Fatalf("importing a newer version: %v\n%s", err, out)
	}
	b = startBrevetIn(t, dir)
	c = newClient(t, b)
	var versions struct {
		Versions []struct {
			VersionId        string
			IsDefaultVersion bool
		}
	}
	c.json(&versions, "iam", "list-policy-versions", "--policy-arn", iamReadOnly)
	if len(versions.Versions) != 2 || versions.Versions[0].VersionId != newer || !versions.Versions[0].IsDefaultVersion || versions.Versions[1].VersionId != old {
		t.Errorf("list-policy-versions after the update: %+v, want %s (default) then %s", versions.Versions, newer, old)
	}
	s = c.as(c.assumeRole("--role-arn", roleARN, "--role-session-name", "reader2"))
	s.aws("iam", "get-role", "--role-name", "imported-readers")
	if msg := s.awsErr("iam", "list-roles"); !strings.Contains(msg, "is not authorized to perform: iam:ListRoles") {
		t.Errorf("list-roles under the newer default: %s", msg)
	}
}
