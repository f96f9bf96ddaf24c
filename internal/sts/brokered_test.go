package sts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authz/authztest"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// upstream is a registered upstream account in the brokered tests: not a
// Brevet account.
const upstream = "999988887777"

// mapBroker is sts.Broker over a map, with the ceiling rule reduced to a
// marker: a session policy is "no wider" than the ceiling unless it
// contains the string "wider". It records what it was asked to assume.
type mapBroker struct {
	roles map[string]*sts.BrokeredRole
	// fail, when set, is AssumeRole's error (an upstream failure).
	fail error

	mu    sync.Mutex
	calls []sts.BrokerAssumeInput
}

func (b *mapBroker) Handles(account string) bool { return account == upstream }

func (b *mapBroker) Role(_ context.Context, arn string) (*sts.BrokeredRole, error) {
	r, ok := b.roles[arn]
	if !ok {
		return nil, fmt.Errorf("brokered role %s: %w", arn, store.ErrNotFound)
	}
	return r, nil
}

func (b *mapBroker) SessionPolicy(role *sts.BrokeredRole, policy string, arns []string) (string, error) {
	switch {
	case role.SessionPolicy == "":
		return policy, nil
	case len(arns) > 0:
		return "", &sts.AccessDeniedError{Message: "The session policy grants more than the brokered role allows: PolicyArns cannot be proven narrower"}
	case policy == "":
		return role.SessionPolicy, nil
	case strings.Contains(policy, "wider"):
		return "", &sts.AccessDeniedError{Message: "The session policy grants more than the brokered role allows: statement 0"}
	}
	return "narrowed " + policy, nil
}

func (b *mapBroker) SourceIdentity(p *identity.Principal) string {
	return "derived@" + p.Account
}

func (b *mapBroker) AssumeRole(_ context.Context, in *sts.BrokerAssumeInput, now time.Time) (*sts.BrokerSession, error) {
	if b.fail != nil {
		return nil, b.fail
	}
	b.mu.Lock()
	b.calls = append(b.calls, *in)
	n := len(b.calls)
	b.mu.Unlock()
	name := in.Role.Role.Name
	keyID := fmt.Sprintf("ASIAUPSTREAM%08d", n)
	sessionARN := "arn:aws:sts::" + upstream + ":assumed-role/" + name + "/" + in.SessionName
	exp := now.Add(in.Duration).UTC().Truncate(time.Second)
	return &sts.BrokerSession{
		Credentials:   stsapi.Credentials{AccessKeyId: keyID, SecretAccessKey: "upstream-secret", SessionToken: "upstream-token", Expiration: exp},
		AssumedRoleID: "AROAUPSTREAM:" + in.SessionName, AssumedRoleARN: sessionARN, SourceIdentity: in.SourceIdentity,
		PackedPolicySize: aws.Int32(7),
		Upstream: request.UpstreamSession{Account: upstream, Action: "AssumeRole", RequestID: fmt.Sprintf("req-%d", n),
			RoleARN: in.Role.Role.ARN(), SessionARN: sessionARN, SourceIdentity: in.SourceIdentity, AccessKeyID: keyID, Expires: exp},
	}, nil
}

// last returns the last input the broker was asked to assume.
func (b *mapBroker) last() sts.BrokerAssumeInput {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		return sts.BrokerAssumeInput{}
	}
	return b.calls[len(b.calls)-1]
}

func (b *mapBroker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.calls)
}

// add registers a brokered role.
func (b *mapBroker) add(t testing.TB, name, trust string, maxSession int, ceiling string) string {
	t.Helper()
	r, err := authz.CompileRole(iam.Role{Account: upstream, ID: "AROAUPSTREAM" + strings.ToUpper(name), Name: name, Path: "/",
		TrustPolicy: trust, MaxSessionDuration: maxSession})
	must(t, err)
	b.roles[r.ARN()] = &sts.BrokeredRole{Role: r, SessionPolicy: ceiling}
	return r.ARN()
}

