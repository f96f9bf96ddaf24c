package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/vectortest"
)

// The console's tests (issue 19) drive the web console at /console/ in
// headless Chromium (js/console.mjs), on the shared SSO server (HTTPS
// with a test CA: the console's cookies are Secure). Each test is one
// scenario of the script, one browser launch.

// envConsoleScreenshots names the directory the console's scenarios save
// their screenshots in (docs/console to update the documentation's);
// relative to the repository's root. Unset, no screenshot is taken.
const envConsoleScreenshots = "BREVET_CONSOLE_SCREENSHOTS"

// consoleAdminPassword is the password the tests give the admin user, as
// docs/console.md has the reader do with `aws iam create-login-profile`.
const consoleAdminPassword = "Console-Admin-Password-1"

// sharedConsoleServer is the server the console's tests share: an SSO
// server (HTTPS with a test CA: the console's cookies are Secure) whose
// policy generator has the Service Authorization Reference, and whose
// admin user has a password. Its own, not the SSO tests': its lists hold
// only what the console's tests made, as the screenshots show.
var sharedConsoleServer struct {
	once sync.Once
	s    *ssoServer
	ref  bool // the generator has the service reference
}

// sharedConsole returns the console's shared server, started on first use
// and stopped by TestMain's suite cleanups. It needs Chromium, and skips
// (or fails in CI) without it.
func sharedConsole(t *testing.T) *ssoServer {
	t.Helper()
	need(t, "Chromium (/usr/bin/chromium) and playwright-core (npm ci --prefix e2e/js)", haveChromium())
	sharedConsoleServer.once.Do(func() {
		dir, err := os.MkdirTemp("", "brevet-e2e-console-")
		if err != nil {
			t.Fatal(err)
		}
		var extra string
		if root := vectortest.Root(); root != "" {
			if ref := filepath.Join(root, consoleReference); fileExists(ref) {
				extra, sharedConsoleServer.ref = "console:\n  service_reference: "+ref+"\n", true
			}
		}
		s, stop := launchSSO(t, suiteTB{t}, dir, "127.0.0.1:0", "", extra)
		addSuiteCleanup(func() error {
			problems := stop()
			_ = os.RemoveAll(dir)
			if len(problems) > 0 {
				return fmt.Errorf("the console's shared server:\n%s", strings.Join(problems, "\n"))
			}
			return nil
		})
		suiteSecrets.add(consoleAdminPassword)
		if _, err := iam.NewFromConfig(s.admin).CreateLoginProfile(context.Background(), &iam.CreateLoginProfileInput{
			UserName: aws.String("admin"), Password: aws.String(consoleAdminPassword)}); err != nil {
			t.Fatalf("giving admin a password: %v", err)
		}
		sharedConsoleServer.s = s
	})
	if sharedConsoleServer.s == nil {
		t.Fatal("the console's shared server did not start (see the first test that used it)")
	}
	return sharedConsoleServer.s
}

// consoleReference is the Service Authorization Reference in the shared
// vectors, which the policy generator offers services and actions from.
const consoleReference = "iam-service-reference-iam-data/data"

// consoleArgs is what a scenario of console.mjs is told: where the
// console is, who signs in, and the scenario's own values.
type consoleArgs struct {
	Base     string            `json:"base"`
	Account  string            `json:"account"`
	UserName string            `json:"username"`
	Password string            `json:"password"`
	Code     string            `json:"code,omitempty"` // a TOTP code when the user has MFA
	Shots    string            `json:"shots,omitempty"`
	Extra    map[string]string `json:"extra,omitempty"`
}

// asAdmin are the arguments that sign the admin user in.
func (s *ssoServer) asAdmin(extra map[string]string) consoleArgs {
	return consoleArgs{Base: s.URL, Account: testAccount, UserName: "admin", Password: consoleAdminPassword, Extra: extra}
}

