package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// With a PostgreSQL store the nodes of a cluster keep their audit trails
// in the database, one chain per node: a credential issued on one node
// and used on the other is found on either node by LookupEvents, by
// `brevet audit search --store`, and `brevet audit verify --store`
// verifies every node's chain.
func TestAuditTrailInPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	material := make([]byte, 32)
	if _, err := rand.Read(material); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(material)), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startBrevet(t, "--store", dsn, "--master-key-file", keyFile)
	b := startBrevet(t, "--store", dsn, "--master-key-file", keyFile)
	id, secret := a.adminKey(t)
	sess, err := sts.NewFromConfig(a.goConfig(id, secret, "")).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	issued := aws.ToString(sess.Credentials.AccessKeyId)
	for range 3 {
		if _, err := sts.NewFromConfig(fromSTS(b, sess.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}

	// LookupEvents on node A sees what was done on node B.
	if have("aws") {
		c := newClient(t, a)
		var got cliLookup
		c.json(&got, "cloudtrail", "lookup-events", "--endpoint-url", a.URL,
			"--lookup-attributes", "AttributeKey=AccessKeyId,AttributeValue="+issued)
		if len(got.Events) != 3 {
			t.Errorf("lookup-events on node A for a key used on node B: %d events, want 3", len(got.Events))
		}
	}
	a.stop(t)
	b.stop(t)

	run := func(args ...string) (string, error) {
		cmd := exec.Command(brevetBin, args...)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("audit", "verify", "--store", dsn)
	if err != nil || strings.Count(out, "OK: node ") != 2 {
		t.Errorf("audit verify --store: %v\n%s", err, out)
	}
	out, err = run("audit", "search", "--store", dsn, "--access-key", issued, "-o", "json")
	if err != nil {
		t.Fatalf("audit search --store: %v\n%s", err, out)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct{ EventName string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("search output %q: %v", line, err)
		}
		names = append(names, e.EventName)
	}
	// The issuing GetSessionToken (issued key) and the three uses.
	if len(names) != 4 {
		t.Errorf("audit search --store --access-key %s: %v, want GetSessionToken and 3 GetCallerIdentity", issued, names)
	}
	nodeID, err := os.ReadFile(filepath.Join(b.DataDir, "audit", "node-id"))
	if err != nil {
		t.Fatal(err)
	}
	out, err = run("audit", "verify", "--store", dsn, "--node", strings.TrimSpace(string(nodeID)))
	if err != nil || strings.Count(out, "OK: node ") != 1 {
		t.Errorf("audit verify --store --node: %v\n%s", err, out)
	}
}
