package node

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestConsoleCreateFormsBounded: a create form naming more groups or
// policies than IAM lets an entity have is refused before anything is
// created, so that one request cannot fan out into thousands of API
// calls (each authorized and audited).
func TestConsoleCreateFormsBounded(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")
	b.get("/console/users/new")
	f := url.Values{"UserName": {"fanout"}}
	for i := range 25 {
		f.Add("GroupName", "g"+strconv.Itoa(i))
	}
	code, body := b.post("/console/users/new", f)
	if code != http.StatusBadRequest || !strings.Contains(body, "LimitExceeded") {
		t.Errorf("a user in 25 groups: %d, want 400 LimitExceeded\n%s", code, body)
	}
	if c, _ := signedPostTo(t, b.api, b.n.URL(), "iam", b.admin, "Action=GetUser&Version=2010-05-08&UserName=fanout"); c != http.StatusNotFound {
		t.Errorf("GetUser fanout: %d, want 404 (not created)", c)
	}
	b.get("/console/groups/new")
	code, body = b.post("/console/groups/new", url.Values{"GroupName": {"fanout"},
		"PolicyArn": {strings.Repeat("arn:aws:iam::aws:policy/ReadOnlyAccess ", 25)}})
	if code != http.StatusBadRequest || !strings.Contains(body, "LimitExceeded") {
		t.Errorf("a group with 25 policies: %d, want 400 LimitExceeded\n%s", code, body)
	}
	if c, _ := signedPostTo(t, b.api, b.n.URL(), "iam", b.admin, "Action=GetGroup&Version=2010-05-08&GroupName=fanout"); c != http.StatusNotFound {
		t.Errorf("GetGroup fanout: %d, want 404 (not created)", c)
	}
}

// TestConsoleEndsWithSignOut: signing out on the sign-in pages (which say
// "You are signed out of Brevet in this browser") ends the console
// session too: the next person at the browser is asked to sign in.
func TestConsoleEndsWithSignOut(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")
	if code, body := b.get("/sso/signout"); code != http.StatusOK || !strings.Contains(body, "signed out") {
		t.Fatalf("sign-out: %d\n%s", code, body)
	}
	if code, body := b.get("/console/"); code != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Errorf("the console after signing out: %d, want the sign-in page\n%s", code, body)
	}
}