func TestBrokeredAssumeRole(t *testing.T) {
	b := &mapBroker{roles: map[string]*sts.BrokeredRole{}}
	e := newEnv(t, func(c *sts.Config) { c.Broker = b })
	upstreamRoles := "arn:aws:iam::" + upstream + ":role/*"
	aliceARN, bobARN, carolARN := iam.UserARN(acct, "/", "alice"), iam.UserARN(acct, "/", "bob"), iam.UserARN(acct, "/", "carol")
	mayAssume := authztest.Allow(upstreamRoles, "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")
	alice := e.user(acct, "alice", mayAssume, authztest.Allow("*", "sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"))
	bob := e.user(acct, "bob")                // in the trust policy, no identity policy
	carol := e.user(acct, "carol", mayAssume) // identity policy, not in the trust policy
	serial, seed := e.mfa(acct, "alice")
	firstARN := e.role(acct, "first", authztest.Trust(aliceARN), 0, mayAssume)

	deploy := b.add(t, "Deploy", authztest.Trust(aliceARN, bobARN, firstARN), 7200, "")
	onlyAssume := b.add(t, "OnlyAssume", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+`"},"Action":"sts:AssumeRole"}]}`, 3600, "")
	ceiling := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	capped := b.add(t, "Capped", authztest.Trust(aliceARN), 3600, ceiling)
	withMFA := b.add(t, "WithMFA", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aliceARN+
		`"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, 3600, "")

	out, err := e.sts(alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(firstARN), RoleSessionName: aws.String("one"),
		SourceIdentity: aws.String("alice-first")})
	must(t, err)
	first := temp(t, out.Credentials)
	narrow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	wider := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Sid":"wider"}]}`
	upPolicy := "arn:aws:iam::" + upstream + ":policy/ReadOnly"

	tests := []struct {
		name   string
		caller aws.Credentials
		in     awssts.AssumeRoleInput
		// code and text: the error (text a prefix); "" for success.
		code, text string
		// want is what the broker must be asked (success only): the
		// fields compared are SessionName, Duration, Policy, PolicyARNs,
		// Tags, TransitiveTagKeys, SourceIdentity.
		want sts.BrokerAssumeInput
	}{{
		name: "authorized, source identity derived", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"), DurationSeconds: aws.Int32(7200)},
		want: sts.BrokerAssumeInput{SessionName: "deploy", Duration: 2 * time.Hour, SourceIdentity: "derived@" + acct},
	}, {
		name: "session policy and upstream policy ARNs passed on, not looked up", caller: alice,
		in: awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"), Policy: aws.String(narrow),
			PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(upPolicy)}, {Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}}},
		want: sts.BrokerAssumeInput{SessionName: "deploy", Duration: time.Hour, Policy: narrow,
			PolicyARNs: []string{upPolicy, "arn:aws:iam::aws:policy/ReadOnlyAccess"}, SourceIdentity: "derived@" + acct},
	}, {
		name: "policy ARN of a Brevet account", caller: alice,
		in: awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"),
			PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::" + acct + ":policy/X")}}},
		code: "ValidationError", text: "Policy arn:aws:iam::" + acct + ":policy/X does not exist or is not attachable.",
	}, {
		name: "malformed session policy", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"), Policy: aws.String("{")},
		code: "MalformedPolicyDocument",
	}, {
		name: "tags and transitive keys passed on", caller: alice,
		in: awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"),
			Tags:              []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
			TransitiveTagKeys: []string{"team"}},
		want: sts.BrokerAssumeInput{SessionName: "deploy", Duration: time.Hour, Tags: []credential.Tag{{Key: "team", Value: "data"}},
			TransitiveTagKeys: []string{"team"}, SourceIdentity: "derived@" + acct},
	}, {
		name: "source identity requested", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"), SourceIdentity: aws.String("alice")},
		want: sts.BrokerAssumeInput{SessionName: "deploy", Duration: time.Hour, SourceIdentity: "alice"},
	}, {
		name: "source identity inherited through chaining", caller: first,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("chained")},
		want: sts.BrokerAssumeInput{SessionName: "chained", Duration: time.Hour, SourceIdentity: "alice-first"},
	}, {
		name: "source identity sticky", caller: first,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("chained"), SourceIdentity: aws.String("mallory")},
		code: "AccessDenied", text: "Cannot change the source identity",
	}, {
		name: "chaining limit", caller: first,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("chained"), DurationSeconds: aws.Int32(3601)},
		code: "ValidationError", text: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
	}, {
		name: "duration beyond the role's maximum", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy"), DurationSeconds: aws.Int32(7201)},
		code: "ValidationError", text: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
	}, {
		name: "not in the trust policy", caller: carol,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy")},
		code: "AccessDenied", text: "User: " + carolARN + " is not authorized to perform: sts:AssumeRole on resource: " + deploy,
	}, {
		name: "no identity policy (cross-account)", caller: bob,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy")},
		code: "AccessDenied", text: "User: " + bobARN + " is not authorized to perform: sts:AssumeRole on resource: " + deploy,
	}, {
		name: "not registered", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + upstream + ":role/Nope"), RoleSessionName: aws.String("deploy")},
		code: "AccessDenied", text: "User: " + aliceARN + " is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + upstream + ":role/Nope",
	}, {
		name: "tags need sts:TagSession", caller: alice,
		in: awssts.AssumeRoleInput{RoleArn: aws.String(onlyAssume), RoleSessionName: aws.String("deploy"),
			Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("data")}}},
		code: "AccessDenied", text: "User: " + aliceARN + " is not authorized to perform: sts:TagSession on resource: " + onlyAssume,
	}, {
		name: "a requested source identity needs sts:SetSourceIdentity", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(onlyAssume), RoleSessionName: aws.String("deploy"), SourceIdentity: aws.String("alice")},
		code: "AccessDenied", text: "User: " + aliceARN + " is not authorized to perform: sts:SetSourceIdentity on resource: " + onlyAssume,
	}, {
		name: "a derived source identity needs nothing", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(onlyAssume), RoleSessionName: aws.String("deploy")},
		want: sts.BrokerAssumeInput{SessionName: "deploy", Duration: time.Hour, SourceIdentity: "derived@" + acct},
	}, {
		name: "ceiling passed when the caller passes no policy", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(capped), RoleSessionName: aws.String("capped")},
		want: sts.BrokerAssumeInput{SessionName: "capped", Duration: time.Hour, Policy: ceiling, SourceIdentity: "derived@" + acct},
	}, {
		name: "narrower policy under a ceiling", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(capped), RoleSessionName: aws.String("capped"), Policy: aws.String(narrow)},
		want: sts.BrokerAssumeInput{SessionName: "capped", Duration: time.Hour, Policy: "narrowed " + narrow, SourceIdentity: "derived@" + acct},
	}, {
		name: "wider policy under a ceiling", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(capped), RoleSessionName: aws.String("capped"), Policy: aws.String(wider)},
		code: "AccessDenied", text: "The session policy grants more than the brokered role allows: ",
	}, {
		name: "policy ARNs under a ceiling", caller: alice,
		in: awssts.AssumeRoleInput{RoleArn: aws.String(capped), RoleSessionName: aws.String("capped"),
			PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String(upPolicy)}}},
		code: "AccessDenied", text: "The session policy grants more than the brokered role allows: ",
	}, {
		name: "MFA required, no code", caller: alice,
		in:   awssts.AssumeRoleInput{RoleArn: aws.String(withMFA), RoleSessionName: aws.String("mfa")},
		code: "AccessDenied", text: "User: " + aliceARN + " is not authorized to perform: sts:AssumeRole on resource: " + withMFA,
	}, {
		name: "MFA required, Brevet device's code", caller: alice,
		in: awssts.AssumeRoleInput{RoleArn: aws.String(withMFA), RoleSessionName: aws.String("mfa"),
			SerialNumber: aws.String(serial), TokenCode: aws.String(totp.Code(seed, time.Now()))},
		want: sts.BrokerAssumeInput{SessionName: "mfa", Duration: time.Hour, SourceIdentity: "derived@" + acct},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.count()
			got, err := e.sts(tt.caller).AssumeRole(ctx, &tt.in)
			if tt.code != "" {
				wantError(t, tt.name, err, tt.code, tt.text)
				if b.count() != before {
					t.Errorf("the broker was asked to assume the role upstream")
				}
				return
			}
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			in := b.last()
			if in.Caller == nil || in.Role == nil || in.Role.Role.ARN() != aws.ToString(tt.in.RoleArn) {
				t.Fatalf("broker input: caller %v, role %v", in.Caller, in.Role)
			}
			in.Caller, in.Role = nil, nil
			if diff := cmp.Diff(tt.want, in); diff != "" {
				t.Errorf("broker input (-want +got):\n%s", diff)
			}
			sessionARN := "arn:aws:sts::" + upstream + ":assumed-role/" + in.SessionName
			if a := aws.ToString(got.AssumedRoleUser.Arn); !strings.HasPrefix(a, "arn:aws:sts::"+upstream+":assumed-role/") ||
				!strings.HasSuffix(a, "/"+in.SessionName) {
				t.Errorf("AssumedRoleUser.Arn = %s, want the upstream's %s", a, sessionARN)
			}
			if s := aws.ToString(got.SourceIdentity); s != tt.want.SourceIdentity {
				t.Errorf("SourceIdentity = %q, want %q", s, tt.want.SourceIdentity)
			}
		})
	}
}

