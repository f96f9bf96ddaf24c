package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sso"
)

// The environment of the test binary re-run in a namespace.
const (
	// envBrevetBin names the brevet binary the parent built.
	envBrevetBin = "BREVET_E2E_BREVET_BIN"
	// envSSONamespace is set in the namespace TestSSOCLI makes.
	envSSONamespace = "BREVET_E2E_SSO_NAMESPACE"
)

// cliV2 is Debian's AWS CLI v2 (2.9), which has no SSO endpoint setting:
// it reaches SSO only under the AWS host names.
const cliV2 = "/usr/bin/aws"

// haveCLIv2 reports whether /usr/bin/aws is the CLI v2.
func haveCLIv2() bool {
	out, err := exec.Command(cliV2, "--version").Output()
	return err == nil && strings.HasPrefix(string(out), "aws-cli/2.")
}

// haveChromium reports whether Debian's Chromium and playwright-core are
// there to drive it.
func haveChromium() bool {
	return fileExists(jsPlaywright) && have("node") && fileExists("/usr/bin/chromium")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestSSOCLI runs `aws sso login` of the CLI v2 against Brevet as people
// will: the CLI knows only oidc.us-east-1.amazonaws.com and
// portal.sso.us-east-1.amazonaws.com, so the test re-runs itself
// (TestSSOCLIInNamespace) in a network and mount namespace of its own,
// where a bind-mounted hosts file sends those names to 127.0.0.1 and
// Brevet listens on 443 with a test CA's certificate for them.
func TestSSOCLI(t *testing.T) {
	t.Parallel()
	need(t, "the AWS CLI v2 at "+cliV2+" (Debian's awscli)", haveCLIv2())
	need(t, "unshare and ip (util-linux, iproute2)", have("unshare") && have("ip"))
	need(t, "Chromium (/usr/bin/chromium) and playwright-core (npm ci --prefix e2e/js)", haveChromium())
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 "+ssoOIDCHost+" "+ssoPortalHost+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--net", "--mount", "--", "sh", "-c",
		`ip link set lo up && mount --bind "$1" /etc/hosts && shift && exec "$@"`, "sh", hosts,
		exe, "-test.run=^TestSSOCLIInNamespace$", "-test.v", "-test.count=1", "-test.timeout=3m")
	cmd.Env = append(os.Environ(), envSSONamespace+"=1", envBrevetBin+"="+brevetBin)
	out, err := cmd.CombinedOutput()
	t.Logf("in the namespace:\n%s", out)
	if err != nil {
		t.Fatalf("the test in the namespace failed: %v", err)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestSSOCLIInNamespace")) {
		t.Fatal("the test in the namespace did not pass")
	}
}

// ssoCLI is the CLI v2 with a HOME of its own.
type ssoCLI struct {
	home string
	env  []string
}

// ssoCLIConfig is ~/.aws/config as `aws configure sso` writes it: one
// sso-session per person (they sign in side by side), a profile for the
// assigned role, and one for a role nobody is assigned.
func ssoCLIConfig(startURL string, sessions ...string) string {
	var b strings.Builder
	for _, s := range sessions {
		fmt.Fprintf(&b, "[profile dev-%s]\nsso_session = %s\nsso_account_id = %s\nsso_role_name = %s\nregion = us-east-1\noutput = json\n\n",
			s, s, testAccount, ssoRoleName)
		fmt.Fprintf(&b, "[profile ops-%s]\nsso_session = %s\nsso_account_id = %s\nsso_role_name = %s\nregion = us-east-1\noutput = json\n\n",
			s, s, testAccount, ssoOtherRole)
		fmt.Fprintf(&b, "[sso-session %s]\nsso_start_url = %s\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n", s, startURL)
	}
	return b.String()
}

func newSSOCLI(t *testing.T, caFile, config string) *ssoCLI {
	t.Helper()
	home := t.TempDir()
	// The CLI's credential cache directories are made here: AWS CLI v2
	// makes ~/.aws/cli/cache unguarded, and two of its processes started
	// at once (the tests run several) race, the loser failing with
	// "[Errno 17] File exists".
	for _, dir := range []string{filepath.Join(home, ".aws", "cli", "cache"), filepath.Join(home, ".aws", "sso", "cache")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(envWithHome(home), "AWS_CA_BUNDLE="+caFile, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "PYTHONUNBUFFERED=1")
	return &ssoCLI{home: home, env: env}
}

// run runs the CLI and returns its standard output, or an error with its
// standard error.
func (c *ssoCLI) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliV2, args...)
	cmd.Env, cmd.Dir = c.env, c.home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("aws %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// callerARN is `aws sts get-caller-identity --profile P`'s Arn; STS is
// Brevet's main name, 127.0.0.1.
func (c *ssoCLI) callerARN(profile string) (string, error) {
	out, err := c.run("sts", "get-caller-identity", "--profile", profile, "--endpoint-url", "https://127.0.0.1")
	if err != nil {
		return "", err
	}
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		return "", fmt.Errorf("get-caller-identity printed %q: %v", out, err)
	}
	return id.Arn, nil
}

