package node

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
)

// identitiesEnv is a node with two OIDC providers registered in IAM (the
// pool lists the first, and the second in pool "both"), a pool allowing
// guests with a developer provider, and a pool without guests.
type identitiesEnv struct {
	*poolsEnv
	idp, other           *fedtest.OIDCProvider
	idpName, otherName   string
	pool, both, noGuests string
}

// the client id the IAM OIDC providers accept.
const identitiesApp = "web-app"

func startIdentitiesNode(t *testing.T, env ...string) *identitiesEnv {
	t.Helper()
	dataDir := filepath.Join(t.TempDir(), "data")
	n, _ := startNode(t, dataDir, Options{}, env...)
	e := &identitiesEnv{poolsEnv: &poolsEnv{n: n, admin: adminCreds(t, dataDir)}}
	e.ci = poolsClient(n, e.admin)
	e.op = poolsClient(n, newUserKey(t, e.iam, "poolop"))

	e.idp, e.other = fedtest.NewOIDCProvider(t), fedtest.NewOIDCProvider(t)
	var arns []string
	for _, p := range []*fedtest.OIDCProvider{e.idp, e.other} {
		out := e.iam(t, "Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url="+url.QueryEscape(p.Issuer())+
			"&ClientIDList.member.1="+identitiesApp+"&ThumbprintList.member.1="+thumbprint(t, p))
		arns = append(arns, textBetween(out, "<OpenIDConnectProviderArn>", "<"))
	}
	e.idpName, e.otherName = strings.TrimPrefix(e.idp.Issuer(), "https://"), strings.TrimPrefix(e.other.Issuer(), "https://")
	ctx := context.Background()
	mk := func(in *cognitoidentity.CreateIdentityPoolInput) string {
		t.Helper()
		p, err := e.ci.CreateIdentityPool(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(p.IdentityPoolId)
	}
	e.pool = mk(&cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("app"), AllowUnauthenticatedIdentities: true,
		OpenIdConnectProviderARNs: arns[:1], DeveloperProviderName: aws.String("login.webapp")})
	e.both = mk(&cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("both"), OpenIdConnectProviderARNs: arns})
	e.noGuests = mk(&cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("members only"), OpenIdConnectProviderARNs: arns[:1]})
	return e
}

// samlPool registers a SAML provider in IAM (corp, metadata from a new
// fedtest IdP) and makes a pool, saml, that lists it; it returns the IdP,
// the provider's ARN and the pool's id.
func (e *identitiesEnv) samlPool(t *testing.T) (saml *fedtest.SAMLIdP, arn, pool string) {
	t.Helper()
	saml = fedtest.NewSAMLIdP(t, "https://idp.example.com/saml")
	out := e.iam(t, "Action=CreateSAMLProvider&Version=2010-05-08&Name=corp&SAMLMetadataDocument="+url.QueryEscape(saml.Metadata()))
	_, rest, _ := strings.Cut(out, "<SAMLProviderArn>")
	arn, _, _ = strings.Cut(rest, "<")
	p, err := e.ci.CreateIdentityPool(context.Background(), &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("saml"),
		SamlProviderARNs: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	return saml, arn, aws.ToString(p.IdentityPoolId)
}

// thumbprint is the hex SHA-1 of the last certificate p's server
// presents, as IAM's ThumbprintList takes it.
func thumbprint(t *testing.T, p *fedtest.OIDCProvider) string {
	t.Helper()
	u, _ := url.Parse(p.Issuer())
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{InsecureSkipVerify: true}) // only to read the certificate
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	certs := conn.ConnectionState().PeerCertificates
	sum := sha1.Sum(certs[len(certs)-1].Raw)
	return hex.EncodeToString(sum[:])
}

// idToken is an ID token of p for sub, audience identitiesApp.
func idToken(t *testing.T, p *fedtest.OIDCProvider, sub string) string {
	return p.Token(t, p.Claims(sub, identitiesApp, time.Now()))
}

func (e *identitiesEnv) getID(pool string, logins map[string]string) (string, error) {
	out, err := e.ci.GetId(context.Background(), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(pool), Logins: logins})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.IdentityId), nil
}

