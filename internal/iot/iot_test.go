package iot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iot"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const account = "123456789012"

// harness is two Services on one real embedded store, as two nodes:
// writes through one reach the other's cache through the change feed.
type harness struct {
	t        testing.TB
	st       store.Store
	svc, two *iot.Service
	seq      int64
	now      time.Time
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	now := time.Now().Truncate(time.Second)
	st, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "b.db"), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Accounts().Create(t.Context(), iam.Account{ID: account, Created: now}); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, now: now}
	for _, s := range []**iot.Service{&h.svc, &h.two} {
		if *s, err = iot.New(iot.Config{Store: st.Objects(), Region: "us-east-1"}); err != nil {
			t.Fatal(err)
		}
	}
	h.seq, _ = st.Changes().Latest(t.Context())
	return h
}

// follow applies the changes since the last call to the second service,
// as its node's follower does.
func (h *harness) follow() {
	h.t.Helper()
	changes, err := h.st.Changes().Since(h.t.Context(), h.seq, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(changes) > 0 {
		h.seq = changes[len(changes)-1].Seq
	}
	h.two.Apply(changes)
}

func code(err error) iot.Code {
	if e, ok := errors.AsType[*iot.Error](err); ok {
		return e.Code
	}
	return 0
}

func reason(err error) iot.Reason {
	if e, ok := errors.AsType[*iot.DeviceError](err); ok {
		return e.Reason
	}
	return 0
}

func ptr[T any](v T) *T { return &v }

func pemOf(l *x509test.Leaf) string { return string(x509test.CertsPEM(l.Cert)) }

func TestRegisterCertificates(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{CN: "factory"})
	inter := ca.Intermediate(t, x509test.Options{CN: "line 2"})
	if _, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(ca.CertPEM()), SetAsActive: true}, h.now); err != nil {
		t.Fatal(err)
	}
	other := x509test.NewCA(t, x509test.Options{CN: "other"})
	tests := []struct {
		name string
		call func() error
		want iot.Code
	}{
		{"CA again", func() error {
			_, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(ca.CertPEM())}, h.now)
			return err
		}, iot.AlreadyExists},
		{"a leaf as CA", func() error {
			_, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: pemOf(ca.Leaf(t, x509test.Options{}))}, h.now)
			return err
		}, iot.CertificateValidation},
		{"verification certificate by another key", func() error {
			_, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(inter.CertPEM()),
				VerificationCertificate: pemOf(other.Leaf(t, x509test.Options{}))}, h.now)
			return err
		}, iot.CertificateValidation},
		{"verification certificate by the CA", func() error {
			_, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(inter.CertPEM()),
				VerificationCertificate: pemOf(inter.Leaf(t, x509test.Options{CN: "verify"}))}, h.now)
			return err
		}, 0},
		{"two certificates in one PEM", func() error {
			_, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(x509test.CertsPEM(other.Cert, ca.Cert))}, h.now)
			return err
		}, iot.CertificateValidation},
		{"device of a registered CA, found without caCertificatePem", func() error {
			_, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(ca.Leaf(t, x509test.Options{}))}, h.now)
			return err
		}, 0},
		{"device of an unregistered CA", func() error {
			_, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(other.Leaf(t, x509test.Options{}))}, h.now)
			return err
		}, iot.CertificateValidation},
		{"caCertificatePem that did not sign it", func() error {
			_, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(inter.Leaf(t, x509test.Options{})), CACertificatePem: string(ca.CertPEM())}, h.now)
			return err
		}, iot.CertificateValidation},
		{"status PENDING_TRANSFER", func() error {
			_, err := h.svc.RegisterCertificateWithoutCA(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(other.Leaf(t, x509test.Options{})), Status: "PENDING_TRANSFER"}, h.now)
			return err
		}, iot.InvalidRequest},
		{"auto-registration", func() error {
			_, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(other.CertPEM()), AllowAutoRegistration: true}, h.now)
			return err
		}, iot.InvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.call()); got != tt.want {
				t.Errorf("code = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAuthenticateDevice(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{CN: "factory"})
	caOut, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(ca.CertPEM()), SetAsActive: true}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	dev := ca.Leaf(t, x509test.Options{CN: "dev"})
	reg, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(dev), SetAsActive: ptr(true)}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	expired := ca.Leaf(t, x509test.Options{CN: "old", NotBefore: h.now.Add(-48 * time.Hour), NotAfter: h.now.Add(-time.Hour)})
	if _, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(expired), SetAsActive: ptr(true)}, h.now); err != nil {
		t.Fatal(err)
	}
	shortCA := x509test.NewCA(t, x509test.Options{CN: "short-lived", NotBefore: h.now.Add(-time.Hour), NotAfter: h.now.Add(-time.Minute)})
	if _, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(shortCA.CertPEM()), SetAsActive: true}, h.now); err != nil {
		t.Fatal(err)
	}
	ofExpiredCA := shortCA.Leaf(t, x509test.Options{CN: "orphan", NotBefore: h.now.Add(-time.Hour), NotAfter: h.now.Add(time.Hour)})
	if _, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(ofExpiredCA), SetAsActive: ptr(true)}, h.now); err != nil {
		t.Fatal(err)
	}
	inactive := ca.Leaf(t, x509test.Options{CN: "off"})
	if _, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(inactive)}, h.now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		der  []byte
		want iot.Reason
	}{
		{"active", dev.Cert.Raw, 0},
		{"no certificate", nil, iot.CertificateInvalid},
		{"unregistered", ca.Leaf(t, x509test.Options{}).Cert.Raw, iot.CertificateInvalid},
		{"expired", expired.Cert.Raw, iot.CertificateNotActive},
		{"registered inactive", inactive.Cert.Raw, iot.CertificateNotActive},
		{"its CA expired", ofExpiredCA.Cert.Raw, iot.CertificateNotActive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := h.two.AuthenticateDevice(ctx, tt.der, h.now)
			if got := reason(err); got != tt.want {
				t.Fatalf("reason = %d, want %d (%v)", got, tt.want, err)
			}
			if err == nil && (d.Account != account || d.ARN() != reg.CertificateArn) {
				t.Errorf("device = %s %s, want %s", d.Account, d.ARN(), reg.CertificateArn)
			}
		})
	}

	// Status changes through one node reach the other's cache with the
	// change feed.
	steps := []struct {
		name   string
		update func() error
		want   iot.Reason
	}{
		{"certificate INACTIVE", func() error {
			return h.svc.UpdateCertificate(ctx, account, &iot.UpdateCertificateInput{CertificateID: reg.CertificateID, NewStatus: "INACTIVE"}, h.now)
		}, iot.CertificateNotActive},
		{"certificate ACTIVE", func() error {
			return h.svc.UpdateCertificate(ctx, account, &iot.UpdateCertificateInput{CertificateID: reg.CertificateID, NewStatus: "ACTIVE"}, h.now)
		}, 0},
		{"CA INACTIVE", func() error {
			return h.svc.UpdateCACertificate(ctx, account, &iot.UpdateCACertificateInput{CertificateID: caOut.CertificateID, NewStatus: "INACTIVE"}, h.now)
		}, iot.CertificateNotActive},
		{"CA ACTIVE", func() error {
			return h.svc.UpdateCACertificate(ctx, account, &iot.UpdateCACertificateInput{CertificateID: caOut.CertificateID, NewStatus: "ACTIVE"}, h.now)
		}, 0},
		{"certificate REVOKED", func() error {
			return h.svc.UpdateCertificate(ctx, account, &iot.UpdateCertificateInput{CertificateID: reg.CertificateID, NewStatus: "REVOKED"}, h.now)
		}, iot.CertificateNotActive},
	}
	for _, s := range steps {
		if err := s.update(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		h.follow()
		_, err := h.two.AuthenticateDevice(ctx, dev.Cert.Raw, h.now)
		if got := reason(err); got != s.want {
			t.Errorf("after %s: reason = %d, want %d", s.name, got, s.want)
		}
	}
	err = h.svc.UpdateCertificate(ctx, account, &iot.UpdateCertificateInput{CertificateID: reg.CertificateID, NewStatus: "ACTIVE"}, h.now)
	if got := code(err); got != iot.CertificateState {
		t.Errorf("reactivating a revoked certificate: code = %d, want CertificateState", got)
	}
}

