package rolesanywhere_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/rolesanywhere"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/sts"
)

// issuer records what CreateSession asks STS for and mints nothing: the
// role's trust policy is STS's to evaluate, and the e2e tests run it.
type issuer struct {
	mu   sync.Mutex
	last *sts.ServiceSessionInput
}

func (i *issuer) ServiceSession(_ context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.last = in
	now := in.Facts.Now
	return &sts.ServiceSession{
		Credentials: &stsapi.Credentials{AccessKeyId: "ASIATEST", SecretAccessKey: "secret", SessionToken: "token", Expiration: now.Add(in.Duration)},
		RoleARN:     in.RoleARN, AssumedRoleID: "AROATEST:" + in.SessionName,
		SessionARN: "arn:aws:sts::" + account + ":assumed-role/r/" + in.SessionName,
	}, nil
}

// sessionEnv is a trust anchor (a root CA), a profile allowing role, and
// an issuer.
type sessionEnv struct {
	*harness
	iss                   *issuer
	ca                    *x509test.CA
	anchorARN, profileARN string
	anchorID, profileID   string
	role                  string
}

func newSessionEnv(t testing.TB) *sessionEnv {
	t.Helper()
	iss := &issuer{}
	h := newHarness(t, iss)
	ca := x509test.NewCA(t, x509test.Options{Key: x509test.RSA})
	ta := h.anchor(ca.CertPEM(), true)
	role := "arn:aws:iam::" + account + ":role/device"
	p, err := h.svc.CreateProfile(t.Context(), account, "admin", &rolesanywhere.CreateProfileInput{
		Name: ptr("p"), RoleArns: []string{role}, Enabled: ptr(true), DurationSeconds: ptr(int32(1800)),
	}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	return &sessionEnv{harness: h, iss: iss, ca: ca, role: role, anchorARN: ta.TrustAnchorArn, anchorID: ta.TrustAnchorID,
		profileARN: p.Profile.ProfileArn, profileID: p.Profile.ProfileID}
}

// call is one CreateSession: the body, how it is signed, and when the
// server sees it.
type call struct {
	leaf      *x509test.Leaf
	key       crypto.Signer // the leaf's when nil
	chain     string        // X-Amz-X509-Chain as sent; the leaf's chain when ""
	body      map[string]any
	signedAt  time.Time // now when zero
	anchorARN string
}

func (e *sessionEnv) do(t *testing.T, c call) (*rolesanywhere.CreateSessionOutput, error) {
	t.Helper()
	body := map[string]any{"trustAnchorArn": e.anchorARN, "profileArn": e.profileARN, "roleArn": e.role, "durationSeconds": 3600}
	if c.anchorARN != "" {
		body["trustAnchorArn"] = c.anchorARN
	}
	for k, v := range c.body {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	raw, _ := json.Marshal(body)
	key := c.key
	if key == nil {
		key = c.leaf.Key
	}
	at := c.signedAt
	if at.IsZero() {
		at = e.now
	}
	sr := sigv4.Request{Method: "POST", Path: "/sessions", Host: "example.com", Body: raw, Header: http.Header{"Content-Type": {"application/json"}}}
	if err := sigv4.SignX509(&sr, key, c.leaf.Cert, c.leaf.Chain, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/sessions", strings.NewReader(string(raw)))
	req.Host = "example.com"
	for k, v := range sr.Header {
		req.Header[k] = v
	}
	if c.chain != "" {
		req.Header.Set("X-Amz-X509-Chain", c.chain)
	}
	p, err := e.svc.Authenticate(t.Context(), req, raw, e.now)
	if err != nil {
		return nil, err
	}
	var in rolesanywhere.CreateSessionInput
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	out, _, err := e.svc.CreateSession(t.Context(), p, &in, authz.Facts{Now: e.now})
	return out, err
}

func TestCreateSession(t *testing.T) {
	e := newSessionEnv(t)
	inter := e.ca.Intermediate(t, x509test.Options{CN: "issuing CA", Key: x509test.RSA})
	leaf := inter.Leaf(t, x509test.Options{CN: "host-1.example.com", Serial: big.NewInt(0xbeef), DNSNames: []string{"host-1.example.com"}})
	out, err := e.do(t, call{leaf: leaf})
	if err != nil {
		t.Fatal(err)
	}
	in := e.iss.last
	if in.Service != "rolesanywhere.amazonaws.com" || in.RoleARN != e.role || in.SessionName != "beef" || in.SourceIdentity != "host-1.example.com" {
		t.Errorf("session input: service %q role %q name %q source identity %q", in.Service, in.RoleARN, in.SessionName, in.SourceIdentity)
	}
	if in.Duration != 1800*time.Second {
		t.Errorf("duration = %v, want the profile's 30m (less than asked)", in.Duration)
	}
	if got := in.Context["aws:SourceArn"]; len(got) != 1 || got[0] != e.anchorARN {
		t.Errorf("aws:SourceArn = %v, want the anchor", got)
	}
	tags := map[string]string{}
	for _, tg := range in.Tags {
		tags[tg.Key] = tg.Value
	}
	for k, v := range map[string]string{"x509Subject/CN": "host-1.example.com", "x509Issuer/CN": "issuing CA", "x509SAN/DNS": "host-1.example.com"} {
		if tags[k] != v {
			t.Errorf("tag %s = %q, want %q (tags %v)", k, tags[k], v, tags)
		}
	}
	if len(out.CredentialSet) != 1 || out.CredentialSet[0].Credentials.AccessKeyID != "ASIATEST" || !strings.Contains(out.SubjectArn, ":subject/") {
		t.Errorf("output = %+v", out)
	}
	if _, err := time.Parse(time.RFC3339, out.CredentialSet[0].Credentials.Expiration); err != nil {
		t.Errorf("expiration %q is not RFC 3339", out.CredentialSet[0].Credentials.Expiration)
	}
	again, err := e.do(t, call{leaf: leaf})
	if err != nil || again.SubjectArn != out.SubjectArn {
		t.Errorf("the same subject again: %v, subject %s then %s", err, out.SubjectArn, again.SubjectArn)
	}
}

func TestCreateSessionRejects(t *testing.T) {
	e := newSessionEnv(t)
	ctx := t.Context()
	good := e.ca.Leaf(t, x509test.Options{CN: "good"})
	other := x509test.NewCA(t, x509test.Options{})
	notCA := e.ca.Intermediate(t, x509test.Options{NotCA: true})
	revoked := e.ca.Leaf(t, x509test.Options{CN: "revoked", Serial: big.NewInt(4242)})
	sha1CA := x509test.NewCA(t, x509test.Options{Key: x509test.RSA})
	// A second anchor, disabled, and a second profile, disabled.
	disabledTA := e.anchor(x509test.NewCA(t, x509test.Options{}).CertPEM(), false)
	dp, err := e.svc.CreateProfile(ctx, account, "admin", &rolesanywhere.CreateProfileInput{Name: ptr("off"), RoleArns: []string{e.role}}, e.now)
	if err != nil {
		t.Fatal(err)
	}
	// A profile that lists a role of another account: the anchor's
	// account may not hand out another account's roles, whatever their
	// trust policies say.
	foreignRole := "arn:aws:iam::210987654321:role/device"
	cross, err := e.svc.CreateProfile(ctx, account, "admin", &rolesanywhere.CreateProfileInput{Name: ptr("cross"), RoleArns: []string{e.role, foreignRole}, Enabled: ptr(true)}, e.now)
	if err != nil {
		t.Fatal(err)
	}
	props, err := e.svc.CreateProfile(ctx, account, "admin", &rolesanywhere.CreateProfileInput{Name: ptr("props"), RoleArns: []string{e.role}, Enabled: ptr(true), RequireInstanceProperties: ptr(true)}, e.now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UpdateTrustAnchor(ctx, account, &rolesanywhere.UpdateTrustAnchorInput{TrustAnchorID: e.anchorID,
		Source: bundle(append(append(e.ca.CertPEM(), sha1CA.CertPEM()...), x509test.NewCA(t, x509test.Options{Key: x509test.RSA, RSABits: 2048}).CertPEM()...))}, e.now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ImportCrl(ctx, account, &rolesanywhere.ImportCrlInput{Name: ptr("crl"), CrlData: e.ca.CRL(t, big.NewInt(4242)).Raw, TrustAnchorArn: &e.anchorARN, Enabled: ptr(true)}, e.now); err != nil {
		t.Fatal(err)
	}
	e.follow()
	huge := strings.Repeat(base64.StdEncoding.EncodeToString(good.Cert.Raw)+",", 100<<10/len(base64.StdEncoding.EncodeToString(good.Cert.Raw)))
	tests := []struct {
		name string
		c    call
		want string
	}{
		{"good", call{leaf: good}, ""},
		{"expired", call{leaf: e.ca.Leaf(t, x509test.Options{NotBefore: e.now.Add(-48 * time.Hour), NotAfter: e.now.Add(-time.Hour)})}, "AccessDeniedException"},
		{"not yet valid", call{leaf: e.ca.Leaf(t, x509test.Options{NotBefore: e.now.Add(time.Hour), NotAfter: e.now.Add(48 * time.Hour)})}, "AccessDeniedException"},
		{"unknown CA", call{leaf: other.Leaf(t, x509test.Options{})}, "AccessDeniedException"},
		{"non-CA intermediate", call{leaf: notCA.Leaf(t, x509test.Options{})}, "AccessDeniedException"},
		{"revoked", call{leaf: revoked}, "AccessDeniedException"},
		{"rsa-1024 leaf", call{leaf: e.ca.Leaf(t, x509test.Options{Key: x509test.RSA, RSABits: 1024})}, "AccessDeniedException"},
		{"sha-1 leaf", call{leaf: sha1CA.Leaf(t, x509test.Options{SHA1: true})}, "AccessDeniedException"},
		{"another key", call{leaf: good, key: other.Key}, "AccessDeniedException"},
		{"outside the skew window", call{leaf: good, signedAt: e.now.Add(-20 * time.Minute)}, "AccessDeniedException"},
		{"100 KB chain", call{leaf: good, chain: huge}, "ValidationException"},
		{"disabled anchor", call{leaf: good, anchorARN: disabledTA.TrustAnchorArn}, "AccessDeniedException"},
		{"unknown anchor", call{leaf: good, anchorARN: strings.Replace(e.anchorARN, e.anchorID, "00000000-0000-4000-8000-000000000000", 1)}, "AccessDeniedException"},
		{"no anchor", call{leaf: good, body: map[string]any{"trustAnchorArn": nil}}, "ValidationException"},
		{"disabled profile", call{leaf: good, body: map[string]any{"profileArn": dp.Profile.ProfileArn}}, "AccessDeniedException"},
		{"role not in profile", call{leaf: good, body: map[string]any{"roleArn": "arn:aws:iam::" + account + ":role/other"}}, "AccessDeniedException"},
		{"another account's profile", call{leaf: good, body: map[string]any{"profileArn": strings.Replace(e.profileARN, account, "210987654321", 1)}}, "AccessDeniedException"},
		{"another account's role", call{leaf: good, body: map[string]any{"profileArn": cross.Profile.ProfileArn, "roleArn": foreignRole}}, "AccessDeniedException"},
		{"own role, profile listing a foreign one too", call{leaf: good, body: map[string]any{"profileArn": cross.Profile.ProfileArn}}, ""},
		{"no instance properties", call{leaf: good, body: map[string]any{"profileArn": props.Profile.ProfileArn}}, "AccessDeniedException"},
		{"instance properties", call{leaf: good, body: map[string]any{"profileArn": props.Profile.ProfileArn, "instanceProperties": map[string]string{"host": "a"}}}, ""},
		{"role session name not accepted", call{leaf: good, body: map[string]any{"roleSessionName": "mine"}}, "AccessDeniedException"},
		{"duration too short", call{leaf: good, body: map[string]any{"durationSeconds": 60}}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.do(t, tt.c)
			if got := errKind(err); got != tt.want {
				t.Errorf("error = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	t.Run("changes take effect at once", func(t *testing.T) {
		leaf := e.ca.Leaf(t, x509test.Options{CN: "later"})
		if _, err := e.do(t, call{leaf: leaf}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetProfileEnabled(ctx, account, &rolesanywhere.ProfileIDInput{ProfileID: e.profileID}, false, e.now); err != nil {
			t.Fatal(err)
		}
		e.follow()
		if _, err := e.do(t, call{leaf: leaf}); errKind(err) != "AccessDeniedException" {
			t.Errorf("after disabling the profile: %v", err)
		}
		if _, err := e.svc.SetProfileEnabled(ctx, account, &rolesanywhere.ProfileIDInput{ProfileID: e.profileID}, true, e.now); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ImportCrl(ctx, account, &rolesanywhere.ImportCrlInput{Name: ptr("crl2"), CrlData: e.ca.CRL(t, leaf.Cert.SerialNumber).Raw, TrustAnchorArn: &e.anchorARN, Enabled: ptr(true)}, e.now); err != nil {
			t.Fatal(err)
		}
		e.follow()
		if _, err := e.do(t, call{leaf: leaf}); errKind(err) != "AccessDeniedException" {
			t.Errorf("after revoking the cached leaf: %v", err)
		}
	})
}

// CreateSession's audit events name the trust anchor's account.
var _ audit.AccountPrincipal = (*rolesanywhere.CertificatePrincipal)(nil)
