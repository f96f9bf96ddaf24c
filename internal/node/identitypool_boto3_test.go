package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
)

// The identity pools through boto3's cognito-identity client (issue 20):
// every action of the API, the basic flow's token taken to STS, and the
// issue's must-rejects as boto3 raises them (its modeled exception
// classes). Each test runs one Python script against a fresh node; the
// script prints what it saw as JSON, with the values that change from run
// to run (pool and identity ids, the in-test provider's host) replaced by
// names, and the test compares that with what AWS would answer.

// poolBoto3 is a node for the boto3 scripts with two in-test OpenID
// providers: idp, which the pools list, and other, registered in IAM but
// listed by no pool. Their key sets are given to the node as files, so it
// fetches nothing.
type poolBoto3 struct {
	base       string
	env        []string
	idp, other *fedtest.OIDCProvider
}

func startPoolBoto3(t *testing.T) *poolBoto3 {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		skipOrFail(t, "python3 is not installed")
	}
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		skipOrFail(t, "boto3 is not installed (pip install boto3)")
	}
	p := &poolBoto3{idp: fedtest.NewOIDCProvider(t), other: fedtest.NewOIDCProvider(t)}
	dir := t.TempDir()
	var jwks []string
	for i, idp := range []*fedtest.OIDCProvider{p.idp, p.other} {
		f := filepath.Join(dir, "jwks"+string(rune('1'+i))+".json")
		if err := os.WriteFile(f, idp.JWKS(), 0o600); err != nil {
			t.Fatal(err)
		}
		jwks = append(jwks, idp.Issuer()+"="+f)
	}
	data := filepath.Join(dir, "data")
	n, _ := startNode(t, data, Options{}, "BREVET_OIDC_JWKS="+strings.Join(jwks, ","),
		"BREVET_LIMIT_FAILURES_PER_SOURCE=off", "BREVET_LIMIT_FAILURES_PER_KEY=off")
	admin := adminCreds(t, data)
	p.base = n.URL()
	now := time.Now()
	claims := func(idp *fedtest.OIDCProvider, sub string, more map[string]any) string {
		c := idp.Claims(sub, "app", now)
		for k, v := range more {
			c[k] = v
		}
		return idp.Token(t, c)
	}
	p.env = []string{"ENDPOINT=" + p.base, "KEY_ID=" + admin.AccessKeyID, "SECRET=" + admin.SecretAccessKey,
		"ACCOUNT=" + testAccount, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"PROVIDER=" + strings.TrimPrefix(p.idp.Issuer(), "https://"),
		"OTHER_PROVIDER=" + strings.TrimPrefix(p.other.Issuer(), "https://"),
		"ALICE=" + claims(p.idp, "alice", map[string]any{"groups": []string{"staff", "admins"}, "department": "research"}),
		"BOB=" + claims(p.idp, "bob", nil),
		"OTHER_AUDIENCE=" + p.idp.Token(t, p.idp.Claims("alice", "someone-else", now)),
		"EXPIRED=" + claims(p.idp, "alice", map[string]any{"iat": now.Add(-2 * time.Hour).Unix(),
			"nbf": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}),
		"STRANGER=" + claims(p.other, "mallory", nil),
	}
	return p
}

// run runs the prelude and script and decodes what the script printed.
func (p *poolBoto3) run(t *testing.T, script string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c", poolBoto3Prelude+script+"\nfinish()\n")
	cmd.Env = append(os.Environ(), p.env...)
	raw, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("boto3: %v\n%s\n%s", err, raw, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("boto3 output %q: %v", raw, err)
	}
	return got
}

// compare diffs the script's results with want (JSON, testAccount written
// ACCOUNT), apart from the refusals' messages, which it returns after
// checking that none repeats a login token.
func (p *poolBoto3) compare(t *testing.T, got map[string]any, wantJSON string) map[string]any {
	t.Helper()
	reasons, _ := got["reason"].(map[string]any)
	delete(got, "reason")
	for name, msg := range reasons {
		for _, kv := range p.env {
			if k, tok, _ := strings.Cut(kv, "="); strings.Count(tok, ".") == 2 && strings.Contains(fmt.Sprint(msg), tok) {
				t.Errorf("%s: the message repeats the token %s", name, k)
			}
		}
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(strings.ReplaceAll(wantJSON, "ACCOUNT", testAccount)), &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("boto3 results (-want +got):\n%s", diff)
	}
	return reasons
}

