package sts_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
)

// Root credentials cannot be made through the API (Brevet issues no root
// keys), so root callers are tested at the service.
func TestRootCaller(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "app", authztest.Trust(acct), 0)
	root := &identity.Principal{Type: identity.Root, Account: acct, CallerARN: iam.RootARN(acct), PrincipalID: acct, AccessKeyID: "AKIAROOTEXAMPLE00000"}
	now := time.Now()

	_, err := e.svc.AssumeRole(ctx, root, &stsapi.AssumeRoleRequest{RoleArn: roleARN, RoleSessionName: "r"}, authz.Facts{Now: now})
	if _, msg := apiError(wire(err)); msg != "Roles may not be assumed by root accounts." {
		t.Errorf("AssumeRole by root: %v", err)
	}
	out, err := e.svc.GetSessionToken(ctx, root, &stsapi.GetSessionTokenRequest{DurationSeconds: aws.Int32(43200)}, now)
	must(t, err)
	if got := out.Credentials.Expiration.Sub(now); got != time.Hour {
		t.Errorf("root session lasts %v, want 1h", got)
	}
	_, err = e.svc.GetFederationToken(ctx, root, &stsapi.GetFederationTokenRequest{Name: "fed"}, authz.Facts{Now: now})
	if err == nil {
		t.Error("GetFederationToken by root succeeded")
	}
}

func TestGetCallerIdentityIgnoresDeny(t *testing.T) {
	e := newEnv(t)
	c := e.user(acct, "locked", authztest.Deny("*", "*"))
	if _, err := e.sts(c).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with Deny *: %v", err)
	}
}