// TestIdentityPoolGetId: a guest gets a new identity each time; the same
// login always the same one; a second provider's login presented with
// the first links to it, and two identities whose logins meet merge into
// the older; the admin actions see, page and delete them.
func TestIdentityPoolGetId(t *testing.T) {
	e := startIdentitiesNode(t)
	ctx := context.Background()
	g1, err := e.getID(e.pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := e.getID(e.pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g1 == g2 || !strings.HasPrefix(g1, "us-east-1:") {
		t.Errorf("two guests: %s and %s, want two ids", g1, g2)
	}
	a1, err := e.getID(e.pool, map[string]string{e.idpName: idToken(t, e.idp, "alice")})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := e.getID(e.pool, map[string]string{e.idpName: idToken(t, e.idp, "alice")})
	if err != nil || a2 != a1 {
		t.Errorf("alice again: %s (%v), want %s", a2, err, a1)
	}
	d, err := e.ci.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: &a1})
	if err != nil || !slices.Equal(d.Logins, []string{e.idpName}) || d.CreationDate == nil {
		t.Errorf("DescribeIdentity: %+v (%v)", d, err)
	}

	// Paging: four identities two at a time.
	var listed []string
	var next *string
	for range 3 {
		page, err := e.ci.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: &e.pool, MaxResults: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range page.Identities {
			listed = append(listed, aws.ToString(i.IdentityId))
		}
		if next = page.NextToken; next == nil {
			break
		}
	}
	slices.Sort(listed)
	want := []string{g1, g2, a1}
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("ListIdentities: %v, want %v", listed, want)
	}

	// Merge: bob of idp and bob of other are two identities of "both";
	// presented together they become the older.
	b1, err := e.getID(e.both, map[string]string{e.idpName: idToken(t, e.idp, "bob")})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	b2, err := e.getID(e.both, map[string]string{e.otherName: idToken(t, e.other, "bob")})
	if err != nil || b2 == b1 {
		t.Fatalf("bob of the other provider: %s (%v), want a second identity", b2, err)
	}
	m, err := e.getID(e.both, map[string]string{e.idpName: idToken(t, e.idp, "bob"), e.otherName: idToken(t, e.other, "bob")})
	if err != nil || m != b1 {
		t.Fatalf("both logins: %s (%v), want the older %s", m, err, b1)
	}
	_, err = e.ci.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: &b2})
	wantPoolsError(t, "DescribeIdentity of the merged identity", err, "ResourceNotFoundException", "not found")
	if again, err := e.getID(e.both, map[string]string{e.otherName: idToken(t, e.other, "bob")}); err != nil || again != b1 {
		t.Errorf("the merged login: %s (%v), want %s", again, err, b1)
	}

	// UnlinkIdentity (unsigned, proved by a login): bob of other becomes
	// a new identity again.
	if _, err := e.ci.UnlinkIdentity(ctx, &cognitoidentity.UnlinkIdentityInput{IdentityId: &b1,
		Logins: map[string]string{e.idpName: idToken(t, e.idp, "bob")}, LoginsToRemove: []string{e.otherName}}); err != nil {
		t.Fatal(err)
	}
	if again, err := e.getID(e.both, map[string]string{e.otherName: idToken(t, e.other, "bob")}); err != nil || again == b1 {
		t.Errorf("an unlinked login: %s (%v), want a new identity", again, err)
	}

	del, err := e.ci.DeleteIdentities(ctx, &cognitoidentity.DeleteIdentitiesInput{IdentityIdsToDelete: []string{a1, g1}})
	if err != nil || len(del.UnprocessedIdentityIds) != 0 {
		t.Fatalf("DeleteIdentities: %+v (%v)", del, err)
	}
	_, err = e.ci.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: &a1})
	wantPoolsError(t, "DescribeIdentity after delete", err, "ResourceNotFoundException", "not found")
	if a3, err := e.getID(e.pool, map[string]string{e.idpName: idToken(t, e.idp, "alice")}); err != nil || a3 == a1 {
		t.Errorf("alice after her identity was deleted: %s (%v), want a new identity", a3, err)
	}
}

