package agent

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// standIn is a small stand-in for Brevet's host API, for unit tests only
// (the e2e tests run the real server): it enrolls with single-use join
// tokens, checks that GetHostCredentials is signed with the enrolled
// host certificate, and answers AssumeRole.
type standIn struct {
	mu      sync.Mutex
	tokens  map[string]bool
	cert    string // the enrolled certificate, base64 DER
	enrolls int
	fetches int
	revoked bool
	down    bool
	assumed []string
	watch   bool
	clock   clockwork.Clock
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	r.ParseForm()
	if s.down {
		w.WriteHeader(503)
		return
	}
	xmlErr := func(status int, code string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error></ErrorResponse>`, code)
	}
	exp := s.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	switch r.Form.Get("Action") {
	case "EnrollHost":
		tok := r.Form.Get("JoinToken")
		if !s.tokens[tok] {
			xmlErr(400, "InvalidJoinToken")
			return
		}
		delete(s.tokens, tok)
		blk, _ := pem.Decode([]byte(r.Form.Get("HostCertificate")))
		if blk == nil {
			xmlErr(400, "MalformedCertificate")
			return
		}
		s.cert = base64.StdEncoding.EncodeToString(blk.Bytes)
		s.enrolls++
		fmt.Fprint(w, `<EnrollHostResponse><EnrollHostResult><HostId>i-0abc</HostId>
<InstanceProfileArn>arn:aws:iam::123456789012:instance-profile/web</InstanceProfileArn>
<RoleArn>arn:aws:iam::123456789012:role/web</RoleArn><AccountId>123456789012</AccountId><Region>eu-west-3</Region>
</EnrollHostResult></EnrollHostResponse>`)
	case "GetHostCredentials":
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-X509-ECDSA-SHA256 Credential=") || r.Header.Get("X-Amz-X509") != s.cert {
			xmlErr(403, "SignatureDoesNotMatch")
			return
		}
		if s.revoked {
			xmlErr(403, "AccessDenied")
			return
		}
		s.fetches++
		fmt.Fprintf(w, `<GetHostCredentialsResponse><GetHostCredentialsResult><Credentials><AccessKeyId>ASIAHOST%d</AccessKeyId>
<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials>
<RoleArn>arn:aws:iam::123456789012:role/web</RoleArn></GetHostCredentialsResult></GetHostCredentialsResponse>`, s.fetches, exp)
	case "WaitHostChange":
		if !s.watch {
			xmlErr(400, "InvalidAction")
			return
		}
		gen, status := "1", "active"
		if s.revoked {
			gen, status = "2", "no-role"
		}
		if r.Form.Get("Generation") == gen {
			s.mu.Unlock()
			time.Sleep(20 * time.Millisecond) // a short long poll
			s.mu.Lock()
		}
		fmt.Fprintf(w, `<WaitHostChangeResponse><WaitHostChangeResult><Generation>%s</Generation><Status>%s</Status></WaitHostChangeResult></WaitHostChangeResponse>`, gen, status)
	case "AssumeRole":
		if !strings.Contains(r.Header.Get("Authorization"), "Credential=ASIAHOST") {
			xmlErr(403, "InvalidClientTokenId")
			return
		}
		s.assumed = append(s.assumed, r.Form.Get("RoleArn"))
		fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAWORKLOAD</AccessKeyId>
<SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`, exp)
	default:
		xmlErr(400, "InvalidAction")
	}
}

