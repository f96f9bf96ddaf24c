package node

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/brevet-dev/brevet/internal/store"
)

// TestIdentityPoolServerErrorsInServiceWords: an error the server
// writes itself (a body over max_request_body, before any codec reads
// it) to a Cognito Identity request is a JSON 1.1 error in the service's
// own codes, so that boto3 and the JS SDK raise the modeled exception
// (InvalidParameterException), not an unknown ValidationException.
func TestIdentityPoolServerErrorsInServiceWords(t *testing.T) {
	n, _ := startNode(t, filepath.Join(t.TempDir(), "data"), Options{})
	body := append([]byte(`{"IdentityPoolId":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	body = append(body, `"}`...)
	req, _ := http.NewRequest(http.MethodPost, n.URL()+"/", bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(out, &e)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("x-amzn-ErrorType") != "InvalidParameterException" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" || e.Type != "InvalidParameterException" || e.Message == "" {
		t.Errorf("a body over the limit: %d %s %q %s, want 413 InvalidParameterException in JSON 1.1",
			resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), resp.Header.Get("Content-Type"), out)
	}
}

// TestIdentityPoolUnsignedEventsReachThePoolsAccount: the app-facing
// actions are called unsigned (no account of their own), yet their events
// are the pool's account's, as CloudTrail delivers them to the pool's
// owner: LookupEvents of that account finds a guest's GetId and a
// GetCredentialsForIdentity that failed, whose callers stay Unknown.
func TestIdentityPoolUnsignedEventsReachThePoolsAccount(t *testing.T) {
	e := startPoolsNode(t)
	ctx := t.Context()
	made, err := e.ci.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("events"), AllowUnauthenticatedIdentities: true})
	if err != nil {
		t.Fatal(err)
	}
	app := cognitoidentity.New(cognitoidentity.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.n.URL()), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	id, err := app.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: made.IdentityPoolId})
	if err != nil {
		t.Fatal(err)
	}
	// The pool has no roles: refused, and audited all the same.
	_, err = app.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	wantPoolsError(t, "GetCredentialsForIdentity of a pool without roles", err, "InvalidIdentityPoolConfigurationException", "")

	for _, name := range []string{"GetId", "GetCredentialsForIdentity"} {
		n := 0
		for ev := range credsTrailEvents(t, e.n, name) {
			n++
			u, _ := ev["userIdentity"].(map[string]any)
			if ev["recipientAccountId"] != testAccount || u["type"] != "Unknown" || ev["eventSource"] != "cognito-identity.amazonaws.com" {
				t.Errorf("%s: recipientAccountId %v, userIdentity %v, eventSource %v; want %s, Unknown, cognito-identity.amazonaws.com",
					name, ev["recipientAccountId"], u, ev["eventSource"], testAccount)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d events in the trail, want 1", name, n)
		}
		var found int
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			rs, err := e.n.st.(store.EventIndex).FindEvents(ctx, store.EventFilter{Account: testAccount, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			if found = len(rs); found > 0 {
				break
			}
		}
		if found != 1 {
			t.Errorf("LookupEvents of the pool's account, %s: %d events, want 1", name, found)
		}
	}
}