// TestIdentityPoolGetIdRejects holds the must-reject cases of GetId.
func TestIdentityPoolGetIdRejects(t *testing.T) {
	e := startIdentitiesNode(t)
	expired := e.idp.Claims("carol", identitiesApp, time.Now().Add(-2*time.Hour))
	cases := []struct {
		name, pool string
		logins     map[string]string
		code, msg  string
	}{
		{"GuestOnPoolWithoutGuests", e.noGuests, nil, "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool."},
		{"ProviderNotListed", e.pool, map[string]string{e.otherName: idToken(t, e.other, "carol")},
			"NotAuthorizedException", "Token is not from a supported provider of this identity pool."},
		{"OtherAudience", e.pool, map[string]string{e.idpName: e.idp.Token(t, e.idp.Claims("carol", "someone-else", time.Now()))},
			"NotAuthorizedException", "Invalid login token."},
		{"ExpiredToken", e.pool, map[string]string{e.idpName: e.idp.Token(t, expired)}, "NotAuthorizedException", "Token expired"},
		{"WrongIssuerForKey", e.pool, map[string]string{e.idpName: idToken(t, e.other, "carol")}, "NotAuthorizedException", "Invalid login token."},
		{"NotAJWT", e.pool, map[string]string{e.idpName: "not-a-token"}, "NotAuthorizedException", "Invalid login token."},
		{"UnknownPool", "us-east-1:00000000-0000-4000-8000-000000000000", nil, "ResourceNotFoundException", "not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.getID(c.pool, c.logins)
			wantPoolsError(t, c.name, err, c.code, c.msg)
			for _, tok := range c.logins {
				if err != nil && strings.Contains(err.Error(), tok) {
					t.Errorf("the error echoes the token")
				}
			}
		})
	}
	_, err := e.ci.GetId(context.Background(), &cognitoidentity.GetIdInput{IdentityPoolId: &e.pool, AccountId: aws.String("210987654321")})
	wantPoolsError(t, "GetId naming another account", err, "ResourceNotFoundException", "not found")
}

