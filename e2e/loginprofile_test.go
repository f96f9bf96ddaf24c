package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
)

// Login profiles and the account password policy through `aws iam ...`
// and boto3: create, get, update, change-password as the user with its own
// keys, the policy's update, get and delete, AWS's errors for policy
// violations, a wrong old password and a user that still has a password;
// and no password reaches the audit trail.
func TestLoginProfiles(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	b := startBrevet(t)
	c := newClient(t, b)
	acct := b.Account
	const first, second, third = "First-Password-1", "Second-Password-2", "Third-Password-3"
	passwords := []string{first, second, third, "short", "Weak-password"}

	c.newUserProfile("walker")
	self := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword","iam:GetLoginProfile"],` +
		`"Resource":"arn:aws:iam::` + acct + `:user/walker"}]}`
	c.aws("iam", "put-user-policy", "--user-name", "walker", "--policy-name", "self", "--policy-document", self)

	var created struct {
		LoginProfile struct {
			UserName, CreateDate  string
			PasswordResetRequired bool
		}
	}
	c.json(&created, "iam", "create-login-profile", "--user-name", "walker", "--password", first, "--password-reset-required")
	if lp := created.LoginProfile; lp.UserName != "walker" || !lp.PasswordResetRequired || lp.CreateDate == "" {
		t.Errorf("create-login-profile = %+v", lp)
	}
	var got struct {
		LoginProfile struct {
			UserName              string
			PasswordResetRequired bool
		}
	}
	c.json(&got, "iam", "get-login-profile", "--user-name", "walker")
	if !got.LoginProfile.PasswordResetRequired {
		t.Errorf("get-login-profile = %+v, want a reset required", got.LoginProfile)
	}
	c.aws("iam", "update-login-profile", "--user-name", "walker", "--password", second)

	// The user changes its own password with its own keys, which clears
	// the pending reset.
	walker := c.with("AWS_PROFILE=walker")
	walker.aws("iam", "change-password", "--old-password", second, "--new-password", third)
	walker.json(&got, "iam", "get-login-profile", "--user-name", "walker")
	if got.LoginProfile.PasswordResetRequired {
		t.Errorf("get-login-profile after change-password = %+v, want no reset required", got.LoginProfile)
	}

	c.aws("iam", "update-account-password-policy", "--minimum-password-length", "14", "--require-symbols",
		"--require-numbers", "--require-uppercase-characters", "--max-password-age", "90", "--allow-users-to-change-password")
	var policy struct {
		PasswordPolicy struct {
			MinimumPasswordLength, MaxPasswordAge                       int
			RequireSymbols, RequireLowercaseCharacters, ExpirePasswords bool
		}
	}
	c.json(&policy, "iam", "get-account-password-policy")
	if p := policy.PasswordPolicy; p.MinimumPasswordLength != 14 || !p.RequireSymbols || p.RequireLowercaseCharacters ||
		p.MaxPasswordAge != 90 || !p.ExpirePasswords {
		t.Errorf("get-account-password-policy = %+v", p)
	}

	refused := []struct {
		name string
		c    *client
		args []string
		want string
	}{
		{"too short", c, []string{"iam", "update-login-profile", "--user-name", "walker", "--password", "short"},
			"An error occurred (PasswordPolicyViolation) when calling the UpdateLoginProfile operation: Password should have a minimum length of 14"},
		{"no symbol", walker, []string{"iam", "change-password", "--old-password", third, "--new-password", "Weakpassword123"},
			"An error occurred (PasswordPolicyViolation) when calling the ChangePassword operation: Password should have at least one symbol"},
		{"wrong old password", walker, []string{"iam", "change-password", "--old-password", first, "--new-password", "Weak-password-123"},
			"An error occurred (InvalidUserType) when calling the ChangePassword operation: The old password is incorrect."},
		{"another user's password", walker, []string{"iam", "create-login-profile", "--user-name", "walker", "--password", "Weak-password-123"},
			"An error occurred (AccessDenied) when calling the CreateLoginProfile operation"},
		{"a second profile", c, []string{"iam", "create-login-profile", "--user-name", "walker", "--password", "Weak-password-123"},
			"An error occurred (EntityAlreadyExists) when calling the CreateLoginProfile operation: Login Profile for user walker already exists."},
		{"delete a user with a password", c, []string{"iam", "delete-user", "--user-name", "walker"},
			"An error occurred (DeleteConflict) when calling the DeleteUser operation: Cannot delete entity, must delete login profile first."},
	}
	for _, tt := range refused {
		if msg := tt.c.awsErr(tt.args...); !strings.Contains(msg, tt.want) {
			t.Errorf("%s: got %s\nwant %s", tt.name, msg, tt.want)
		}
	}
	passwords = append(passwords, "Weakpassword123", "Weak-password-123")

	c.aws("iam", "delete-account-password-policy")
	if msg := c.awsErr("iam", "get-account-password-policy"); !strings.Contains(msg,
		"An error occurred (NoSuchEntity) when calling the GetAccountPasswordPolicy operation: The Password Policy with domain name "+acct+" cannot be found.") {
		t.Errorf("get-account-password-policy after delete: %s", msg)
	}
	c.aws("iam", "delete-login-profile", "--user-name", "walker")
	if msg := c.awsErr("iam", "get-login-profile", "--user-name", "walker"); !strings.Contains(msg,
		"An error occurred (NoSuchEntity) when calling the GetLoginProfile operation: Login Profile for User walker cannot be found.") {
		t.Errorf("get-login-profile after delete: %s", msg)
	}

	t.Run("boto3", func(t *testing.T) {
		need(t, "python3 with boto3", haveBoto3())
		wd, _ := filepath.Abs(".")
		out, err := c.with("E2E_ACCOUNT="+acct).exec("python3", filepath.Join(wd, "testdata", "loginprofile_boto3.py"))
		if err != nil || strings.TrimSpace(out) != "ok" {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
	})
	passwords = append(passwords, "Boto3-Password-1", "Boto3-Password-2", "Boto3-Password-3")

	b.stop(t)
	if err := audit.ScanForSecrets(filepath.Join(b.DataDir, "audit"), passwords); err != nil {
		t.Errorf("audit trail: %v", err)
	}
	for _, p := range passwords {
		if strings.Contains(b.logs.String(), p) {
			t.Errorf("the server log holds a password (%.4s…)", p)
		}
	}
}
