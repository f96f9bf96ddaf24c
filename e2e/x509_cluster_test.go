package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iot"
	iottypes "github.com/aws/aws-sdk-go-v2/service/iot/types"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// x509PropagationBound is how long a certificate, CRL, trust anchor or
// profile change made through one node may take to be enforced on
// another: the caches are dropped on the change feed, which PostgreSQL's
// NOTIFY wakes, so it is expected to be far shorter.
const x509PropagationBound = 2 * time.Second

// TestX509Cluster: three nodes on one PostgreSQL. A CRL, a disabled trust
// anchor and a disabled profile imported or changed through node A refuse
// IAM Roles Anywhere's CreateSession on nodes B and C, whose caches held
// the anchor, the profile and the verified chain a moment before; an IoT
// device certificate made INACTIVE through node A is refused by node B's
// credentials provider on the device's kept-alive TLS connection and on a
// new connection resuming its TLS session, and by node C's. Each delay is
// logged; each must be under x509PropagationBound.
func TestX509Cluster(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	keyFile := sharedMasterKey(t)
	dir := t.TempDir()
	serverCA := x509test.NewCA(t, x509test.Options{CN: "Brevet IoT server CA"})
	server := serverCA.Leaf(t, x509test.Options{CN: "127.0.0.1", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	serverCert := writeFile(t, dir, "server.pem", x509test.CertsPEM(server.Cert, serverCA.Cert))
	serverKey := writeFile(t, dir, "server.key", x509test.KeyPEM(t, server.Key))
	nodes := make([]*brevet, 3)
	iotURLs := make([]string, len(nodes))
	for i := range nodes {
		port, err := unusedPort()
		if err != nil {
			t.Fatal(err)
		}
		iotURLs[i] = "https://127.0.0.1:" + port
		nodes[i] = startBrevet(t, "--store", dsn, "--master-key-file", keyFile, "--iot-credentials-listen", "127.0.0.1:"+port,
			"--iot-credentials-tls-cert", serverCert, "--iot-credentials-tls-key", serverKey)
	}
	admin := adminOn(t, nodes[0], nodes[0])

	t.Run("roles anywhere", func(t *testing.T) { x509ClusterRolesAnywhere(t, admin, nodes[1:]) })
	t.Run("iot", func(t *testing.T) { x509ClusterIoT(t, admin, serverCA, iotURLs[1], iotURLs[2]) })
}

// nodeCheck is a condition on one node, for propagated.
type nodeCheck struct {
	node  string
	check func() (bool, error)
}

// propagated makes a change through node A and waits until each check
// holds, and logs how long after node A answered (and after the request
// was sent) each did.
func propagated(t *testing.T, what string, change func() error, checks ...nodeCheck) {
	t.Helper()
	sent := time.Now()
	if err := change(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	answered := time.Now()
	for _, c := range checks {
		until(t, what+": "+c.node, x509PropagationBound, c.check)
		d := time.Since(answered)
		t.Logf("%s: %s %v after node A answered (%v after the request was sent)", what, c.node, d, d+answered.Sub(sent))
	}
}

// x509ClusterRolesAnywhere sets a trust anchor, a profile and a role up
// through admin (node A) and checks that each change made there is
// enforced by CreateSession on each of others.
func x509ClusterRolesAnywhere(t *testing.T, admin aws.Config, others []*brevet) {
	ctx := context.Background()
	ca := x509test.NewCA(t, x509test.Options{CN: "Cluster Root", Subject: pkix.Name{Organization: []string{"Brevet"}}})
	doomed := ca.Leaf(t, x509test.Options{CN: "host-doomed"})
	kept := ca.Leaf(t, x509test.Options{CN: "host-kept"})
	ra := rolesanywhere.NewFromConfig(admin)
	anchor, err := ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{
		Name: aws.String("cluster"), Enabled: aws.Bool(true),
		Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle,
			SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: string(ca.CertPEM())}},
	})
	if err != nil {
		t.Fatal(err)
	}
	anchorARN, anchorID := aws.ToString(anchor.TrustAnchor.TrustAnchorArn), anchor.TrustAnchor.TrustAnchorId
	role, err := iam.NewFromConfig(admin).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cluster_device"),
		AssumeRolePolicyDocument: aws.String(raTrust(anchorARN, "host-doomed", "host-kept"))})
	if err != nil {
		t.Fatal(err)
	}
	roleARN := aws.ToString(role.Role.Arn)
	profile, err := ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String("cluster"), Enabled: aws.Bool(true), RoleArns: []string{roleARN}})
	if err != nil {
		t.Fatal(err)
	}
	profileID := profile.Profile.ProfileId
	query := "?trustAnchorArn=" + anchorARN + "&profileArn=" + aws.ToString(profile.Profile.ProfileArn) + "&roleArn=" + roleARN
	// on is a check, on every node of others, that CreateSession signed
	// by l is accepted (201), or refused with AccessDeniedException.
	on := func(l *x509test.Leaf, accept bool) []nodeCheck {
		var checks []nodeCheck
		for i, b := range others {
			checks = append(checks, nodeCheck{fmt.Sprintf("node %c", 'B'+i), func() (bool, error) {
				code, msg := createSession(t, b, l, query)
				if accept {
					return code == http.StatusCreated, httpError(code, msg)
				}
				return code == http.StatusForbidden && strings.HasPrefix(msg, "AccessDeniedException "), httpError(code, msg)
			}})
		}
		return checks
	}
	wait := func(what string, checks []nodeCheck) {
		t.Helper()
		for _, c := range checks {
			until(t, what+" on "+c.node, x509PropagationBound, c.check)
		}
	}
	// Each node verifies both chains and keeps them in its cache, with
	// the anchor and the profile.
	wait("CreateSession", on(doomed, true))
	wait("CreateSession", on(kept, true))

	crl := ca.CRL(t, doomed.Cert.SerialNumber)
	propagated(t, "a CRL imported through node A refuses the certificate it lists", func() error {
		_, err := ra.ImportCrl(ctx, &rolesanywhere.ImportCrlInput{Name: aws.String("cluster"), CrlData: crl.Raw,
			TrustAnchorArn: aws.String(anchorARN), Enabled: aws.Bool(true)})
		return err
	}, on(doomed, false)...)
	wait("a certificate the CRL does not list", on(kept, true))

	propagated(t, "a trust anchor disabled through node A", func() error {
		_, err := ra.DisableTrustAnchor(ctx, &rolesanywhere.DisableTrustAnchorInput{TrustAnchorId: anchorID})
		return err
	}, on(kept, false)...)
	propagated(t, "the trust anchor enabled again", func() error {
		_, err := ra.EnableTrustAnchor(ctx, &rolesanywhere.EnableTrustAnchorInput{TrustAnchorId: anchorID})
		return err
	}, on(kept, true)...)

	propagated(t, "a profile disabled through node A", func() error {
		_, err := ra.DisableProfile(ctx, &rolesanywhere.DisableProfileInput{ProfileId: profileID})
		return err
	}, on(kept, false)...)
}