func TestThingsAndAliases(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	dev := x509test.NewCA(t, x509test.Options{}).Leaf(t, x509test.Options{})
	reg, err := h.svc.RegisterCertificateWithoutCA(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(dev), Status: "ACTIVE"}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	attrs := &iot.AttributePayload{Attributes: map[string]string{"room": "kitchen"}}
	if _, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: "lamp", AttributePayload: attrs}, h.now); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want iot.Code
	}{
		{"same thing again", func() error {
			_, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: "lamp", AttributePayload: attrs}, h.now)
			return err
		}, 0},
		{"same name, other attributes", func() error {
			_, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: "lamp"}, h.now)
			return err
		}, iot.AlreadyExists},
		{"unknown thing type", func() error {
			_, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: "x", ThingTypeName: "bulb"}, h.now)
			return err
		}, iot.NotFound},
		{"bad name", func() error {
			_, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: "a b"}, h.now)
			return err
		}, iot.InvalidRequest},
		{"attach", func() error {
			return h.svc.AttachThingPrincipal(ctx, account, &iot.ThingPrincipalInput{ThingName: "lamp", Principal: reg.CertificateArn}, h.now)
		}, 0},
		{"attach twice", func() error {
			return h.svc.AttachThingPrincipal(ctx, account, &iot.ThingPrincipalInput{ThingName: "lamp", Principal: reg.CertificateArn}, h.now)
		}, 0},
		{"delete an attached certificate", func() error {
			if err := h.svc.UpdateCertificate(ctx, account, &iot.UpdateCertificateInput{CertificateID: reg.CertificateID, NewStatus: "INACTIVE"}, h.now); err != nil {
				return err
			}
			return h.svc.DeleteCertificate(ctx, account, &iot.DeleteCertificateInput{CertificateID: reg.CertificateID})
		}, iot.DeleteConflict},
		{"delete a thing with a principal", func() error {
			return h.svc.DeleteThing(ctx, account, &iot.DeleteThingInput{ThingName: "lamp"})
		}, iot.InvalidRequest},
		{"alias duration too long", func() error {
			_, err := h.svc.CreateRoleAlias(ctx, account, &iot.CreateRoleAliasInput{RoleAlias: "a", RoleArn: "arn:aws:iam::123456789012:role/r", CredentialDurationSeconds: ptr(43201)}, h.now)
			return err
		}, iot.InvalidRequest},
		{"alias to something not a role", func() error {
			_, err := h.svc.CreateRoleAlias(ctx, account, &iot.CreateRoleAliasInput{RoleAlias: "a", RoleArn: "arn:aws:iam::123456789012:user/u"}, h.now)
			return err
		}, iot.InvalidRequest},
		{"alias to another account's role", func() error {
			_, err := h.svc.CreateRoleAlias(ctx, account, &iot.CreateRoleAliasInput{RoleAlias: "a", RoleArn: "arn:aws:iam::210987654321:role/r"}, h.now)
			return err
		}, iot.InvalidRequest},
		{"alias", func() error {
			_, err := h.svc.CreateRoleAlias(ctx, account, &iot.CreateRoleAliasInput{RoleAlias: "a", RoleArn: "arn:aws:iam::123456789012:role/r"}, h.now)
			return err
		}, 0},
		{"update a missing alias", func() error {
			_, err := h.svc.UpdateRoleAlias(ctx, account, &iot.UpdateRoleAliasInput{RoleAlias: "b", CredentialDurationSeconds: ptr(900)}, h.now)
			return err
		}, iot.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.call()); got != tt.want {
				t.Errorf("code = %d, want %d", got, tt.want)
			}
		})
	}
	ra, err := h.svc.DescribeRoleAlias(ctx, account, &iot.RoleAliasInput{RoleAlias: "a"})
	if err != nil || ra.RoleAliasDescription.CredentialDurationSeconds != iot.DefaultCredentialDuration {
		t.Errorf("DescribeRoleAlias = %+v, %v; want the default duration", ra, err)
	}
	things, err := h.svc.ListPrincipalThings(ctx, account, &iot.ListPrincipalThingsInput{Principal: reg.CertificateArn})
	if err != nil || len(things.Things) != 1 || things.Things[0] != "lamp" {
		t.Errorf("ListPrincipalThings = %+v, %v", things, err)
	}
	if err := h.svc.DetachThingPrincipal(ctx, account, &iot.ThingPrincipalInput{ThingName: "lamp", Principal: reg.CertificateArn}, h.now); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.DeleteCertificate(ctx, account, &iot.DeleteCertificateInput{CertificateID: reg.CertificateID}); err != nil {
		t.Errorf("deleting the detached, inactive certificate: %v", err)
	}
	if err := h.svc.DeleteThing(ctx, account, &iot.DeleteThingInput{ThingName: "lamp"}); err != nil {
		t.Errorf("deleting the thing: %v", err)
	}
	if err := h.svc.DeleteThing(ctx, account, &iot.DeleteThingInput{ThingName: "lamp"}); err != nil {
		t.Errorf("deleting a thing that is gone: %v, want success as AWS answers", err)
	}
}