func TestAgentEnrollsOnceAndServes(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	si := &standIn{tokens: map[string]bool{"bjt_one": true}, clock: clock}
	srv := httptest.NewServer(si)
	defer srv.Close()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	wlToken := filepath.Join(dir, "batch.token")
	cfg := Config{Endpoint: srv.URL, StateDir: state, Hostname: "web-1", Enroll: Enrollment{JoinToken: "bjt_one"}, Clock: clock,
		Workloads: []WorkloadConfig{{TokenFile: wlToken, RoleArn: "arn:aws:iam::123456789012:role/batch"}}}
	a, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Host(); got.HostID != "i-0abc" || got.Region != "eu-west-3" {
		t.Errorf("host: got %+v", got)
	}
	for _, f := range []string{"host.key", "host.crt", "host.json", "../batch.token"} {
		fi, err := os.Stat(filepath.Join(state, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", f, err, fi.Mode().Perm())
		}
	}
	// A restart reuses the enrollment: the join token, spent, is not needed.
	b, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if si.enrolls != 1 {
		t.Errorf("enrolled %d times, want 1", si.enrolls)
	}
	b.HostKeeper().Step(t.Context())
	if c, _, ok := b.HostKeeper().Current(clock.Now()); !ok || c.AccessKeyID != "ASIAHOST1" {
		t.Fatalf("host credentials: %v %v", c.AccessKeyID, ok)
	}
	wk := b.workloads[0].Keeper
	wk.Step(t.Context())
	if c, _, ok := wk.Current(clock.Now()); !ok || c.AccessKeyID != "ASIAWORKLOAD" {
		t.Fatalf("workload credentials: %v %v", c.AccessKeyID, ok)
	}
	if len(si.assumed) != 1 || si.assumed[0] != "arn:aws:iam::123456789012:role/batch" {
		t.Errorf("assumed %v", si.assumed)
	}

	// An outage: both keep serving.
	si.mu.Lock()
	si.down = true
	si.mu.Unlock()
	b.HostKeeper().Step(t.Context())
	if _, _, ok := b.HostKeeper().Current(clock.Now()); !ok {
		t.Error("not serving through an outage")
	}
	// Revoked: both stop at once.
	si.mu.Lock()
	si.down, si.revoked = false, true
	si.mu.Unlock()
	b.HostKeeper().Step(t.Context())
	if _, _, ok := b.HostKeeper().Current(clock.Now()); ok {
		t.Error("host role served after AccessDenied")
	}
	if _, _, ok := wk.Current(clock.Now()); ok {
		t.Error("workload role served after the host was revoked")
	}
}

func TestAgentEnrollmentRefused(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	si := &standIn{tokens: map[string]bool{}, clock: clock}
	srv := httptest.NewServer(si)
	defer srv.Close()
	dir := t.TempDir()
	_, err := New(t.Context(), Config{Endpoint: srv.URL, StateDir: dir, Enroll: Enrollment{JoinToken: "bjt_used"}, Clock: clock})
	if !strings.Contains(fmt.Sprint(err), "InvalidJoinToken") {
		t.Errorf("got %v, want InvalidJoinToken", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "host.json")); err == nil {
		t.Error("a refused enrollment was recorded")
	}
	// The key is kept: a retry enrolls the same key.
	st, err := LoadState(dir, "h", clock.Now())
	if err != nil || st.Host != nil || st.Cert.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("state after refusal: %v %+v", err, st)
	}
	if _, err := New(t.Context(), Config{Endpoint: srv.URL, StateDir: dir, Clock: clock}); err == nil {
		t.Error("started without enrollment or credentials to enroll with")
	}
}