// poolBoto3Prelude is the scripts' common part: clients, IAM helpers, and
// the output with its aliases.
const poolBoto3Prelude = `
import datetime, json, os
import boto3, botocore
from botocore.config import Config

E = os.environ
ACCOUNT, PROVIDER, OTHER = E["ACCOUNT"], E["PROVIDER"], E["OTHER_PROVIDER"]
DEV = "login.brevet.test"

def client(service, key=E["KEY_ID"], secret=E["SECRET"], token=None):
    return boto3.client(service, endpoint_url=E["ENDPOINT"], region_name="us-east-1",
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"max_attempts": 1}))

ci, iam, sts = client("cognito-identity"), client("iam"), client("sts")
out, names = {}, {}

def alias(value, name):
    """Shows value as name in the output."""
    names[value] = name
    return value

alias(PROVIDER, "PROVIDER")
alias(OTHER, "OTHER")

def clean(r):
    """The response without its metadata and empty members."""
    return {k: v for k, v in r.items() if k != "ResponseMetadata" and v not in ([], {}, None, "")}

def failure(e):
    return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]

def rejects(key, exc, call, **kw):
    """Records the modeled exception call raises, or what else happened,
    and the message under "reason"."""
    try:
        call(**kw)
        out.setdefault("reject", {})[key] = "succeeded"
    except exc as e:
        out.setdefault("reject", {})[key] = failure(e)
        out.setdefault("reason", {})[key] = e.response["Error"].get("Message", "")
    except botocore.exceptions.ClientError as e:
        out.setdefault("reject", {})[key] = ["not " + exc.__name__] + failure(e) + [e.response["Error"].get("Message", "")]

def oidc_provider(host):
    return iam.create_open_id_connect_provider(Url="https://" + host, ClientIDList=["app"])["OpenIDConnectProviderArn"]

def role(name, pool, amr, aud=True, policy=None):
    """A role for the pool's identities whose amr contains amr; aud=False
    leaves out the condition on the pool (the enhanced flow refuses it)."""
    cond = {"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}
    if aud:
        cond["StringEquals"] = {"cognito-identity.amazonaws.com:aud": pool}
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"], "Condition": cond}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if policy:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    return arn

def pool(name, guests=True, classic=False, **kw):
    r = ci.create_identity_pool(IdentityPoolName=name, AllowUnauthenticatedIdentities=guests,
        AllowClassicFlow=classic, **kw)
    return alias(r["IdentityPoolId"], name.upper().replace(" ", "_"))

def caller(creds):
    """The ARN the credentials call STS as."""
    s = client("sts", creds["AccessKeyId"], creds["SecretKey"], creds["SessionToken"])
    return s.get_caller_identity()["Arn"]

def credentials(identity, **kw):
    r = ci.get_credentials_for_identity(IdentityId=identity, **kw)
    c = r["Credentials"]
    assert isinstance(c["Expiration"], datetime.datetime), c["Expiration"]
    return [r["IdentityId"], caller(c)]

def finish():
    text = json.dumps(out, sort_keys=True)
    for value, name in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(value, name)
    print(text)
`