// TestBrokeredIssuance: the handler records a brokered AssumeRole as
// Kind BrokeredAssumeRole with the upstream's facts, acting in the
// upstream account.
func TestBrokeredIssuance(t *testing.T) {
	b := &mapBroker{roles: map[string]*sts.BrokeredRole{}}
	e := newEnv(t, func(c *sts.Config) { c.Broker = b })
	aliceARN := iam.UserARN(acct, "/", "alice")
	alice := e.user(acct, "alice", authztest.Allow("arn:aws:iam::"+upstream+":role/*", "sts:AssumeRole"))
	deploy := b.add(t, "Deploy", authztest.Trust(aliceARN), 3600, "")
	out, err := e.sts(alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("deploy")})
	must(t, err)
	rec := e.audit.last("AssumeRole")
	if rec == nil || rec.Issued == nil {
		t.Fatalf("record = %+v, want an issuance", rec)
	}
	got := *rec.Issued
	want := request.Issuance{
		Kind: "BrokeredAssumeRole", AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), Account: upstream,
		PrincipalARN: deploy, SessionARN: "arn:aws:sts::" + upstream + ":assumed-role/Deploy/deploy", SessionName: "deploy",
		ParentAccessKeyID: alice.AccessKeyID, RootAccessKeyID: alice.AccessKeyID, Expires: aws.ToTime(out.Credentials.Expiration),
		Upstream: &request.UpstreamSession{Account: upstream, Action: "AssumeRole", RequestID: "req-1", RoleARN: deploy,
			SessionARN: "arn:aws:sts::" + upstream + ":assumed-role/Deploy/deploy", SourceIdentity: "derived@" + acct,
			AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), Expires: aws.ToTime(out.Credentials.Expiration)},
	}
	got.Issued, got.SourceIP = time.Time{}, ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("issuance (-want +got):\n%s", diff)
	}
	// A Brevet role is still a Brevet role (in the caller's account, its
	// trust policy naming alice suffices).
	local := e.role(acct, "local", authztest.Trust(aliceARN), 0)
	if _, err := e.sts(alice).AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(local), RoleSessionName: aws.String("local")}); err != nil {
		t.Fatalf("AssumeRole of a Brevet role: %v", err)
	}
	if rec := e.audit.last("AssumeRole"); rec.Issued == nil || rec.Issued.Kind != "AssumeRole" || rec.Issued.Upstream != nil || b.count() != 1 {
		t.Errorf("Brevet role's issuance = %+v (broker calls %d), want Kind AssumeRole without Upstream", rec.Issued, b.count())
	}
}

