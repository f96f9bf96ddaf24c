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

// TestConsoleSignInRevoked: revoking a user's sessions issued before now
// covers the sign-in they came from: the browser's sign-in, older than
// the revocation, cannot start another console session (which would
// undo the revocation at the next page), and the refusal is audited.
func TestConsoleSignInRevoked(t *testing.T) {
	b := startConsoleNode(t)
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=alice")
	b.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=alice&PolicyArn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	b.signIn("alice")
	arn := "arn:aws:iam::" + testAccount + ":user/alice"
	if code, out := signedPostTo(t, b.api, b.n.URL(), "sts", b.admin, "Action=RevokeSessions&Version=2026-11-01&PrincipalArn="+url.QueryEscape(arn)); code != http.StatusOK {
		t.Fatalf("RevokeSessions: %d %s", code, out)
	}
	if code, body := b.get("/console/"); code != http.StatusUnauthorized || !strings.Contains(body, "SessionEnded") {
		t.Fatalf("after revocation: %d", code)
	}
	code, body := b.get("/console/login?next=%2Fconsole%2Fusers")
	if code != http.StatusUnauthorized || strings.Contains(body, "<h1>Users</h1>") || !strings.Contains(body, `href="/sso/signout"`) {
		t.Errorf("a console session from the revoked sign-in: %d\n%s", code, body)
	}
	u, _ := url.Parse(b.n.URL())
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "__Host-brevet_console" {
			t.Error("the browser has a console session again")
		}
	}
	if err := b.n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, b.n)
	if !strings.Contains(trail, `"responseElements":{"ConsoleLogin":"Failure"}`) || !strings.Contains(trail, `"arn":"`+arn+`"`) {
		t.Error("the refused sign-in is not in the trail as alice's ConsoleLogin failure")
	}
	// Signing out and in again starts a new console session.
	b.signIn("alice")
}

// TestConsoleSignInUserDeleted: a sign-in whose user was deleted starts
// no console session: ConsoleLogin is a failure in the trail (not a
// Success with an issuance for a user that is gone), and the browser is
// told to sign out rather than sent round to sign in again.
func TestConsoleSignInUserDeleted(t *testing.T) {
	b := startConsoleNode(t)
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=alice")
	b.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=alice&PolicyArn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	b.signIn("alice")
	b.iam("Action=DetachUserPolicy&Version=2010-05-08&UserName=alice&PolicyArn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
	b.iam("Action=DeleteLoginProfile&Version=2010-05-08&UserName=alice")
	b.iam("Action=DeleteUser&Version=2010-05-08&UserName=alice")
	if err := b.n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	before := strings.Count(readTrail(t, b.n), `"ConsoleLogin":"Success"`)
	code, body := b.get("/console/login")
	if code != http.StatusUnauthorized || !strings.Contains(body, `href="/sso/signout"`) {
		t.Errorf("a console session for a deleted user: %d\n%s", code, body)
	}
	if err := b.n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, b.n)
	if after := strings.Count(trail, `"ConsoleLogin":"Success"`); after != before || !strings.Contains(trail, `"ConsoleLogin":"Failure"`) {
		t.Errorf("ConsoleLogin successes %d then %d, failure in the trail %v", before, after, strings.Contains(trail, `"ConsoleLogin":"Failure"`))
	}
}
