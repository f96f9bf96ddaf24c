package node

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// hostsEnv is a node with a role that EC2 may assume (an EC2 instance
// role's trust policy, as it is), an instance profile
// "web" holding it, and the admin's key.
type hostsEnv struct {
	n     *Node
	creds sigv4.Credentials
}

const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},` +
	`"Action":"sts:AssumeRole"}]}`

func startHostsNode(tb testing.TB, env ...string) *hostsEnv {
	tb.Helper()
	dataDir := filepath.Join(tb.TempDir(), "data")
	n, _ := startNode(tb, dataDir, Options{}, env...)
	e := &hostsEnv{n: n, creds: adminCreds(tb, dataDir)}
	e.role(tb, "web-role", ec2Trust)
	e.profile(tb, "web", "web-role")
	return e
}

func (e *hostsEnv) role(tb testing.TB, name, trust string) {
	tb.Helper()
	if code, body := signedPostTo(tb, http.DefaultClient, e.n.URL(), "iam", e.creds,
		"Action=CreateRole&Version=2010-05-08&RoleName="+name+"&AssumeRolePolicyDocument="+url.QueryEscape(trust)); code != 200 {
		tb.Fatalf("CreateRole: %d %s", code, body)
	}
}

// profile creates an instance profile holding roles, through IAM.
func (e *hostsEnv) profile(tb testing.TB, name string, roles ...string) {
	tb.Helper()
	e.iam(tb, "CreateInstanceProfile", url.Values{"InstanceProfileName": {name}})
	for _, r := range roles {
		e.iam(tb, "AddRoleToInstanceProfile", url.Values{"InstanceProfileName": {name}, "RoleName": {r}})
	}
}

func (e *hostsEnv) iam(tb testing.TB, action string, params url.Values) {
	tb.Helper()
	params.Set("Action", action)
	params.Set("Version", "2010-05-08")
	if code, body := signedPostTo(tb, http.DefaultClient, e.n.URL(), "iam", e.creds, params.Encode()); code != 200 {
		tb.Fatalf("%s: %d %s", action, code, body)
	}
}

// brevet sends a Brevet action signed with the admin's key.
func (e *hostsEnv) brevet(tb testing.TB, action string, params url.Values) (int, string) {
	tb.Helper()
	return e.brevetAs(tb, e.creds, action, params)
}

func (e *hostsEnv) brevetAs(tb testing.TB, creds sigv4.Credentials, action string, params url.Values) (int, string) {
	tb.Helper()
	return signedPostTo(tb, http.DefaultClient, e.n.URL(), "sts", creds, brevetBody(action, params))
}

func brevetBody(action string, params url.Values) string {
	if params == nil {
		params = url.Values{}
	}
	params.Set("Action", action)
	params.Set("Version", "2026-11-01")
	return params.Encode()
}

func (e *hostsEnv) post(tb testing.TB, req *sigv4.Request) (int, string) {
	tb.Helper()
	hr, _ := http.NewRequest("POST", e.n.URL()+"/", bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// unsigned sends a Brevet action without a signature.
func (e *hostsEnv) unsigned(tb testing.TB, action string, params url.Values) (int, string) {
	tb.Helper()
	return e.post(tb, &sigv4.Request{Body: []byte(brevetBody(action, params)),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}})
}

// hostKey is a host's key and self-signed certificate, as brevet agent
// makes them.
type hostKey struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pem  string
}

func newHostKey(tb testing.TB) *hostKey {
	tb.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "host"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		tb.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &hostKey{key: k, cert: c, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// asHost sends a Brevet action signed with SigV4-X509 by key, presenting
// cert (key's own when nil).
func (e *hostsEnv) asHost(tb testing.TB, h *hostKey, cert *x509.Certificate, action string, params url.Values) (int, string) {
	tb.Helper()
	if cert == nil {
		cert = h.cert
	}
	u, _ := url.Parse(e.n.URL())
	req := &sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(brevetBody(action, params)),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if err := sigv4.SignX509Service(req, h.key, cert, nil, "us-east-1", sigv4.ServiceBrevet, time.Now()); err != nil {
		tb.Fatal(err)
	}
	return e.post(tb, req)
}

func (e *hostsEnv) joinToken(tb testing.TB, profile string) string {
	tb.Helper()
	code, body := e.brevet(tb, "CreateJoinToken", url.Values{"InstanceProfileName": {profile}})
	if code != 200 {
		tb.Fatalf("CreateJoinToken: %d %s", code, body)
	}
	return xmlValue(body, "JoinToken")
}

func (e *hostsEnv) enroll(tb testing.TB, h *hostKey, profile string) string {
	tb.Helper()
	code, body := e.unsigned(tb, "EnrollHost", url.Values{"JoinToken": {e.joinToken(tb, profile)}, "HostCertificate": {h.pem}})
	if code != 200 {
		tb.Fatalf("EnrollHost: %d %s", code, body)
	}
	return xmlValue(body, "HostId")
}

func xmlValue(body, tag string) string {
	m := regexp.MustCompile("<" + tag + ">([^<]*)</" + tag + ">").FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// readTrail returns the audit trail's files, concatenated.
func readTrail(tb testing.TB, n *Node) string {
	tb.Helper()
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(n.auditDir(), "trail-*.jsonl"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

func wantError(t *testing.T, what string, code int, body string, wantCode int, wantError string) {
	t.Helper()
	if code != wantCode || xmlValue(body, "Code") != wantError {
		t.Errorf("%s: got %d %s, want %d %s", what, code, body, wantCode, wantError)
	}
}

func TestHostEnrollmentAndCredentials(t *testing.T) {
	e := startHostsNode(t)
	h := newHostKey(t)
	tok := e.joinToken(t, "web")
	if !strings.HasPrefix(tok, "bjt_") || len(tok) != 47 {
		t.Fatalf("token %q", tok)
	}
	code, body := e.unsigned(t, "EnrollHost", url.Values{"JoinToken": {tok}, "HostCertificate": {h.pem}, "Hostname": {"web-1"}})
	if code != 200 {
		t.Fatalf("EnrollHost: %d %s", code, body)
	}
	id := xmlValue(body, "HostId")
	for tag, want := range map[string]string{
		"InstanceProfileArn": "arn:aws:iam::" + testAccount + ":instance-profile/web",
		"RoleArn":            "arn:aws:iam::" + testAccount + ":role/web-role",
		"AccountId":          testAccount, "Region": "us-east-1",
	} {
		if got := xmlValue(body, tag); got != want {
			t.Errorf("EnrollHost %s: got %q, want %q", tag, got, want)
		}
	}
	if !regexp.MustCompile(`^i-[0-9a-f]{17}$`).MatchString(id) {
		t.Errorf("HostId %q", id)
	}
	code, body = e.asHost(t, h, nil, "GetHostCredentials", nil)
	if code != 200 {
		t.Fatalf("GetHostCredentials: %d %s", code, body)
	}
	if got, want := xmlValue(body, "HostId"), id; got != want {
		t.Errorf("HostId: got %q, want %q", got, want)
	}
	sess := sigv4.Credentials{AccessKeyID: xmlValue(body, "AccessKeyId"), SecretAccessKey: xmlValue(body, "SecretAccessKey"), SessionToken: xmlValue(body, "SessionToken")}
	code, body = signedPost(t, e.n.URL(), sess, "Action=GetCallerIdentity&Version=2011-06-15")
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/web-role/" + id; code != 200 || xmlValue(body, "Arn") != want {
		t.Fatalf("GetCallerIdentity: %d %s, want %s", code, body, want)
	}
	code, body = e.brevet(t, "ListHosts", nil)
	if code != 200 || xmlValue(body, "HostId") != id || xmlValue(body, "Hostname") != "web-1" {
		t.Fatalf("ListHosts: %d %s", code, body)
	}
	code, body = e.brevet(t, "ListSessions", url.Values{"PrincipalArn": {"arn:aws:iam::" + testAccount + ":role/web-role"}})
	if code != 200 || xmlValue(body, "Kind") != "GetHostCredentials" {
		t.Errorf("ListSessions: %d %s", code, body)
	}

	trail := readTrail(t, e.n)
	for _, secret := range []string{tok, tok[4:], sess.SecretAccessKey, sess.SessionToken} {
		if strings.Contains(trail, secret) {
			t.Errorf("the audit trail holds a secret")
		}
	}
	if sum := sha256.Sum256([]byte(tok)); strings.Count(trail, `"joinToken":"sha256:`+hex.EncodeToString(sum[:])+`"`) != 2 {
		t.Errorf("the trail does not record the token's SHA-256 in CreateJoinToken and EnrollHost")
	}

	code, body = e.brevet(t, "DeregisterHost", url.Values{"HostId": {id}})
	if code != 200 || xmlValue(body, "Target") != "arn:aws:sts::"+testAccount+":assumed-role/web-role/"+id {
		t.Fatalf("DeregisterHost: %d %s", code, body)
	}
	code, body = e.asHost(t, h, nil, "GetHostCredentials", nil)
	wantError(t, "GetHostCredentials after deregistration", code, body, 403, "AccessDenied")
	code, body = signedPost(t, e.n.URL(), sess, "Action=GetCallerIdentity&Version=2011-06-15")
	if code == 200 {
		t.Errorf("a deregistered host's session still works: %d %s", code, body)
	}
	code, body = e.asHost(t, h, nil, "WaitHostChange", url.Values{"Generation": {"0"}})
	if code != 200 || xmlValue(body, "Status") != "deregistered" {
		t.Errorf("WaitHostChange after deregistration: %d %s", code, body)
	}
}

func TestHostEnrollmentRejects(t *testing.T) {
	e := startHostsNode(t)
	e.role(t, "lambda-role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	e.profile(t, "lambda", "lambda-role")
	used := e.joinToken(t, "web")
	if code, body := e.unsigned(t, "EnrollHost", url.Values{"JoinToken": {used}, "HostCertificate": {newHostKey(t).pem}}); code != 200 {
		t.Fatalf("EnrollHost: %d %s", code, body)
	}
	expired, _, err := e.n.hosts.CreateJoinToken(t.Context(), testAccount, "web", time.Minute, "", time.Now().Add(-2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		signed    bool
		params    url.Values
		wantCode  int
		wantError string
	}{
		{"token used twice", false, url.Values{"JoinToken": {used}}, 403, "AccessDenied"},
		{"token expired", false, url.Values{"JoinToken": {expired}}, 403, "AccessDenied"},
		{"token for another profile", false, url.Values{"JoinToken": {e.joinToken(t, "web")}, "InstanceProfileName": {"lambda"}}, 403, "AccessDenied"},
		{"not a token", false, url.Values{"JoinToken": {"bjt_nope"}}, 403, "AccessDenied"},
		{"unsigned without a token", false, url.Values{"InstanceProfileName": {"web"}}, 400, "ValidationError"},
		{"signed, no such profile", true, url.Values{"InstanceProfileName": {"nope"}}, 404, "NoSuchEntity"},
		{"no certificate", false, url.Values{"JoinToken": {e.joinToken(t, "web")}, "HostCertificate": {""}}, 400, "ValidationError"},
		{"garbage certificate", false, url.Values{"JoinToken": {e.joinToken(t, "web")}, "HostCertificate": {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}}, 400, "ValidationError"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tt.params["HostCertificate"]; !ok {
				tt.params.Set("HostCertificate", newHostKey(t).pem)
			}
			var code int
			var body string
			if tt.signed {
				code, body = e.brevet(t, "EnrollHost", tt.params)
			} else {
				code, body = e.unsigned(t, "EnrollHost", tt.params)
			}
			wantError(t, "EnrollHost", code, body, tt.wantCode, tt.wantError)
		})
	}

	enrolled := newHostKey(t)
	e.enroll(t, enrolled, "web")
	other := newHostKey(t)
	lambdaHost := newHostKey(t)
	e.enroll(t, lambdaHost, "lambda")
	for _, tt := range []struct {
		name      string
		key       *hostKey
		cert      *x509.Certificate
		wantCode  int
		wantError string
	}{
		{"unenrolled key", other, nil, 403, "AccessDenied"},
		{"another key than the pinned certificate's", other, enrolled.cert, 403, "AccessDenied"},
		{"role that does not trust ec2.amazonaws.com", lambdaHost, nil, 403, "AccessDenied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := e.asHost(t, tt.key, tt.cert, "GetHostCredentials", nil)
			wantError(t, "GetHostCredentials", code, body, tt.wantCode, tt.wantError)
		})
	}
	// An access key cannot stand for a host.
	code, body := e.brevet(t, "GetHostCredentials", nil)
	wantError(t, "GetHostCredentials signed with an access key", code, body, 403, "AccessDenied")
}

// TestHostSignedEnrollment enrolls with credentials rather than a token:
// the caller needs brevet:EnrollHost on the instance profile.
func TestHostSignedEnrollment(t *testing.T) {
	e := startHostsNode(t)
	h := newHostKey(t)
	code, body := e.brevet(t, "EnrollHost", url.Values{"InstanceProfileName": {"web"}, "HostCertificate": {h.pem}})
	if code != 200 {
		t.Fatalf("EnrollHost: %d %s", code, body)
	}
	if code, body := e.asHost(t, h, nil, "GetHostCredentials", nil); code != 200 {
		t.Fatalf("GetHostCredentials: %d %s", code, body)
	}
	code, body = e.brevet(t, "ListHosts", nil)
	if code != 200 || xmlValue(body, "EnrolledBy") != "arn:aws:iam::"+testAccount+":user/admin" {
		t.Errorf("ListHosts: %d %s", code, body)
	}
	// Brevet's actions may be signed for the scope service "brevet" too.
	code, body = signedPostTo(t, http.DefaultClient, e.n.URL(), "brevet", e.creds,
		brevetBody("EnrollHost", url.Values{"InstanceProfileName": {"web"}, "HostCertificate": {newHostKey(t).pem}}))
	if code != 200 {
		t.Errorf("EnrollHost signed for brevet: %d %s", code, body)
	}
	code, body = signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, brevetBody("ListHosts", nil))
	wantError(t, "ListHosts signed for iam", code, body, 403, "SignatureDoesNotMatch")
}

// TestHostEnrollmentPassRole: handing a profile's role to a host, by a
// join token or a signed enrollment, needs iam:PassRole on the role, as
// EC2's RunInstances does; brevet:CreateJoinToken or brevet:EnrollHost
// alone must not obtain a role the caller could not pass. A profile
// without a role needs none.
func TestHostEnrollmentPassRole(t *testing.T) {
	e := startHostsNode(t)
	e.profile(t, "empty")
	acct := "arn:aws:iam::" + testAccount + ":"
	e.iam(t, "CreateUser", url.Values{"UserName": {"ops"}})
	e.iam(t, "PutUserPolicy", url.Values{"UserName": {"ops"}, "PolicyName": {"hosts"}, "PolicyDocument": {
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["brevet:CreateJoinToken","brevet:EnrollHost"],"Resource":"` + acct + `instance-profile/*"}]}`}})
	params := url.Values{"UserName": {"ops"}, "Action": {"CreateAccessKey"}, "Version": {"2010-05-08"}}
	code, out := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", e.creds, params.Encode())
	if code != 200 {
		t.Fatalf("CreateAccessKey: %d %s", code, out)
	}
	ops := sigv4.Credentials{AccessKeyID: xmlValue(out, "AccessKeyId"), SecretAccessKey: xmlValue(out, "SecretAccessKey")}

	code, body := e.brevetAs(t, ops, "CreateJoinToken", url.Values{"InstanceProfileName": {"web"}})
	wantError(t, "CreateJoinToken without iam:PassRole", code, body, 403, "AccessDenied")
	code, body = e.brevetAs(t, ops, "EnrollHost", url.Values{"InstanceProfileName": {"web"}, "HostCertificate": {newHostKey(t).pem}})
	wantError(t, "EnrollHost without iam:PassRole", code, body, 403, "AccessDenied")
	if code, body := e.brevetAs(t, ops, "CreateJoinToken", url.Values{"InstanceProfileName": {"empty"}}); code != 200 {
		t.Errorf("CreateJoinToken for a profile without a role: %d %s", code, body)
	}

	e.iam(t, "PutUserPolicy", url.Values{"UserName": {"ops"}, "PolicyName": {"pass"}, "PolicyDocument": {
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + acct + `role/web-role",` +
			`"Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`}})
	if code, body := e.brevetAs(t, ops, "CreateJoinToken", url.Values{"InstanceProfileName": {"web"}}); code != 200 {
		t.Errorf("CreateJoinToken with iam:PassRole: %d %s", code, body)
	}
	if code, body := e.brevetAs(t, ops, "EnrollHost", url.Values{"InstanceProfileName": {"web"}, "HostCertificate": {newHostKey(t).pem}}); code != 200 {
		t.Errorf("EnrollHost with iam:PassRole: %d %s", code, body)
	}
}

