package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// Instance profiles through `aws iam ...` and boto3: create, add a role,
// list, get, tag, remove and delete, with AWS's errors for a second role,
// a profile that still holds its role and a role still in a profile.
func TestInstanceProfiles(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	acct := b.Account
	ec2Trust := trustPolicy(`{"Service":"ec2.amazonaws.com"}`, "")
	for _, r := range []string{"web-role", "batch-role"} {
		c.aws("iam", "create-role", "--role-name", r, "--assume-role-policy-document", ec2Trust)
	}

	var created struct {
		InstanceProfile struct {
			InstanceProfileName, InstanceProfileId, Arn, Path, CreateDate string
			Roles                                                         []struct{ RoleName string }
		}
	}
	c.json(&created, "iam", "create-instance-profile", "--instance-profile-name", "web", "--path", "/hosts/",
		"--tags", "Key=tier,Value=front")
	ip := created.InstanceProfile
	if want := "arn:aws:iam::" + acct + ":instance-profile/hosts/web"; ip.Arn != want || !strings.HasPrefix(ip.InstanceProfileId, "AIPA") ||
		len(ip.InstanceProfileId) != 21 || len(ip.Roles) != 0 || ip.CreateDate == "" {
		t.Errorf("create-instance-profile = %+v, want ARN %s, an AIPA id, no roles", ip, want)
	}
	c.aws("iam", "add-role-to-instance-profile", "--instance-profile-name", "web", "--role-name", "web-role")

	var got struct {
		InstanceProfile struct {
			Roles []struct{ RoleName, Arn string }
			Tags  []struct{ Key, Value string }
		}
	}
	c.json(&got, "iam", "get-instance-profile", "--instance-profile-name", "web")
	if r := got.InstanceProfile.Roles; len(r) != 1 || r[0].RoleName != "web-role" || r[0].Arn != "arn:aws:iam::"+acct+":role/web-role" {
		t.Errorf("get-instance-profile roles = %+v", r)
	}
	if tg := got.InstanceProfile.Tags; len(tg) != 1 || tg[0].Key != "tier" {
		t.Errorf("get-instance-profile tags = %+v", tg)
	}
	var list struct {
		InstanceProfiles []struct{ InstanceProfileName string }
	}
	c.json(&list, "iam", "list-instance-profiles")
	if len(list.InstanceProfiles) != 1 || list.InstanceProfiles[0].InstanceProfileName != "web" {
		t.Errorf("list-instance-profiles = %+v", list)
	}
	c.json(&list, "iam", "list-instance-profiles-for-role", "--role-name", "web-role")
	if len(list.InstanceProfiles) != 1 {
		t.Errorf("list-instance-profiles-for-role = %+v", list)
	}
	c.aws("iam", "tag-instance-profile", "--instance-profile-name", "web", "--tags", "Key=env,Value=prod")
	c.aws("iam", "untag-instance-profile", "--instance-profile-name", "web", "--tag-keys", "tier")
	var tags struct{ Tags []struct{ Key, Value string } }
	c.json(&tags, "iam", "list-instance-profile-tags", "--instance-profile-name", "web")
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "env" || tags.Tags[0].Value != "prod" {
		t.Errorf("list-instance-profile-tags = %+v", tags)
	}
	var details struct {
		RoleDetailList []struct {
			RoleName            string
			InstanceProfileList []struct{ InstanceProfileName string }
		}
	}
	c.json(&details, "iam", "get-account-authorization-details", "--filter", "Role")
	for _, r := range details.RoleDetailList {
		if r.RoleName == "web-role" && (len(r.InstanceProfileList) != 1 || r.InstanceProfileList[0].InstanceProfileName != "web") {
			t.Errorf("web-role InstanceProfileList = %+v", r.InstanceProfileList)
		}
	}

	refused := []struct {
		name string
		args []string
		want string
	}{
		{"a second role", []string{"iam", "add-role-to-instance-profile", "--instance-profile-name", "web", "--role-name", "batch-role"},
			"An error occurred (LimitExceeded) when calling the AddRoleToInstanceProfile operation: Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"delete a profile holding a role", []string{"iam", "delete-instance-profile", "--instance-profile-name", "web"},
			"An error occurred (DeleteConflict) when calling the DeleteInstanceProfile operation: Cannot delete entity, must remove roles from instance profile first."},
		{"delete a role in a profile", []string{"iam", "delete-role", "--role-name", "web-role"},
			"An error occurred (DeleteConflict) when calling the DeleteRole operation: Cannot delete entity, must remove roles from instance profile first."},
		{"a missing profile", []string{"iam", "get-instance-profile", "--instance-profile-name", "ghost"},
			"An error occurred (NoSuchEntity) when calling the GetInstanceProfile operation: Instance Profile ghost cannot be found."},
		{"a name taken", []string{"iam", "create-instance-profile", "--instance-profile-name", "WEB"},
			"An error occurred (EntityAlreadyExists) when calling the CreateInstanceProfile operation: Instance Profile WEB already exists."},
	}
	for _, tt := range refused {
		if msg := c.awsErr(tt.args...); !strings.Contains(msg, tt.want) {
			t.Errorf("%s: got %s\nwant %s", tt.name, msg, tt.want)
		}
	}

	c.aws("iam", "remove-role-from-instance-profile", "--instance-profile-name", "web", "--role-name", "web-role")
	c.aws("iam", "delete-role", "--role-name", "web-role")
	c.aws("iam", "delete-instance-profile", "--instance-profile-name", "web")
	c.json(&list, "iam", "list-instance-profiles")
	if len(list.InstanceProfiles) != 0 {
		t.Errorf("list-instance-profiles after delete = %+v", list)
	}

	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		wd, _ := filepath.Abs(".")
		out, err := c.with("E2E_ACCOUNT="+acct).exec("python3", filepath.Join(wd, "testdata", "instanceprofile_boto3.py"))
		if err != nil || strings.TrimSpace(out) != "ok" {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
	})
}
