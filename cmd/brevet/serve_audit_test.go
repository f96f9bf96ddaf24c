package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// failingDisk wraps the trail's files; while full is set, writes store
// half their bytes and fail with ENOSPC, as on a full disk.
type failingDisk struct{ full atomic.Bool }

type diskFile struct {
	*os.File
	d *failingDisk
}

func (f *diskFile) Write(p []byte) (int, error) {
	if f.d.full.Load() {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, syscall.ENOSPC
	}
	return f.File.Write(p)
}

func (f *diskFile) Truncate(size int64) error {
	if f.d.full.Load() {
		return syscall.ENOSPC
	}
	return f.File.Truncate(size)
}

func (d *failingDisk) open(name string, flag int, perm os.FileMode) (audit.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &diskFile{File: f, d: d}, nil
}

// adminCreds reads the key the first start wrote.
func adminCreds(t testing.TB, dataDir string) sigv4.Credentials {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir, "admin-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c sigv4.Credentials
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " = "); ok {
			switch k {
			case "aws_access_key_id":
				c.AccessKeyID = v
			case "aws_secret_access_key":
				c.SecretAccessKey = v
			}
		}
	}
	return c
}

// signedPost sends a SigV4-signed STS request and returns the status and
// body.
func signedPost(t testing.TB, base string, creds sigv4.Credentials, body string) (int, string) {
	t.Helper()
	return signedPostTo(t, http.DefaultClient, base, "sts", creds, body)
}

func signedPostTo(t testing.TB, client *http.Client, base, service string, creds sigv4.Credentials, body string) (int, string) {
	t.Helper()
	u, _ := url.Parse(base)
	req := sigv4.Request{Method: "POST", Path: "/", Host: u.Host, Body: []byte(body),
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	if err := (&sigv4.Signer{Credentials: creds}).Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: service, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest("POST", base+"/", bytes.NewReader(req.Body))
	hr.Header = req.Header
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func readyz(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeFailsClosedWhenTheTrailCannotBeWritten: with the audit disk
// full, the real server (all of serve's wiring, in process) answers
// ServiceUnavailable and /readyz turns 503; when the disk recovers, so
// does the server, and the trail verifies with no event of the refused
// requests.
func TestServeFailsClosedWhenTheTrailCannotBeWritten(t *testing.T) {
	disk := &failingDisk{}
	auditOpenFile = disk.open
	t.Cleanup(func() { auditOpenFile = nil })
	dataDir := filepath.Join(t.TempDir(), "data")
	base, _, stop := serveInProcess(t, dataDir)
	creds := adminCreds(t, dataDir)
	const gci = "Action=GetCallerIdentity&Version=2011-06-15"
	if code, body := signedPost(t, base, creds, gci); code != 200 {
		t.Fatalf("before the fault: %d %s", code, body)
	}

	disk.full.Store(true)
	code, body := signedPost(t, base, creds, gci)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "<Code>ServiceUnavailable</Code>") {
		t.Errorf("with the audit disk full: %d %s; want 503 ServiceUnavailable", code, body)
	}
	if got := readyz(t, base); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the audit disk full: %d, want 503", got)
	}
	if code, _ := signedPost(t, base, creds, gci); code != http.StatusServiceUnavailable {
		t.Errorf("second request with the disk full: %d, want 503", code)
	}

	disk.full.Store(false)
	deadline := time.Now().Add(15 * time.Second)
	for readyz(t, base) != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz did not recover after the disk did")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := signedPost(t, base, creds, gci); code != 200 {
		t.Errorf("after recovery: %d %s", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(dataDir, "audit")
	signer, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: ed25519.PublicKey(signer.Public())})
	if err != nil {
		t.Fatalf("verify after recovery: %v", err)
	}
	var n int
	if err := audit.WalkEvents(dir, func(_ uint64, e *audit.Event) error {
		if e.EventName == "GetCallerIdentity" {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 2 || rep.Uncovered != 0 {
		t.Errorf("GetCallerIdentity events = %d (want 2: the refused ones were never acknowledged); report %+v", n, rep)
	}
}
