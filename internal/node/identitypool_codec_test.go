package node

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
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
