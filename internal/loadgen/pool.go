package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The identity pool workloads (issue 20): the app-facing actions of
// Cognito Identity, unsigned JSON 1.1 POSTs as the SDKs' identity pool
// credential providers send them, for identities that come back.

// The identity pool workloads' actions, as rows name them.
const (
	// ActionPoolGuest is one GetCredentialsForIdentity of a returning
	// guest: the SDKs keep a guest's identity id and never call GetId
	// for it again.
	ActionPoolGuest = "PoolGuest"
	// ActionPoolSignedIn is one pair: GetId with the person's Logins,
	// then GetCredentialsForIdentity of the identity it names with the
	// same Logins.
	ActionPoolSignedIn = "PoolSignedIn"
)

// Cognito Identity's wire: JSON 1.1 with the action in X-Amz-Target.
const (
	poolTargetPrefix = "AWSCognitoIdentityService."
	poolContentType  = "application/x-amz-json-1.1"
)

// PoolIdentity is an identity of a pool as a returning app knows it: its
// id and, signed in, the Logins it proves itself with (provider name →
// token); a guest has none.
type PoolIdentity struct {
	ID     string
	Logins map[string]string
}

// poolRequest builds an unsigned Cognito Identity request of action with
// the JSON body.
func poolRequest(ctx context.Context, endpoint, action string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Target", poolTargetPrefix+action)
	req.Header.Set("Content-Type", poolContentType)
	return req, nil
}

// pick is the index of the identity the worker's seq-th op uses (of n): the workers walk the
// identities from different starting points, so that at any moment they
// ask for different ones, and every identity comes back.
func pick(n, worker int, seq uint64) int {
	return int((uint64(worker)*7919 + seq) % uint64(n))
}

// PoolGuestWorkload is GetCredentialsForIdentity of the returning guests
// ids, without Logins (an op without any is an error).
func PoolGuestWorkload(ids []PoolIdentity) Workload {
	bodies := make([][]byte, len(ids))
	for i, id := range ids {
		bodies[i], _ = json.Marshal(map[string]string{"IdentityId": id.ID})
	}
	return Workload{
		Action: ActionPoolGuest,
		Build: func(ctx context.Context, endpoint string, worker int, seq uint64, _ time.Time) (*http.Request, error) {
			if len(bodies) == 0 {
				return nil, fmt.Errorf("no guest identity")
			}
			return poolRequest(ctx, endpoint, "GetCredentialsForIdentity", bodies[pick(len(bodies), worker, seq)])
		},
		Expect: []byte(`"SessionToken"`),
	}
}

// PoolSignedInWorkload is, per op, GetId of pool with an identity's
// Logins, then GetCredentialsForIdentity of the identity id GetId
// answered with the same Logins: a returning person of an app whose SDK
// does not keep the identity id.
func PoolSignedInWorkload(pool string, ids []PoolIdentity) Workload {
	getID := make([][]byte, len(ids))
	logins := make([][]byte, len(ids))
	for i, id := range ids {
		getID[i], _ = json.Marshal(map[string]any{"IdentityPoolId": pool, "Logins": id.Logins})
		logins[i], _ = json.Marshal(id.Logins)
	}
	return Workload{
		Action: ActionPoolSignedIn,
		Build: func(ctx context.Context, endpoint string, worker int, seq uint64, _ time.Time) (*http.Request, error) {
			if len(getID) == 0 {
				return nil, fmt.Errorf("no signed-in identity")
			}
			return poolRequest(ctx, endpoint, "GetId", getID[pick(len(getID), worker, seq)])
		},
		ExpectFirst: []byte(`"IdentityId"`),
		Then: func(ctx context.Context, endpoint string, worker int, seq uint64, first []byte, _ time.Time) (*http.Request, error) {
			var out struct{ IdentityId string }
			if err := json.Unmarshal(first, &out); err != nil || out.IdentityId == "" {
				return nil, fmt.Errorf("GetId answered no identity id")
			}
			return poolRequest(ctx, endpoint, "GetCredentialsForIdentity", credentialsBody(out.IdentityId, logins[pick(len(logins), worker, seq)]))
		},
		Expect: []byte(`"SessionToken"`),
	}
}

// credentialsBody is GetCredentialsForIdentity's body for id with the
// JSON object logins.
func credentialsBody(id string, logins []byte) []byte {
	idJSON, _ := json.Marshal(id)
	b := make([]byte, 0, len(idJSON)+len(logins)+32)
	b = append(b, `{"IdentityId":`...)
	b = append(b, idJSON...)
	b = append(b, `,"Logins":`...)
	b = append(b, logins...)
	return append(b, '}')
}

// poolTrivial answers the identity pool workloads' requests for the
// trivial server with fixed JSON of the sizes Brevet's answers have
// (poolResponse); false for other requests, whose body it leaves alone.
func poolTrivial(w http.ResponseWriter, r *http.Request) bool {
	resp, _, ok := poolResponse(r)
	if ok {
		writePoolJSON(w, resp)
	}
	return ok
}

// poolResponse is the trivial answer to an identity pool workload's
// request, read whole, and whether the request issues credentials
// (GetCredentialsForIdentity, whose audit event is of AssumeRole's kind);
// false for other requests, whose body it leaves alone.
func poolResponse(r *http.Request) (resp []byte, issues, ok bool) {
	switch r.Header.Get("X-Amz-Target") {
	case poolTargetPrefix + "GetId":
		resp = trivialPoolID
	case poolTargetPrefix + "GetCredentialsForIdentity":
		resp, issues = trivialPoolCredentials, true
	default:
		return nil, false, false
	}
	_, _ = io.Copy(io.Discard, r.Body)
	return resp, issues, true
}

func writePoolJSON(w http.ResponseWriter, resp []byte) {
	h := w.Header()
	h["Content-Type"] = []string{poolContentType}
	h["Content-Length"] = []string{strconv.Itoa(len(resp))}
	_, _ = w.Write(resp)
}

var (
	trivialPoolID          = []byte(`{"IdentityId":"us-east-1:01234567-89ab-4cde-8f01-23456789abcd"}`)
	trivialPoolCredentials = []byte(`{"Credentials":{"AccessKeyId":"ASIAEXAMPLEEXAMPLE12","Expiration":1767225600,` +
		`"SecretKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"` + strings.Repeat("A", 600) + `"},` +
		`"IdentityId":"us-east-1:01234567-89ab-4cde-8f01-23456789abcd"}`)
)
