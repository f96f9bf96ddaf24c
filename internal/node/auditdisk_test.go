package node

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// auditDirBytes sums the event files of a node's trail.
func auditDirBytes(t *testing.T, dataDir string) int64 {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dataDir, "audit", "trail-*"))
	var n int64
	for _, f := range m {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAuditDiskHardening drives the real server: with the trail's file
// system nearly full (an injected statfs), /readyz still answers 200 but
// warns and the metric says so; a principal with no permissions sending
// a request of the largest size the API accepts is refused as before and adds only a few KB to the
// trail.
func TestAuditDiskHardening(t *testing.T) {
	const gib = 1 << 30
	dataDir := filepath.Join(t.TempDir(), "data")
	n, _ := startNode(t, dataDir, Options{AuditStatfs: func(string) (uint64, uint64, error) { return 1 * gib, 100 * gib, nil }})
	base := n.URL()

	if code, body := get(t, base+"/readyz"); code != 200 || body != "ok\nwarning: audit-disk\n" {
		t.Errorf("/readyz with 1%% free = %d %q; want 200 with the audit-disk warning", code, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{"brevet_audit_disk_low 1", "brevet_audit_disk_free_bytes 1.073741824e+09", "brevet_audit_trail_bytes ",
		"brevet_audit_events_aggregated_total 0", "brevet_audit_parameters_omitted_total 0", "brevet_audit_files_pruned_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	admin := adminCreds(t, dataDir)
	iam := func(creds sigv4.Credentials, v url.Values) (int, string) {
		v.Set("Version", "2010-05-08")
		return signedPostTo(t, http.DefaultClient, base, "iam", creds, v.Encode())
	}
	if code, body := iam(admin, url.Values{"Action": {"CreateUser"}, "UserName": {"nobody"}}); code != 200 {
		t.Fatalf("CreateUser: %d %s", code, body)
	}
	code, body := iam(admin, url.Values{"Action": {"CreateAccessKey"}, "UserName": {"nobody"}})
	id := regexp.MustCompile(`<AccessKeyId>([^<]+)<`).FindStringSubmatch(body)
	secret := regexp.MustCompile(`<SecretAccessKey>([^<]+)<`).FindStringSubmatch(body)
	if code != 200 || id == nil || secret == nil {
		t.Fatalf("CreateAccessKey: %d %s", code, body)
	}
	nobody := sigv4.Credentials{AccessKeyID: id[1], SecretAccessKey: secret[1]}

	// The largest document the API model accepts, of a character JSON
	// escapes to six bytes: about 800 KB of requestParameters.
	before := auditDirBytes(t, dataDir)
	code, body = iam(nobody, url.Values{"Action": {"CreatePolicy"}, "PolicyName": {"p"},
		"PolicyDocument": {strings.Repeat("<", 131072)}})
	if code != 403 || !strings.Contains(body, "AccessDenied") {
		t.Errorf("CreatePolicy by a principal with no permissions: %d %.200s; want 403 AccessDenied", code, body)
	}
	grew := auditDirBytes(t, dataDir) - before
	t.Logf("status %d; the trail grew by %d bytes", code, grew)
	if grew > 20<<10 {
		t.Errorf("the refused request grew the trail by %d bytes; want well under 20 KB", grew)
	}
}