// login runs `aws sso login --no-browser --sso-session session`, hands
// the verification URL with the user code it prints to complete, and
// waits for the CLI to finish polling.
func (c *ssoCLI) login(session string, complete func(verification string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliV2, "sso", "login", "--no-browser", "--sso-session", session)
	cmd.Env, cmd.Dir = c.env, c.home
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	var printed strings.Builder
	sc := bufio.NewScanner(stdout)
	var completeErr error
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		printed.WriteString(line + "\n")
		if strings.HasPrefix(line, "https://") && strings.Contains(line, "user_code=") && completeErr == nil {
			if completeErr = complete(line); completeErr != nil {
				cancel() // the CLI would poll until the code expires
			}
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	switch {
	case completeErr != nil:
		return fmt.Errorf("signing in for `aws sso login --sso-session %s`: %w\nthe CLI printed:\n%s", session, completeErr, printed.String())
	case waitErr != nil:
		return fmt.Errorf("aws sso login --sso-session %s: %w\n%s%s", session, waitErr, printed.String(), stderr.String())
	case !strings.Contains(printed.String(), "Successfully logged into"):
		return fmt.Errorf("aws sso login --sso-session %s printed no success:\n%s", session, printed.String())
	}
	return nil
}

// chromiumSignIn completes a device sign-in in headless Chromium, through
// the identity provider for its users.
func (s *ssoServer) chromiumSignIn(verification string, p *ssoPerson) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"sso_browser.mjs", verification, testAccount, p.name}
	if p.idp != nil {
		s.idpMu.Lock()
		defer s.idpMu.Unlock()
		s.signInAtIdP(p)
		args = append(args, "", "", ssoIdPName)
	} else {
		args = append(args, p.password, p.code())
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = "js"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("node sso_browser.mjs: %w\n%s", err, out)
	}
	if !strings.Contains(string(out), "approved: ") {
		return fmt.Errorf("node sso_browser.mjs did not approve:\n%s", out)
	}
	return nil
}