// TestIdentityPoolBoto3Pools: the pools' administrative actions through
// boto3: create, describe, list with boto3's paginator, update, tags,
// roles and role mappings, principal tag maps, delete; malformed input
// is InvalidParameterException and an unknown pool
// ResourceNotFoundException, as boto3 models them.
func TestIdentityPoolBoto3Pools(t *testing.T) {
	p := startPoolBoto3(t)
	got := p.run(t, `
arn = alias(oidc_provider(PROVIDER), "PROVIDER_ARN")
r = ci.create_identity_pool(IdentityPoolName="web app", AllowUnauthenticatedIdentities=True,
    OpenIdConnectProviderARNs=[arn], DeveloperProviderName=DEV, IdentityPoolTags={"team": "web"})
web = alias(r["IdentityPoolId"], "WEB")
out["create"] = clean(r)
out["id"] = [web.startswith("us-east-1:"), len(web.split(":")[1]), web.split(":")[1][14]]
out["describe"] = clean(ci.describe_identity_pool(IdentityPoolId=web))
pool("second")
pool("third")
pages = list(ci.get_paginator("list_identity_pools").paginate(MaxResults=2, PaginationConfig={"PageSize": 2}))
out["list"] = {"pages": [len(p["IdentityPools"]) for p in pages],
    "pools": {i["IdentityPoolId"]: i["IdentityPoolName"] for p in pages for i in p["IdentityPools"]}}

r = ci.update_identity_pool(IdentityPoolId=web, IdentityPoolName="web app 2", AllowUnauthenticatedIdentities=False,
    AllowClassicFlow=True, OpenIdConnectProviderARNs=[arn], DeveloperProviderName=DEV)
r.pop("IdentityPoolTags", None)
out["update"] = clean(r)

parn = alias("arn:aws:cognito-identity:us-east-1:%s:identitypool/%s" % (ACCOUNT, web), "WEB_ARN")
ci.tag_resource(ResourceArn=parn, Tags={"env": "test", "owner": "zoe"})
ci.untag_resource(ResourceArn=parn, TagKeys=["team", "owner"])
out["tags"] = clean(ci.list_tags_for_resource(ResourceArn=parn))

auth, guest, admins = role("web-auth", web, "authenticated"), role("web-guest", web, "unauthenticated"), role("web-admins", web, "authenticated")
ci.set_identity_pool_roles(IdentityPoolId=web, Roles={"authenticated": auth, "unauthenticated": guest},
    RoleMappings={PROVIDER: {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
        "RulesConfiguration": {"Rules": [{"Claim": "groups", "MatchType": "Contains", "Value": "admins", "RoleARN": admins}]}}})
out["roles"] = clean(ci.get_identity_pool_roles(IdentityPoolId=web))

out["set tag map"] = clean(ci.set_principal_tag_attribute_map(IdentityPoolId=web, IdentityProviderName=PROVIDER,
    UseDefaults=False, PrincipalTags={"dept": "department"}))
out["get tag map"] = clean(ci.get_principal_tag_attribute_map(IdentityPoolId=web, IdentityProviderName=PROVIDER))

rejects("bad name", ci.exceptions.InvalidParameterException, ci.create_identity_pool,
    IdentityPoolName="no/slashes", AllowUnauthenticatedIdentities=True)
rejects("bad roles key", ci.exceptions.InvalidParameterException, ci.set_identity_pool_roles,
    IdentityPoolId=web, Roles={"admin": auth})
rejects("unknown pool", ci.exceptions.ResourceNotFoundException, ci.describe_identity_pool,
    IdentityPoolId="us-east-1:00000000-0000-4000-8000-000000000000")
ci.delete_identity_pool(IdentityPoolId=web)
rejects("deleted pool", ci.exceptions.ResourceNotFoundException, ci.describe_identity_pool, IdentityPoolId=web)
out["after delete"] = sorted(i["IdentityPoolName"] for i in ci.list_identity_pools(MaxResults=60)["IdentityPools"])
`)
	p.compare(t, got, `{
	  "create": {"IdentityPoolId": "WEB", "IdentityPoolName": "web app", "AllowUnauthenticatedIdentities": true,
	    "AllowClassicFlow": false, "OpenIdConnectProviderARNs": ["PROVIDER_ARN"], "DeveloperProviderName": "login.brevet.test",
	    "IdentityPoolTags": {"team": "web"}},
	  "id": [true, 36, "4"],
	  "describe": {"IdentityPoolId": "WEB", "IdentityPoolName": "web app", "AllowUnauthenticatedIdentities": true,
	    "AllowClassicFlow": false, "OpenIdConnectProviderARNs": ["PROVIDER_ARN"], "DeveloperProviderName": "login.brevet.test",
	    "IdentityPoolTags": {"team": "web"}},
	  "list": {"pages": [2, 1], "pools": {"WEB": "web app", "SECOND": "second", "THIRD": "third"}},
	  "update": {"IdentityPoolId": "WEB", "IdentityPoolName": "web app 2", "AllowUnauthenticatedIdentities": false,
	    "AllowClassicFlow": true, "OpenIdConnectProviderARNs": ["PROVIDER_ARN"], "DeveloperProviderName": "login.brevet.test"},
	  "tags": {"Tags": {"env": "test"}},
	  "roles": {"IdentityPoolId": "WEB",
	    "Roles": {"authenticated": "arn:aws:iam::ACCOUNT:role/web-auth", "unauthenticated": "arn:aws:iam::ACCOUNT:role/web-guest"},
	    "RoleMappings": {"PROVIDER": {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
	      "RulesConfiguration": {"Rules": [{"Claim": "groups", "MatchType": "Contains", "Value": "admins",
	        "RoleARN": "arn:aws:iam::ACCOUNT:role/web-admins"}]}}}},
	  "set tag map": {"IdentityPoolId": "WEB", "IdentityProviderName": "PROVIDER", "UseDefaults": false,
	    "PrincipalTags": {"dept": "department"}},
	  "get tag map": {"IdentityPoolId": "WEB", "IdentityProviderName": "PROVIDER", "UseDefaults": false,
	    "PrincipalTags": {"dept": "department"}},
	  "reject": {
	    "bad name": ["InvalidParameterException", 400],
	    "bad roles key": ["InvalidParameterException", 400],
	    "unknown pool": ["ResourceNotFoundException", 400],
	    "deleted pool": ["ResourceNotFoundException", 400]
	  },
	  "after delete": ["second", "third"]
	}`)
}

