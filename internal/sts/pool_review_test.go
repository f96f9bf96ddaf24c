package sts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/sts"
)

// TestPoolSessionRoleOfAnotherAccount: a pool's session is of a role of
// the pool's account only, even when another account's role trusts the
// pool (a token mapping's cognito:preferred_role may name any ARN).
func TestPoolSessionRoleOfAnotherAccount(t *testing.T) {
	e := newEnv(t)
	theirs := e.role(other, "theirs", poolTrust(scopedCond), 3600)
	in := poolInput(theirs)
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "AccessDenied" {
		t.Errorf("another account's role: %v, want AccessDenied", err)
	}
	mine := e.role(acct, "mine", poolTrust(scopedCond), 3600)
	in = poolInput(mine)
	in.Account = ""
	if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "untyped" {
		t.Errorf("no account: %v, want an untyped error", err)
	}
}

// TestPoolSessionProbeWildcards: a trust policy whose :aud condition
// admits every pool of a region (or of every region) is as unscoped as
// one without it, whatever wildcards spell it.
func TestPoolSessionProbeWildcards(t *testing.T) {
	e := newEnv(t)
	for i, pattern := range []string{
		"us-east-1:*",
		"*:*",
		"us-east-1:????????-????-4???-????-????????????",
		"*-*-*-*-*",
	} {
		trust := poolTrust(`{"StringLike":{"cognito-identity.amazonaws.com:aud":"` + pattern + `"}}`)
		roleARN := e.role(acct, "w"+string(rune('a'+i)), trust, 3600)
		if _, err := e.svc.PoolSession(ctx, poolInput(roleARN)); !errors.Is(err, sts.ErrPoolTrustUnscoped) {
			t.Errorf("aud StringLike %q: %v, want ErrPoolTrustUnscoped", pattern, err)
		}
	}
	// A pattern that names this pool alone, with wildcards, is scoped.
	roleARN := e.role(acct, "one", poolTrust(`{"StringLike":{"cognito-identity.amazonaws.com:aud":"us-east-1:11111111-*-555555555555"}}`), 3600)
	if _, err := e.svc.PoolSession(ctx, poolInput(roleARN)); err != nil {
		t.Errorf("a pattern naming the pool: %v", err)
	}
}

// TestPoolSessionTagBounds: a principal tag a claim made too long (value
// over 256, key over 128 characters) is the caller's ValidationError, not
// an internal error.
func TestPoolSessionTagBounds(t *testing.T) {
	e := newEnv(t)
	roleARN := e.role(acct, "auth", poolTrust(scopedCond), 3600)
	for name, tag := range map[string]credential.Tag{
		"long value": {Key: "k", Value: strings.Repeat("v", 257)},
		"long key":   {Key: strings.Repeat("k", 129), Value: "v"},
		"empty key":  {Key: "", Value: "v"},
	} {
		in := poolInput(roleARN)
		in.Tags = []credential.Tag{tag}
		if _, err := e.svc.PoolSession(ctx, in); errorKind(err) != "Validation" {
			t.Errorf("%s: %v, want a ValidationError", name, err)
		}
	}
}

// TestAssumeRoleWithPoolTokenTagBounds: the basic flow's principal tags
// (a pool token's, from a login's claims) meet the session tags' bounds.
func TestAssumeRoleWithPoolTokenTagBounds(t *testing.T) {
	tokens, _ := poolTokens(t)
	f := newFedEnv(t, func(fc *sts.FederationConfig) { fc.PoolTokens = tokens })
	trust := federatedTrust(sts.PoolPrincipal, "sts:AssumeRoleWithWebIdentity", scopedCond)
	trust = strings.Replace(trust, `"Action":"sts:AssumeRoleWithWebIdentity"`, `"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, 1)
	roleARN := f.role(acct, "basic", trust, 3600)
	raw, err := tokens.MintPoolToken(&sts.PoolToken{Account: acct, PoolID: poolID, IdentityID: identityID, AMR: []string{"authenticated", "login.example"},
		Tags: []credential.Tag{{Key: "email", Value: strings.Repeat("v", 257)}}}, time.Minute, time.Now())
	must(t, err)
	_, err = anonymous(f.url).AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("app"), WebIdentityToken: aws.String(raw)})
	if code, _ := apiError(err); code != "ValidationError" {
		t.Errorf("a 257-character tag value: %v, want ValidationError (as an aws: key)", err)
	}
}

// TestAssumeRoleWithPoolTokenCrossAccount: the basic flow reaches a role
// of another account than the pool's only when its trust policy
// conditions both :aud (to pools) and :amr, as AWS's STS requires of
// cross-account basic flow requests; an amr-only trust policy, enough
// in the pool's own account, lets no other account's pool in.
func TestAssumeRoleWithPoolTokenCrossAccount(t *testing.T) {
	tokens, _ := poolTokens(t)
	f := newFedEnv(t, func(fc *sts.FederationConfig) { fc.PoolTokens = tokens })
	amrOnly := poolTrust(`{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`)
	audOnly := poolTrust(`{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + poolID + `"}}`)
	both := poolTrust(`{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + poolID + `"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`)
	raw, err := tokens.MintPoolToken(&sts.PoolToken{Account: acct, PoolID: poolID, IdentityID: identityID, AMR: []string{"unauthenticated"}}, time.Minute, time.Now())
	must(t, err)
	for i, c := range []struct {
		name, account, trust, code string
	}{
		{"own account, amr only", acct, amrOnly, ""},
		{"own account, aud only", acct, audOnly, ""},
		{"other account, amr only", other, amrOnly, "AccessDenied"},
		{"other account, aud only", other, audOnly, "AccessDenied"},
		{"other account, aud and amr", other, both, ""},
	} {
		roleARN := f.role(c.account, "x"+string(rune('a'+i)), c.trust, 3600)
		_, err := anonymous(f.url).AssumeRoleWithWebIdentity(ctx, &awssts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
			RoleSessionName: aws.String("app"), WebIdentityToken: aws.String(raw)})
		if code, _ := apiError(err); code != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}
}

// TestPoolSessionChainKeepsNoPoolKeys: a role chained from a pool session
// (AssumeRole with its credentials) carries none of the pool's sealed
// keys: as on AWS, the original session's keys are not inherited.
func TestPoolSessionChainKeepsNoPoolKeys(t *testing.T) {
	e := newEnv(t)
	perms := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	first := e.role(acct, "auth", poolTrust(scopedCond), 3600, perms)
	next := e.role(acct, "next", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+first+`"},"Action":"sts:AssumeRole"}]}`, 3600)
	out, err := e.svc.PoolSession(ctx, poolInput(first))
	must(t, err)
	chained, err := e.sts(sessionCreds(out)).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(next), RoleSessionName: aws.String("chained")})
	must(t, err)
	c, err := e.ring.Open(aws.ToString(chained.Credentials.SessionToken), aws.ToString(chained.Credentials.AccessKeyId), time.Now())
	must(t, err)
	if len(c.RequestContext) != 0 || c.Provider != "" {
		t.Errorf("chained session: request context %v, provider %q", c.RequestContext, c.Provider)
	}
}
