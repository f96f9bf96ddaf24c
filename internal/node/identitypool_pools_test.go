package node

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identitypool"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
)

// poolsEnv is a node, Cognito Identity clients for the admin and for an
// operator user whose policy a test sets, and two roles of the account.
type poolsEnv struct {
	n           *Node
	admin       sigv4.Credentials
	ci, op      *cognitoidentity.Client
	auth, guest string
}

func startPoolsNode(t *testing.T) *poolsEnv {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	n, _ := startNode(t, dataDir, Options{})
	e := &poolsEnv{n: n, admin: adminCreds(t, dataDir)}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	for _, r := range []string{"poolauth", "poolguest"} {
		e.iam(t, "Action=CreateRole&Version=2010-05-08&RoleName="+r+"&AssumeRolePolicyDocument="+url.QueryEscape(trust))
	}
	e.auth, e.guest = "arn:aws:iam::"+testAccount+":role/poolauth", "arn:aws:iam::"+testAccount+":role/poolguest"
	e.ci = poolsClient(n, e.admin)
	e.op = poolsClient(n, newUserKey(t, e.iam, "poolop"))
	return e
}

func poolsClient(n *Node, c sigv4.Credentials) *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		RetryMaxAttempts: 1})
}

// iam sends an IAM Query request as the admin.
func (e *poolsEnv) iam(t *testing.T, body string) string {
	t.Helper()
	return adminIAM(t, e.n, e.admin, body)
}

// allow replaces the operator's policy with one holding statements (JSON objects).
func (e *poolsEnv) allow(t *testing.T, statements ...string) {
	t.Helper()
	allowUser(t, e.iam, "poolop", "pools", statements...)
}