// TestIdentityPoolBoto3Identities: GetId as a guest (a new identity each
// time) and with a login (the same identity each time), ListIdentities
// page by page, DescribeIdentity, UnlinkIdentity and DeleteIdentities.
func TestIdentityPoolBoto3Identities(t *testing.T) {
	p := startPoolBoto3(t)
	got := p.run(t, `
arn = alias(oidc_provider(PROVIDER), "PROVIDER_ARN")
web = pool("web", OpenIdConnectProviderARNs=[arn])
g1 = alias(ci.get_id(IdentityPoolId=web)["IdentityId"], "GUEST1")
g2 = alias(ci.get_id(IdentityPoolId=web, AccountId=ACCOUNT)["IdentityId"], "GUEST2")
a1 = alias(ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["ALICE"]})["IdentityId"], "ALICE")
out["again"] = ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["ALICE"]})["IdentityId"]
out["id"] = [a1.startswith("us-east-1:"), len(a1.split(":")[1])]
rejects("other account", ci.exceptions.ResourceNotFoundException, ci.get_id, IdentityPoolId=web, AccountId="999999999999")

d = ci.describe_identity(IdentityId=a1)
out["describe"] = [d["IdentityId"], d.get("Logins"), isinstance(d["CreationDate"], datetime.datetime),
    isinstance(d["LastModifiedDate"], datetime.datetime)]
r = ci.list_identities(IdentityPoolId=web, MaxResults=60)
out["list"] = {i["IdentityId"]: i.get("Logins", []) for i in r["Identities"]}
out["list pool"] = r["IdentityPoolId"]
pages, token = [], None
while True:
    kw = {"NextToken": token} if token else {}
    r = ci.list_identities(IdentityPoolId=web, MaxResults=2, **kw)
    pages.append(len(r["Identities"]))
    token = r.get("NextToken")
    if not token:
        break
out["pages"] = pages

ci.unlink_identity(IdentityId=a1, Logins={PROVIDER: E["ALICE"]}, LoginsToRemove=[PROVIDER])
out["unlinked"] = ci.describe_identity(IdentityId=a1).get("Logins", [])
out["delete"] = clean(ci.delete_identities(IdentityIdsToDelete=[g2]))
rejects("deleted identity", ci.exceptions.ResourceNotFoundException, ci.describe_identity, IdentityId=g2)
out["left"] = {i["IdentityId"]: i.get("Logins", []) for i in ci.list_identities(IdentityPoolId=web, MaxResults=60)["Identities"]}
rejects("unknown pool", ci.exceptions.ResourceNotFoundException, ci.get_id,
    IdentityPoolId="us-east-1:00000000-0000-4000-8000-000000000000")
`)
	p.compare(t, got, `{
	  "again": "ALICE",
	  "id": [true, 36],
	  "describe": ["ALICE", ["PROVIDER"], true, true],
	  "list": {"GUEST1": [], "GUEST2": [], "ALICE": ["PROVIDER"]},
	  "list pool": "WEB",
	  "pages": [2, 1],
	  "unlinked": [],
	  "delete": {},
	  "left": {"ALICE": [], "GUEST1": []},
	  "reject": {
	    "other account": ["ResourceNotFoundException", 400],
	    "deleted identity": ["ResourceNotFoundException", 400],
	    "unknown pool": ["ResourceNotFoundException", 400]
	  }
	}`)
}

