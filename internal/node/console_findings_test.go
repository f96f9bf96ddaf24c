package node

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/store"
)

// TestConsoleDashboardFindings: the dashboard asks for a findings report
// in the background when there is none, then shows each finding with its
// count and links: users with a console password and no MFA (a user
// without a password is not one), a key created 91 days ago (seeded
// through the store: the node's clock is the wall clock), a role never
// used and a customer managed policy granting "*:*" on "*". A policy
// narrower than that is not a finding.
func TestConsoleDashboardFindings(t *testing.T) {
	b := startConsoleNode(t)
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=nomfa")
	b.iam("Action=CreateLoginProfile&Version=2010-05-08&UserName=nomfa&Password=" + url.QueryEscape(consolePassword))
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=oldkey")
	old := time.Now().Add(-91 * 24 * time.Hour)
	if err := b.n.st.AccessKeys().Create(t.Context(), iam.AccessKey{Account: testAccount, UserName: "oldkey", ID: "AKIAOLDKEY0000000091",
		Status: iam.AccessKeyActive, Created: old, SecretCiphertext: []byte("sealed")}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	b.iam("Action=CreateRole&Version=2010-05-08&RoleName=idle&AssumeRolePolicyDocument=" + url.QueryEscape(trust))
	b.iam("Action=CreatePolicy&Version=2010-05-08&PolicyName=everything&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*:*","Resource":"*"}]}`))
	b.iam("Action=CreatePolicy&Version=2010-05-08&PolicyName=narrow&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))
	b.signIn("admin")

	// Signing in landed on the dashboard, which asked for the report.
	code, body := b.get("/console/")
	if code != http.StatusOK {
		t.Fatalf("dashboard: %d\n%s", code, body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(body, "From the findings report generated") {
		if time.Now().After(deadline) {
			t.Fatalf("no findings after 20 s:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
		_, body = b.get("/console/")
	}
	for _, want := range []string{
		// admin and nomfa; not oldkey, which has no password.
		`<h3 id="f-UsersWithoutMFA">Users with a console password but no MFA <span class="count bad">2</span></h3>`,
		`<a href="/console/users/nomfa">nomfa</a></td><td>console password, no MFA device</td>`,
		`<h3 id="f-AccessKeysNotRotated">Access keys older than 90 days <span class="count bad">1</span></h3>`,
		`<a href="/console/users/oldkey?tab=credentials">oldkey</a></td><td>AKIAOLDKEY0000000091 created ` + old.UTC().Format(time.DateOnly) + ` (91 days ago)`,
		`<td>AKIAOLDKEY0000000091 never used, created `,
		`<a href="/console/roles/idle">idle</a></td><td>never used, created `,
		`<h3 id="f-PoliciesAllowingAll">Policies granting full access (*:*) <span class="count bad">1</span></h3>`,
		`<a href="/console/policies/view?arn=arn%3Aaws%3Aiam%3A%3A111122223333%3Apolicy%2Feverything">everything</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the dashboard has no %s", want)
		}
	}
	if strings.Contains(body, "narrow") {
		t.Error("the dashboard lists the policy narrow, which allows s3:* only")
	}

	// The report was generated as the admin through the pipeline, and the
	// dashboard reads it with one call.
	if err := b.n.flushIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	trail := readTrail(t, b.n)
	for _, want := range []string{`"eventName":"GenerateFindingsReport"`, `"eventName":"GetFindingsReport"`} {
		if !strings.Contains(trail, want) {
			t.Errorf("the trail has no %s", want)
		}
	}
}

// TestConsoleDashboardStaleFindings: a findings report older than 4 hours
// is shown while a new one is generated in the background, which then
// replaces it.
func TestConsoleDashboardStaleFindings(t *testing.T) {
	b := startConsoleNode(t)
	old := time.Now().Add(-5 * time.Hour).UTC().Truncate(time.Second)
	body := `{"generated":"` + old.Format(time.RFC3339) + `","content":[{"Type":"RolesUnused","Count":1,` +
		`"Items":[{"Name":"ghost","Arn":"arn:aws:iam::111122223333:role/ghost","Detail":"never used"}]}]}`
	if err := b.n.st.Objects().Create(t.Context(), store.Object{Account: testAccount, Kind: iamservice.KindFindingsReport, ID: "current",
		Body: []byte(body), Created: old, Updated: old}); err != nil {
		t.Fatal(err)
	}
	// Signed in as signIn does, keeping the first dashboard: the stale
	// report, and the note that a newer one is on its way.
	b.iam("Action=CreateLoginProfile&Version=2010-05-08&UserName=admin&Password=" + url.QueryEscape(consolePassword))
	b.get("/console/")
	code, page := b.post("/sso/signin", url.Values{"next": {"/console/login?next=%2Fconsole%2F"}, "account": {testAccount},
		"username": {"admin"}, "password": {consolePassword}})
	if code != http.StatusOK || !strings.Contains(page, `<a href="/console/roles/ghost">ghost</a>`) ||
		!strings.Contains(page, "From the findings report generated "+old.Format("2006-01-02 15:04:05")+" UTC; a newer one is being generated") {
		t.Fatalf("the first dashboard: %d, want the stale report and the note:\n%s", code, page)
	}
	deadline := time.Now().Add(20 * time.Second)
	for strings.Contains(page, "ghost") {
		if time.Now().After(deadline) {
			t.Fatal("the stale report is still shown after 20 s")
		}
		time.Sleep(50 * time.Millisecond)
		_, page = b.get("/console/")
	}
	if strings.Contains(page, "being generated") || !strings.Contains(page, `<h3 id="f-RolesUnused">`) {
		t.Errorf("the new report:\n%s", page)
	}
}
