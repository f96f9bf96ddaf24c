package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// propagationTarget is the bound on how long a change made on one
// node may take to be enforced on every other.
const propagationTarget = time.Second

// sharedMasterKey writes a master key file the nodes of one cluster share.
func sharedMasterKey(t *testing.T) string {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	material := make([]byte, 32)
	if _, err := rand.Read(material); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(material)), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile
}

// startCluster starts n nodes on one store (dsn); the first creates the
// account and the admin key, which signs requests to every node.
func startCluster(t *testing.T, dsn, keyFile string, n int, args ...string) []*brevet {
	t.Helper()
	nodes := make([]*brevet, n)
	for i := range nodes {
		nodes[i] = startBrevet(t, append([]string{"--store", dsn, "--master-key-file", keyFile}, args...)...)
	}
	return nodes
}

// adminOn is an SDK configuration for node b signed with the first node's
// admin key.
func adminOn(t *testing.T, first, b *brevet) aws.Config {
	id, secret := first.adminKey(t)
	return b.goConfig(id, secret, "")
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// until polls check every 10 ms until it returns true and reports how long
// that took; it fails the test after limit.
func until(t *testing.T, what string, limit time.Duration, check func() (bool, error)) time.Duration {
	t.Helper()
	start := time.Now()
	var last error
	for {
		ok, err := check()
		if ok {
			return time.Since(start)
		}
		last = err
		if time.Since(start) > limit {
			t.Fatalf("%s: not after %v (last: %v)", what, limit, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// clusterRole creates a role the account may assume, allowed to assume
// roles itself (for chains).
func clusterRole(t *testing.T, ic *iam.Client, name string, withPolicy bool) string {
	t.Helper()
	ctx := context.Background()
	out, err := ic.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(trustPolicy(`{"AWS":"arn:aws:iam::`+testAccount+`:root"}`, "")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if withPolicy {
		if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("chain"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:GetAccessKeyInfo"],"Resource":"*"}]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

func assume(t *testing.T, cfg aws.Config, roleARN, name string) *ststypes.Credentials {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(name)})
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", roleARN, err)
	}
	return out.Credentials
}

func callerOK(b *brevet, c *ststypes.Credentials) error {
	_, err := sts.NewFromConfig(fromSTS(b, c)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	return err
}

// sessionsCLI runs `brevet sessions ...` against b, signed with the first
// node's admin credentials file.
func sessionsCLI(t *testing.T, first, b *brevet, args ...string) string {
	t.Helper()
	cmd := exec.Command(brevetBin, append(append([]string{"sessions"}, args...), "--endpoint", b.URL, "--credentials", first.CredentialsFile())...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("brevet sessions %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Three nodes on one PostgreSQL act as one service: what one issues the
// others accept; a role deleted through one, a credential revoked through
// another and a token key rotated from the command line are enforced on
// every node within a second.
func TestClusterThreeNodes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	keyFile := sharedMasterKey(t)
	nodes := startCluster(t, dsn, keyFile, 3)
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	ctx := context.Background()
	ic1 := iam.NewFromConfig(adminOn(t, n1, n1))
	roleARN := clusterRole(t, ic1, "cluster_app", true)

	// Issued on node 1, accepted on nodes 2 and 3.
	creds := assume(t, adminOn(t, n1, n1), roleARN, "one")
	for i, b := range nodes {
		if err := callerOK(b, creds); err != nil {
			t.Errorf("node %d with a session from node 1: %v", i+1, err)
		}
	}

	// The key that seals authorization messages is shared through the
	// store: a denial explained on node 1 decodes on node 3.
	_, err := iam.NewFromConfig(fromSTS(n1, creds)).ListUsers(ctx, &iam.ListUsersInput{})
	var denied smithy.APIError
	if !errors.As(err, &denied) || denied.ErrorCode() != "AccessDenied" || !strings.Contains(denied.ErrorMessage(), "Encoded authorization failure message: ") {
		t.Fatalf("a denied call on node 1: got %v, want AccessDenied with an encoded message", err)
	}
	encoded := denied.ErrorMessage()[strings.LastIndex(denied.ErrorMessage(), " ")+1:]
	if _, err := sts.NewFromConfig(adminOn(t, n1, n3)).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)}); err != nil {
		t.Errorf("decoding on node 3 a message encoded on node 1: %v", err)
	}

	// A role deleted on node 2 can no longer be assumed on node 3.
	doomed := clusterRole(t, ic1, "cluster_doomed", false)
	assume(t, adminOn(t, n1, n3), doomed, "warm") // node 3 has the role cached
	if _, err := iam.NewFromConfig(adminOn(t, n1, n2)).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("cluster_doomed")}); err != nil {
		t.Fatal(err)
	}
	sc3 := sts.NewFromConfig(adminOn(t, n1, n3))
	d := until(t, "node 3 refuses a role deleted on node 2", 5*time.Second, func() (bool, error) {
		_, err := sc3.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(doomed), RoleSessionName: aws.String("late")})
		return err != nil, err
	})
	t.Logf("role deletion on node 2 enforced on node 3 after %v", d)
	if d > propagationTarget {
		t.Errorf("role deletion took %v to reach node 3, want under %v", d, propagationTarget)
	}

	// A credential revoked on node 3 is refused on node 1, and so is the
	// session chained from it; a sibling session is not.
	victim := assume(t, adminOn(t, n1, n1), roleARN, "victim")
	chained := assume(t, fromSTS(n1, victim), roleARN, "chained")
	sibling := assume(t, adminOn(t, n1, n2), roleARN, "sibling")
	for _, c := range []*ststypes.Credentials{victim, chained, sibling} {
		if err := callerOK(n1, c); err != nil {
			t.Fatalf("before the revocation: %v", err)
		}
	}
	list := sessionsCLI(t, n1, n3, "list", "--principal", roleARN, "--active")
	for _, c := range []*ststypes.Credentials{victim, chained, sibling} {
		if !strings.Contains(list, aws.ToString(c.AccessKeyId)) {
			t.Errorf("sessions list on node 3 misses %s:\n%s", aws.ToString(c.AccessKeyId), list)
		}
	}
	issued := time.Now()
	sessionsCLI(t, n1, n3, "revoke", "--access-key-id", aws.ToString(victim.AccessKeyId))
	returned := time.Since(issued)
	d = until(t, "node 1 refuses a credential revoked on node 3", 5*time.Second, func() (bool, error) {
		err := callerOK(n1, victim)
		return errCode(err) == "InvalidClientTokenId", err
	})
	t.Logf("revocation on node 3 enforced on node 1 %v after the revoking command returned (%v after it started, CLI process included)", d, returned+d)
	if d > propagationTarget {
		t.Errorf("revocation took %v to reach node 1, want under %v", d, propagationTarget)
	}
	// Node 1 has the revocation; the others get it from the change feed
	// within the same bound, so each is given it before it is checked.
	for i, b := range nodes {
		until(t, fmt.Sprintf("node %d refuses the session chained from the revoked one", i+1), 5*time.Second, func() (bool, error) {
			err := callerOK(b, chained)
			return errCode(err) == "InvalidClientTokenId", err
		})
		if err := callerOK(b, sibling); err != nil {
			t.Errorf("node %d: a sibling session: %v", i+1, err)
		}
	}

	// Every session of the role issued before now, on node 2.
	sessionsCLI(t, n1, n2, "revoke", "--principal", roleARN, "--issued-before", time.Now().UTC().Add(time.Second).Format(time.RFC3339))
	d = until(t, "node 3 refuses the role's older sessions", 5*time.Second, func() (bool, error) {
		err := callerOK(n3, sibling)
		return errCode(err) == "InvalidClientTokenId", err
	})
	t.Logf("principal revocation on node 2 enforced on node 3 after %v", d)
	time.Sleep(1100 * time.Millisecond) // past the cut-off, to the second
	if err := callerOK(n3, assume(t, adminOn(t, n1, n1), roleARN, "fresh")); err != nil {
		t.Errorf("a session issued after the cut-off: %v", err)
	}

	// A token key rotated from the command line seals new sessions on
	// every node, and they verify on every other.
	rotate := exec.Command(brevetBin, "keys", "rotate-token-key", "--store", dsn, "--master-key-file", keyFile, "--data-dir", n2.DataDir)
	rotate.Env = cleanEnv()
	out, err := rotate.CombinedOutput()
	if err != nil {
		t.Fatalf("rotate-token-key: %v\n%s", err, out)
	}
	newID := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "new session-token key:"))
	// Every node learns of the new key from its own change-feed reads:
	// wait until each seals with it before any opens another's session.
	sessions := make([]*ststypes.Credentials, len(nodes))
	for i, b := range nodes {
		d := until(t, "the new token key in use", 5*time.Second, func() (bool, error) {
			out, err := sts.NewFromConfig(adminOn(t, n1, b)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			if err != nil {
				return false, err
			}
			sessions[i] = out.Credentials
			return tokenKeyID(t, aws.ToString(sessions[i].SessionToken)) == newID, nil
		})
		t.Logf("token key rotation reached node %d after %v", i+1, d)
	}
	for i, s := range sessions {
		for j, other := range nodes {
			if err := callerOK(other, s); err != nil {
				t.Errorf("session sealed by node %d with the new key, on node %d: %v", i+1, j+1, err)
			}
		}
	}
}

// tcpProxy forwards connections to a target until cut: then it closes
// every open connection and refuses new ones, as a network partition
// between the nodes and PostgreSQL would, until restored.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *tcpProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *tcpProxy) pipe(c net.Conn) {
	defer c.Close()
	if !p.track(c) {
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	if !p.track(up) {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (p *tcpProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// viaProxy rewrites dsn's host and port to the proxy's.
func viaProxy(t *testing.T, dsn string, p *tcpProxy) (proxied, target string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target = u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	u.Host = p.ln.Addr().String()
	return u.String(), target
}

// PostgreSQL unreachable mid-run (a real network fault between the nodes
// and a real PostgreSQL: an in-test proxy is cut, the machine's server is
// left alone): requests signed with existing credentials keep being
// verified and authorized from the caches; issuing credentials fails with
// ServiceUnavailable; /readyz says the store check fails; when the network
// comes back everything recovers without a restart. With the audit trail
// in PostgreSQL, the events of the outage are spooled on each node and
// shipped when PostgreSQL is back, and every node's chain verifies.
func TestClusterSurvivesPostgresOutage(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := newTCPProxy(t, target)
	proxied, _ := viaProxy(t, dsn, proxy)
	keyFile := sharedMasterKey(t)
	nodes := startCluster(t, proxied, keyFile, 2)
	n1, n2 := nodes[0], nodes[1]
	ctx := context.Background()
	roleARN := clusterRole(t, iam.NewFromConfig(adminOn(t, n1, n1)), "outage_app", true)
	session := assume(t, adminOn(t, n1, n1), roleARN, "before")
	// Warm every node's caches: the admin key, the admin's and the role's
	// policies.
	check := func(b *brevet) error {
		if _, err := sts.NewFromConfig(adminOn(t, n1, b)).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")}); err != nil {
			return err
		}
		if err := callerOK(b, session); err != nil {
			return err
		}
		_, err := sts.NewFromConfig(fromSTS(b, session)).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("AKIAIOSFODNN7EXAMPLE")})
		return err
	}
	for _, b := range nodes {
		if err := check(b); err != nil {
			t.Fatalf("before the outage: %v", err)
		}
	}

	// With the audit trail in PostgreSQL (pgsink), each node spools its
	// events on its own disk while PostgreSQL is unreachable (acknowledged
	// once fsync'd there), so what the caches can answer is answered;
	// what needs a write fails closed.
	pgAudit := auditInPostgres(n1)
	proxy.setCut(true)
	cutAt := time.Now()
	sc := sts.NewFromConfig(adminOn(t, n1, n2))
	d := until(t, "issuance refused while PostgreSQL is unreachable", 10*time.Second, func() (bool, error) {
		_, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("during")})
		return errCode(err) == "ServiceUnavailable", err
	})
	t.Logf("issuance refused %v after the cut", d)
	// Each node notices the outage by itself (its change-feed reads
	// fail): node 1 gets the same bound node 2 had.
	until(t, "node 1 refuses issuance while PostgreSQL is unreachable", 10*time.Second, func() (bool, error) {
		_, err := sts.NewFromConfig(adminOn(t, n1, n1)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		return errCode(err) == "ServiceUnavailable", err
	})
	_, err = sts.NewFromConfig(adminOn(t, n1, n1)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailable" || !strings.Contains(ae.ErrorMessage(), "unreachable") {
		t.Errorf("GetSessionToken during the outage: got %v, want ServiceUnavailable saying the store is unreachable", err)
	}
	if _, err := iam.NewFromConfig(adminOn(t, n1, n1)).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("during")}); errCode(err) != "ServiceUnavailable" {
		t.Errorf("CreateUser during the outage: got %v, want ServiceUnavailable", err)
	}
	for i, b := range nodes {
		// Not ready (the store), but the audit trail is: it spools.
		if code, body := get(t, b.URL+"/readyz"); code != 503 || !strings.Contains(body, "store") || strings.Contains(body, "audit") {
			t.Errorf("node %d /readyz during the outage: %d %s, want 503 naming the store only", i+1, code, body)
		}
	}
	// Verification and authorization go on from the caches; each answer's
	// event is acknowledged from the node's spool.
	acked := make([][]string, len(nodes))
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		for i, b := range nodes {
			if err := check(b); err != nil {
				t.Fatalf("node %d, %v into the outage: %v", i+1, time.Since(cutAt).Round(time.Millisecond), err)
			}
			out, err := sts.NewFromConfig(adminOn(t, n1, b)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("node %d, GetCallerIdentity %v into the outage: %v", i+1, time.Since(cutAt).Round(time.Millisecond), err)
			}
			acked[i] = append(acked[i], requestID(out.ResultMetadata))
		}
	}

	proxy.setCut(false)
	d = until(t, "issuance after PostgreSQL is reachable again", 20*time.Second, func() (bool, error) {
		_, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("after")})
		return err == nil, err
	})
	t.Logf("issuance recovered %v after the network came back", d)
	until(t, "/readyz after the outage", 10*time.Second, func() (bool, error) {
		code, _ := get(t, n1.URL+"/readyz")
		return code == 200, nil
	})
	for _, b := range nodes {
		if err := check(b); err != nil {
			t.Errorf("after the outage: %v", err)
		}
	}
	if !pgAudit {
		return
	}
	// The events spooled during the outage are shipped to PostgreSQL
	// without a restart, and every node's chain there is whole (stopping
	// the nodes writes their last digests).
	for i, b := range nodes {
		d := until(t, fmt.Sprintf("node %d's outage events in PostgreSQL", i+1), 20*time.Second, func() (bool, error) {
			return inPostgres(dsn, b, acked[i])
		})
		t.Logf("node %d: %d events of the outage shipped within %v", i+1, len(acked[i]), d)
		b.stop(t)
		checkPostgresTrail(t, dsn, b, i, acked[i])
		raw, err := os.ReadFile(filepath.Join(b.DataDir, "audit", pgsink.NodeIDFile))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(brevetBin, "audit", "verify", "--store", dsn, "--node", strings.TrimSpace(string(raw)))
		cmd.Env = cleanEnv()
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "OK: node ") {
			t.Errorf("node %d: audit verify --store --node after the outage: %v\n%s", i+1, err, out)
		}
	}
}