// poolBoto3Roles sets up the pool "web" for the credentials' scripts: the
// provider, a guest role, an authenticated role and a role for the
// "admins" group chosen by a rule on the groups claim.
const poolBoto3Roles = `
arn = alias(oidc_provider(PROVIDER), "PROVIDER_ARN")
oidc_provider(OTHER)
web = pool("web", classic=True, OpenIdConnectProviderARNs=[arn], DeveloperProviderName=DEV)
auth, guest, admins = role("web-auth", web, "authenticated"), role("web-guest", web, "unauthenticated"), role("web-admins", web, "authenticated")
ci.set_identity_pool_roles(IdentityPoolId=web, Roles={"authenticated": auth, "unauthenticated": guest},
    RoleMappings={PROVIDER: {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
        "RulesConfiguration": {"Rules": [{"Claim": "groups", "MatchType": "Contains", "Value": "admins", "RoleARN": admins}]}}})
`

// TestIdentityPoolBoto3Credentials: GetCredentialsForIdentity (the
// enhanced flow) as a guest and signed in, the role chosen by the pool's
// rules, and the credentials calling STS as the role's session. A
// CustomRoleArn the rules would not give (a Rules mapping has no
// cognito:roles to pick from) changes nothing.
func TestIdentityPoolBoto3Credentials(t *testing.T) {
	p := startPoolBoto3(t)
	got := p.run(t, poolBoto3Roles+`
g = alias(ci.get_id(IdentityPoolId=web)["IdentityId"], "GUEST")
out["guest"] = credentials(g)
a = alias(ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["ALICE"]})["IdentityId"], "ALICE")
out["alice"] = credentials(a, Logins={PROVIDER: E["ALICE"]})
b = alias(ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["BOB"]})["IdentityId"], "BOB")
out["bob"] = credentials(b, Logins={PROVIDER: E["BOB"]})
out["bob asks for admins"] = credentials(b, Logins={PROVIDER: E["BOB"]}, CustomRoleArn=admins)
out["guest asks for admins"] = credentials(g, CustomRoleArn=admins)
rejects("guest call on a signed-in identity", ci.exceptions.NotAuthorizedException, ci.get_credentials_for_identity, IdentityId=b)
`)
	p.compare(t, got, `{
	  "guest": ["GUEST", "arn:aws:sts::ACCOUNT:assumed-role/web-guest/CognitoIdentityCredentials"],
	  "alice": ["ALICE", "arn:aws:sts::ACCOUNT:assumed-role/web-admins/CognitoIdentityCredentials"],
	  "bob": ["BOB", "arn:aws:sts::ACCOUNT:assumed-role/web-auth/CognitoIdentityCredentials"],
	  "bob asks for admins": ["BOB", "arn:aws:sts::ACCOUNT:assumed-role/web-auth/CognitoIdentityCredentials"],
	  "guest asks for admins": ["GUEST", "arn:aws:sts::ACCOUNT:assumed-role/web-guest/CognitoIdentityCredentials"],
	  "reject": {"guest call on a signed-in identity": ["NotAuthorizedException", 400]}
	}`)
}

