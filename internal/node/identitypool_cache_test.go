package node

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/brevet-dev/brevet/internal/identitypool"
	"github.com/brevet-dev/brevet/internal/store"
)

// TestIdentityPoolCacheAcrossNodes: two nodes on one PostgreSQL store,
// the second serving the app (unsigned GetId, GetCredentialsForIdentity)
// from its pool cache. A pool it found missing appears there once made
// through the first; guests it allowed are refused once the first
// disables them; a deleted pool's identity is not found: each as soon as
// the change feed reaches it (seconds at most, never the cache's whim).
func TestIdentityPoolCacheAcrossNodes(t *testing.T) {
	n1, n2, dir1 := startTwoNodes(t)
	admin := poolsClient(n1, adminCreds(t, dir1))
	app := cognitoidentity.New(cognitoidentity.Options{Region: "us-east-1", BaseEndpoint: aws.String(n2.URL()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	ctx := t.Context()
	until := func(what, want string, call func() error) {
		t.Helper()
		start := time.Now()
		for {
			err := call()
			if errorCode(err) == want {
				t.Logf("%s: %s after %v", what, want, time.Since(start))
				return
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: %v after 5 s, want %q", what, err, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pool := "us-east-1:0d9f4c2a-7b1e-4c3d-9a8b-1c2d3e4f5a6b"
	getID := func() (string, error) {
		out, err := app.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: &pool})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.IdentityId), nil
	}
	if _, err := getID(); errorCode(err) != "ResourceNotFoundException" {
		t.Fatalf("GetId of a pool not yet made: %v", err)
	}
	p := &identitypool.Pool{IdentityPoolId: pool, IdentityPoolName: "app", AllowUnauthenticatedIdentities: true, AllowClassicFlow: new(bool)}
	body, _ := p.MarshalStored()
	now := time.Now()
	if err := n1.st.Objects().Create(ctx, store.Object{Account: testAccount, Kind: identitypool.KindPool, ID: pool, Body: body, Created: now, Updated: now}); err != nil {
		t.Fatal(err)
	}
	var guest string
	until("a pool made after a miss", "", func() (err error) { guest, err = getID(); return err })

	if _, err := admin.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: &pool, IdentityPoolName: aws.String("app"),
		AllowUnauthenticatedIdentities: false}); err != nil {
		t.Fatal(err)
	}
	until("guests disabled on the other node", "NotAuthorizedException", func() error { _, err := getID(); return err })

	if _, err := admin.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: &pool}); err != nil {
		t.Fatal(err)
	}
	until("a deleted pool's guest", "ResourceNotFoundException", func() error {
		_, err := app.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: &guest})
		return err
	})
	until("GetId of the deleted pool", "ResourceNotFoundException", func() error { _, err := getID(); return err })
}
