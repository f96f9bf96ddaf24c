package node

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (Linux routes all of 127.0.0.0/8 to the loopback device), so
// that one test can be several sources.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestFailedAuthenticationThrottled: a source that keeps presenting bad
// signatures is answered Throttling (HTTP 400, Rate exceeded, Retry-After)
// once its failure budget is spent, before its signatures are checked,
// even when it then signs correctly; another source's requests pass.
func TestFailedAuthenticationThrottled(t *testing.T) {
	dir := t.TempDir()
	n, _ := startNode(t, dir, Options{}, "BREVET_LIMIT_FAILURES_PER_SOURCE=1/m:3", "BREVET_LIMIT_FAILURES_PER_KEY=off")
	good := adminCreds(t, dir)
	bad := sigv4.Credentials{AccessKeyID: good.AccessKeyID, SecretAccessKey: "not-the-secret-not-the-secret-not-the-sec"}
	attacker, other := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")
	const call = "Action=GetCallerIdentity&Version=2011-06-15"

	for i := range 3 {
		if status, body := signedPostTo(t, attacker, n.URL(), "sts", bad, call); status != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
			t.Fatalf("bad signature %d: %d %s; want 403 SignatureDoesNotMatch", i+1, status, body)
		}
	}
	for _, creds := range []sigv4.Credentials{bad, good} {
		status, body := signedPostTo(t, attacker, n.URL(), "sts", creds, call)
		if status != http.StatusBadRequest || !strings.Contains(body, "<Code>Throttling</Code>") || !strings.Contains(body, "<Message>Rate exceeded</Message>") {
			t.Errorf("over the failure budget: %d %s; want 400 Throttling, Rate exceeded", status, body)
		}
	}
	// Retry-After: a token is back within a minute.
	resp := postRaw(t, attacker, n.URL(), call)
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After = %q; want whole seconds up to 60", resp.Header.Get("Retry-After"))
	}
	// Another source is not affected, and neither is the key's owner.
	for _, c := range []*http.Client{other, http.DefaultClient} {
		if status, body := signedPostTo(t, c, n.URL(), "sts", good, call); status != http.StatusOK {
			t.Errorf("another source: %d %s; want 200", status, body)
		}
	}
	resp = getRaw(t, http.DefaultClient, n.URL()+"/metrics")
	metrics, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(metrics), `brevet_throttled_total{budget="failures_per_source"} 3`) {
		t.Errorf("/metrics lacks brevet_throttled_total{budget=\"failures_per_source\"} 3")
	}
}

// TestAccessDeniedCountsAsFailure: an authenticated caller refused with
// 403 (here by policy: a user with none) spends its source's failure
// budget as a bad signature does; a refusal for a malformed request does
// not.
func TestAccessDeniedCountsAsFailure(t *testing.T) {
	dir := t.TempDir()
	n, _ := startNode(t, dir, Options{}, "BREVET_LIMIT_FAILURES_PER_SOURCE=1/m:2")
	admin := adminCreds(t, dir)
	if status, body := signedPostTo(t, http.DefaultClient, n.URL(), "iam", admin, "Action=CreateUser&Version=2010-05-08&UserName=bob"); status != 200 {
		t.Fatalf("CreateUser: %d %s", status, body)
	}
	status, body := signedPostTo(t, http.DefaultClient, n.URL(), "iam", admin, "Action=CreateAccessKey&Version=2010-05-08&UserName=bob")
	if status != 200 {
		t.Fatalf("CreateAccessKey: %d %s", status, body)
	}
	bob := sigv4.Credentials{AccessKeyID: between(body, "<AccessKeyId>", "</AccessKeyId>"), SecretAccessKey: between(body, "<SecretAccessKey>", "</SecretAccessKey>")}
	c := clientFrom("127.0.0.4")
	var got []string
	for _, call := range []string{
		"Action=GetUser&Version=2010-05-08&UserName=bob&Unknown=1", // 400: does not count
		"Action=GetUser&Version=2010-05-08&UserName=bob",           // 403 AccessDenied
		"Action=GetUser&Version=2010-05-08&UserName=bob",           // 403 AccessDenied
		"Action=GetUser&Version=2010-05-08&UserName=bob",           // over
	} {
		status, body := signedPostTo(t, c, n.URL(), "iam", bob, call)
		got = append(got, strconv.Itoa(status)+" "+between(body, "<Code>", "</Code>"))
	}
	want := "400 InvalidQueryParameter,403 AccessDenied,403 AccessDenied,400 Throttling"
	if strings.Join(got, ",") != want {
		t.Errorf("answers %q; want %q", got, want)
	}
}

// between is the text of s between the first start and the end after it.
func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}

// TestRequestsPerCallerThrottled: an authenticated key past its budget is
// answered Throttling.
func TestRequestsPerCallerThrottled(t *testing.T) {
	dir := t.TempDir()
	n, _ := startNode(t, dir, Options{}, "BREVET_LIMIT_REQUESTS_PER_CALLER=1/m:2")
	good := adminCreds(t, dir)
	const call = "Action=GetCallerIdentity&Version=2011-06-15"
	var got []int
	for range 3 {
		status, _ := signedPost(t, n.URL(), good, call)
		got = append(got, status)
	}
	if got[0] != 200 || got[1] != 200 || got[2] != 400 {
		t.Errorf("statuses %v; want [200 200 400]", got)
	}
}

func postRaw(t *testing.T, c *http.Client, base, body string) *http.Response {
	t.Helper()
	resp, err := c.Post(base+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func getRaw(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}