// screenshotDir is where screenshots go, "" for none.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv(envConsoleScreenshots)
	if dir == "" {
		return ""
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // the tests run in e2e/
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	return abs
}

// runConsole runs one scenario of console.mjs and returns the values it
// reported (its "RESULT {json}" line).
func runConsole(t *testing.T, scenario string, args consoleArgs) map[string]string {
	t.Helper()
	args.Shots = screenshotDir(t)
	arg, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "console.mjs", scenario, string(arg))
	cmd.Dir = "js"
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("node console.mjs %s (%s):\n%s", scenario, time.Since(start).Round(time.Millisecond), redactResult(out))
	if err != nil {
		t.Fatalf("node console.mjs %s: %v", scenario, err)
	}
	result := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
			if err := json.Unmarshal([]byte(line), &result); err != nil {
				t.Fatalf("console.mjs %s reported %q: %v", scenario, line, err)
			}
		}
	}
	return result
}

// redactResult keeps the RESULT line (which may carry a secret key) out
// of the test's log.
func redactResult(out []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "RESULT ") {
			line = "RESULT (not shown)"
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// TestConsoleWalkthrough is the walkthrough, in the browser as the
// admin user: sign in, create the user console-dev with an access key
// (read from the page, shown once), create the role console-role for
// another AWS account (this one), edit its trust relationship to name the
// user, and give the user an inline policy made with the visual policy
// generator (Allow sts:AssumeRole on the role). Then the CLI, with the
// key the console showed and a profile with role_arn and source_profile,
// is the assumed role.
func TestConsoleWalkthrough(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	vectortest.Dir(t, consoleReference) // the generator offers sts:AssumeRole from it
	s := sharedConsole(t)
	if !sharedConsoleServer.ref {
		t.Fatal("the console's server has no service reference")
	}
	const user, role = "console-dev", "console-role"
	userARN := "arn:aws:iam::" + testAccount + ":user/" + user
	roleARN := "arn:aws:iam::" + testAccount + ":role/" + role
	got := runConsole(t, "walkthrough", s.asAdmin(map[string]string{"user": user, "userArn": userARN, "role": role, "roleArn": roleARN}))
	keyID, secret := got["accessKeyId"], got["secretAccessKey"]
	suiteSecrets.add(secret)
	if !strings.HasPrefix(keyID, "AKIA") || len(secret) < 40 {
		t.Fatalf("the console showed the key %q and a secret of %d characters", keyID, len(secret))
	}

	// What the pages did, as the API sees it.
	ctx := context.Background()
	ic := iam.NewFromConfig(s.admin)
	r, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument))
	if !strings.Contains(trust, userARN) {
		t.Errorf("the role's trust policy does not name %s:\n%s", userARN, trust)
	}
	names, err := ic.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	if len(names.PolicyNames) != 1 {
		t.Fatalf("console-dev's inline policies = %v, want the one the generator made", names.PolicyNames)
	}
	pol, err := ic.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(names.PolicyNames[0])})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(pol.PolicyDocument))
	for _, want := range []string{`"Allow"`, "sts:AssumeRole", roleARN} {
		if !strings.Contains(doc, want) {
			t.Errorf("the generator's policy lacks %s:\n%s", want, doc)
		}
	}

	// The trail, as docs/console.md says: the sign-in is a ConsoleLogin,
	// the pages' calls are the actions themselves, marked as the
	// console's, with its user agent.
	admin := newClient(t, s.brevet).with("AWS_CA_BUNDLE=" + s.caFile)
	var logins, creates cliLookup
	admin.json(&logins, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=ConsoleLogin")
	if !slices.ContainsFunc(logins.Events, func(e struct{ EventId, EventName, EventSource, AccessKeyId, ReadOnly, CloudTrailEvent string }) bool {
		return e.EventSource == "signin.amazonaws.com" && strings.Contains(e.CloudTrailEvent, `"userName":"admin"`)
	}) {
		t.Errorf("no ConsoleLogin of admin from signin.amazonaws.com in the trail: %+v", logins.Events)
	}
	admin.json(&creates, "cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateUser")
	var created string
	for _, e := range creates.Events {
		if strings.Contains(e.CloudTrailEvent, `"userName":"`+user+`"`) {
			created = e.CloudTrailEvent
		}
	}
	for _, want := range []string{`"sessionCredentialFromConsole":"true"`, `"userAgent":"brevet-console `} {
		if !strings.Contains(created, want) {
			t.Errorf("the CreateUser event of %s lacks %s:\n%s", user, want, created)
		}
	}

	// The CLI part, as docs/console.md has it: the key the console gave,
	// and a profile that assumes the role with it.
	home := t.TempDir()
	block := strings.ReplaceAll(consoleDocBlock(t, consoleCLIMarker), "http://127.0.0.1:8787", s.URL)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", block)
	cmd.Dir = home
	cmd.Env = append(envWithHome(home), "KEY="+keyID, "SECRET="+secret, "ACCOUNT="+testAccount,
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_ENDPOINT_URL="+s.URL, "AWS_CA_BUNDLE="+s.caFile, "AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/console.md's CLI block: %v\n%s", err, out)
	}
	var id struct{ Arn string }
	if err := json.Unmarshal(out[bytes.IndexByte(out, '{'):], &id); err != nil {
		t.Fatalf("aws sts get-caller-identity printed %s: %v", out, err)
	}
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + role + "/"; !strings.HasPrefix(id.Arn, want) {
		t.Errorf("aws sts get-caller-identity --profile %s: Arn %s, want %s...", role, id.Arn, want)
	}
}

