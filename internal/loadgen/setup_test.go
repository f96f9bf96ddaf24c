package loadgen

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// fakeIAM knows just enough of IAM and STS for the setup calls.
type fakeIAM struct {
	mu    sync.Mutex
	names map[string]string // name → action that created it
}

func (f *fakeIAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	defer f.mu.Unlock()
	fail := func(code string) {
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, "<ErrorResponse><Error><Code>"+code+"</Code><Message>m</Message></Error></ErrorResponse>")
	}
	switch a := form.Get("Action"); a {
	case "GetCallerIdentity":
		io.WriteString(w, trivialGetCallerIdentity)
	case "CreateRole", "CreateUser":
		name := form.Get("RoleName") + form.Get("UserName")
		if _, ok := f.names[name]; ok {
			fail("EntityAlreadyExists")
			return
		}
		f.names[name] = a
		io.WriteString(w, "<CreateRoleResponse><CreateRoleResult><Role><Arn>arn:aws:iam::123456789012:role/"+name+"</Arn></Role></CreateRoleResult></CreateRoleResponse>")
	case "AssumeRole":
		io.WriteString(w, trivialAssumeRole)
	case "GetRole":
		io.WriteString(w, "<GetRoleResponse><GetRoleResult><Role><Arn>arn:aws:iam::123456789012:role/"+form.Get("RoleName")+"</Arn></Role></GetRoleResult></GetRoleResponse>")
	default:
		fail("InvalidAction")
	}
}

func TestSetup(t *testing.T) {
	f := &fakeIAM{names: map[string]string{}}
	srv := httptest.NewServer(verifying(t, f))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/", Region: "us-east-1", Credentials: testCreds}
	ctx := context.Background()

	id, err := c.CallerIdentity(ctx)
	if err != nil || id.Account != "123456789012" {
		t.Fatalf("CallerIdentity = %+v, %v; want account 123456789012", id, err)
	}
	for range 2 { // the second time, the role exists already
		arn, err := c.EnsureRole(ctx, "bench", TrustAccountPolicy(id.Account))
		if want := "arn:aws:iam::123456789012:role/bench"; err != nil || arn != want {
			t.Errorf("EnsureRole = %q, %v; want %q", arn, err, want)
		}
	}
	for range 2 {
		if err := c.Populate(ctx, "fill", 30, 20, TrustAccountPolicy(id.Account), 4, nil); err != nil {
			t.Fatalf("Populate: %v", err)
		}
	}
	if got, want := len(f.names), 1+30+20; got != want {
		t.Errorf("server holds %d entities, want %d", got, want)
	}
	if got := f.names["fill-user-00019"]; got != "CreateUser" {
		t.Errorf("fill-user-00019 made by %q, want CreateUser", got)
	}

	creds, err := c.AssumeRole(ctx, "arn:aws:iam::123456789012:role/bench", "s")
	if err != nil || creds.AccessKeyID != "ASIAEXAMPLEEXAMPLE12" || len(creds.SessionToken) != 600 {
		t.Errorf("AssumeRole = %+v, %v; want the response's credentials", creds, err)
	}

	_, err = c.Call(ctx, "iam", "DeleteEverything", nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "InvalidAction" || apiErr.Status != http.StatusConflict {
		t.Errorf("Call error = %v, want an *APIError 409 InvalidAction", err)
	}
}
