package iamservice_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/federation/fedtest"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/request"
)

// providerClient is an IAM client for env's store on a dispatcher that
// also maps the provider errors, as brevet serve's does.
func providerClient(t *testing.T, e *env) *awsiam.Client {
	t.Helper()
	svc, err := iamservice.New(iamservice.Config{Store: e.st, MasterKey: e.mk})
	if err != nil {
		t.Fatal(err)
	}
	d, err := awsquery.New(awsquery.Config{Pipeline: &request.Pipeline{Authenticator: keyAuthn{}, Authorizer: e.authz, Auditor: nopAudit{}},
		Clock: e.clock, ErrorMappers: []awsquery.ErrorMapper{iamservice.WireError, iamservice.ProviderWireError}})
	if err != nil {
		t.Fatal(err)
	}
	iamservice.Register(d, svc)
	srv := httptest.NewServer(d)
	t.Cleanup(srv.Close)
	return awsiam.New(awsiam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(adminKeyID, adminSecret, "")})
}

func TestOpenIDConnectProviders(t *testing.T) {
	e := newEnv(t)
	c := providerClient(t, e)
	ctx := context.Background()
	out := must(c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.example.com/"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{"0123456789ABCDEF0123456789ABCDEF01234567"},
		Tags:           []types.Tag{{Key: aws.String("team"), Value: aws.String("ci")}}}))(t)
	arn := aws.ToString(out.OpenIDConnectProviderArn)
	if want := "arn:aws:iam::" + testAccount + ":oidc-provider/token.actions.example.com"; arn != want {
		t.Fatalf("ARN = %s, want %s", arn, want)
	}
	if got, want := e.authz.last().Resource, arn; got != want {
		t.Errorf("authorized on %s, want %s", got, want)
	}
	_, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.example.com")})
	if code, _ := apiError(t, err); code != "EntityAlreadyExists" {
		t.Errorf("duplicate: %s", code)
	}
	must(c.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("app")}))(t)
	must(c.AddClientIDToOpenIDConnectProvider(ctx, &awsiam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("app")}))(t)
	must(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &awsiam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: aws.String("sts.amazonaws.com")}))(t)
	must(c.UpdateOpenIDConnectProviderThumbprint(ctx, &awsiam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &arn,
		ThumbprintList: []string{"ffffffffffffffffffffffffffffffffffffffff"}}))(t)
	got := must(c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn}))(t)
	if d := cmp.Diff([]string{"token.actions.example.com", "app", "ffffffffffffffffffffffffffffffffffffffff", "team"},
		[]string{aws.ToString(got.Url), strings.Join(got.ClientIDList, ","), strings.Join(got.ThumbprintList, ","), aws.ToString(got.Tags[0].Key)}); d != "" {
		t.Errorf("GetOpenIDConnectProvider (-want +got):\n%s", d)
	}
	list := must(c.ListOpenIDConnectProviders(ctx, &awsiam.ListOpenIDConnectProvidersInput{}))(t)
	if len(list.OpenIDConnectProviderList) != 1 || aws.ToString(list.OpenIDConnectProviderList[0].Arn) != arn {
		t.Errorf("List = %+v", list.OpenIDConnectProviderList)
	}
	must(c.DeleteOpenIDConnectProvider(ctx, &awsiam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn}))(t)
	_, err = c.GetOpenIDConnectProvider(ctx, &awsiam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn})
	code, msg := apiError(t, err)
	if code != "NoSuchEntity" || msg != "OpenIDConnect Provider not found for arn "+arn {
		t.Errorf("after delete: %s %q", code, msg)
	}

	for name, url := range map[string]string{"http": "http://idp.example.com", "query": "https://idp.example.com/?a=b"} {
		_, err := c.CreateOpenIDConnectProvider(ctx, &awsiam.CreateOpenIDConnectProviderInput{Url: aws.String(url)})
		if code, _ := apiError(t, err); code != "InvalidInput" {
			t.Errorf("%s URL: %s, want InvalidInput", name, code)
		}
	}
}

func TestSAMLProviders(t *testing.T) {
	e := newEnv(t)
	c := providerClient(t, e)
	ctx := context.Background()
	idp := fedtest.NewSAMLIdP(t, "https://idp.example.com/saml")
	out := must(c.CreateSAMLProvider(ctx, &awsiam.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(idp.Metadata())}))(t)
	arn := aws.ToString(out.SAMLProviderArn)
	if want := "arn:aws:iam::" + testAccount + ":saml-provider/Corp"; arn != want {
		t.Fatalf("ARN = %s, want %s", arn, want)
	}
	_, err := c.CreateSAMLProvider(ctx, &awsiam.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(idp.Metadata())})
	if code, _ := apiError(t, err); code != "EntityAlreadyExists" {
		t.Errorf("duplicate: %s", code)
	}
	bad := strings.Replace(idp.Metadata(), "X509Certificate>", "X509Certificat>", 2)
	_, err = c.CreateSAMLProvider(ctx, &awsiam.CreateSAMLProviderInput{Name: aws.String("Bad"), SAMLMetadataDocument: aws.String(bad)})
	if code, _ := apiError(t, err); code != "InvalidInput" {
		t.Errorf("unusable metadata: %s", code)
	}
	rotated := fedtest.NewSAMLIdP(t, "https://idp.example.com/saml").Metadata()
	must(c.UpdateSAMLProvider(ctx, &awsiam.UpdateSAMLProviderInput{SAMLProviderArn: &arn, SAMLMetadataDocument: aws.String(rotated)}))(t)
	got := must(c.GetSAMLProvider(ctx, &awsiam.GetSAMLProviderInput{SAMLProviderArn: &arn}))(t)
	if aws.ToString(got.SAMLMetadataDocument) != rotated || got.ValidUntil == nil || aws.ToString(got.SAMLProviderUUID) == "" {
		t.Errorf("GetSAMLProvider = %+v", got)
	}
	list := must(c.ListSAMLProviders(ctx, &awsiam.ListSAMLProvidersInput{}))(t)
	if len(list.SAMLProviderList) != 1 || aws.ToString(list.SAMLProviderList[0].Arn) != arn {
		t.Errorf("List = %+v", list.SAMLProviderList)
	}
	must(c.DeleteSAMLProvider(ctx, &awsiam.DeleteSAMLProviderInput{SAMLProviderArn: &arn}))(t)
	_, err = c.DeleteSAMLProvider(ctx, &awsiam.DeleteSAMLProviderInput{SAMLProviderArn: &arn})
	if code, _ := apiError(t, err); code != "NoSuchEntity" {
		t.Errorf("delete twice: %s", code)
	}
}
