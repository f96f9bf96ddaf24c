package identitypool

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/store/teststores"
)

// The unsigned actions' fuzzing: any body an anonymous caller sends
// GetId, GetCredentialsForIdentity, GetOpenIdToken or UnlinkIdentity,
// through the JSON 1.1 codec, is answered without a 500 or a panic, and
// no login value (here any text holding "SECRET") reaches the answer or
// the audit record. The seeds run with go test; the long run is
//
//	go test ./internal/identitypool -run '^$' -fuzz FuzzUnsignedActions -fuzztime 10m

var unsignedActions = []string{"GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "UnlinkIdentity"}

type anonymous struct{}

func (anonymous) Authenticate(context.Context, *request.AuthnRequest) (request.Principal, error) {
	return &identity.Principal{Type: identity.Unknown}, nil
}

type allowAll struct{}

func (allowAll) Authorize(context.Context, *request.AuthzRequest) (request.Decision, error) {
	return request.Decision{Allowed: true}, nil
}

type auditLog struct {
	mu   sync.Mutex
	recs []request.Record
}

func (a *auditLog) Audit(_ context.Context, r *request.Record) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recs = append(a.recs, *r)
	return nil
}

func (a *auditLog) take() []request.Record {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.recs
	a.recs = nil
	return r
}

func FuzzUnsignedActions(f *testing.F) {
	st := teststores.SQLite(f, time.Now)
	identityService(f, st)
	s, pool := flowService(f, st)
	tk, _ := testTokens(f)
	s.tokens = tk
	aud := &auditLog{}
	d, err := restjson.New(restjson.Config{Pipeline: &request.Pipeline{Authenticator: anonymous{}, Authorizer: allowAll{}, Auditor: aud}})
	if err != nil {
		f.Fatal(err)
	}
	Register(d, s)
	g, err := s.GetId(f.Context(), &GetIdInput{IdentityPoolId: pool}, exchange(time.Now()))
	if err != nil {
		f.Fatal(err)
	}
	for _, body := range []string{
		`{"IdentityPoolId":"POOL"}`,
		`{"IdentityPoolId":"POOL","Logins":{"idp-a.example":"sub:SECRETann"}}`,
		`{"IdentityPoolId":"POOL","AccountId":"123","Logins":{"idp-a.example":"SECRET-not-a-token"}}`,
		`{"IdentityPoolId":"POOL","Logins":{"cognito-identity.amazonaws.com":"SECRET.x.y"}}`,
		`{"IdentityId":"IDENT"}`,
		`{"IdentityId":"IDENT","Logins":{"idp-b.example":"sub:SECRETbob"},"CustomRoleArn":"arn:aws:iam::123456789012:role/r"}`,
		`{"IdentityId":"IDENT","Logins":{"":"SECRET"}}`,
		`{"IdentityId":"IDENT","Logins":{"idp-a.example":"sub:SECRETann"},"LoginsToRemove":["idp-a.example"]}`,
		`{"IdentityId":"IDENT","Logins":{"idp-a.example":null},"LoginsToRemove":[null]}`,
		`{"IdentityId":["x"],"Logins":"SECRET"}`,
		`{"IdentityPoolId":1e999}`,
		`[]`, `null`, ``, `{`, `{"Logins":{"a":"SECRET","a":"SECRET2"}}`,
	} {
		for a := range unsignedActions {
			f.Add(uint8(a), body)
		}
	}
	f.Fuzz(func(t *testing.T, action uint8, body string) {
		name := unsignedActions[int(action)%len(unsignedActions)]
		body = strings.NewReplacer("POOL", pool, "IDENT", g.IdentityId).Replace(body)
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+name)
		r.RemoteAddr = "192.0.2.9:1234"
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d %s", name, body, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "SECRET") {
			t.Errorf("%s %q: a login value in the answer: %s", name, body, w.Body)
		}
		for _, rec := range aud.take() {
			b, _ := json.Marshal(rec)
			if strings.Contains(string(b), "SECRET") {
				t.Errorf("%s %q: a login value in the audit record: %s", name, body, b)
			}
		}
	})
}
