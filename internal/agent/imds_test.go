package agent

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jonboulle/clockwork"
)

var testHost = HostInfo{HostID: "i-0123456789abcdef0", AccountID: "123456789012", Region: "eu-west-3",
	InstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/web", RoleArn: "arn:aws:iam::123456789012:role/app/web-role", Enrolled: t0}

func newTestIMDS(t *testing.T) (*IMDS, *clockwork.FakeClock) {
	clock := clockwork.NewFakeClockAt(t0)
	k := servingKeeper(t, clock, testHost.RoleArn, creds("ASIAHOST", t0.Add(time.Hour)))
	return NewIMDS(k, testHost, clock, NewMetrics()), clock
}

func do(h http.Handler, method, path string, hdr map[string]string) (int, http.Header, string) {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Result().Header, string(b)
}

func token(t *testing.T, s *IMDS, ttl string) string {
	t.Helper()
	code, _, tok := do(s, "PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": ttl})
	if code != 200 {
		t.Fatalf("PUT token: %d", code)
	}
	return tok
}

func TestIMDSTokenTTL(t *testing.T) {
	s, _ := newTestIMDS(t)
	for _, tc := range []struct {
		ttl  string
		set  bool
		want int
	}{
		{"1", true, 200}, {"21600", true, 200}, {"300", true, 200},
		{"0", true, 400}, {"21601", true, 400}, {"-1", true, 400}, {"abc", true, 400}, {"", true, 400}, {"", false, 400},
	} {
		h := map[string]string{}
		if tc.set {
			h["X-aws-ec2-metadata-token-ttl-seconds"] = tc.ttl
		}
		code, hdr, body := do(s, "PUT", "/latest/api/token", h)
		if code != tc.want {
			t.Errorf("ttl %q (set %v): got %d, want %d", tc.ttl, tc.set, code, tc.want)
		}
		if code == 200 && (hdr.Get("X-aws-ec2-metadata-token-ttl-seconds") != tc.ttl || len(body) < 40) {
			t.Errorf("ttl %q: got ttl header %q, token %q", tc.ttl, hdr.Get("X-aws-ec2-metadata-token-ttl-seconds"), body)
		}
	}
}

func TestIMDSRejects(t *testing.T) {
	s, clock := newTestIMDS(t)
	good := token(t, s, "60")
	short := token(t, s, "1")
	restarted, _ := newTestIMDS(t)
	old := token(t, restarted, "60") // a token of another agent process
	clock.Advance(2 * time.Second)   // short has expired
	const creds = "/latest/meta-data/iam/security-credentials/"
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		want               int
	}{
		{"no token", "GET", creds, nil, 401},
		{"unknown token", "GET", creds, map[string]string{HeaderToken: "AQAEAbogus"}, 401},
		{"expired token", "GET", creds, map[string]string{HeaderToken: short}, 401},
		{"token from before a restart", "GET", creds, map[string]string{HeaderToken: old}, 401},
		{"X-Forwarded-For on GET", "GET", creds, map[string]string{HeaderToken: good, "X-Forwarded-For": "10.0.0.1"}, 403},
		{"X-Forwarded-For on PUT", "PUT", "/latest/api/token", map[string]string{HeaderTokenTTL: "60", "X-Forwarded-For": "10.0.0.1"}, 403},
		{"GET token", "GET", "/latest/api/token", map[string]string{HeaderTokenTTL: "60"}, 405},
		{"POST", "POST", creds, map[string]string{HeaderToken: good}, 405},
		{"other role", "GET", creds + "admin", map[string]string{HeaderToken: good}, 404},
		{"unknown path", "GET", "/latest/user-data", map[string]string{HeaderToken: good}, 404},
		{"valid", "GET", creds, map[string]string{HeaderToken: good}, 200},
	} {
		if code, _, _ := do(s, tc.method, tc.path, tc.hdr); code != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, code, tc.want)
		}
	}
}