func TestCredentialProcess(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now().Truncate(time.Second))
	k := servingKeeper(t, clock, "arn:aws:iam::123456789012:role/web", creds("ASIA1", clock.Now().Add(time.Hour)))
	var hits int
	var mu sync.Mutex
	imds := NewIMDS(k, HostInfo{RoleArn: "arn:aws:iam::123456789012:role/web"}, clock, NewMetrics())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		imds.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cache := t.TempDir()
	cfg := ProcessConfig{AgentURL: srv.URL, CacheDir: cache}
	out, err := CredentialProcess(t.Context(), cfg, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != 1 || out.AccessKeyId != "ASIA1" || out.SessionToken != "token-ASIA1" || !out.Expiration.Equal(clock.Now().Add(time.Hour)) {
		t.Errorf("got %+v", out)
	}
	first := hits
	if _, err := CredentialProcess(t.Context(), cfg, clock.Now().Add(54*time.Minute)); err != nil || hits != first {
		t.Errorf("within the cache's life: err %v, agent called %d more times", err, hits-first)
	}
	if _, err := CredentialProcess(t.Context(), cfg, clock.Now().Add(56*time.Minute)); err != nil || hits == first {
		t.Errorf("5 minutes before expiry: err %v, agent not called", err)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("cache mode %v", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(files[0])
	var cached map[string]any
	if json.Unmarshal(b, &cached); cached["Version"] != float64(1) {
		t.Errorf("cache: %s", b)
	}
}

func TestAgentWatchStopsServingAtOnce(t *testing.T) {
	for _, watch := range []bool{true, false} {
		clock := clockwork.NewRealClock()
		si := &standIn{tokens: map[string]bool{"bjt_one": true}, clock: clock, watch: watch}
		srv := httptest.NewServer(si)
		a, err := New(t.Context(), Config{Endpoint: srv.URL, StateDir: t.TempDir(), Enroll: Enrollment{JoinToken: "bjt_one"}, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		a.HostKeeper().Step(t.Context())
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { a.watchHost(ctx); close(done) }()
		time.Sleep(50 * time.Millisecond)
		if _, _, ok := a.HostKeeper().Current(clock.Now()); !ok {
			t.Errorf("watch %v: not serving while active", watch)
		}
		si.mu.Lock()
		si.revoked = true
		si.mu.Unlock()
		if watch {
			waitFor(t, func() bool { _, _, ok := a.HostKeeper().Current(clock.Now()); return !ok })
		} else {
			// Without WaitHostChange the watcher polls (every 30 s): it is
			// still serving now, and the keeper's next fetch will stop it.
			time.Sleep(50 * time.Millisecond)
			if _, _, ok := a.HostKeeper().Current(clock.Now()); !ok {
				t.Error("polling fallback: stopped before any fetch")
			}
		}
		cancel()
		<-done
		srv.Close()
	}
}

// TestPrivateDirectories: the state directory and the credential-process
// cache are used only when they are this user's alone: one open to
// others is made 0700, one another user owns is refused (state) or not
// used (cache: its planted credentials are not returned).
func TestPrivateDirectories(t *testing.T) {
	open := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777) // past the umask
	if _, err := LoadState(open, "h", time.Now()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(open); fi.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", fi.Mode().Perm())
	}
	if os.Geteuid() != 0 {
		t.Skip("giving a directory to another user needs root")
	}
	theirs := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(theirs, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(theirs, "h", time.Now()); err == nil {
		t.Error("LoadState used a directory another user owns")
	}

	clock := clockwork.NewFakeClockAt(time.Now().Truncate(time.Second))
	k := servingKeeper(t, clock, "arn:aws:iam::123456789012:role/web", creds("ASIA1", clock.Now().Add(time.Hour)))
	srv := httptest.NewServer(NewIMDS(k, HostInfo{RoleArn: "arn:aws:iam::123456789012:role/web"}, clock, NewMetrics()))
	defer srv.Close()
	cfg := ProcessConfig{AgentURL: srv.URL, CacheDir: theirs}
	path, err := cachePath(cfg)
	if err != nil {
		t.Fatal(err)
	}
	planted, _ := json.Marshal(ProcessOutput{Version: 1, AccessKeyId: "ASIAPLANTED", SecretAccessKey: "x", SessionToken: "x", Expiration: clock.Now().Add(time.Hour)})
	if err := os.WriteFile(path, planted, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := CredentialProcess(t.Context(), cfg, clock.Now())
	if err != nil || out.AccessKeyId != "ASIA1" {
		t.Errorf("CredentialProcess with a cache directory another user owns: %+v, %v; want the agent's ASIA1", out, err)
	}
}