// TestIdentityPoolBoto3BasicFlow: GetOpenIdToken's token (the basic flow)
// taken to STS AssumeRoleWithWebIdentity by boto3, for a role trusting
// cognito-identity.amazonaws.com on the pool's aud and amr.
func TestIdentityPoolBoto3BasicFlow(t *testing.T) {
	p := startPoolBoto3(t)
	got := p.run(t, poolBoto3Roles+`
a = alias(ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["ALICE"]})["IdentityId"], "ALICE")
r = ci.get_open_id_token(IdentityId=a, Logins={PROVIDER: E["ALICE"]})
out["token"] = [r["IdentityId"], r["Token"].count(".")]
s = sts.assume_role_with_web_identity(RoleArn=auth, RoleSessionName="basic", WebIdentityToken=r["Token"])
out["sts"] = [s["AssumedRoleUser"]["Arn"], s["SubjectFromWebIdentityToken"], s["Audience"], s.get("Provider")]
c = s["Credentials"]
out["caller"] = caller({"AccessKeyId": c["AccessKeyId"], "SecretKey": c["SecretAccessKey"], "SessionToken": c["SessionToken"]})
g = alias(ci.get_id(IdentityPoolId=web)["IdentityId"], "GUEST")
gt = ci.get_open_id_token(IdentityId=g)["Token"]
s = sts.assume_role_with_web_identity(RoleArn=guest, RoleSessionName="guest", WebIdentityToken=gt)
out["guest sts"] = s["AssumedRoleUser"]["Arn"]
try:
    sts.assume_role_with_web_identity(RoleArn=auth, RoleSessionName="guest", WebIdentityToken=gt)
    out["guest as authenticated"] = "succeeded"
except botocore.exceptions.ClientError as e:
    out["guest as authenticated"] = failure(e)
`)
	p.compare(t, got, `{
	  "token": ["ALICE", 2],
	  "sts": ["arn:aws:sts::ACCOUNT:assumed-role/web-auth/basic", "ALICE", "WEB", "cognito-identity.amazonaws.com"],
	  "caller": "arn:aws:sts::ACCOUNT:assumed-role/web-auth/basic",
	  "guest sts": "arn:aws:sts::ACCOUNT:assumed-role/web-guest/guest",
	  "guest as authenticated": ["AccessDenied", 403]
	}`)
}