func TestListPages(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		if _, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: n}, h.now); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	token := ""
	for range 10 {
		out, err := h.svc.ListThings(ctx, account, &iot.ListThingsInput{MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range out.Things {
			got = append(got, th.ThingName)
		}
		if token = out.NextToken; token == "" {
			break
		}
	}
	if len(got) != 5 || got[0] != "a" || got[4] != "e" {
		t.Errorf("paged things = %v, want a..e", got)
	}
	if _, err := h.svc.ListThings(ctx, account, &iot.ListThingsInput{NextToken: "!!"}); code(err) != iot.InvalidRequest {
		t.Errorf("bad token: %v, want InvalidRequest", err)
	}
}

// slowFind is the real store whose Find runs during, once, before
// answering what it read: a write that commits while a device's lookup
// is on its way.
type slowFind struct {
	store.Objects
	during func()
}

func (s *slowFind) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	objs, err := s.Objects.Find(ctx, kind, id)
	if f := s.during; f != nil {
		s.during = nil
		f()
	}
	return objs, err
}

// TestRevocationOvertakesALookup revokes a certificate while a lookup of
// it is between the store and the cache: the stale read may answer that
// one request, never the next ones.
func TestRevocationOvertakesALookup(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	slow := &slowFind{Objects: h.st.Objects()}
	svc, err := iot.New(iot.Config{Store: slow, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	dev := x509test.NewCA(t, x509test.Options{}).Leaf(t, x509test.Options{})
	reg, err := svc.RegisterCertificateWithoutCA(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(dev), Status: "ACTIVE"}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	slow.during = func() {
		if err := svc.UpdateCertificate(ctx, account, &iot.UpdateCertificateInput{CertificateID: reg.CertificateID, NewStatus: "REVOKED"}, h.now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.AuthenticateDevice(ctx, dev.Cert.Raw, h.now); err != nil {
		t.Fatalf("the request the revocation overtook: %v, want the status it read", err)
	}
	for i := range 2 {
		if _, err := svc.AuthenticateDevice(ctx, dev.Cert.Raw, h.now); reason(err) != iot.CertificateNotActive {
			t.Errorf("request %d after the revocation: %v, want CertificateNotActive", i, err)
		}
	}
}

// failFind is the real store whose Find of one kind fails as an
// unreachable store does.
type failFind struct {
	store.Objects
	kind string
}

func (s *failFind) Find(ctx context.Context, kind, id string) ([]store.Object, error) {
	if kind == s.kind {
		return nil, store.ErrUnavailable
	}
	return s.Objects.Find(ctx, kind, id)
}

// TestDeviceStoreDown: a lookup the store cannot answer is its failure,
// never a refusal that tells the device its CA, role alias or thing is
// not registered.
func TestDeviceStoreDown(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{})
	if _, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(ca.CertPEM()), SetAsActive: true}, h.now); err != nil {
		t.Fatal(err)
	}
	dev := ca.Leaf(t, x509test.Options{})
	if _, err := h.svc.RegisterCertificate(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(dev), SetAsActive: ptr(true)}, h.now); err != nil {
		t.Fatal(err)
	}
	svc, err := iot.New(iot.Config{Store: &failFind{Objects: h.st.Objects(), kind: iot.KindCACertificate}, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.AuthenticateDevice(ctx, dev.Cert.Raw, h.now)
	if reason(err) != 0 || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("AuthenticateDevice with the CA unreadable: %v, want store.ErrUnavailable and no device refusal", err)
	}
}

// TestFilteredListsReadBoundedPages: a filter that matches nothing in a
// large account answers after a bounded number of store pages, with the
// marker to read on from, rather than reading the whole account in one
// request.
func TestFilteredListsReadBoundedPages(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{})
	caOut, err := h.svc.RegisterCACertificate(ctx, account, &iot.RegisterCACertificateInput{CACertificate: string(ca.CertPEM())}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	other := x509test.NewCA(t, x509test.Options{})
	for i := range 30 {
		if _, err := h.svc.CreateThing(ctx, account, &iot.CreateThingInput{ThingName: fmt.Sprintf("t%02d", i)}, h.now); err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.RegisterCertificateWithoutCA(ctx, account, &iot.RegisterCertificateInput{CertificatePem: pemOf(other.Leaf(t, x509test.Options{}))}, h.now); err != nil {
			t.Fatal(err)
		}
	}
	things, err := h.svc.ListThings(ctx, account, &iot.ListThingsInput{MaxResults: 1, AttributeName: "room"})
	if err != nil || len(things.Things) != 0 || things.NextToken == "" {
		t.Errorf("ListThings with a filter matching none, one per page = %+v, %v; want none and a token to read on", things, err)
	}
	certs, err := h.svc.ListCertificatesByCA(ctx, account, &iot.ListCertificatesByCAInput{CACertificateID: caOut.CertificateID, ListInput: iot.ListInput{PageSize: 1}})
	if err != nil || len(certs.Certificates) != 0 || certs.NextMarker == "" {
		t.Errorf("ListCertificatesByCA of a CA that issued none, one per page = %+v, %v; want none and a marker to read on", certs, err)
	}
}

func TestThingTypeSearchableAttributes(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		attrs []string
		want  iot.Code
	}{
		{[]string{"room", "floor"}, 0},
		{[]string{strings.Repeat("a", 129)}, iot.InvalidRequest},
		{[]string{"a b"}, iot.InvalidRequest},
		{[]string{""}, iot.InvalidRequest},
	} {
		_, err := h.svc.CreateThingType(t.Context(), account, &iot.CreateThingTypeInput{ThingTypeName: fmt.Sprintf("type%d", len(tt.attrs[0])),
			ThingTypeProperties: &iot.ThingTypeProperties{SearchableAttributes: tt.attrs}}, h.now)
		if got := code(err); got != tt.want {
			t.Errorf("searchable attributes %.20q: code = %d, want %d", tt.attrs, got, tt.want)
		}
	}
}

// A device's audit events name the account its certificate is in.
var _ audit.AccountPrincipal = (*iot.Device)(nil)