// The markers of docs/console.md's blocks the tests run.
const (
	consolePasswordMarker = "<!-- console-password: e2e/console_test.go runs this block with bash -->"
	consoleCLIMarker      = "<!-- console-cli: e2e/console_test.go runs this block with bash -->"
)

// consoleDocBlock returns the ```sh block of docs/console.md after marker.
func consoleDocBlock(t *testing.T, marker string) string {
	t.Helper()
	return docBlock(t, "../docs/console.md", marker)
}

// TestConsoleDocs: docs/console.md's "A password for admin", pasted into
// bash beside a plain-HTTP server on loopback (as `go run ./cmd/brevet
// serve` runs), gives admin the password the console then signs in with,
// at http://127.0.0.1:PORT/console/: Chromium keeps the Secure cookies of
// a loopback origin.
func TestConsoleDocs(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI (aws)", have("aws"))
	need(t, "Chromium (/usr/bin/chromium) and playwright-core (npm ci --prefix e2e/js)", haveChromium())
	// Every screenshot the page shows is there.
	doc, err := os.ReadFile("../docs/console.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\]\((console/[a-z0-9-]+\.png)\)`).FindAllStringSubmatch(string(doc), -1) {
		if !fileExists(filepath.Join("../docs", m[1])) {
			t.Errorf("docs/console.md shows %s, which is not there (%s=docs/console makes it)", m[1], envConsoleScreenshots)
		}
	}

	block := consoleDocBlock(t, consolePasswordMarker)
	m := regexp.MustCompile(`create-login-profile --user-name admin --password '([^']+)'`).FindStringSubmatch(block)
	if m == nil {
		t.Fatal("docs/console.md's password block no longer gives admin a password with create-login-profile")
	}
	password := m[1]
	suiteSecrets.add(password)
	b := startBrevet(t)
	if !strings.HasPrefix(b.URL, "http://127.0.0.1:") {
		t.Fatalf("the server's URL is %s, want http://127.0.0.1:PORT", b.URL)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(block, "http://127.0.0.1:8787", b.URL))
	cmd.Dir = b.Dir
	cmd.Env = append(cleanEnv(), "HOME="+b.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/console.md's password block: %v\n%s", err, out)
	}
	got := runConsole(t, "signin", consoleArgs{Base: b.URL, Account: b.Account, UserName: "admin", Password: password})
	if !strings.Contains(got["text"], b.Account) {
		t.Errorf("the dashboard after signing in does not show the account %s:\n%s", b.Account, got["text"])
	}
}