// TestHostEnrollmentRace enrolls two hosts with one token at once through
// the server: exactly one is enrolled.
func TestHostEnrollmentRace(t *testing.T) {
	e := startHostsNode(t)
	for range 10 {
		tok := e.joinToken(t, "web")
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i := range codes {
			k := newHostKey(t)
			wg.Go(func() {
				codes[i], _ = e.unsigned(t, "EnrollHost", url.Values{"JoinToken": {tok}, "HostCertificate": {k.pem}})
			})
		}
		wg.Wait()
		if !(codes[0] == 200 && codes[1] == 403 || codes[0] == 403 && codes[1] == 200) {
			t.Fatalf("got %v, want one 200 and one 403", codes)
		}
	}
}

// TestWaitHostChange checks that a waiting host learns at once that its
// profile lost its role (IAM RemoveRoleFromInstanceProfile).
func TestWaitHostChange(t *testing.T) {
	e := startHostsNode(t)
	h := newHostKey(t)
	e.enroll(t, h, "web")
	code, body := e.asHost(t, h, nil, "WaitHostChange", url.Values{"Generation": {"0"}})
	if code != 200 || xmlValue(body, "Status") != "active" {
		t.Fatalf("WaitHostChange: %d %s", code, body)
	}
	gen := xmlValue(body, "Generation")
	done := make(chan string, 1)
	start := time.Now()
	go func() {
		_, body := e.asHost(t, h, nil, "WaitHostChange", url.Values{"Generation": {gen}})
		done <- body
	}()
	time.Sleep(200 * time.Millisecond)
	e.iam(t, "RemoveRoleFromInstanceProfile", url.Values{"InstanceProfileName": {"web"}, "RoleName": {"web-role"}})
	select {
	case body := <-done:
		if xmlValue(body, "Status") != "no-role" || xmlValue(body, "Generation") == gen {
			t.Errorf("WaitHostChange: %s", body)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("WaitHostChange returned after %v", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("WaitHostChange did not return after the profile lost its role")
	}
	code, body = e.asHost(t, h, nil, "GetHostCredentials", nil)
	wantError(t, "GetHostCredentials without a role", code, body, 403, "AccessDenied")
}

// TestWaitHostChangeParked: hosts waiting in WaitHostChange take no
// place among the requests in flight, so that a fleet of them (or the
// hosts behind one address) cannot have every other request refused.
func TestWaitHostChangeParked(t *testing.T) {
	// Room for the three waiters as they arrive (before they park), and
	// for nothing more unless they take none once parked.
	e := startHostsNode(t, "BREVET_LIMIT_MAX_IN_FLIGHT=3", "BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE=3")
	var gens []string
	var keys []*hostKey
	for range 3 {
		h := newHostKey(t)
		e.enroll(t, h, "web")
		code, body := e.asHost(t, h, nil, "WaitHostChange", url.Values{"Generation": {"0"}})
		if code != 200 {
			t.Fatalf("WaitHostChange: %d %s", code, body)
		}
		keys, gens = append(keys, h), append(gens, xmlValue(body, "Generation"))
	}
	done := make(chan int, len(keys))
	for i, h := range keys {
		go func() {
			code, _ := e.asHost(t, h, nil, "WaitHostChange", url.Values{"Generation": {gens[i]}})
			done <- code
		}()
	}
	time.Sleep(300 * time.Millisecond) // the three are waiting
	for range 3 {
		if code, body := e.brevet(t, "ListHosts", nil); code != 200 {
			t.Errorf("ListHosts while three hosts wait: %d %s", code, body)
		}
	}
	e.iam(t, "RemoveRoleFromInstanceProfile", url.Values{"InstanceProfileName": {"web"}, "RoleName": {"web-role"}})
	for range keys {
		select {
		case code := <-done:
			if code != 200 {
				t.Errorf("a parked WaitHostChange: %d", code)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a parked WaitHostChange did not return")
		}
	}
}

// BenchmarkHostEnrollment measures EnrollHost with a join token through
// the server from 64 goroutines (parallelism 32 on this 2-core machine):
// token lookup, certificate checks, the store transaction that consumes
// the token and writes the host, and the durable audit event. Tokens and
// certificates are made before the timer starts.
func BenchmarkHostEnrollment(b *testing.B) {
	e := startHostsNode(b, "BREVET_LOG_LEVEL=error", "BREVET_LIMIT_REQUESTS_PER_CALLER=1000000/s:1000000",
		"BREVET_LIMIT_MAX_CONNECTIONS_PER_SOURCE=off", "BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE=off")
	bodies := make([]string, b.N)
	for i := range bodies {
		tok, _, err := e.n.hosts.CreateJoinToken(context.Background(), testAccount, "web", time.Hour, "", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = brevetBody("EnrollHost", url.Values{"JoinToken": {tok}, "HostCertificate": {newHostKey(b).pem}})
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)-1]
			req, _ := http.NewRequest("POST", e.n.URL()+"/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "enrollments/s")
}

// TestHostSourceIdentity: a role whose trust policy also allows
// sts:SetSourceIdentity gets the host id as its sessions' source identity,
// on the trail of every request the session makes; an EC2 trust policy as
// it is (TestHostEnrollmentAndCredentials) gets none.
func TestHostSourceIdentity(t *testing.T) {
	e := startHostsNode(t)
	e.role(t, "audited-role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},`+
		`"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)
	e.profile(t, "audited", "audited-role")
	for _, tc := range []struct{ profile, want string }{{"audited", "source identity"}, {"web", "none"}} {
		h := newHostKey(t)
		code, body := e.unsigned(t, "EnrollHost", url.Values{"JoinToken": {e.joinToken(t, tc.profile)}, "HostCertificate": {h.pem}})
		if code != 200 {
			t.Fatalf("EnrollHost: %d %s", code, body)
		}
		id := xmlValue(body, "HostId")
		code, body = e.asHost(t, h, nil, "GetHostCredentials", nil)
		if code != 200 {
			t.Fatalf("GetHostCredentials (%s): %d %s", tc.profile, code, body)
		}
		sess := sigv4.Credentials{AccessKeyID: xmlValue(body, "AccessKeyId"), SecretAccessKey: xmlValue(body, "SecretAccessKey"), SessionToken: xmlValue(body, "SessionToken")}
		if code, body = signedPost(t, e.n.URL(), sess, "Action=GetCallerIdentity&Version=2011-06-15"); code != 200 {
			t.Fatalf("GetCallerIdentity: %d %s", code, body)
		}
		got := "none"
		if strings.Contains(readTrail(t, e.n), `"sourceIdentity":"`+id+`"`) {
			got = "source identity"
		}
		if got != tc.want {
			t.Errorf("profile %s: the trail shows %s for host %s, want %s", tc.profile, got, id, tc.want)
		}
	}
}

// TestHostSessionSourceInstanceARN: a host's session carries
// ec2:SourceInstanceARN into its own requests, as an EC2 instance role's
// credentials do, so one role's policy can tell two hosts of one profile
// apart.
func TestHostSessionSourceInstanceARN(t *testing.T) {
	e := startHostsNode(t)
	h1, h2 := newHostKey(t), newHostKey(t)
	id1 := e.enroll(t, h1, "web")
	e.enroll(t, h2, "web")
	e.iam(t, "PutRolePolicy", url.Values{"RoleName": {"web-role"}, "PolicyName": {"one-host"}, "PolicyDocument": {
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*",` +
			`"Condition":{"ArnEquals":{"ec2:SourceInstanceARN":"arn:aws:ec2:us-east-1:` + testAccount + `:instance/` + id1 + `"}}}]}`}})
	session := func(h *hostKey) sigv4.Credentials {
		t.Helper()
		code, body := e.asHost(t, h, nil, "GetHostCredentials", nil)
		if code != 200 {
			t.Fatalf("GetHostCredentials: %d %s", code, body)
		}
		return sigv4.Credentials{AccessKeyID: xmlValue(body, "AccessKeyId"), SecretAccessKey: xmlValue(body, "SecretAccessKey"), SessionToken: xmlValue(body, "SessionToken")}
	}
	const getRole = "Action=GetRole&Version=2010-05-08&RoleName=web-role"
	if code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", session(h1), getRole); code != 200 {
		t.Errorf("GetRole by the named host's session: %d %s", code, body)
	}
	code, body := signedPostTo(t, http.DefaultClient, e.n.URL(), "iam", session(h2), getRole)
	wantError(t, "GetRole by another host's session", code, body, 403, "AccessDenied")
}