// TestIdentityPoolBoto3Developer: developer-authenticated identities:
// GetOpenIdTokenForDeveloperIdentity (the same user, the same identity),
// its token as a login of GetCredentialsForIdentity,
// LookupDeveloperIdentity both ways, MergeDeveloperIdentities and
// UnlinkDeveloperIdentity; a user already linked elsewhere is
// DeveloperUserAlreadyRegisteredException.
func TestIdentityPoolBoto3Developer(t *testing.T) {
	p := startPoolBoto3(t)
	got := p.run(t, poolBoto3Roles+`
r = ci.get_open_id_token_for_developer_identity(IdentityPoolId=web, Logins={DEV: "user-1"}, TokenDuration=600,
    PrincipalTags={"plan": "pro"})
d1 = alias(r["IdentityId"], "DEV1")
out["again"] = ci.get_open_id_token_for_developer_identity(IdentityPoolId=web, Logins={DEV: "user-1"})["IdentityId"]
out["credentials"] = credentials(d1, Logins={"cognito-identity.amazonaws.com": r["Token"]})
d2 = alias(ci.get_open_id_token_for_developer_identity(IdentityPoolId=web, Logins={DEV: "user-2"})["IdentityId"], "DEV2")
out["lookup user"] = clean(ci.lookup_developer_identity(IdentityPoolId=web, DeveloperUserIdentifier="user-1", MaxResults=10))
out["lookup id"] = clean(ci.lookup_developer_identity(IdentityPoolId=web, IdentityId=d2, MaxResults=10))
out["describe"] = ci.describe_identity(IdentityId=d1).get("Logins")
out["merge"] = clean(ci.merge_developer_identities(SourceUserIdentifier="user-2", DestinationUserIdentifier="user-1",
    DeveloperProviderName=DEV, IdentityPoolId=web))
l = ci.lookup_developer_identity(IdentityPoolId=web, IdentityId=d1, MaxResults=10)
out["merged"] = [l["IdentityId"], sorted(l["DeveloperUserIdentifierList"])]
rejects("merged away", ci.exceptions.ResourceNotFoundException, ci.describe_identity, IdentityId=d2)
a = alias(ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["ALICE"]})["IdentityId"], "ALICE")
rejects("already registered", ci.exceptions.DeveloperUserAlreadyRegisteredException,
    ci.get_open_id_token_for_developer_identity, IdentityPoolId=web, IdentityId=a, Logins={DEV: "user-1"})
ci.unlink_developer_identity(IdentityId=d1, IdentityPoolId=web, DeveloperProviderName=DEV, DeveloperUserIdentifier="user-2")
out["unlinked"] = ci.lookup_developer_identity(IdentityPoolId=web, IdentityId=d1, MaxResults=10)["DeveloperUserIdentifierList"]
rejects("unlinked user", ci.exceptions.ResourceNotFoundException, ci.lookup_developer_identity,
    IdentityPoolId=web, DeveloperUserIdentifier="user-2", MaxResults=10)
`)
	p.compare(t, got, `{
	  "again": "DEV1",
	  "credentials": ["DEV1", "arn:aws:sts::ACCOUNT:assumed-role/web-auth/CognitoIdentityCredentials"],
	  "lookup user": {"IdentityId": "DEV1", "DeveloperUserIdentifierList": ["user-1"]},
	  "lookup id": {"IdentityId": "DEV2", "DeveloperUserIdentifierList": ["user-2"]},
	  "describe": ["login.brevet.test"],
	  "merge": {"IdentityId": "DEV1"},
	  "merged": ["DEV1", ["user-1", "user-2"]],
	  "unlinked": ["user-1"],
	  "reject": {
	    "merged away": ["ResourceNotFoundException", 400],
	    "already registered": ["DeveloperUserAlreadyRegisteredException", 400],
	    "unlinked user": ["ResourceNotFoundException", 400]
	  }
	}`)
}