// consoleReader makes an IAM user with a password and MFA whose policy
// allows only reading: iam:Get* and iam:List* (the dashboard's summary and
// findings among them) and the audit trail's lookups.
func (s *ssoServer) consoleReader(t *testing.T) *ssoPerson {
	t.Helper()
	p := s.newIAMPerson(t, "console-reader")
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:GenerateCredentialReport",` +
		`"cloudtrail:LookupEvents","brevet:List*","brevet:Get*","brevet:GenerateFindingsReport"],"Resource":"*"}]}`
	if _, err := iam.NewFromConfig(s.admin).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{
		UserName: aws.String(p.name), PolicyName: aws.String("read-only"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConsoleReadOnly: a user whose policies allow only reading signs in
// (password and MFA) and sees the pages; the create links of users,
// groups, roles and policies are there, and creating a user ends on an
// AccessDenied page (403) that names iam:CreateUser and why. No user was
// created.
func TestConsoleReadOnly(t *testing.T) {
	t.Parallel()
	s := sharedConsole(t)
	p := s.consoleReader(t)
	denied := "console-denied-" + p.name
	got := runConsole(t, "readonly", consoleArgs{Base: s.URL, Account: testAccount, UserName: p.name, Password: p.password,
		Code: p.code(), Extra: map[string]string{"user": denied}})
	if got["status"] != "403" {
		t.Errorf("creating a user as the reader: status %s, want 403", got["status"])
	}
	text := got["text"]
	for _, want := range []string{"AccessDenied", "iam:CreateUser", "no identity-based policy allows"} {
		if !strings.Contains(text, want) {
			t.Errorf("the AccessDenied page does not say %q:\n%s", want, text)
		}
	}
	s.noUser(t, denied)
}

// noUser fails the test if the user exists.
func (s *ssoServer) noUser(t *testing.T, name string) {
	t.Helper()
	_, err := iam.NewFromConfig(s.admin).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(name)})
	var nf *iamtypes.NoSuchEntityException
	if !errors.As(err, &nf) {
		t.Errorf("GetUser %s after the refused form: %v, want NoSuchEntity", name, err)
	}
}

// TestConsoleEscapes: HTML in what people type renders as text: the
// pages show the literal string, no script runs (a dialog fails the
// scenario) and no Content Security Policy violation is reported
// (runInChromium fails on one). IAM refuses a user named with < and >
// and a tag value holding them (as AWS does), and the ValidationError the
// page then shows quotes the value; a role's description, a policy's
// description and a policy's Sid hold it.
func TestConsoleEscapes(t *testing.T) {
	t.Parallel()
	s := sharedConsole(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(s.admin)
	const tagValue = `</script><img src=x onerror=alert(1)>`
	const roleDesc = `<img src=x onerror=alert(1)>`
	const policyDesc = `<b>bold</b><script>alert(1)</script>`
	const policyText = `<img src=x onerror=alert(2)>` // a Sid: IAM takes any text
	const userName = `<img src=x onerror=alert(3)>`
	user, role, policy := s.unique("console-xss-user"), s.unique("console-xss-role"), s.unique("console-xss-policy")
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust),
		Description: aws.String(roleDesc)}); err != nil {
		t.Fatal(err)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"` + policyText + `","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	out, err := ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(policy), PolicyDocument: aws.String(doc),
		Description: aws.String(policyDesc)})
	if err != nil {
		t.Fatalf("CreatePolicy with HTML in a Sid and the description: %v", err)
	}
	runConsole(t, "escapes", s.asAdmin(map[string]string{
		"user": user, "userName": userName, "tagValue": tagValue, "role": role, "roleDesc": roleDesc,
		"policyArn": aws.ToString(out.Policy.Arn), "policyDesc": policyDesc, "policyText": policyText,
	}))
}