func TestIMDSMetadata(t *testing.T) {
	s, _ := newTestIMDS(t)
	h := map[string]string{HeaderToken: token(t, s, "21600")}
	get := func(path string) string {
		t.Helper()
		code, _, body := do(s, "GET", path, h)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		return body
	}
	if got, want := get("/latest/meta-data/iam/security-credentials/"), "web-role"; got != want {
		t.Errorf("role list: got %q, want %q", got, want)
	}
	var c map[string]string
	if err := json.Unmarshal([]byte(get("/latest/meta-data/iam/security-credentials/web-role")), &c); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Code": "Success", "LastUpdated": "2026-12-06T10:00:00Z", "Type": "AWS-HMAC", "AccessKeyId": "ASIAHOST",
		"SecretAccessKey": "secret-ASIAHOST", "Token": "token-ASIAHOST", "Expiration": "2026-12-06T11:00:00Z"}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("credentials (-want +got):\n%s", d)
	}
	var info map[string]string
	json.Unmarshal([]byte(get("/latest/meta-data/iam/info")), &info)
	if d := cmp.Diff(map[string]string{"Code": "Success", "LastUpdated": "2026-12-06T10:00:00Z",
		"InstanceProfileArn": testHost.InstanceProfileArn, "InstanceProfileId": ""}, info); d != "" {
		t.Errorf("iam/info (-want +got):\n%s", d)
	}
	for path, want := range map[string]string{
		"/latest/meta-data/instance-id":                 testHost.HostID,
		"/latest/meta-data/placement/region":            "eu-west-3",
		"/latest/meta-data/placement/availability-zone": "eu-west-3a",
	} {
		if got := get(path); got != want {
			t.Errorf("%s: got %q, want %q", path, got, want)
		}
	}
	var doc map[string]any
	json.Unmarshal([]byte(get("/latest/dynamic/instance-identity/document")), &doc)
	for k, want := range map[string]any{"accountId": "123456789012", "region": "eu-west-3", "instanceId": testHost.HostID, "version": "2017-09-30"} {
		if doc[k] != want {
			t.Errorf("identity document %s: got %v, want %v", k, doc[k], want)
		}
	}
	if !strings.Contains(get("/latest/meta-data/"), "iam/") {
		t.Error("meta-data index lists no iam/")
	}
}

func TestIMDSStopsServing(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	s := &scripted{}
	s.push(creds("ASIA1", t0.Add(time.Hour)), nil)
	s.push(Credentials{}, &APIError{Status: 403, Code: "AccessDenied"})
	k := NewKeeper(KeeperConfig{Role: testHost.RoleArn, Fetch: s.fetch, Clock: clock})
	k.Step(t.Context())
	srv := NewIMDS(k, testHost, clock, NewMetrics())
	h := map[string]string{HeaderToken: token(t, srv, "60")}
	if code, _, _ := do(srv, "GET", "/latest/meta-data/iam/security-credentials/web-role", h); code != 200 {
		t.Fatalf("before revocation: %d", code)
	}
	k.Step(t.Context())
	for _, p := range []string{"/latest/meta-data/iam/security-credentials/", "/latest/meta-data/iam/security-credentials/web-role", "/latest/meta-data/iam/info"} {
		if code, _, _ := do(srv, "GET", p, h); code != 404 {
			t.Errorf("after revocation, %s: got %d, want 404", p, code)
		}
	}
}

func TestIMDSFollowsTheProfilesRole(t *testing.T) {
	clock := clockwork.NewFakeClockAt(t0)
	c := creds("ASIA2", t0.Add(time.Hour))
	c.RoleArn = "arn:aws:iam::123456789012:role/other-role"
	k := servingKeeper(t, clock, testHost.RoleArn, c)
	s := NewIMDS(k, testHost, clock, NewMetrics())
	h := map[string]string{HeaderToken: token(t, s, "60")}
	if _, _, body := do(s, "GET", "/latest/meta-data/iam/security-credentials/", h); body != "other-role" {
		t.Errorf("role list: got %q, want the role the credentials are for", body)
	}
	if code, _, _ := do(s, "GET", "/latest/meta-data/iam/security-credentials/web-role", h); code != 404 {
		t.Errorf("the enrolled role after a change: got %d, want 404", code)
	}
}

// TestIMDSTokensStateless: a flood of PUT /latest/api/token keeps nothing
// per token and invalidates no earlier token; a token expires at its TTL,
// and one altered, or issued by another agent process, is refused.
func TestIMDSTokensStateless(t *testing.T) {
	now := time.Now()
	a, b := newTokens(), newTokens()
	first := a.issue(now, time.Minute)
	for range 1<<16 + 1000 {
		a.issue(now, time.Hour)
	}
	if !a.valid(first, now.Add(59*time.Second)) {
		t.Error("a token was invalidated by a flood of others")
	}
	if a.valid(first, now.Add(time.Minute)) {
		t.Error("a token is valid at its expiry")
	}
	if b.valid(first, now) {
		t.Error("another process's token is valid")
	}
	altered := []byte(first)
	altered[3] ^= 1
	for _, tok := range []string{string(altered), first[:len(first)-1], first + "A", "", "not a token"} {
		if a.valid(tok, now) {
			t.Errorf("token %q is valid", tok)
		}
	}
}
