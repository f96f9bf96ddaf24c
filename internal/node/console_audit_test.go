package node

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConsoleAudit: the audit explorer lists the account's events newest
// first, filtered by event name, error and key, with the trail's
// verification status; an event's page shows its JSON, escaped; the
// console session's credential is followed from its issuance
// (ConsoleLogin) to its uses; a filter's text is shown as text.
func TestConsoleAudit(t *testing.T) {
	b := startConsoleNode(t)
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=auditee")
	if code, _ := signedPostTo(t, b.api, b.n.URL(), "iam", b.admin, "Action=GetUser&Version=2010-05-08&UserName=nobody"); code != http.StatusNotFound {
		t.Fatalf("GetUser of nobody: %d", code)
	}
	b.signIn("admin")
	if err := b.n.events.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, b.n)
	m := regexp.MustCompile(`"issuedCredential":\{"kind":"ConsoleLogin","accessKeyId":"(ASIA[A-Z0-9]+)"`).FindStringSubmatch(trail)
	if m == nil {
		t.Fatal("no ConsoleLogin issuance in the trail")
	}
	consoleKey := m[1]
	m = regexp.MustCompile(`"eventName":"CreateUser".*?"eventID":"([^"]+)"`).FindStringSubmatch(trail)
	if m == nil {
		t.Fatal("no CreateUser in the trail")
	}
	createID := m[1]

	page := func(path string, wantCode int, want, notWant []string) string {
		t.Helper()
		code, body := b.get(path)
		if code != wantCode {
			t.Fatalf("GET %s: %d, want %d\n%s", path, code, wantCode, body)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q", path, w)
			}
		}
		for _, w := range notWant {
			if strings.Contains(body, w) {
				t.Errorf("GET %s: %q should not be there", path, w)
			}
		}
		return body
	}
	// The verification runs in the background: wait for its first result.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := b.get("/console/audit")
		if !strings.Contains(body, "being verified") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	adminKey := b.admin.AccessKeyID
	page("/console/audit", 200, []string{"Trail verification", "Intact", "Events verified", "CreateUser", "GetUser", "ConsoleLogin",
		`href="/console/audit/credential?key=` + adminKey + `"`, `href="/console/audit/event?id=` + createID + `"`,
		`<th scope="col">Source IP</th>`, `<label for="principal">`}, nil)
	page("/console/audit?action=CreateUser", 200, []string{"CreateUser"}, []string{">GetUser<", ">ConsoleLogin<"})
	page("/console/audit?error=NoSuchEntity", 200, []string{">GetUser<", "NoSuchEntity"}, []string{">CreateUser<"})
	page("/console/audit?error=*&key="+adminKey, 200, []string{">GetUser<"}, []string{">CreateUser<"})
	page("/console/audit?principal=admin&action=ConsoleLogin", 200, []string{">ConsoleLogin<"}, []string{">CreateUser<"})
	page("/console/audit?start=2000-01-01T00:00&end=2000-01-02T00:00", 200, []string{"No events match."}, []string{">CreateUser<"})
	page("/console/audit?start=yesterday", 400, []string{"InvalidTimeRangeException"}, nil)
	page("/console/audit?principal="+url.QueryEscape(`"><script>alert(1)</script>`), 200,
		[]string{html.EscapeString(`"><script>alert(1)</script>`)[:10]}, []string{"<script>alert(1)</script>"})

	body := page("/console/audit/event?id="+createID, 200, []string{"&#34;eventName&#34;: &#34;CreateUser&#34;", createID}, nil)
	if strings.Contains(body, `"eventName"`) {
		t.Error("the event's JSON is not escaped")
	}
	page("/console/audit/event?id=no-such-event", 404, []string{"NotFound"}, nil)

	page("/console/audit/credential?key="+consoleKey, 200,
		[]string{"Issuance", ">ConsoleLogin<", ">GetAccountSummary<", ">LookupEvents<"}, nil)
	page("/console/audit/credential?key="+adminKey, 200,
		[]string{"long-term access key", ">CreateUser<", ">GetUser<"}, nil)

	// Several pages: a credential with more uses than a page holds.
	for range 55 {
		b.get("/console/audit/event?id=" + createID)
	}
	if err := b.n.events.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	body = page("/console/audit/credential?key="+consoleKey, 200, []string{`rel="next"`}, nil)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page link")
	}
	page(html.UnescapeString(next[1]), 200, []string{"See the issuance on the first page", ">LookupEvents<"}, nil)
}