// wantPoolsError checks err is the API error code with a message holding msg.
func wantPoolsError(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: %s %q, want %s containing %q", what, ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// TestIdentityPoolAdminRoundTrip drives every pool action through
// aws-sdk-go-v2: create, describe, list, update, roles and mappings,
// principal tag maps, tags, delete.
func TestIdentityPoolAdminRoundTrip(t *testing.T) {
	e := startPoolsNode(t)
	ctx := context.Background()
	oidc := "arn:aws:iam::" + testAccount + ":oidc-provider/login.example.com"
	made, err := e.ci.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("web app"), AllowUnauthenticatedIdentities: true,
		SupportedLoginProviders:   map[string]string{"accounts.google.com": "123.apps.googleusercontent.com"},
		OpenIdConnectProviderARNs: []string{oidc}, DeveloperProviderName: aws.String("login.webapp"),
		IdentityPoolTags: map[string]string{"team": "blue"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(made.IdentityPoolId)
	if !strings.HasPrefix(id, "us-east-1:") || made.AllowClassicFlow == nil || *made.AllowClassicFlow {
		t.Fatalf("CreateIdentityPool: id %q, AllowClassicFlow %v", id, made.AllowClassicFlow)
	}
	desc, err := e.ci.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.IdentityPoolName) != "web app" || !desc.AllowUnauthenticatedIdentities || !slices.Equal(desc.OpenIdConnectProviderARNs, []string{oidc}) ||
		desc.SupportedLoginProviders["accounts.google.com"] != "123.apps.googleusercontent.com" || desc.IdentityPoolTags["team"] != "blue" ||
		aws.ToString(desc.DeveloperProviderName) != "login.webapp" {
		t.Errorf("DescribeIdentityPool: %+v", desc)
	}

	// Two more pools, listed two a page.
	for _, name := range []string{"second", "third"} {
		if _, err := e.ci.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := cognitoidentity.NewListIdentityPoolsPaginator(e.ci, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(2)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.IdentityPools {
			names = append(names, aws.ToString(p.IdentityPoolName))
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"second", "third", "web app"}) {
		t.Errorf("ListIdentityPools: %v", names)
	}

	// Roles and a rules mapping for the OIDC provider.
	mappings := map[string]types.RoleMapping{"login.example.com": {Type: types.RoleMappingTypeRules, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeAuthenticatedRole,
		RulesConfiguration: &types.RulesConfigurationType{Rules: []types.MappingRule{{Claim: aws.String("groups"), MatchType: types.MappingRuleMatchTypeContains,
			Value: aws.String("admins"), RoleARN: aws.String(e.auth)}}}}}
	if _, err := e.ci.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: &id,
		Roles: map[string]string{"authenticated": e.auth, "unauthenticated": e.guest}, RoleMappings: mappings}); err != nil {
		t.Fatal(err)
	}
	roles, err := e.ci.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: &id})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"authenticated": e.auth, "unauthenticated": e.guest}, roles.Roles); diff != "" {
		t.Errorf("GetIdentityPoolRoles roles (-want +got):\n%s", diff)
	}
	rm := roles.RoleMappings["login.example.com"]
	if rm.Type != types.RoleMappingTypeRules || rm.RulesConfiguration == nil || len(rm.RulesConfiguration.Rules) != 1 ||
		aws.ToString(rm.RulesConfiguration.Rules[0].RoleARN) != e.auth || rm.RulesConfiguration.Rules[0].MatchType != types.MappingRuleMatchTypeContains {
		t.Errorf("GetIdentityPoolRoles mapping: %+v", rm)
	}
	_, err = e.ci.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: &id, Roles: map[string]string{},
		RoleMappings: map[string]types.RoleMapping{"other.example.com": {Type: types.RoleMappingTypeToken, AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny}}})
	wantPoolsError(t, "a mapping for a provider the pool lacks", err, "InvalidParameterException", "is not a valid RoleMapping ProviderName or is not a configured provider.")

	// Principal tags.
	if _, err := e.ci.SetPrincipalTagAttributeMap(ctx, &cognitoidentity.SetPrincipalTagAttributeMapInput{IdentityPoolId: &id,
		IdentityProviderName: aws.String("login.example.com"), PrincipalTags: map[string]string{"tenant": "custom:tenant"}}); err != nil {
		t.Fatal(err)
	}
	tm, err := e.ci.GetPrincipalTagAttributeMap(ctx, &cognitoidentity.GetPrincipalTagAttributeMapInput{IdentityPoolId: &id, IdentityProviderName: aws.String("login.example.com")})
	if err != nil {
		t.Fatal(err)
	}
	if tm.PrincipalTags["tenant"] != "custom:tenant" || aws.ToBool(tm.UseDefaults) {
		t.Errorf("GetPrincipalTagAttributeMap: %+v", tm)
	}

	// Update: the whole pool, roles and tags kept.
	up, err := e.ci.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: &id, IdentityPoolName: aws.String("web app 2"),
		AllowUnauthenticatedIdentities: false, OpenIdConnectProviderARNs: []string{oidc}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.IdentityPoolName) != "web app 2" || up.AllowUnauthenticatedIdentities || len(up.SupportedLoginProviders) != 0 || up.IdentityPoolTags["team"] != "blue" {
		t.Errorf("UpdateIdentityPool: %+v", up)
	}
	if roles, _ := e.ci.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: &id}); roles == nil || roles.Roles["authenticated"] != e.auth {
		t.Errorf("roles after UpdateIdentityPool: %+v, want kept", roles)
	}

	// Tags.
	arn := "arn:aws:cognito-identity:us-east-1:" + testAccount + ":identitypool/" + id
	if _, err := e.ci.TagResource(ctx, &cognitoidentity.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ci.UntagResource(ctx, &cognitoidentity.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.ci.ListTagsForResource(ctx, &cognitoidentity.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"env": "prod"}, tags.Tags); diff != "" {
		t.Errorf("ListTagsForResource (-want +got):\n%s", diff)
	}
	_, err = e.ci.TagResource(ctx, &cognitoidentity.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"aws:owner": "me"}})
	wantPoolsError(t, "an aws: tag", err, "InvalidParameterException", "reserved for AWS use")

	// Validation in AWS's words.
	_, err = e.ci.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("no/slashes")})
	wantPoolsError(t, "a bad name", err, "InvalidParameterException",
		`1 validation error detected: Value 'no/slashes' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+`)

	// Delete.
	if _, err := e.ci.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: &id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.ci.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: &id})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "IdentityPool '"+id+"' not found." {
		t.Errorf("DescribeIdentityPool after delete: %v, want ResourceNotFoundException", err)
	}
}