// TestConsoleCSRF: a form posted without its CSRF token, from the page
// (fetch) and from outside with the browser's own cookies, is refused
// with 403 and creates nothing; the session cookie is HttpOnly, Secure
// and SameSite=Strict; Sign out drops the cookie, and the browser must
// sign in again.
func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	s := sharedConsole(t)
	victim := s.unique("console-csrf-")
	got := runConsole(t, "csrf", s.asAdmin(map[string]string{"user": victim}))
	if got["fetchStatus"] != "403" || got["wrongTokenStatus"] != "403" {
		t.Errorf("POST /console/users/new from the page without the token: %s, with a wrong one: %s; want 403 and 403",
			got["fetchStatus"], got["wrongTokenStatus"])
	}
	if got["signedOut"] != "true" {
		t.Error("after Sign out, the session cookie was still there or /console/users did not send the browser to /sso/signin")
	}
	if got["cookie"] != "HttpOnly Secure Strict" {
		t.Errorf("the session cookie is %q, want HttpOnly Secure Strict", got["cookie"])
	}

	// From outside the page, with the browser's cookies and a same-origin
	// Origin header, but no token: refused too.
	form := url.Values{"UserName": {victim}}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/console/users/new", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.URL)
	req.AddCookie(&http.Cookie{Name: "__Host-brevet_console", Value: got["sessionCookie"]})
	noRedirect := *s.hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /console/users/new with the cookie and no token: %d, want 403", resp.StatusCode)
	}
	s.noUser(t, victim)
}

// TestConsoleTour opens every area's pages as the admin user (and saves
// their screenshots when asked): the dashboard, users and a user's
// credentials with a virtual MFA device's QR code, roles, policies with
// the editor showing a validation error, identity providers, sessions,
// the audit explorer following a role session, and the simulator's
// result; then, without screenshots, the rest of the URL map (a user's
// and a role's other tabs, a new group, AWS managed policies, a provider's
// forms and page, one audit event). Each page must render with 200,
// without a CSP violation or a script error, with every control labelled,
// every column header scoped and every button named.
func TestConsoleTour(t *testing.T) {
	t.Parallel()
	s := sharedConsole(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(s.admin)
	user := s.unique("console-tour-")
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("list-users"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"ListUsers","Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	suiteSecrets.add(aws.ToString(key.AccessKey.SecretAccessKey))
	// An identity provider for the providers' page.
	if _, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"}}); err != nil {
		var exists *iamtypes.EntityAlreadyExistsException
		if !errors.As(err, &exists) {
			t.Fatal(err)
		}
	}
	// A role session made with the user's key and used twice, for the
	// audit explorer to follow from its issuance.
	cfg := s.goConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")
	cfg.HTTPClient = s.hc
	role := s.unique("console-tour-role-")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/` + user + `"},"Action":"sts:AssumeRole"}]}`
	r, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + aws.ToString(r.Role.Arn) + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	var ar *sts.AssumeRoleOutput
	for try := 0; ; try++ { // the new policy reaches the authorizer's cache
		ar, err = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("tour")})
		if err == nil || try == 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	suiteSecrets.add(aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	session := fromSTS(s.brevet, ar.Credentials)
	session.HTTPClient = s.hc
	for range 2 {
		if _, err := sts.NewFromConfig(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	key.AccessKey.AccessKeyId = ar.Credentials.AccessKeyId
	got := runConsole(t, "tour", s.asAdmin(map[string]string{"user": user, "role": role, "accessKeyId": aws.ToString(key.AccessKey.AccessKeyId)}))
	if got["pages"] == "" {
		t.Error("the tour reported no page")
	}
}
