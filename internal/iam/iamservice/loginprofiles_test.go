package iamservice_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/credential/password"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/ratelimit"
)

// TestLoginProfiles drives the login-profile and password-policy actions
// through the real SDK: shapes, AWS's error codes and messages, the
// password policy on every way a password is set, ChangePassword by the
// caller, DeleteUser refused while the user has a password, and
// VerifyPassword.
func TestLoginProfiles(t *testing.T) {
	e := newEnv(t)
	c, ctx := e.client, context.Background()
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("alice")}))(t)
	must(c.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("bob")}))(t)

	errCode := func(err error) string {
		t.Helper()
		if err == nil {
			return ""
		}
		code, msg := apiError(t, err)
		return code + ": " + msg
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"get policy, none set", func() error { _, err := c.GetAccountPasswordPolicy(ctx, nil); return err },
			"NoSuchEntity: The Password Policy with domain name 123456789012 cannot be found."},
		{"delete policy, none set", func() error { _, err := c.DeleteAccountPasswordPolicy(ctx, nil); return err },
			"NoSuchEntity: The account policy with name PasswordPolicy cannot be found."},
		{"default policy: too short", func() error {
			_, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Ab1!")})
			return err
		}, "PasswordPolicyViolation: Password should have a minimum length of 8"},
		{"default policy: two classes", func() error {
			_, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("abcdefgh12")})
			return err
		}, "PasswordPolicyViolation: Password should have at least three of the following: uppercase letters, lowercase letters, numbers and symbols"},
		{"no such user", func() error {
			_, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("Abcdefg1!")})
			return err
		}, "NoSuchEntity: The user with name nobody cannot be found."},
		{"create", func() error {
			out, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("ALICE"),
				Password: aws.String("Abcdefg1!"), PasswordResetRequired: true})
			if err == nil && (aws.ToString(out.LoginProfile.UserName) != "alice" || !out.LoginProfile.PasswordResetRequired ||
				!out.LoginProfile.CreateDate.Equal(testNow)) {
				t.Errorf("CreateLoginProfile = %+v", out.LoginProfile)
			}
			return err
		}, ""},
		{"create twice", func() error {
			_, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Abcdefg1!")})
			return err
		}, "EntityAlreadyExists: Login Profile for user alice already exists."},
		{"get none", func() error {
			_, err := c.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: aws.String("bob")})
			return err
		},
			"NoSuchEntity: Login Profile for User bob cannot be found."},
		{"delete user with a password", func() error {
			_, err := c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")})
			return err
		},
			"DeleteConflict: Cannot delete entity, must delete login profile first."},
		{"set a policy", func() error {
			_, err := c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(12),
				RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
				AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90), PasswordReusePrevention: aws.Int32(3), HardExpiry: aws.Bool(false)})
			return err
		}, ""},
		{"policy: minimum length", func() error {
			_, err := c.UpdateLoginProfile(ctx, &awsiam.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Abcdefg1!")})
			return err
		}, "PasswordPolicyViolation: Password should have a minimum length of 12"},
		{"policy: symbol", func() error {
			_, err := c.UpdateLoginProfile(ctx, &awsiam.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Abcdefghijk1")})
			return err
		}, "PasswordPolicyViolation: Password should have at least one symbol"},
		{"policy: uppercase", func() error {
			_, err := c.UpdateLoginProfile(ctx, &awsiam.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("abcdefghijk1!")})
			return err
		}, "PasswordPolicyViolation: Password should have at least one uppercase letter"},
		{"policy out of range", func() error {
			_, err := c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)})
			return err
		}, "ValidationError: 1 validation error detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6"},
		{"update", func() error {
			_, err := c.UpdateLoginProfile(ctx, &awsiam.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-1")})
			return err
		}, ""},
		{"change password: wrong old password", func() error {
			_, err := c.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String(adminName), Password: aws.String("Admin-Password-1")})
			if err != nil {
				return err
			}
			_, err = c.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("Admin-Password-2"), NewPassword: aws.String("Admin-Password-3")})
			return err
		}, "InvalidUserType: The old password is incorrect."},
		{"change password: policy", func() error {
			_, err := c.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("Admin-Password-1"), NewPassword: aws.String("short")})
			return err
		}, "PasswordPolicyViolation: Password should have a minimum length of 12"},
		{"change password", func() error {
			_, err := c.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String("Admin-Password-1"), NewPassword: aws.String("Admin-Password-3")})
			return err
		}, ""},
	}
	for _, tt := range tests {
		if got := errCode(tt.call()); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := e.authz.last(); got.Action != "iam:ChangePassword" || got.Resource != iam.UserARN(testAccount, "/", adminName) {
		t.Errorf("ChangePassword authorized as %s on %s, want iam:ChangePassword on the caller", got.Action, got.Resource)
	}

	pp := must(c.GetAccountPasswordPolicy(ctx, nil))(t).PasswordPolicy
	if aws.ToInt32(pp.MinimumPasswordLength) != 12 || !pp.RequireSymbols || !pp.ExpirePasswords || aws.ToInt32(pp.MaxPasswordAge) != 90 ||
		aws.ToInt32(pp.PasswordReusePrevention) != 3 || aws.ToBool(pp.HardExpiry) || !pp.AllowUsersToChangePassword {
		t.Errorf("GetAccountPasswordPolicy = %+v", pp)
	}
	lp := must(c.GetLoginProfile(ctx, &awsiam.GetLoginProfileInput{UserName: aws.String("alice")}))(t).LoginProfile
	if !lp.PasswordResetRequired || aws.ToString(lp.UserName) != "alice" {
		t.Errorf("GetLoginProfile after a password update keeps the reset flag: %+v", lp)
	}
	must(c.UpdateLoginProfile(ctx, &awsiam.UpdateLoginProfileInput{UserName: aws.String("alice"), PasswordResetRequired: aws.Bool(false)}))(t)

	// VerifyPassword: one error for a wrong password, no password, no user.
	day := 24 * time.Hour
	for _, tt := range []struct {
		name, user, pw string
		at             time.Duration
		want           iamservice.SignIn
		err            error
	}{
		{"right", "ALICE", "Correct-Horse-1", 0, iamservice.SignIn{UserName: "alice"}, nil},
		{"wrong", "alice", "Correct-Horse-2", 0, iamservice.SignIn{}, iamservice.ErrBadPassword},
		{"no profile", "bob", "Correct-Horse-1", 0, iamservice.SignIn{}, iamservice.ErrBadPassword},
		{"no user", "nobody", "Correct-Horse-1", 0, iamservice.SignIn{}, iamservice.ErrBadPassword},
		{"changed password", adminName, "Admin-Password-3", 0, iamservice.SignIn{UserName: adminName}, nil},
		{"old password", adminName, "Admin-Password-1", 0, iamservice.SignIn{}, iamservice.ErrBadPassword},
		{"expired", "alice", "Correct-Horse-1", 91 * day, iamservice.SignIn{UserName: "alice", ResetRequired: true, Expired: true}, nil},
	} {
		got, err := e.svc.VerifyPassword(ctx, testAccount, tt.user, tt.pw, testNow.Add(tt.at))
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("VerifyPassword %s: got %+v, %v; want %+v, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
	must(c.UpdateAccountPasswordPolicy(ctx, &awsiam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(90), HardExpiry: aws.Bool(true)}))(t)
	if got := must(c.GetAccountPasswordPolicy(ctx, nil))(t).PasswordPolicy.MinimumPasswordLength; aws.ToInt32(got) != 6 {
		t.Errorf("MinimumPasswordLength omitted by UpdateAccountPasswordPolicy = %d, want AWS's 6", aws.ToInt32(got))
	}
	if _, err := e.svc.VerifyPassword(ctx, testAccount, "alice", "Correct-Horse-1", testNow.Add(91*day)); !errors.Is(err, iamservice.ErrPasswordExpired) {
		t.Errorf("VerifyPassword past a hard expiry: got %v, want ErrPasswordExpired", err)
	}

	// ChangePassword by a role session: not an IAM user.
	role := &identity.Principal{Type: identity.AssumedRole, Account: testAccount, CallerARN: "arn:aws:sts::123456789012:assumed-role/r/s"}
	_, err := e.svc.ChangePassword(ctx, role, &iamapi.ChangePasswordRequest{OldPassword: "a", NewPassword: "b"}, testNow)
	if w := iamservice.WireError(err); w == nil || w.Code.Name != "InvalidUserType" {
		t.Errorf("ChangePassword by a role: got %v", err)
	}

	must(c.DeleteLoginProfile(ctx, &awsiam.DeleteLoginProfileInput{UserName: aws.String("alice")}))(t)
	must(c.DeleteUser(ctx, &awsiam.DeleteUserInput{UserName: aws.String("alice")}))(t)
	must(c.DeleteAccountPasswordPolicy(ctx, nil))(t)
	if _, err := c.GetAccountPasswordPolicy(ctx, nil); errCode(err) != "NoSuchEntity: The Password Policy with domain name 123456789012 cannot be found." {
		t.Errorf("GetAccountPasswordPolicy after delete: %v", err)
	}
}

// TestChangePasswordWrongOldPasswordIsAFailure: a wrong old password is a
// guess at the user's password; it must spend the source's failure budget
// as AccessDenied does, or ChangePassword is an online guessing oracle
// limited only by the per-caller request rate. Its audit record carries
// neither password nor hash.
func TestChangePasswordWrongOldPasswordIsAFailure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const pw, guess, next = "Admin-Password-1", "Guess-Password-9", "Admin-Password-3"
	must(e.client.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String(adminName), Password: aws.String(pw)}))(t)
	_, err := e.client.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String(guess), NewPassword: aws.String(next)})
	if code, _ := apiError(t, err); code != "InvalidUserType" {
		t.Fatalf("wrong old password: got %s, want InvalidUserType", code)
	}
	rec := e.audit.last("ChangePassword")
	if rec == nil {
		t.Fatal("no audit record for ChangePassword")
	}
	if !ratelimit.Failure(rec) {
		t.Error("a wrong old password does not count against the source's failure budget")
	}
	lp, err := e.st.LoginProfiles().Get(ctx, testAccount, adminName)
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"CreateLoginProfile", "ChangePassword"} {
		rec := e.audit.last(action)
		dump := fmt.Sprintf("%v %v %s %v", rec.RequestParameters, rec.ResponseElements, rec.ErrorMessage, rec.Err)
		for _, secret := range []string{pw, guess, next, lp.PasswordHash, "$argon2id$"} {
			if strings.Contains(dump, secret) {
				t.Errorf("%s's audit record carries %q: %s", action, secret, dump)
			}
		}
	}
	// A right old password is no failure.
	must(e.client.ChangePassword(ctx, &awsiam.ChangePasswordInput{OldPassword: aws.String(pw), NewPassword: aws.String(next)}))(t)
	if rec := e.audit.last("ChangePassword"); ratelimit.Failure(rec) {
		t.Error("a successful ChangePassword counts as a failure")
	}
}