// createSession sends CreateSession to b signed with SigV4-X509 by leaf
// and returns the status and the error type and body.
func createSession(t *testing.T, b *brevet, leaf *x509test.Leaf, query string) (int, string) {
	t.Helper()
	body := []byte(`{"durationSeconds":900}`)
	req, err := http.NewRequest("POST", b.URL+"/sessions"+query, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sr := sigv4.Request{Method: "POST", Path: "/sessions", RawQuery: req.URL.RawQuery, Host: req.URL.Host, Body: body,
		Header: http.Header{"Content-Type": {"application/json"}}}
	if err := sigv4.SignX509(&sr, leaf.Key, leaf.Cert, leaf.Chain, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	for k, v := range sr.Header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	suiteSecrets.scanText(string(msg)) // the session's secrets, for the suite's scan
	return resp.StatusCode, resp.Header.Get("x-amzn-ErrorType") + " " + string(msg)
}

// httpError describes a response the check did not want, for until's
// failure message: an error's body, never a success's (it holds
// credentials).
func httpError(code int, msg string) error {
	if code >= 200 && code < 300 {
		return fmt.Errorf("%d (credentials issued)", code)
	}
	return fmt.Errorf("%d %s", code, msg)
}

// x509ClusterIoT registers a device certificate, a thing and a role
// alias through admin (node A), fetches credentials from the credentials
// providers of nodes B (urlB) and C (urlC), deactivates the certificate
// through node A and checks that node B refuses it on the kept-alive
// connection and on a new connection resuming the TLS session, and node C
// on a new connection with a full handshake.
func x509ClusterIoT(t *testing.T, admin aws.Config, serverCA *x509test.CA, urlB, urlC string) {
	ctx := context.Background()
	device := x509test.NewCA(t, x509test.Options{CN: "Factory CA"}).Leaf(t, x509test.Options{CN: "lamp-001"})
	ic := iot.NewFromConfig(admin)
	if _, err := iam.NewFromConfig(admin).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cluster_lamp"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"credentials.iot.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	reg, err := ic.RegisterCertificateWithoutCA(ctx, &iot.RegisterCertificateWithoutCAInput{
		CertificatePem: aws.String(string(x509test.CertsPEM(device.Cert))), Status: iottypes.CertificateStatusActive})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateThing(ctx, &iot.CreateThingInput{ThingName: aws.String("lamp")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.AttachThingPrincipal(ctx, &iot.AttachThingPrincipalInput{ThingName: aws.String("lamp"), Principal: reg.CertificateArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateRoleAlias(ctx, &iot.CreateRoleAliasInput{RoleAlias: aws.String("lamp-role"),
		RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/cluster_lamp")}); err != nil {
		t.Fatal(err)
	}

	// On node B, one session cache for two clients: kept holds one
	// connection open, resumer opens a new one per request and resumes
	// the session. On node C, fresh opens a new connection per request
	// with a full handshake.
	pool := x509.NewCertPool()
	pool.AddCert(serverCA.Cert)
	tlsConfig := func(cache tls.ClientSessionCache) *tls.Config {
		return &tls.Config{RootCAs: pool, ClientSessionCache: cache,
			Certificates: []tls.Certificate{{Certificate: [][]byte{device.Cert.Raw}, PrivateKey: device.Key, Leaf: device.Cert}}}
	}
	cache := tls.NewLRUClientSessionCache(8)
	kept := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(cache), MaxConnsPerHost: 1}}
	defer kept.CloseIdleConnections()
	resumer := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(cache), DisableKeepAlives: true}}
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig(nil), DisableKeepAlives: true}}
	// fetch is a check that c's request to url answers want, on a
	// connection as described.
	fetch := func(node string, c *http.Client, url string, want int, reused, resumed bool) nodeCheck {
		return nodeCheck{node, func() (bool, error) {
			f := fetchIoTCredentials(t, c, url+"/role-aliases/lamp-role/credentials", "lamp")
			if f.code != want {
				return false, httpError(f.code, f.body)
			}
			if f.reused != reused || f.resumed != resumed {
				t.Errorf("%s: %d on a connection reused %v, resumed %v; want reused %v, resumed %v", node, f.code, f.reused, f.resumed, reused, resumed)
			}
			if want == http.StatusForbidden && f.body != `{"message":"Access Denied"}` {
				t.Errorf("%s: %d %s, want Access Denied", node, f.code, f.body)
			}
			return true, nil
		}}
	}
	for _, c := range []nodeCheck{
		fetch("node B, a first connection", kept, urlB, http.StatusOK, false, false),
		fetch("node B, the kept-alive connection", kept, urlB, http.StatusOK, true, false),
		fetch("node B, a new connection resuming the TLS session", resumer, urlB, http.StatusOK, false, true),
		fetch("node C, a new connection", fresh, urlC, http.StatusOK, false, false),
	} {
		until(t, "credentials from "+c.node, x509PropagationBound, c.check)
	}

	propagated(t, "a certificate made INACTIVE through node A", func() error {
		_, err := ic.UpdateCertificate(ctx, &iot.UpdateCertificateInput{CertificateId: reg.CertificateId, NewStatus: iottypes.CertificateStatusInactive})
		return err
	},
		fetch("node B, the kept-alive connection", kept, urlB, http.StatusForbidden, true, false),
		fetch("node B, a new connection resuming the TLS session", resumer, urlB, http.StatusForbidden, false, true),
		fetch("node C, a new connection", fresh, urlC, http.StatusForbidden, false, false))
}

// iotFetch is one answer of the credentials provider and how its
// connection was made.
type iotFetch struct {
	code            int
	body            string
	reused, resumed bool
}

// fetchIoTCredentials asks the credentials provider at url for thing's
// credentials with c.
func fetchIoTCredentials(t *testing.T, c *http.Client, url, thing string) iotFetch {
	t.Helper()
	var f iotFetch
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-amzn-iot-thingname", thing)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { f.reused = info.Reused },
	}))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	suiteSecrets.scanText(string(body)) // the credentials, for the suite's scan
	f.code, f.body, f.resumed = resp.StatusCode, string(body), resp.TLS != nil && resp.TLS.DidResume
	return f
}
