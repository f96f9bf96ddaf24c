package node

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
)

// TestIdentityPoolSAMLResponseTwice: the SDKs' identity pool provider
// sends the same Logins to GetId and then GetCredentialsForIdentity (and
// again at each refresh while the response is valid), so a SAML
// response, like an ID token, is a login every time it is sent within
// its validity; it gives only its own NameID's identity.
func TestIdentityPoolSAMLResponseTwice(t *testing.T) {
	e := startIdentitiesNode(t)
	saml := fedtest.NewSAMLIdP(t, "https://idp.example.com/saml")
	out := e.iam(t, "Action=CreateSAMLProvider&Version=2010-05-08&Name=corp&SAMLMetadataDocument="+url.QueryEscape(saml.Metadata()))
	_, rest, _ := strings.Cut(out, "<SAMLProviderArn>")
	arn, _, _ := strings.Cut(rest, "<")
	p, err := e.ci.CreateIdentityPool(context.Background(), &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("saml"),
		SamlProviderARNs: []string{arn}})
	if err != nil {
		t.Fatal(err)
	}
	response := saml.Response(t, saml.NewAssertion("jane@example.com", "arn:aws:iam::"+testAccount+":role/any", arn, "jane", time.Now()))
	first, err := e.getID(aws.ToString(p.IdentityPoolId), map[string]string{arn: response})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.getID(aws.ToString(p.IdentityPoolId), map[string]string{arn: response}); err != nil || again != first {
		t.Errorf("the same response again: %s (%v), want %s", again, err, first)
	}
}