// TestIdentityPoolDeniedCaller: a user whose policies allow nothing of
// Cognito Identity is refused every administrative action
// (AccessDeniedException), and a pool's tags are its aws:ResourceTag keys.
func TestIdentityPoolDeniedCaller(t *testing.T) {
	e := startPoolsNode(t)
	ctx := context.Background()
	made, err := e.ci.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), IdentityPoolTags: map[string]string{"team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	id := made.IdentityPoolId
	_, err = e.op.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("mine")})
	wantPoolsError(t, "CreateIdentityPool", err, "AccessDeniedException", "cognito-identity:CreateIdentityPool")
	_, err = e.op.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: id})
	wantPoolsError(t, "DescribeIdentityPool", err, "AccessDeniedException", "cognito-identity:DescribeIdentityPool")
	_, err = e.op.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	wantPoolsError(t, "ListIdentityPools", err, "AccessDeniedException", "cognito-identity:ListIdentityPools")
	_, err = e.op.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: id})
	wantPoolsError(t, "DeleteIdentityPool", err, "AccessDeniedException", "cognito-identity:DeleteIdentityPool")
	if _, err := e.ci.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: id}); err != nil {
		t.Errorf("the pool after a denied delete: %v", err)
	}

	// Allowed only on pools tagged team=red: this one is blue.
	e.allow(t, `{"Effect":"Allow","Action":"cognito-identity:DescribeIdentityPool","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}}`)
	_, err = e.op.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: id})
	wantPoolsError(t, "DescribeIdentityPool of a blue pool, allowed on red", err, "AccessDeniedException", "cognito-identity:DescribeIdentityPool")
	e.allow(t, `{"Effect":"Allow","Action":"cognito-identity:DescribeIdentityPool","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}}`)
	if _, err := e.op.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: id}); err != nil {
		t.Errorf("DescribeIdentityPool of a blue pool, allowed on blue: %v", err)
	}

	// Tags set through UpdateIdentityPool are its aws:TagKeys: a policy
	// allowing updates that set no tags refuses one that does.
	e.allow(t, `{"Effect":"Allow","Action":"cognito-identity:UpdateIdentityPool","Resource":"*","Condition":{"Null":{"aws:TagKeys":"true"}}}`)
	_, err = e.op.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: id, IdentityPoolName: aws.String("p"),
		IdentityPoolTags: map[string]string{"team": "red"}})
	wantPoolsError(t, "UpdateIdentityPool setting tags, allowed without", err, "AccessDeniedException", "cognito-identity:UpdateIdentityPool")
	if _, err := e.op.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: id, IdentityPoolName: aws.String("p2")}); err != nil {
		t.Errorf("UpdateIdentityPool setting no tags: %v", err)
	}
}