// TestVerifyPasswordRefusesImpossiblePasswords: a password no profile can
// have (empty, over 128 characters, a character outside AWS's
// passwordType) is refused before the store is read or a KDF runs, so a
// megabyte "password" from the sign-in page costs nothing. The cancelled
// context proves it: any store read or hashing would fail with it.
func TestVerifyPasswordRefusesImpossiblePasswords(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, pw := range []string{"", strings.Repeat("a", 129), strings.Repeat("é", 129), "Correct\x00Horse-1", "Correct-Horse-€1",
		strings.Repeat("Ab1!", 1<<18)} {
		if _, err := e.svc.VerifyPassword(ctx, testAccount, adminName, pw, testNow); !errors.Is(err, iamservice.ErrBadPassword) {
			t.Errorf("VerifyPassword of a %d-byte impossible password: got %v, want ErrBadPassword", len(pw), err)
		}
	}
}

// TestVerifyPasswordRehashes: once the KDF parameters change, a password
// hashed under the old ones is re-hashed under the new at its next
// successful sign-in, so that VerifyPassword's cost (and the dummy hash's,
// for unknown users) converges on one set of parameters.
func TestVerifyPasswordRehashes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const pw = "Correct-Horse-1"
	must(e.client.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String(adminName), Password: aws.String(pw)}))(t)
	before := must(e.st.LoginProfiles().Get(ctx, testAccount, adminName))(t)

	stronger := must(password.NewHasher(password.Params{Memory: 2048, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, 1, rand.Reader))(t)
	svc := must(iamservice.New(iamservice.Config{Store: e.st, MasterKey: e.mk, Passwords: stronger}))(t)
	if _, err := svc.VerifyPassword(ctx, testAccount, adminName, "Wrong-Horse-1", testNow); !errors.Is(err, iamservice.ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if got := must(e.st.LoginProfiles().Get(ctx, testAccount, adminName))(t); got != before {
		t.Error("a wrong password changed the stored profile")
	}
	if _, err := svc.VerifyPassword(ctx, testAccount, adminName, pw, testNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	after := must(e.st.LoginProfiles().Get(ctx, testAccount, adminName))(t)
	if stronger.NeedsRehash(after.PasswordHash) {
		t.Errorf("stored hash not re-hashed under the new parameters: %.30s", after.PasswordHash)
	}
	if after.PasswordChanged != before.PasswordChanged || after.ResetRequired != before.ResetRequired {
		t.Errorf("re-hashing changed the profile: %+v, was %+v", after, before)
	}
	if _, err := svc.VerifyPassword(ctx, testAccount, adminName, pw, testNow); err != nil {
		t.Errorf("the re-hashed password does not verify: %v", err)
	}
}

// TestVerifyPasswordRecordsLastUsed: a successful password check is the
// user's PasswordLastUsed (GetUser shows it once FlushPasswordUses has
// run), queued at most once a minute per user; a wrong password is not.
func TestVerifyPasswordRecordsLastUsed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const pw = "Correct-Horse-1"
	must(e.client.CreateLoginProfile(ctx, &awsiam.CreateLoginProfileInput{UserName: aws.String(adminName), Password: aws.String(pw)}))(t)
	lastUsed := func() *time.Time {
		t.Helper()
		if err := e.svc.FlushPasswordUses(ctx); err != nil {
			t.Fatal(err)
		}
		return must(e.client.GetUser(ctx, &awsiam.GetUserInput{UserName: aws.String(adminName)}))(t).User.PasswordLastUsed
	}
	if _, err := e.svc.VerifyPassword(ctx, testAccount, adminName, "Wrong-Horse-1", testNow); !errors.Is(err, iamservice.ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if got := lastUsed(); got != nil {
		t.Fatalf("a wrong password set PasswordLastUsed to %v", got)
	}
	at := testNow.Add(90 * time.Second)
	for _, when := range []time.Time{at, at.Add(10 * time.Second)} { // the second, in the same minute, is not queued
		if _, err := e.svc.VerifyPassword(ctx, testAccount, adminName, pw, when); err != nil {
			t.Fatal(err)
		}
	}
	if got := lastUsed(); got == nil || !got.Equal(at.Truncate(time.Second)) {
		t.Fatalf("PasswordLastUsed = %v, want %v", got, at)
	}
	later := at.Add(2 * time.Minute)
	if _, err := e.svc.VerifyPassword(ctx, testAccount, adminName, pw, later); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); got == nil || !got.Equal(later.Truncate(time.Second)) {
		t.Errorf("PasswordLastUsed = %v, want %v", got, later)
	}
}