// TestIdentityPoolDeveloperIdentities: the back end's developer tokens,
// lookup, merge and unlink; a caller IAM does not allow is refused.
func TestIdentityPoolDeveloperIdentities(t *testing.T) {
	e := startIdentitiesNode(t)
	ctx := context.Background()
	dev := func(c *cognitoidentity.Client, user string) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error) {
		return c.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: &e.pool, Logins: map[string]string{"login.webapp": user}, TokenDuration: aws.Int64(600)})
	}
	_, err := dev(e.op, "u1")
	wantPoolsError(t, "a caller without cognito-identity:GetOpenIdTokenForDeveloperIdentity", err, "AccessDeniedException", "")

	u1, err := dev(e.ci, "u1")
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(u1.IdentityId)
	if again, err := dev(e.ci, "u1"); err != nil || aws.ToString(again.IdentityId) != id || aws.ToString(again.Token) == "" {
		t.Errorf("u1 again: %+v (%v), want %s with a token", again, err, id)
	}
	// The app presents the developer token: its identity.
	if got, err := e.getID(e.pool, map[string]string{"cognito-identity.amazonaws.com": aws.ToString(u1.Token)}); err != nil || got != id {
		t.Errorf("GetId with the developer token: %s (%v), want %s", got, err, id)
	}
	// Another pool's GetId does not take it.
	_, err = e.getID(e.both, map[string]string{"cognito-identity.amazonaws.com": aws.ToString(u1.Token)})
	wantPoolsError(t, "the developer token in another pool", err, "NotAuthorizedException", "")

	lookup := func(user string) (*cognitoidentity.LookupDeveloperIdentityOutput, error) {
		return e.ci.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{IdentityPoolId: &e.pool, DeveloperUserIdentifier: aws.String(user)})
	}
	// u2 registered on u1's identity: one identity, two users.
	if _, err := e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: &e.pool, IdentityId: &id, Logins: map[string]string{"login.webapp": "u2"}}); err != nil {
		t.Fatal(err)
	}
	look, err := lookup("u2")
	if err != nil || aws.ToString(look.IdentityId) != id || !slices.Equal(look.DeveloperUserIdentifierList, []string{"u1", "u2"}) {
		t.Errorf("LookupDeveloperIdentity: %+v (%v)", look, err)
	}
	u3, err := dev(e.ci, "u3")
	if err != nil || aws.ToString(u3.IdentityId) == id {
		t.Fatalf("u3: %+v (%v), want an identity of its own", u3, err)
	}
	_, err = e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: &e.pool, IdentityId: u3.IdentityId, Logins: map[string]string{"login.webapp": "u1"}})
	wantPoolsError(t, "u1 onto u3's identity", err, "DeveloperUserAlreadyRegisteredException", "")

	// u3 merged into u1's identity: the destination survives.
	merged, err := e.ci.MergeDeveloperIdentities(ctx, &cognitoidentity.MergeDeveloperIdentitiesInput{IdentityPoolId: &e.pool,
		DeveloperProviderName: aws.String("login.webapp"), SourceUserIdentifier: aws.String("u3"), DestinationUserIdentifier: aws.String("u1")})
	if err != nil || aws.ToString(merged.IdentityId) != id {
		t.Fatalf("MergeDeveloperIdentities: %+v (%v), want %s", merged, err, id)
	}
	if look, err := lookup("u3"); err != nil || aws.ToString(look.IdentityId) != id {
		t.Errorf("u3 after the merge: %+v (%v), want %s", look, err, id)
	}
	_, err = e.ci.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: u3.IdentityId})
	wantPoolsError(t, "the merged source identity", err, "ResourceNotFoundException", "not found")

	if _, err := e.ci.UnlinkDeveloperIdentity(ctx, &cognitoidentity.UnlinkDeveloperIdentityInput{IdentityPoolId: &e.pool, IdentityId: &id,
		DeveloperProviderName: aws.String("login.webapp"), DeveloperUserIdentifier: aws.String("u2")}); err != nil {
		t.Fatal(err)
	}
	_, err = lookup("u2")
	wantPoolsError(t, "LookupDeveloperIdentity after unlink", err, "ResourceNotFoundException", "")
}

// TestIdentityPoolGuestRateLimit: guest identities of one pool from one
// address are limited by identity_pools.guest_rate.
func TestIdentityPoolGuestRateLimit(t *testing.T) {
	e := startIdentitiesNode(t, "BREVET_IDENTITY_POOLS_GUEST_RATE=1/h:3")
	for i := range 3 {
		if _, err := e.getID(e.pool, nil); err != nil {
			t.Fatalf("guest %d: %v", i, err)
		}
	}
	_, err := e.getID(e.pool, nil)
	wantPoolsError(t, "fourth guest", err, "TooManyRequestsException", "")
	// Signed-in identities are not limited by it.
	if _, err := e.getID(e.pool, map[string]string{e.idpName: idToken(t, e.idp, "dora")}); err != nil {
		t.Errorf("signed in after the guest limit: %v", err)
	}
}

// TestIdentityPoolSAMLLogin: a SAML provider's response is a login (the
// NameID its subject); an unsigned one is refused.
func TestIdentityPoolSAMLLogin(t *testing.T) {
	e := startIdentitiesNode(t)
	saml, arn, pool := e.samlPool(t)
	response := func() string {
		return saml.Response(t, saml.NewAssertion("jane@example.com", "arn:aws:iam::"+testAccount+":role/any", arn, "jane", time.Now()))
	}
	first, err := e.getID(pool, map[string]string{arn: response()})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.getID(pool, map[string]string{arn: response()}); err != nil || again != first {
		t.Errorf("jane again: %s (%v), want %s", again, err, first)
	}
	unsigned := saml.Unsigned(t, saml.NewAssertion("jane@example.com", "arn:aws:iam::"+testAccount+":role/any", arn, "jane", time.Now()))
	_, err = e.getID(pool, map[string]string{arn: unsigned})
	wantPoolsError(t, "an unsigned SAML response", err, "NotAuthorizedException", "Invalid login token.")
}