// TestIdentityPoolSetRolesNeedsPassRole: giving a pool roles hands them
// to whoever its providers vouch for, so SetIdentityPoolRoles needs
// iam:PassRole on each role with iam:PassedToService
// cognito-identity.amazonaws.com; cognito-identity:* alone does not do.
func TestIdentityPoolSetRolesNeedsPassRole(t *testing.T) {
	e := startPoolsNode(t)
	ctx := context.Background()
	ci := `{"Effect":"Allow","Action":"cognito-identity:*","Resource":"*"}`
	e.allow(t, ci)
	made, err := e.op.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), AllowUnauthenticatedIdentities: true})
	if err != nil {
		t.Fatal(err)
	}
	set := &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: made.IdentityPoolId, Roles: map[string]string{"unauthenticated": e.guest}}
	_, err = e.op.SetIdentityPoolRoles(ctx, set)
	wantPoolsError(t, "SetIdentityPoolRoles without iam:PassRole", err, "AccessDeniedException", "iam:PassRole")

	e.allow(t, ci, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+e.guest+`","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`)
	_, err = e.op.SetIdentityPoolRoles(ctx, set)
	wantPoolsError(t, "SetIdentityPoolRoles with iam:PassRole to EC2", err, "AccessDeniedException", "iam:PassRole")
	if roles, _ := e.ci.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: made.IdentityPoolId}); roles == nil || len(roles.Roles) != 0 {
		t.Errorf("roles after denied sets: %+v, want none", roles)
	}

	e.allow(t, ci, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+e.guest+`","Condition":{"StringEquals":{"iam:PassedToService":"cognito-identity.amazonaws.com"}}}`)
	if _, err := e.op.SetIdentityPoolRoles(ctx, set); err != nil {
		t.Fatalf("SetIdentityPoolRoles with iam:PassRole to Cognito Identity: %v", err)
	}
	// Each role it names: the authenticated one is not passable.
	set.Roles["authenticated"] = e.auth
	_, err = e.op.SetIdentityPoolRoles(ctx, set)
	wantPoolsError(t, "SetIdentityPoolRoles with a second role", err, "AccessDeniedException", e.auth)
}

// TestIdentityPoolOtherAccountInvisible: a pool of another account is
// neither listed, described, tagged nor deleted by this account's admin:
// ResourceNotFoundException, as for a pool that does not exist.
func TestIdentityPoolOtherAccountInvisible(t *testing.T) {
	e := startPoolsNode(t)
	ctx := context.Background()
	const other = "444455556666"
	if err := e.n.st.Accounts().Create(ctx, iam.Account{ID: other, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	theirs := &identitypool.Pool{IdentityPoolId: "us-east-1:5b7d6c0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", IdentityPoolName: "theirs", AllowUnauthenticatedIdentities: true}
	body, _ := theirs.MarshalStored()
	if err := e.n.st.Objects().Create(ctx, store.Object{Account: other, Kind: identitypool.KindPool, ID: theirs.IdentityPoolId, Body: body,
		Created: time.Now(), Updated: time.Now()}); err != nil {
		t.Fatal(err)
	}
	id := &theirs.IdentityPoolId
	_, err := e.ci.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: id})
	wantPoolsError(t, "DescribeIdentityPool", err, "ResourceNotFoundException", "IdentityPool '"+*id+"' not found.")
	_, err = e.ci.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: id})
	wantPoolsError(t, "GetIdentityPoolRoles", err, "ResourceNotFoundException", "not found")
	_, err = e.ci.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: id, IdentityPoolName: aws.String("mine")})
	wantPoolsError(t, "UpdateIdentityPool", err, "ResourceNotFoundException", "not found")
	_, err = e.ci.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: id})
	wantPoolsError(t, "DeleteIdentityPool", err, "ResourceNotFoundException", "not found")
	for _, arn := range []string{"arn:aws:cognito-identity:us-east-1:" + other + ":identitypool/" + *id, "arn:aws:cognito-identity:us-east-1:" + testAccount + ":identitypool/" + *id} {
		_, err = e.ci.TagResource(ctx, &cognitoidentity.TagResourceInput{ResourceArn: &arn, Tags: map[string]string{"k": "v"}})
		wantPoolsError(t, "TagResource "+arn, err, "ResourceNotFoundException", "not found")
	}
	list, err := e.ci.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil || len(list.IdentityPools) != 0 {
		t.Errorf("ListIdentityPools: %v %+v, want none", err, list)
	}
	o, err := e.n.st.Objects().Get(ctx, other, identitypool.KindPool, *id)
	if err != nil || string(o.Body) != string(body) {
		t.Errorf("their pool after our calls: %v %s", err, o.Body)
	}
}
