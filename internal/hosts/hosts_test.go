package hosts_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/hosts"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/sts"
	"github.com/google/go-cmp/cmp"
)

const account = "111122223333"

// issuer records the sessions asked of it, as STS would receive them;
// with noSourceIdentity it refuses a source identity, as STS does for a
// trust policy without sts:SetSourceIdentity.
type issuer struct {
	mu               sync.Mutex
	got              []*sts.ServiceSessionInput
	noSourceIdentity bool
}

func (i *issuer) ServiceSession(_ context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	c := *in
	i.got = append(i.got, &c)
	if i.noSourceIdentity && in.SourceIdentity != "" {
		return nil, &sts.AccessDeniedError{Message: "Not authorized to perform sts:SetSourceIdentity"}
	}
	return &sts.ServiceSession{RoleARN: in.RoleARN}, nil
}

type harness struct {
	st  store.Store
	svc *hosts.Service
	iss *issuer
	now time.Time
}

// backends runs test on each store backend: SQLite, and PostgreSQL when
// pgtest has a server.
func backends(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		test(t, newHarness(t, st))
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.Options{Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		test(t, newHarness(t, st))
	})
}

func newHarness(t *testing.T, st store.Store) *harness {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	ctx := t.Context()
	if err := st.Accounts().Create(ctx, iam.Account{ID: account, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.Roles().Create(ctx, iam.Role{Account: account, Name: "web-role", Path: "/", ID: "AROAWEBROLE0000000001", MaxSessionDuration: 3600,
		TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`, TrustBindings: []iam.PrincipalBinding{}, Created: now}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []iam.InstanceProfile{
		{Account: account, Name: "web", Path: "/", ID: "AIPAWEB00000000000001", Roles: []string{"web-role"}, Created: now},
		{Account: account, Name: "empty", Path: "/", ID: "AIPAEMPTY000000000001", Created: now},
	} {
		if err := st.InstanceProfiles().Create(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	iss := &issuer{}
	svc, err := hosts.New(hosts.Config{Store: st, Profiles: hosts.StoreProfiles(st), Sessions: iss, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{st: st, svc: svc, iss: iss, now: now}
}

// selfSigned is a host certificate made with key, valid from nb to na.
func selfSigned(t testing.TB, key any, pub any, nb, na time.Time) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "host"}, NotBefore: nb, NotAfter: na}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func hostCert(t testing.TB, now time.Time) string {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return selfSigned(t, k, &k.PublicKey, now.Add(-time.Hour), now.AddDate(1, 0, 0))
}

func (h *harness) token(t *testing.T, profile string, ttl time.Duration, at time.Time) string {
	t.Helper()
	tok, _, err := h.svc.CreateJoinToken(t.Context(), account, profile, ttl, "arn:aws:iam::111122223333:root", at)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCreateJoinToken(t *testing.T) { backends(t, testCreateJoinToken) }

func testCreateJoinToken(t *testing.T, h *harness) {
	for _, tt := range []struct {
		name, profile string
		ttl           time.Duration
		wantErr       any
		wantExpires   time.Duration
	}{
		{"default ttl", "web", 0, nil, time.Hour},
		{"a minute", "web", time.Minute, nil, time.Minute},
		{"a day", "web", 24 * time.Hour, nil, 24 * time.Hour},
		{"too short", "web", 59 * time.Second, &hosts.InvalidError{}, 0},
		{"too long", "web", 24*time.Hour + time.Second, &hosts.InvalidError{}, 0},
		{"no such profile", "nope", 0, &hosts.NotFoundError{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, jt, err := h.svc.CreateJoinToken(t.Context(), account, tt.profile, tt.ttl, "", h.now)
			if tt.wantErr != nil {
				checkErrType(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, hosts.TokenPrefix) || len(tok) != 47 {
				t.Errorf("token %q: want bjt_ and 43 characters", tok)
			}
			if got, want := jt.Expires, h.now.Add(tt.wantExpires); !got.Equal(want) {
				t.Errorf("Expires: got %v, want %v", got, want)
			}
			if got, want := jt.ProfileARN, "arn:aws:iam::111122223333:instance-profile/web"; got != want {
				t.Errorf("ProfileARN: got %q, want %q", got, want)
			}
			o, err := h.st.Objects().Get(t.Context(), account, hosts.KindJoinToken, hosts.TokenID(tok))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(o.Body), tok[4:]) {
				t.Error("the stored token holds the secret")
			}
		})
	}
}

func checkErrType(t *testing.T, err error, want any) {
	t.Helper()
	var ok bool
	switch want.(type) {
	case *hosts.InvalidError:
		_, ok = errors.AsType[*hosts.InvalidError](err)
	case *hosts.NotFoundError:
		_, ok = errors.AsType[*hosts.NotFoundError](err)
	case *hosts.DeniedError:
		_, ok = errors.AsType[*hosts.DeniedError](err)
	}
	if !ok {
		t.Errorf("got %v, want a %T", err, want)
	}
}

func TestEnroll(t *testing.T) { backends(t, testEnroll) }

func testEnroll(t *testing.T, h *harness) {
	used := h.token(t, "web", 0, h.now)
	if _, err := h.svc.Enroll(t.Context(), &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: used}, h.now); err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dup := hostCert(t, h.now)
	if _, err := h.svc.Enroll(t.Context(), &hosts.EnrollInput{CertificatePEM: dup, JoinToken: h.token(t, "web", 0, h.now)}, h.now); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		in      hosts.EnrollInput
		wantErr any
	}{
		{"token", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Hostname: "web-1"}, nil},
		{"token naming its profile", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Profile: "web"}, nil},
		{"profile without a role", hosts.EnrollInput{JoinToken: h.token(t, "empty", 0, h.now)}, nil},
		{"signed", hosts.EnrollInput{Account: account, Profile: "web", EnrolledBy: "arn:aws:sts::111122223333:assumed-role/r/s"}, nil},
		{"token used", hosts.EnrollInput{JoinToken: used}, &hosts.DeniedError{}},
		{"token expired", hosts.EnrollInput{JoinToken: h.token(t, "web", time.Minute, h.now.Add(-time.Minute))}, &hosts.DeniedError{}},
		{"token for another profile", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Profile: "empty"}, &hosts.DeniedError{}},
		{"not a token", hosts.EnrollInput{JoinToken: "bjt_short"}, &hosts.DeniedError{}},
		{"unknown token", hosts.EnrollInput{JoinToken: "bjt_" + strings.Repeat("A", 43)}, &hosts.DeniedError{}},
		{"neither token nor profile", hosts.EnrollInput{}, &hosts.InvalidError{}},
		{"signed, no such profile", hosts.EnrollInput{Account: account, Profile: "nope"}, &hosts.NotFoundError{}},
		{"hostname with a control character", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Hostname: "web\x1b[2J"}, &hosts.InvalidError{}},
		{"hostname with a space", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Hostname: "web 1"}, &hosts.InvalidError{}},
		{"FQDN hostname", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Hostname: "Web-1.example_internal.com"}, nil},
		{"hostname too long", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), Hostname: strings.Repeat("h", 256)}, &hosts.InvalidError{}},
		{"RSA key", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now),
			CertificatePEM: selfSigned(t, rsaKey, &rsaKey.PublicKey, h.now.Add(-time.Hour), h.now.AddDate(1, 0, 0))}, &hosts.InvalidError{}},
		{"P-384 key", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now),
			CertificatePEM: selfSigned(t, p384, &p384.PublicKey, h.now.Add(-time.Hour), h.now.AddDate(1, 0, 0))}, &hosts.InvalidError{}},
		{"not self-signed", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now),
			CertificatePEM: selfSigned(t, other, &k.PublicKey, h.now.Add(-time.Hour), h.now.AddDate(1, 0, 0))}, &hosts.InvalidError{}},
		{"expired certificate", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now),
			CertificatePEM: selfSigned(t, k, &k.PublicKey, h.now.Add(-48*time.Hour), h.now.Add(-time.Hour))}, &hosts.InvalidError{}},
		{"not PEM", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), CertificatePEM: "hello"}, &hosts.InvalidError{}},
		{"two certificates", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), CertificatePEM: hostCert(t, h.now) + hostCert(t, h.now)}, &hosts.InvalidError{}},
		{"certificate enrolled already", hosts.EnrollInput{JoinToken: h.token(t, "web", 0, h.now), CertificatePEM: dup}, &hosts.InvalidError{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.CertificatePEM == "" {
				in.CertificatePEM = hostCert(t, h.now)
			}
			e, err := h.svc.Enroll(t.Context(), &in, h.now)
			if tt.wantErr != nil {
				checkErrType(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.svc.Host(t.Context(), account, e.Host.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(e.Host, got); diff != "" {
				t.Errorf("stored host (-enrolled +stored):\n%s", diff)
			}
			if len(got.ID) != 19 || (in.JoinToken != "") != (got.JoinTokenID != "") || got.EnrolledBy != in.EnrolledBy {
				t.Errorf("host %+v", got)
			}
		})
	}
}

// TestEnrollRace enrolls two hosts with one token at once, many times:
// exactly one wins each time.
func TestEnrollRace(t *testing.T) { backends(t, testEnrollRace) }

func testEnrollRace(t *testing.T, h *harness) {
	for range 20 {
		tok := h.token(t, "web", 0, h.now)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			cert := hostCert(t, h.now)
			wg.Go(func() {
				_, errs[i] = h.svc.Enroll(context.Background(), &hosts.EnrollInput{CertificatePEM: cert, JoinToken: tok}, h.now)
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("got %v and %v, want one success and one denial", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				checkErrType(t, err, &hosts.DeniedError{})
			}
		}
	}
}

func TestCredentialsAndDeregister(t *testing.T) { backends(t, testCredentialsAndDeregister) }

func testCredentialsAndDeregister(t *testing.T, h *harness) {
	ctx := t.Context()
	e, err := h.svc.Enroll(ctx, &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: h.token(t, "web", 0, h.now)}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	p := &hosts.HostPrincipal{Host: e.Host, InstanceARN: hosts.InstanceARN("us-east-1", account, e.Host.ID)}
	if _, err := h.svc.Credentials(ctx, p, authzFacts(h.now)); err != nil {
		t.Fatal(err)
	}
	want := &sts.ServiceSessionInput{Service: "ec2.amazonaws.com", RoleARN: "arn:aws:iam::111122223333:role/web-role",
		SessionName: e.Host.ID, SourceIdentity: e.Host.ID, Duration: time.Hour, Facts: authzFacts(h.now),
		Context:        map[string][]string{"ec2:SourceInstanceARN": {"arn:aws:ec2:us-east-1:111122223333:instance/" + e.Host.ID}, "aws:SourceAccount": {account}},
		SessionContext: map[string]string{"ec2:SourceInstanceARN": "arn:aws:ec2:us-east-1:111122223333:instance/" + e.Host.ID}}
	if diff := cmp.Diff(want, h.iss.got[0]); diff != "" {
		t.Errorf("session asked (-want +got):\n%s", diff)
	}
	// A trust policy without sts:SetSourceIdentity: the session is
	// issued, without a source identity.
	h.iss.noSourceIdentity = true
	if _, err := h.svc.Credentials(ctx, p, authzFacts(h.now)); err != nil {
		t.Fatalf("Credentials for a role that does not allow sts:SetSourceIdentity: %v", err)
	}
	if n := len(h.iss.got); n != 3 || h.iss.got[1].SourceIdentity != e.Host.ID || h.iss.got[2].SourceIdentity != "" {
		t.Errorf("sessions asked: %d, want 3: with the host id as source identity, refused, then without", n)
	}
	h.iss.noSourceIdentity = false
	st, err := h.svc.State(ctx, account, e.Host.ID)
	if err != nil || st.Status != hosts.StatusActive {
		t.Fatalf("State: %+v, %v", st, err)
	}
	d, err := h.svc.Deregister(ctx, account, e.Host.ID, h.now)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hosts.SessionARNs(d), []string{"arn:aws:sts::111122223333:assumed-role/web-role/" + e.Host.ID}; !cmp.Equal(got, want) {
		t.Errorf("SessionARNs: got %v, want %v", got, want)
	}
	p.Host = d
	_, err = h.svc.Credentials(ctx, p, authzFacts(h.now))
	checkErrType(t, err, &hosts.DeniedError{})
	st2, err := h.svc.State(ctx, account, e.Host.ID)
	if err != nil || st2.Status != hosts.StatusDeregistered || st2.Generation == st.Generation {
		t.Errorf("State after deregistration: %+v, %v (before %+v)", st2, err, st)
	}
	_, err = h.svc.Deregister(ctx, account, "i-00000000000000000", h.now)
	checkErrType(t, err, &hosts.NotFoundError{})
	_, err = h.svc.Deregister(ctx, account, "i-0", h.now)
	checkErrType(t, err, &hosts.InvalidError{})
}

func authzFacts(now time.Time) authz.Facts { return authz.Facts{Now: now} }

// TestWait checks WaitHostChange's three ways out: a generation that is
// not the current one, a change applied from the feed, and Stop.
func TestWait(t *testing.T) { backends(t, testWait) }

func testWait(t *testing.T, h *harness) {
	ctx := t.Context()
	e, err := h.svc.Enroll(ctx, &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: h.token(t, "web", 0, h.now)}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	id := e.Host.ID
	cur, err := h.svc.Wait(ctx, account, id, 0, time.Minute)
	if err != nil || cur.Status != hosts.StatusActive {
		t.Fatalf("Wait(0): %+v, %v", cur, err)
	}
	start := time.Now()
	if got, err := h.svc.Wait(ctx, account, id, cur.Generation, 50*time.Millisecond); err != nil || got != cur || time.Since(start) < 50*time.Millisecond {
		t.Errorf("Wait(current) returned %+v, %v after %v; want the same state after the timeout", got, err, time.Since(start))
	}
	done := make(chan hosts.State, 1)
	go func() { st, _ := h.svc.Wait(ctx, account, id, cur.Generation, time.Minute); done <- st }()
	time.Sleep(20 * time.Millisecond)
	if _, err := h.svc.Deregister(ctx, account, id, h.now); err != nil {
		t.Fatal(err)
	}
	h.svc.Apply([]store.Change{{Kind: store.ChangeObject, Key: store.ObjectKey(hosts.KindHost, id)}}, store.ChangeInstanceProfile)
	select {
	case st := <-done:
		if st.Status != hosts.StatusDeregistered {
			t.Errorf("after the change: %+v", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not wake on the change")
	}
	dereg, _ := h.svc.State(ctx, account, id)
	go func() { st, _ := h.svc.Wait(ctx, account, id, dereg.Generation, time.Minute); done <- st }()
	time.Sleep(20 * time.Millisecond)
	h.svc.Stop()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return on Stop")
	}
}

// TestWaitPerHostLimit: one host holds MaxWaitsPerHost waits at most;
// past it WaitHostChange is throttled, other hosts still wait, and a
// wait that ends frees its place.
func TestWaitPerHostLimit(t *testing.T) {
	h := sqliteHarness(t)
	st := h.st
	parked := make(chan struct{}, hosts.MaxWaitsPerHost)
	svc, err := hosts.New(hosts.Config{Store: st, Profiles: hosts.StoreProfiles(st), Sessions: h.iss, Region: "us-east-1",
		Parked: func(context.Context) func() { parked <- struct{}{}; return func() {} }})
	if err != nil {
		t.Fatal(err)
	}
	enroll := func() string {
		e, err := svc.Enroll(t.Context(), &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: h.token(t, "web", 0, h.now)}, h.now)
		if err != nil {
			t.Fatal(err)
		}
		return e.Host.ID
	}
	id, other := enroll(), enroll()
	cur, err := svc.State(t.Context(), account, id)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range hosts.MaxWaitsPerHost {
		wg.Go(func() {
			// (It may end with ctx's error if cancel comes while it reads.)
			if _, err := svc.Wait(ctx, account, id, cur.Generation, time.Minute); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("a wait within MaxWaitsPerHost: %v", err)
			}
		})
		<-parked
	}
	_, got := svc.Wait(t.Context(), account, id, cur.Generation, time.Millisecond)
	if _, ok := errors.AsType[*hosts.ThrottledError](got); !ok {
		t.Errorf("a wait past MaxWaitsPerHost: got %v, want a *ThrottledError", got)
	}
	if w := hosts.WireError(got); w == nil || w.Code.Name != "Throttling" {
		t.Errorf("WireError(%v) = %+v, want Throttling", got, w)
	}
	go func() {
		for range parked {
		}
	}()
	if _, err := svc.Wait(t.Context(), account, other, 0, time.Millisecond); err != nil {
		t.Errorf("another host's wait: %v", err)
	}
	cancel()
	wg.Wait()
	if _, err := svc.Wait(t.Context(), account, id, cur.Generation, time.Millisecond); err != nil {
		t.Errorf("a wait after the others ended: %v", err)
	}
	close(parked)
}

// TestProfileMadeAgain: a host, and a join token, are bound to the
// instance profile they were made for, not to another profile made later
// under its name (which may hold another role): the host has no role
// then, and the token is refused.
func TestProfileMadeAgain(t *testing.T) { backends(t, testProfileMadeAgain) }

func testProfileMadeAgain(t *testing.T, h *harness) {
	ctx := t.Context()
	e, err := h.svc.Enroll(ctx, &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: h.token(t, "web", 0, h.now)}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	tok := h.token(t, "web", 0, h.now)
	old, err := h.st.InstanceProfiles().Get(ctx, account, "web")
	if err != nil {
		t.Fatal(err)
	}
	old.Roles = nil
	if err := h.st.InstanceProfiles().Update(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := h.st.InstanceProfiles().Delete(ctx, account, "web"); err != nil {
		t.Fatal(err)
	}
	if err := h.st.InstanceProfiles().Create(ctx, iam.InstanceProfile{Account: account, Name: "web", Path: "/", ID: "AIPAWEB00000000000002",
		Roles: []string{"web-role"}, Created: h.now}); err != nil {
		t.Fatal(err)
	}
	p := &hosts.HostPrincipal{Host: e.Host, InstanceARN: hosts.InstanceARN("us-east-1", account, e.Host.ID)}
	if _, err := h.svc.Credentials(ctx, p, authzFacts(h.now)); !isDenied(err) {
		t.Errorf("Credentials through a profile made again: %v, want a *DeniedError", err)
	}
	if st, err := h.svc.State(ctx, account, e.Host.ID); err != nil || st.Status != hosts.StatusNoRole {
		t.Errorf("State through a profile made again: %+v, %v; want %s", st, err, hosts.StatusNoRole)
	}
	if _, err := h.svc.Enroll(ctx, &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: tok}, h.now); !isDenied(err) {
		t.Errorf("Enroll with a token for a profile made again: %v, want a *DeniedError", err)
	}
	if _, err := h.svc.Enroll(ctx, &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: h.token(t, "web", 0, h.now)}, h.now); err != nil {
		t.Errorf("Enroll with a token for the new profile: %v", err)
	}
}

func isDenied(err error) bool {
	_, ok := errors.AsType[*hosts.DeniedError](err)
	return ok
}

// TestEnrollTokenFirst: without a valid join token, EnrollHost says only
// that the token is not valid, whatever the certificate: it tells no one
// whether a certificate is enrolled.
func TestEnrollTokenFirst(t *testing.T) {
	h := sqliteHarness(t)
	cert := hostCert(t, h.now)
	if _, err := h.svc.Enroll(t.Context(), &hosts.EnrollInput{CertificatePEM: cert, JoinToken: h.token(t, "web", 0, h.now)}, h.now); err != nil {
		t.Fatal(err)
	}
	unused := h.token(t, "web", 0, h.now)
	for _, tok := range []string{"bjt_" + strings.Repeat("A", 43), unused[:len(unused)-1] + "x"} {
		for name, c := range map[string]string{"enrolled": cert, "garbage": "not a certificate"} {
			if _, err := h.svc.Enroll(t.Context(), &hosts.EnrollInput{CertificatePEM: c, JoinToken: tok}, h.now); !isDenied(err) {
				t.Errorf("a wrong token with a %s certificate: %v; want a *DeniedError", name, err)
			}
		}
	}
}

// sqliteHarness is a harness on SQLite alone, for tests of the Service's
// own logic rather than of a backend.
func sqliteHarness(t *testing.T) *harness {
	t.Helper()
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newHarness(t, st)
}

// TestExpiredTokensPruned: making a join token deletes the account's
// expired ones, so tokens never used do not pile up in the store.
func TestExpiredTokensPruned(t *testing.T) {
	h := sqliteHarness(t)
	h.token(t, "web", time.Minute, h.now)
	live := h.token(t, "web", time.Hour, h.now)
	h.token(t, "web", 0, h.now.Add(2*time.Minute))
	objs, err := h.st.Objects().List(t.Context(), account, hosts.KindJoinToken, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Errorf("join tokens stored: %d, want 2 (the expired one deleted)", len(objs))
	}
	if _, err := h.svc.Enroll(t.Context(), &hosts.EnrollInput{CertificatePEM: hostCert(t, h.now), JoinToken: live}, h.now.Add(3*time.Minute)); err != nil {
		t.Errorf("a live token after pruning: %v", err)
	}
}
