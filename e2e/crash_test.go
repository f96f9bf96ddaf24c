package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// Acknowledged means recorded, at the server level: signed requests from
// several goroutines (AssumeRole, GetCallerIdentity and failing requests),
// `kill -9` mid-load, restart on the same data directory; every request
// that got a 2xx has its event, `brevet audit verify` passes, and every
// session an acknowledged AssumeRole issued is in `brevet sessions list`,
// though the issuance index is written behind the trail (the restart
// reads what it had not written back from the trail).
func TestCrashMidLoadLosesNoAcknowledgedEvent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Eight closed loops, two requests in five refused: the rate budgets
	// would soon answer Throttling to everything, and the load this test
	// kills the server under is the point.
	b := startBrevetIn(t, dir, "--limit-failures-per-source", "off", "--limit-failures-per-key", "off", "--limit-requests-per-caller", "off")
	roleARN := sdkRole(t, b)
	id, secret := b.adminKey(t)
	admin := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret}
	wrong := sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret + "x"}
	u, err := url.Parse(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	bodies := []struct {
		body  string
		creds sigv4.Credentials
	}{
		{"Action=AssumeRole&Version=2011-06-15&RoleSessionName=crash&RoleArn=" + url.QueryEscape(roleARN), admin},
		{"Action=GetCallerIdentity&Version=2011-06-15", admin},
		{"Action=GetCallerIdentity&Version=2011-06-15", wrong},                                                        // SignatureDoesNotMatch
		{"Action=AssumeRole&Version=2011-06-15&RoleSessionName=x&RoleArn=arn:aws:iam::123456789012:role/none", admin}, // AccessDenied
		{"Action=NoSuchAction&Version=2011-06-15", admin},
	}
	client := &http.Client{Transport: recordingTransport{next: &http.Transport{MaxIdleConnsPerHost: 16}}, Timeout: 10 * time.Second}
	send := func(i int) (status int, rid, issued string, err error) {
		c := bodies[i%len(bodies)]
		req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(c.body),
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
		if err := (&sigv4.Signer{Credentials: c.creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "sts", Time: time.Now()}); err != nil {
			return 0, "", "", err
		}
		hr, err := http.NewRequest("POST", b.URL+"/", bytes.NewReader(req.Body))
		if err != nil {
			return 0, "", "", err
		}
		hr.Header = req.Header
		resp, err := client.Do(hr)
		if err != nil {
			return 0, "", "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, "", "", err // a response cut short is not an acknowledgement
		}
		if m := accessKeyIDElement.FindSubmatch(body); m != nil {
			issued = string(m[1])
		}
		return resp.StatusCode, resp.Header.Get("x-amzn-RequestId"), issued, nil
	}

	var (
		mu       sync.Mutex
		acked    []string
		issued   []string // access key ids of acknowledged AssumeRoles
		failures atomic.Int64
		sent     atomic.Int64
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ctx.Err() == nil; i += 8 {
				status, rid, key, err := send(i)
				sent.Add(1)
				switch {
				case err != nil:
					if ctx.Err() == nil && sent.Load() < 5 {
						t.Errorf("request before the crash failed: %v", err)
					}
					return // the server is gone
				case status >= 200 && status < 300:
					mu.Lock()
					acked = append(acked, rid)
					if key != "" {
						issued = append(issued, key)
					}
					mu.Unlock()
				default:
					failures.Add(1)
				}
			}
		}()
	}
	// Kill when the load is well under way.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 400 && failures.Load() >= 100 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := b.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-b.exited
	cancel()
	wg.Wait()
	mu.Lock()
	ackedIDs := append([]string(nil), acked...)
	issuedIDs := append([]string(nil), issued...)
	mu.Unlock()
	if len(ackedIDs) < 100 || failures.Load() == 0 {
		t.Fatalf("load too light to mean anything: %d acknowledged, %d failed", len(ackedIDs), failures.Load())
	}
	t.Logf("killed with -9 after %d requests: %d acknowledged, %d failed as intended", sent.Load(), len(ackedIDs), failures.Load())

	// Restart on the same data directory: it repairs a torn tail, if any,
	// and continues the chain; a clean stop signs a final digest.
	b2 := startBrevetIn(t, dir)
	if code, _ := get(t, b2.URL+"/readyz"); code != 200 {
		t.Errorf("/readyz after the restart: %d", code)
	}
	list := sessionsCLI(t, b2, b2, "list", "--principal", roleARN)
	var unlisted []string
	for _, key := range issuedIDs {
		if strings.Count(list, key) != 1 {
			unlisted = append(unlisted, key)
		}
	}
	if len(issuedIDs) == 0 || len(unlisted) > 0 {
		t.Errorf("%d of %d acknowledged AssumeRole sessions are not listed once by brevet sessions list after the crash, e.g. %v",
			len(unlisted), len(issuedIDs), unlisted[:min(3, len(unlisted))])
	}
	if strings.Contains(b2.logs.String(), "issuance index caught up from the audit trail") {
		t.Log("the restart indexed sessions the crash had left unindexed")
	}
	b2.stop(t)

	auditDir := filepath.Join(b2.DataDir, "audit")
	recorded := map[string]bool{}
	if err := audit.WalkEvents(auditDir, func(_ uint64, e *audit.Event) error {
		recorded[e.RequestID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, rid := range ackedIDs {
		if rid == "" || !recorded[rid] {
			missing = append(missing, rid)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged requests have no event, e.g. %q", len(missing), len(ackedIDs), missing[0])
	}

	cmd := exec.Command(brevetBin, "audit", "verify", "--dir", auditDir)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "OK: ") {
		t.Errorf("brevet audit verify after the crash: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(string(out)))
	if strings.Contains(b2.logs.String(), "torn") {
		t.Log("the restart repaired a torn final record")
	}
}

// accessKeyIDElement finds the issued key id in an AssumeRole response.
var accessKeyIDElement = regexp.MustCompile(`<AccessKeyId>(ASIA[A-Z0-9]+)</AccessKeyId>`)