// Killing one node with SIGKILL mid-load: the other nodes serve on, every
// request any node acknowledged has its event in that node's trail, and
// every trail verifies.
func TestClusterNodeKilledDuringLoad(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	keyFile := sharedMasterKey(t)
	// The load is one admin key in closed loops, far past the default
	// per-caller budget (100/s per node); Throttling is not what this test
	// is about.
	nodes := startCluster(t, dsn, keyFile, 3, "--limit-requests-per-caller", "off")
	roleARN := clusterRole(t, iam.NewFromConfig(adminOn(t, nodes[0], nodes[0])), "load_app", false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		mu    sync.Mutex
		acked = map[int][]string{} // node index -> request ids
		after = map[int]int{}      // successes per node after the kill
	)
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; ctx.Err() == nil; i += 6 {
				n := i % 3
				cfg := adminOn(t, nodes[0], nodes[n])
				cfg.RetryMaxAttempts = 1
				var rid string
				var err error
				if i%2 == 0 {
					var out *sts.GetCallerIdentityOutput
					out, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
					if err == nil {
						rid = requestID(out.ResultMetadata)
					}
				} else {
					var out *sts.AssumeRoleOutput
					out, err = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("load")})
					if err == nil {
						rid = requestID(out.ResultMetadata)
					}
				}
				select {
				case <-killed:
					if n == 1 {
						continue
					}
					if err != nil && ctx.Err() == nil {
						t.Errorf("node %d after node 2 was killed: %v", n+1, err)
					}
				default:
				}
				if err == nil {
					mu.Lock()
					acked[n] = append(acked[n], rid)
					select {
					case <-killed:
						after[n]++
					default:
					}
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := nodes[1].cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-nodes[1].exited
	close(killed)
	time.Sleep(1500 * time.Millisecond)
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("acknowledged per node: 1: %d, 2 (killed): %d, 3: %d; after the kill: node 1 %d, node 3 %d",
		len(acked[0]), len(acked[1]), len(acked[2]), after[0], after[2])
	if after[0] == 0 || after[2] == 0 {
		t.Errorf("the surviving nodes served nothing after the kill")
	}
	for _, b := range []*brevet{nodes[0], nodes[2]} {
		b.stop(t) // a clean stop signs the final digest
	}
	for n, b := range nodes {
		dir := filepath.Join(b.DataDir, "audit")
		if auditInPostgres(b) {
			checkPostgresTrail(t, dsn, b, n, acked[n])
			continue
		}
		recorded := map[string]bool{}
		if err := audit.WalkEvents(dir, func(_ uint64, e *audit.Event) error {
			recorded[e.RequestID] = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		missing := 0
		for _, rid := range acked[n] {
			if rid == "" || !recorded[rid] {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("node %d: %d of %d acknowledged requests have no event", n+1, missing, len(acked[n]))
		}
		cmd := exec.Command(brevetBin, "audit", "verify", "--dir", dir)
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "OK: ") {
			t.Errorf("node %d: brevet audit verify: %v\n%s", n+1, err, out)
		}
	}
}

// requestID is the x-amzn-RequestId of an SDK response.
func requestID(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}

// auditInPostgres reports whether b keeps its audit trail in PostgreSQL
// (the pgsink node id is in its audit directory).
func auditInPostgres(b *brevet) bool {
	_, err := os.Stat(filepath.Join(b.DataDir, "audit", pgsink.NodeIDFile))
	return err == nil
}

// inPostgres reports whether the events of the requests ids are all in
// node b's trail in PostgreSQL.
func inPostgres(dsn string, b *brevet, ids []string) (bool, error) {
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(b.DataDir, "audit", pgsink.NodeIDFile))
	if err != nil {
		return false, err
	}
	r, err := pgsink.OpenReader(ctx, dsn)
	if err != nil {
		return false, err
	}
	defer r.Close()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	err = r.Search(ctx, strings.TrimSpace(string(raw)), audit.Filter{}, func(_ uint64, e *audit.Event) error {
		delete(want, e.RequestID)
		return nil
	})
	return len(want) == 0, err
}

// checkPostgresTrail checks that node b's chain in PostgreSQL holds every
// acknowledged request and verifies with the key b registered.
func checkPostgresTrail(t *testing.T, dsn string, b *brevet, n int, acked []string) {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile(filepath.Join(b.DataDir, "audit", pgsink.NodeIDFile))
	if err != nil {
		t.Fatal(err)
	}
	node := strings.TrimSpace(string(raw))
	r, err := pgsink.OpenReader(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recorded := map[string]bool{}
	if err := r.Search(ctx, node, audit.Filter{}, func(_ uint64, e *audit.Event) error {
		recorded[e.RequestID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, rid := range acked {
		if rid == "" || !recorded[rid] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("node %d: %d of %d acknowledged requests have no event in PostgreSQL", n+1, missing, len(acked))
	}
	nodes, err := r.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ni := range nodes {
		if ni.ID != node {
			continue
		}
		rep, err := r.Verify(ctx, node, ni.PublicKey)
		if err != nil {
			t.Errorf("node %d: the PostgreSQL trail does not verify: %v", n+1, err)
		} else {
			t.Logf("node %d: %d events verify in PostgreSQL (chain %s)", n+1, rep.Events, node)
		}
		return
	}
	t.Errorf("node %d: node %s is not registered in PostgreSQL", n+1, node)
}

// Deactivating a long-term key refuses it at once, but the sessions made
// from it live on until they expire, as in AWS; revoking the key id ends
// them, at any depth of chaining.
func TestLongTermKeyAndItsSessions(t *testing.T) {
	t.Parallel()
	b := startBrevet(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(b.goAdmin(t))
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("keyholder")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("keyholder"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("keyholder")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(k.AccessKey.AccessKeyId)
	userCfg := b.goConfig(id, aws.ToString(k.AccessKey.SecretAccessKey), "")
	gst, err := sts.NewFromConfig(userCfg).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := clusterRole(t, ic, "key_app", true)
	role := assume(t, userCfg, roleARN, "from-key")
	chained := assume(t, fromSTS(b, role), roleARN, "chained")

	if _, err := ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("keyholder"), AccessKeyId: aws.String(id), Status: "Inactive"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(userCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); errCode(err) != "InvalidClientTokenId" {
		t.Errorf("the deactivated key, at once: got %v, want InvalidClientTokenId", err)
	}
	for name, c := range map[string]*ststypes.Credentials{"GetSessionToken": gst.Credentials, "AssumeRole": role, "chained": chained} {
		if err := callerOK(b, c); err != nil {
			t.Errorf("%s session of the deactivated key: %v (AWS keeps it until it expires)", name, err)
		}
	}
	sessionsCLI(t, b, b, "revoke", "--access-key-id", id)
	for name, c := range map[string]*ststypes.Credentials{"GetSessionToken": gst.Credentials, "AssumeRole": role, "chained": chained} {
		if err := callerOK(b, c); errCode(err) != "InvalidClientTokenId" {
			t.Errorf("%s session after its root key was revoked: got %v, want InvalidClientTokenId", name, err)
		}
	}
}