// TestBrokeredAtTheService: root is refused before anything else, the
// broker's own errors come back as they are (its WireError maps them),
// and a service without a broker brokers nothing.
func TestBrokeredAtTheService(t *testing.T) {
	b := &mapBroker{roles: map[string]*sts.BrokeredRole{}}
	e := newEnv(t, func(c *sts.Config) { c.Broker = b })
	deploy := b.add(t, "Deploy", authztest.Trust(acct), 3600, "")
	root := &identity.Principal{Type: identity.Root, Account: acct, CallerARN: iam.RootARN(acct), PrincipalID: acct, AccessKeyID: "AKIAROOTEXAMPLE00000"}
	f := authz.Facts{Now: time.Now()}
	if !e.svc.Brokered(deploy) || e.svc.Brokered("arn:aws:iam::"+acct+":role/x") || e.svc.Brokered("not an ARN") {
		t.Error("Brokered: want true for the upstream account's roles only")
	}
	_, _, err := e.svc.BrokeredAssumeRole(ctx, root, &stsapi.AssumeRoleRequest{RoleArn: deploy, RoleSessionName: "r"}, f)
	if _, msg := apiError(wire(err)); msg != "Roles may not be assumed by root accounts." {
		t.Errorf("brokered AssumeRole by root: %v", err)
	}

	aliceARN := iam.UserARN(acct, "/", "alice")
	e.user(acct, "alice", authztest.Allow("arn:aws:iam::"+upstream+":role/*", "sts:AssumeRole"))
	deploy = b.add(t, "Deploy", authztest.Trust(aliceARN), 3600, "") // replaces the role
	u, err := e.st.Users().Get(ctx, acct, "alice")
	must(t, err)
	alice := &identity.Principal{Type: identity.IAMUser, Account: acct, CallerARN: u.ARN(), PrincipalID: u.ID,
		AccessKeyID: "AKIAEXAMPLE", UserName: u.Name, UserID: u.ID}
	upstreamDown := errors.New("upstream 999988887777 AssumeRole: did not answer")
	b.fail = upstreamDown
	_, _, err = e.svc.BrokeredAssumeRole(ctx, alice, &stsapi.AssumeRoleRequest{RoleArn: deploy, RoleSessionName: "r"}, f)
	if !errors.Is(err, upstreamDown) {
		t.Errorf("upstream failure: %v, want the broker's error as it is", err)
	}

	plain := newEnv(t)
	if plain.svc.Brokered(deploy) {
		t.Error("a service without a broker brokers")
	}
}