// TestIdentityPoolBoto3MustReject: the must-rejects, each a
// subtest, as boto3 raises them: an unauthenticated GetId on a pool
// without guests, a login from a provider the pool does not list, a
// token for another audience, an expired token, a rule that matches
// nothing with Deny resolution, the enhanced flow on a role without the
// aud condition, developer identities from a caller without
// cognito-identity:GetOpenIdTokenForDeveloperIdentity; and the basic flow
// on a pool that has not turned it on.
func TestIdentityPoolBoto3MustReject(t *testing.T) {
	p := startPoolBoto3(t)
	got := p.run(t, poolBoto3Roles+`
E_ = ci.exceptions
members = pool("members", guests=False, OpenIdConnectProviderARNs=[arn])
rejects("unauthenticated GetId on a pool without guests", E_.NotAuthorizedException, ci.get_id, IdentityPoolId=members)
rejects("login from a provider the pool does not list", E_.NotAuthorizedException, ci.get_id,
    IdentityPoolId=web, Logins={OTHER: E["STRANGER"]})
rejects("token for another audience", E_.NotAuthorizedException, ci.get_id,
    IdentityPoolId=web, Logins={PROVIDER: E["OTHER_AUDIENCE"]})
rejects("expired token", E_.NotAuthorizedException, ci.get_id, IdentityPoolId=web, Logins={PROVIDER: E["EXPIRED"]})
a = ci.get_id(IdentityPoolId=web, Logins={PROVIDER: E["ALICE"]})["IdentityId"]
rejects("expired token for credentials", E_.NotAuthorizedException, ci.get_credentials_for_identity,
    IdentityId=a, Logins={PROVIDER: E["EXPIRED"]})

strict = pool("strict", OpenIdConnectProviderARNs=[arn])
ci.set_identity_pool_roles(IdentityPoolId=strict,
    Roles={"authenticated": role("strict-auth", strict, "authenticated"), "unauthenticated": role("strict-guest", strict, "unauthenticated")},
    RoleMappings={PROVIDER: {"Type": "Rules", "AmbiguousRoleResolution": "Deny",
        "RulesConfiguration": {"Rules": [{"Claim": "department", "MatchType": "Equals", "Value": "finance",
            "RoleARN": role("strict-finance", strict, "authenticated")}]}}})
s = ci.get_id(IdentityPoolId=strict, Logins={PROVIDER: E["ALICE"]})["IdentityId"]
rejects("rule matching nothing with Deny", E_.NotAuthorizedException, ci.get_credentials_for_identity,
    IdentityId=s, Logins={PROVIDER: E["ALICE"]})

loose = pool("loose")
ci.set_identity_pool_roles(IdentityPoolId=loose, Roles={"unauthenticated": role("loose-guest", loose, "unauthenticated", aud=False)})
rejects("enhanced flow on a role without aud", E_.InvalidIdentityPoolConfigurationException,
    ci.get_credentials_for_identity, IdentityId=ci.get_id(IdentityPoolId=loose)["IdentityId"])

iam.create_user(UserName="no-dev")
iam.put_user_policy(UserName="no-dev", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cognito-identity:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "cognito-identity:GetOpenIdTokenForDeveloperIdentity", "Resource": "*"}]}))
k = iam.create_access_key(UserName="no-dev")["AccessKey"]
nodev = client("cognito-identity", k["AccessKeyId"], k["SecretAccessKey"])
out["no-dev can describe"] = nodev.describe_identity_pool(IdentityPoolId=web)["IdentityPoolName"]
try:
    nodev.get_open_id_token_for_developer_identity(IdentityPoolId=web, Logins={DEV: "user-1"})
    out.setdefault("reject", {})["developer identity without permission"] = "succeeded"
except botocore.exceptions.ClientError as e:
    out.setdefault("reject", {})["developer identity without permission"] = failure(e)
    out.setdefault("reason", {})["developer identity without permission"] = e.response["Error"].get("Message", "")

rejects("basic flow off", E_.InvalidParameterException, ci.get_open_id_token,
    IdentityId=ci.get_id(IdentityPoolId=loose)["IdentityId"])
`)
	tests := []struct {
		name, code string
		status     float64
		message    string // the message's beginning
	}{
		{"unauthenticated GetId on a pool without guests", "NotAuthorizedException", 400, "Unauthenticated access is not supported for this identity pool."},
		{"login from a provider the pool does not list", "NotAuthorizedException", 400, "Token is not from a supported provider of this identity pool."},
		{"token for another audience", "NotAuthorizedException", 400, "Invalid login token. Incorrect token audience."},
		{"expired token", "NotAuthorizedException", 400, "Invalid login token. Token expired: "},
		{"expired token for credentials", "NotAuthorizedException", 400, "Invalid login token. Token expired: "},
		{"rule matching nothing with Deny", "NotAuthorizedException", 400, ""},
		{"enhanced flow on a role without aud", "InvalidIdentityPoolConfigurationException", 400,
			"Invalid identity pool configuration. Check assigned IAM roles for this pool."},
		{"developer identity without permission", "AccessDeniedException", 403,
			"User: arn:aws:iam::" + testAccount + ":user/no-dev is not authorized to perform: cognito-identity:GetOpenIdTokenForDeveloperIdentity"},
		{"basic flow off", "InvalidParameterException", 400, "Basic (classic) flow is not enabled, please use enhanced flow."},
	}
	reasons := p.compare(t, map[string]any{"no-dev can describe": got["no-dev can describe"], "reason": got["reason"]},
		`{"no-dev can describe": "web"}`)
	rejected, _ := got["reject"].(map[string]any)
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			if diff := cmp.Diff([]any{tt.code, tt.status}, rejected[tt.name]); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
			if msg := fmt.Sprint(reasons[tt.name]); !strings.HasPrefix(msg, tt.message) {
				t.Errorf("%s: message %q, want it to begin %q", tt.name, msg, tt.message)
			}
		})
	}
	if len(rejected) != len(tests) {
		t.Errorf("the script reported %d rejections, want %d: %v", len(rejected), len(tests), rejected)
	}
}

// skipOrFail skips a test whose tool is missing, except in CI, which must
// have it.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}
