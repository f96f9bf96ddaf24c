package sts_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
)

// open returns the claims sealed in c's session token.
func (e *env) open(c aws.Credentials) credential.Claims {
	e.t.Helper()
	claims, err := e.ring.Open(c.SessionToken, c.AccessKeyID, time.Now())
	must(e.t, err)
	return claims
}

// A session minted by a session carries the caller, then the caller's
// lineage, down to the first session made from a long-term key; past
// credential.MaxChainDepth sessions, AssumeRole is refused.
func TestChainLineage(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", authztest.Allow("*", "sts:AssumeRole"))
	hopARN := e.role(acct, "hop", authztest.Trust(acct), 0, authztest.Allow("*", "sts:AssumeRole"))

	caller, callerClaims := alice, credential.Claims{}
	for depth := 0; depth <= credential.MaxChainDepth; depth++ {
		out, err := e.sts(caller).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(hopARN), RoleSessionName: aws.String(fmt.Sprintf("s%d", depth))})
		if err != nil {
			t.Fatalf("AssumeRole at depth %d: %v", depth, err)
		}
		next := temp(t, out.Credentials)
		got := e.open(next)
		var want []credential.Ancestor
		if depth > 0 {
			want = append([]credential.Ancestor{credential.AncestorOf(&callerClaims)}, callerClaims.Lineage...)
		}
		if diff := cmp.Diff(want, got.Lineage); diff != "" {
			t.Fatalf("depth %d: lineage (-want +got):\n%s", depth, diff)
		}
		if got.ChainDepth() != depth || got.ParentAccessKeyID != caller.AccessKeyID || got.RootAccessKeyID != alice.AccessKeyID {
			t.Fatalf("depth %d: ChainDepth %d, parent %s, root %s; want parent %s, root %s", depth, got.ChainDepth(),
				got.ParentAccessKeyID, got.RootAccessKeyID, caller.AccessKeyID, alice.AccessKeyID)
		}
		caller, callerClaims = next, got
	}
	_, err := e.sts(caller).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(hopARN), RoleSessionName: aws.String("one-too-many")})
	wantError(t, "past the deepest chain", err, "ValidationError", fmt.Sprintf("Role chain too long: at most %d sessions may be chained", credential.MaxChainDepth))

	// A GetSessionToken session is an ancestor too (AssumeRole with it is
	// not role chaining, but revoking it must reach the role session).
	gst, err := e.sts(alice).GetSessionToken(ctx, &awssts.GetSessionTokenInput{})
	must(t, err)
	session := temp(t, gst.Credentials)
	out, err := e.sts(session).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(hopARN), RoleSessionName: aws.String("from-gst")})
	must(t, err)
	sessionClaims := e.open(session)
	if sessionClaims.Lineage != nil {
		t.Errorf("GetSessionToken session has lineage %v", sessionClaims.Lineage)
	}
	got := e.open(temp(t, out.Credentials)).Lineage
	aliceARN := iam.UserARN(acct, "/", "alice")
	want := []credential.Ancestor{{AccessKeyID: session.AccessKeyID, PrincipalARN: aliceARN, SessionARN: aliceARN, IssuedAt: sessionClaims.IssuedAt}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("role session from a GetSessionToken session: lineage (-want +got):\n%s", diff)
	}
}
