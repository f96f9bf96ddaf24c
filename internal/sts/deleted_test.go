package sts_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
)

// The permissions every principal of these tests has: an IAM read and
// assuming roles.
var readAndAssume = authztest.Allow("*", "iam:ListRoles", "sts:AssumeRole")

// deleteUser deletes a user made by env.user, with its key, MFA device and
// inline policies, as DeleteUser after its dependents would.
func (e *env) deleteUser(account, name string, key aws.Credentials, mfaSerial string) {
	e.t.Helper()
	c := context.Background()
	must(e.t, e.st.AccessKeys().Delete(c, key.AccessKeyID))
	if mfaSerial != "" {
		must(e.t, e.st.MFADevices().Unassign(c, mfaSerial))
		must(e.t, e.st.MFADevices().Delete(c, mfaSerial))
	}
	must(e.t, e.st.InlinePolicies().Delete(c, authztest.UserOwner(account, name), "p0"))
	must(e.t, e.st.Users().Delete(c, account, name))
	e.sync()
}

// deleteRole deletes a role made by env.role with one inline policy.
func (e *env) deleteRole(account, name string) {
	e.t.Helper()
	c := context.Background()
	must(e.t, e.st.InlinePolicies().Delete(c, authztest.RoleOwner(account, name), "p0"))
	must(e.t, e.st.Roles().Delete(c, account, name))
	e.sync()
}

// assume assumes roleARN with c.
func (e *env) assume(c aws.Credentials, roleARN, session string) aws.Credentials {
	e.t.Helper()
	out, err := e.sts(c).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)})
	must(e.t, err)
	return temp(e.t, out.Credentials)
}

// A request made with a session fails once the user or role behind it, or
// behind any session in its lineage, is deleted: for GetCallerIdentity
// (which needs no authorization), an IAM read, and AssumeRole of a role
// whose trust policy names the session's principal (which needs no
// identity policy). Sessions of principals that still exist keep working.
func TestDeletedPrincipalSessionsRefused(t *testing.T) {
	type setup struct {
		session aws.Credentials // the session under test
		trusted string          // the principal ARN the target role trusts
		remove  func()          // deletes what the session depends on
	}
	cases := []struct {
		name  string
		setup func(e *env) setup
		want  string // error code after remove; "" for success
	}{{
		name: "user session, user deleted",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			serial, seed := e.mfa(acct, "alice")
			out, err := e.sts(alice).GetSessionToken(ctx, &awssts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(totp.Code(seed, time.Now()))})
			must(e.t, err)
			return setup{temp(e.t, out.Credentials), iam.UserARN(acct, "/", "alice"), func() { e.deleteUser(acct, "alice", alice, serial) }}
		},
		want: "InvalidClientTokenId",
	}, {
		name: "role session, role deleted",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			app := e.role(acct, "app", authztest.Trust(acct), 0, readAndAssume)
			return setup{e.assume(alice, app, "s1"), app, func() { e.deleteRole(acct, "app") }}
		},
		want: "InvalidClientTokenId",
	}, {
		name: "role session, role deleted and made again under its name",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			app := e.role(acct, "app", authztest.Trust(acct), 0, readAndAssume)
			return setup{e.assume(alice, app, "s1"), app, func() {
				e.deleteRole(acct, "app")
				e.role(acct, "app", authztest.Trust(acct), 0, readAndAssume)
			}}
		},
		want: "InvalidClientTokenId",
	}, {
		name: "chain, middle role deleted",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			first := e.role(acct, "first", authztest.Trust(acct), 0, readAndAssume)
			second := e.role(acct, "second", authztest.Trust(acct), 0, readAndAssume)
			deepest := e.assume(e.assume(alice, first, "one"), second, "two")
			return setup{deepest, second, func() { e.deleteRole(acct, "first") }}
		},
		want: "InvalidClientTokenId",
	}, {
		name: "role session from a user session, user deleted",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			first := e.role(acct, "first", authztest.Trust(acct), 0, readAndAssume)
			out, err := e.sts(alice).GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
			must(e.t, err)
			s := e.assume(temp(e.t, out.Credentials), first, "one")
			return setup{s, first, func() { e.deleteUser(acct, "alice", alice, "") }}
		},
		want: "InvalidClientTokenId",
	}, {
		// A role session made with a user's long-term key is the role's:
		// the key is no session, so not in its lineage, and the session
		// outlives the user (as on AWS).
		name: "role session from a user's key, user deleted",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			first := e.role(acct, "first", authztest.Trust(acct), 0, readAndAssume)
			s := e.assume(alice, first, "one")
			return setup{s, first, func() { e.deleteUser(acct, "alice", alice, "") }}
		},
	}, {
		name: "unrelated user and role deleted",
		setup: func(e *env) setup {
			alice := e.user(acct, "alice", readAndAssume)
			bob := e.user(acct, "bob", readAndAssume)
			app := e.role(acct, "app", authztest.Trust(acct), 0, readAndAssume)
			e.role(acct, "other", authztest.Trust(acct), 0, readAndAssume)
			s := e.assume(alice, app, "s1")
			return setup{s, app, func() {
				e.deleteUser(acct, "bob", bob, "")
				e.deleteRole(acct, "other")
			}}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			s := tc.setup(e)
			target := e.role(acct, "target", authztest.Trust(s.trusted), 0)
			calls := []struct {
				name string
				call func() error
			}{
				{"GetCallerIdentity", func() error {
					_, err := e.sts(s.session).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
					return err
				}},
				{"ListRoles", func() error {
					_, err := e.iam(s.session).ListRoles(ctx, &awsiam.ListRolesInput{})
					return err
				}},
				{"AssumeRole trusting " + s.trusted, func() error {
					_, err := e.sts(s.session).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("after")})
					return err
				}},
			}
			for _, c := range calls {
				if err := c.call(); err != nil {
					t.Fatalf("%s before the deletion: %v", c.name, err)
				}
			}
			s.remove()
			for _, c := range calls {
				err := c.call()
				if got, _ := apiError(err); got != tc.want {
					t.Errorf("%s after the deletion: got %q (%v), want %q", c.name, got, err, tc.want)
				} else if tc.want != "" {
					wantError(t, c.name, err, tc.want, "The security token included in the request is invalid.")
				}
			}
		})
	}
}