// TestSSOCLIInNamespace is TestSSOCLI's body, in its namespace: four
// people sign in side by side through `aws sso login` (an IAM user with
// the form browser, another in Chromium, two users of the identity
// provider assigned by group, one with the form browser, one in
// Chromium); each profile's get-caller-identity shows
// the assumed role; an expired access token is renewed by the CLI with a
// rotated refresh token and no new sign-in; a role not assigned is
// refused; a user whose login profile is deleted cannot renew; `aws sso
// logout` ends every session, and the portal refuses the old token.
func TestSSOCLIInNamespace(t *testing.T) {
	if os.Getenv(envSSONamespace) != "1" {
		t.Skip("runs inside the namespace TestSSOCLI makes")
	}
	start := time.Now()
	s, stop := launchSSO(t, t, t.TempDir(), "127.0.0.1:443", "https://"+ssoOIDCHost)
	t.Cleanup(func() {
		for _, p := range stop() {
			t.Error(p)
		}
	})
	if v, err := exec.Command(cliV2, "--version").CombinedOutput(); err == nil {
		t.Logf("%s --version: %s", cliV2, strings.TrimSpace(string(v)))
	}
	alice, bob := s.newIAMPerson(t, "alice"), s.newIAMPerson(t, "bob")
	carol, dave := s.newIdPPerson("carol", "engineers"), s.newIdPPerson("dave", "engineers")
	s.assign(t, ssoRoleName, "USER", alice.name, false)
	s.assign(t, ssoRoleName, "USER", bob.name, false)
	s.assign(t, ssoRoleName, "GROUP", "engineers", true)
	s.role(t, ssoOtherRole)

	startURL := "https://" + ssoOIDCHost + "/start"
	cli := newSSOCLI(t, s.caFile, ssoCLIConfig(startURL, "alice", "bob", "carol", "dave"))
	logins := map[string]func(string) error{
		"alice": func(u string) error { _, err := s.signInAs(u, alice, true); return err },
		"bob":   func(u string) error { return s.chromiumSignIn(u, bob) },
		"dave":  func(u string) error { return s.chromiumSignIn(u, dave) },
		"carol": func(u string) error { _, err := s.signInAs(u, carol, true); return err },
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(logins))
	for session, complete := range logins {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- cli.login(session, complete) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("four sign-ins through aws sso login: %v after the start", time.Since(start).Round(time.Millisecond))
	for session, who := range map[string]string{"alice": alice.name, "bob": bob.name, "carol": carol.name, "dave": dave.name} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			arn, err := cli.callerARN("dev-" + session)
			// The role session is named after the person.
			if want := "arn:aws:sts::" + testAccount + ":assumed-role/" + ssoRoleName + "/"; err != nil || !strings.HasPrefix(arn, want) ||
				!strings.Contains(arn, strings.Split(who, "@")[0]) {
				t.Errorf("dev-%s: caller %s (%v); want %s... naming %s", session, arn, err, want, who)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// The access token expires: the CLI renews it with the refresh token,
	// which rotates, and asks nobody to sign in again.
	aliceCache := ssoCacheFile(cli.home, "alice")
	before := readSSOCache(t, aliceCache)
	expireSSOCache(t, aliceCache)
	_ = os.RemoveAll(filepath.Join(cli.home, ".aws", "cli", "cache")) // the role credentials the CLI keeps
	if _, err := cli.callerARN("dev-alice"); err != nil {
		t.Fatalf("after the access token expired: %v", err)
	}
	after := readSSOCache(t, aliceCache)
	if exp, err := time.Parse(time.RFC3339, after.ExpiresAt); err != nil || !exp.After(time.Now()) {
		t.Errorf("renewed token expires at %q; want the future", after.ExpiresAt)
	}
	if after.AccessToken == before.AccessToken || after.RefreshToken == before.RefreshToken || after.RefreshToken == "" {
		t.Errorf("after the renewal the cache holds the same access token (%v) or refresh token (%v); want both new",
			after.AccessToken == before.AccessToken, after.RefreshToken == before.RefreshToken)
	}

	// A role nobody assigned: the portal refuses GetRoleCredentials.
	if _, err := cli.callerARN("ops-alice"); err == nil || !strings.Contains(err.Error(), "GetRoleCredentials") {
		t.Errorf("ops-alice (role %s not assigned): %v; want GetRoleCredentials refused", ssoOtherRole, err)
	}

	// Bob's login profile is deleted: his session cannot be renewed.
	if _, err := iam.NewFromConfig(s.admin).DeleteLoginProfile(context.Background(), &iam.DeleteLoginProfileInput{UserName: aws.String(bob.name)}); err != nil {
		t.Fatal(err)
	}
	expireSSOCache(t, ssoCacheFile(cli.home, "bob"))
	_ = os.RemoveAll(filepath.Join(cli.home, ".aws", "cli", "cache"))
	if arn, err := cli.callerARN("dev-bob"); err == nil {
		t.Errorf("dev-bob after his login profile was deleted and the token expired: %s; want the renewal refused", arn)
	}

	// aws sso logout ends every session; the old token is refused.
	carolToken := readSSOCache(t, ssoCacheFile(cli.home, "carol")).AccessToken
	if _, err := cli.run("sso", "logout"); err != nil {
		t.Fatal(err)
	}
	_ = os.RemoveAll(filepath.Join(cli.home, ".aws", "cli", "cache"))
	if _, err := cli.callerARN("dev-alice"); err == nil {
		t.Error("dev-alice after aws sso logout: succeeded; want an error")
	}
	portal := sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: s.hc})
	for who, tok := range map[string]string{"alice": after.AccessToken, "carol": carolToken} {
		_, err := portal.ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: aws.String(tok)})
		if !isUnauthorized(err) {
			t.Errorf("ListAccounts with %s's token after logout: %v; want UnauthorizedException", who, err)
		}
	}
	t.Logf("TestSSOCLIInNamespace took %v", time.Since(start).Round(time.Millisecond))
}

// isUnauthorized reports whether err is the portal's UnauthorizedException.
func isUnauthorized(err error) bool {
	var ue interface{ ErrorCode() string }
	return errors.As(err, &ue) && ue.ErrorCode() == "UnauthorizedException"
}
