package rolesanywhere_test

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/rolesanywhere"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

const account = "123456789012"

// harness is a Service on a real embedded store, with the change feed
// applied as the node's follower does.
type harness struct {
	t   testing.TB
	st  store.Store
	svc *rolesanywhere.Service
	seq int64
	now time.Time
}

func newHarness(t testing.TB, issuer rolesanywhere.SessionIssuer) *harness {
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
	svc, err := rolesanywhere.New(rolesanywhere.Config{Objects: st.Objects(), Region: "us-east-1", Sessions: issuer})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, svc: svc, now: now}
	h.seq, _ = st.Changes().Latest(t.Context())
	return h
}

// follow applies the changes since the last call, as the node does.
func (h *harness) follow() {
	h.t.Helper()
	changes, err := h.st.Changes().Since(h.t.Context(), h.seq, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	if len(changes) > 0 {
		h.seq = changes[len(changes)-1].Seq
	}
	h.svc.Apply(changes)
}

func ptr[T any](v T) *T { return &v }

func bundle(pem []byte) *rolesanywhere.Source {
	return &rolesanywhere.Source{SourceType: rolesanywhere.SourceCertificateBundle, SourceData: &rolesanywhere.SourceData{X509CertificateData: string(pem)}}
}

func (h *harness) anchor(pem []byte, enabled bool) rolesanywhere.TrustAnchorDetail {
	h.t.Helper()
	out, err := h.svc.CreateTrustAnchor(h.t.Context(), account, &rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle(pem), Enabled: &enabled}, h.now)
	if err != nil {
		h.t.Fatal(err)
	}
	return out.TrustAnchor
}

func errKind(err error) string {
	var (
		ve *rolesanywhere.ValidationError
		nf *rolesanywhere.NotFoundError
		tm *rolesanywhere.TooManyTagsError
		de *rolesanywhere.DeniedError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ve):
		return "ValidationException"
	case errors.As(err, &nf):
		return "ResourceNotFoundException"
	case errors.As(err, &tm):
		return "TooManyTagsException"
	case errors.As(err, &de):
		return "AccessDeniedException"
	}
	return "internal: " + err.Error()
}

func TestCreateTrustAnchorValidation(t *testing.T) {
	h := newHarness(t, nil)
	ca := x509test.NewCA(t, x509test.Options{})
	weak := x509test.NewCA(t, x509test.Options{Key: x509test.RSA, RSABits: 1024})
	sha1 := x509test.NewCA(t, x509test.Options{Key: x509test.RSA, SHA1: true})
	leaf := ca.Leaf(t, x509test.Options{})
	tests := []struct {
		name string
		in   rolesanywhere.CreateTrustAnchorInput
		want string
	}{
		{"ok", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca one"), Source: bundle(ca.CertPEM())}, ""},
		{"no name", rolesanywhere.CreateTrustAnchorInput{Source: bundle(ca.CertPEM())}, "ValidationException"},
		{"bad name", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca/1"), Source: bundle(ca.CertPEM())}, "ValidationException"},
		{"no source", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca")}, "ValidationException"},
		{"acm pca", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: &rolesanywhere.Source{SourceType: "AWS_ACM_PCA",
			SourceData: &rolesanywhere.SourceData{AcmPcaArn: "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"}}}, "ValidationException"},
		{"not pem", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle([]byte("hello"))}, "ValidationException"},
		{"leaf, not a CA", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle(x509test.CertsPEM(leaf.Cert))}, "ValidationException"},
		{"rsa-1024", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle(weak.CertPEM())}, "ValidationException"},
		{"sha-1", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle(sha1.CertPEM())}, "ValidationException"},
		{"key block", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle(x509test.KeyPEM(t, ca.Key))}, "ValidationException"},
		{"bad tag", rolesanywhere.CreateTrustAnchorInput{Name: ptr("ca"), Source: bundle(ca.CertPEM()), Tags: []rolesanywhere.Tag{{Key: "aws:x", Value: "1"}}}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.CreateTrustAnchor(t.Context(), account, &tt.in, h.now)
			if got := errKind(err); got != tt.want {
				t.Errorf("error = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

func TestTrustAnchorLifecycle(t *testing.T) {
	h := newHarness(t, nil)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{})
	var ids []string
	for range 3 {
		ids = append(ids, h.anchor(ca.CertPEM(), false).TrustAnchorID)
	}
	first, err := h.svc.ListTrustAnchors(ctx, account, &rolesanywhere.ListInput{PageSize: ptr(int32(2))})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.TrustAnchors) != 2 || first.NextToken == "" {
		t.Fatalf("first page: %d anchors, next %q; want 2 and a token", len(first.TrustAnchors), first.NextToken)
	}
	second, err := h.svc.ListTrustAnchors(ctx, account, &rolesanywhere.ListInput{PageSize: ptr(int32(2)), NextToken: &first.NextToken})
	if err != nil || len(second.TrustAnchors) != 1 || second.NextToken != "" {
		t.Fatalf("second page: %v %+v", err, second)
	}
	if _, err := h.svc.ListTrustAnchors(ctx, account, &rolesanywhere.ListInput{NextToken: ptr("garbage")}); errKind(err) != "ValidationException" {
		t.Errorf("bad token: %v", err)
	}
	id := ids[0]
	out, err := h.svc.SetTrustAnchorEnabled(ctx, account, &rolesanywhere.TrustAnchorIDInput{TrustAnchorID: id}, true, h.now)
	if err != nil || !out.TrustAnchor.Enabled {
		t.Fatalf("enable: %v %+v", err, out)
	}
	up, err := h.svc.UpdateTrustAnchor(ctx, account, &rolesanywhere.UpdateTrustAnchorInput{TrustAnchorID: id, Name: ptr("renamed")}, h.now)
	if err != nil || up.TrustAnchor.Name != "renamed" || !up.TrustAnchor.Enabled {
		t.Fatalf("update: %v %+v", err, up)
	}
	if want := "arn:aws:rolesanywhere:us-east-1:" + account + ":trust-anchor/" + id; up.TrustAnchor.TrustAnchorArn != want {
		t.Errorf("arn = %s, want %s", up.TrustAnchor.TrustAnchorArn, want)
	}
	if _, err := h.svc.DeleteTrustAnchor(ctx, account, &rolesanywhere.TrustAnchorIDInput{TrustAnchorID: id}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []rolesanywhere.TrustAnchorIDInput{{TrustAnchorID: id}, {TrustAnchorID: "00000000-0000-4000-8000-000000000000"}} {
		if _, err := h.svc.GetTrustAnchor(ctx, account, &in); errKind(err) != "ResourceNotFoundException" {
			t.Errorf("get %s: %v, want not found", in.TrustAnchorID, err)
		}
	}
	if _, err := h.svc.GetTrustAnchor(ctx, account, &rolesanywhere.TrustAnchorIDInput{TrustAnchorID: "../x"}); errKind(err) != "ValidationException" {
		t.Errorf("malformed id: %v", err)
	}
	if _, err := h.svc.GetTrustAnchor(ctx, "210987654321", &rolesanywhere.TrustAnchorIDInput{TrustAnchorID: ids[1]}); errKind(err) != "ResourceNotFoundException" {
		t.Errorf("another account's anchor: %v", err)
	}
}

func TestProfiles(t *testing.T) {
	h := newHarness(t, nil)
	ctx := t.Context()
	role := "arn:aws:iam::" + account + ":role/r"
	tests := []struct {
		name string
		in   rolesanywhere.CreateProfileInput
		want string
	}{
		{"no roles", rolesanywhere.CreateProfileInput{Name: ptr("p")}, "ValidationException"},
		{"bad role", rolesanywhere.CreateProfileInput{Name: ptr("p"), RoleArns: []string{"arn:aws:iam::1:user/u"}}, "ValidationException"},
		{"short duration", rolesanywhere.CreateProfileInput{Name: ptr("p"), RoleArns: []string{role}, DurationSeconds: ptr(int32(899))}, "ValidationException"},
		{"long duration", rolesanywhere.CreateProfileInput{Name: ptr("p"), RoleArns: []string{role}, DurationSeconds: ptr(int32(43201))}, "ValidationException"},
		{"bad policy", rolesanywhere.CreateProfileInput{Name: ptr("p"), RoleArns: []string{role}, SessionPolicy: ptr("{")}, "ValidationException"},
		{"bad managed", rolesanywhere.CreateProfileInput{Name: ptr("p"), RoleArns: []string{role}, ManagedPolicyArns: []string{"x"}}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.CreateProfile(ctx, account, "arn:aws:iam::123456789012:user/admin", &tt.in, h.now)
			if got := errKind(err); got != tt.want {
				t.Errorf("error = %q (%v), want %q", got, err, tt.want)
			}
		})
	}
	out, err := h.svc.CreateProfile(ctx, account, "arn:aws:iam::123456789012:user/admin", &rolesanywhere.CreateProfileInput{Name: ptr("p"), RoleArns: []string{role}}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	p := out.Profile
	if p.DurationSeconds != 3600 || p.Enabled || p.AcceptRoleSessionName || p.CreatedBy == "" {
		t.Errorf("defaults: %+v", p)
	}
	if d := cmp.Diff(rolesanywhere.DefaultAttributeMappings(), p.AttributeMappings); d != "" {
		t.Errorf("default mappings (-want +got):\n%s", d)
	}
	pid := p.ProfileID
	put, err := h.svc.PutAttributeMapping(ctx, account, &rolesanywhere.PutAttributeMappingInput{ProfileID: pid, CertificateField: "x509SAN",
		MappingRules: []rolesanywhere.MappingRule{{Specifier: "Name/CN"}, {Specifier: "DNS"}}}, h.now)
	if err != nil {
		t.Fatal(err)
	}
	if got := put.Profile.AttributeMappings[2].MappingRules; len(got) != 4 {
		t.Errorf("x509SAN rules after put = %v, want DNS URI Name/* Name/CN", got)
	}
	if _, err := h.svc.PutAttributeMapping(ctx, account, &rolesanywhere.PutAttributeMappingInput{ProfileID: pid, CertificateField: "x509Foo",
		MappingRules: []rolesanywhere.MappingRule{{Specifier: "CN"}}}, h.now); errKind(err) != "ValidationException" {
		t.Errorf("bad field: %v", err)
	}
	del, err := h.svc.DeleteAttributeMapping(ctx, account, &rolesanywhere.DeleteAttributeMappingInput{ProfileID: pid, CertificateField: "x509Issuer"}, h.now)
	if err != nil || len(del.Profile.AttributeMappings) != 2 {
		t.Fatalf("delete issuer mapping: %v %+v", err, del)
	}
	up, err := h.svc.UpdateProfile(ctx, account, &rolesanywhere.UpdateProfileInput{ProfileID: pid, DurationSeconds: ptr(int32(900)), AcceptRoleSessionName: ptr(true)}, h.now)
	if err != nil || up.Profile.DurationSeconds != 900 || !up.Profile.AcceptRoleSessionName || len(up.Profile.RoleArns) != 1 {
		t.Fatalf("update: %v %+v", err, up)
	}
}

func TestCRLs(t *testing.T) {
	h := newHarness(t, nil)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{})
	other := x509test.NewCA(t, x509test.Options{})
	ta := h.anchor(ca.CertPEM(), true)
	crl := ca.CRL(t, big.NewInt(7))
	tests := []struct {
		name string
		in   rolesanywhere.ImportCrlInput
		want string
	}{
		{"der", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: crl.Raw, TrustAnchorArn: &ta.TrustAnchorArn}, ""},
		{"pem", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: x509test.CRLPEM(crl), TrustAnchorArn: &ta.TrustAnchorArn}, ""},
		{"garbage", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: []byte("x"), TrustAnchorArn: &ta.TrustAnchorArn}, "ValidationException"},
		{"another CA's", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: other.CRL(t).Raw, TrustAnchorArn: &ta.TrustAnchorArn}, "ValidationException"},
		{"unknown anchor", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: crl.Raw,
			TrustAnchorArn: ptr("arn:aws:rolesanywhere:us-east-1:" + account + ":trust-anchor/00000000-0000-4000-8000-000000000000")}, "ValidationException"},
		{"not an anchor arn", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: crl.Raw, TrustAnchorArn: ptr("arn:aws:iam::1:role/x")}, "ValidationException"},
		// The anchor's ARN in another partition: CreateSession looks CRLs
		// up by the anchor's own ARN, so a CRL kept under this one would
		// revoke nothing.
		{"another partition's anchor arn", rolesanywhere.ImportCrlInput{Name: ptr("c"), CrlData: crl.Raw,
			TrustAnchorArn: ptr(strings.Replace(ta.TrustAnchorArn, "arn:aws:", "arn:aws-cn:", 1))}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.svc.ImportCrl(ctx, account, &tt.in, h.now)
			if got := errKind(err); got != tt.want {
				t.Fatalf("error = %q (%v), want %q", got, err, tt.want)
			}
			if err == nil && (out.Crl.Enabled || string(out.Crl.CrlData) != string(crl.Raw)) {
				t.Errorf("imported %+v: want disabled, the DER kept", out.Crl)
			}
		})
	}
	list, err := h.svc.ListCrls(ctx, account, &rolesanywhere.ListInput{})
	if err != nil || len(list.Crls) != 2 {
		t.Fatalf("list: %v %d", err, len(list.Crls))
	}
	id := list.Crls[0].CrlID
	if out, err := h.svc.SetCrlEnabled(ctx, account, &rolesanywhere.CrlIDInput{CrlID: id}, true, h.now); err != nil || !out.Crl.Enabled {
		t.Fatalf("enable: %v", err)
	}
	if _, err := h.svc.UpdateCrl(ctx, account, &rolesanywhere.UpdateCrlInput{CrlID: id, CrlData: other.CRL(t).Raw}, h.now); errKind(err) != "ValidationException" {
		t.Errorf("update with another CA's CRL: %v", err)
	}
	if _, err := h.svc.DeleteCrl(ctx, account, &rolesanywhere.CrlIDInput{CrlID: id}); err != nil {
		t.Fatal(err)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t, nil)
	ctx := t.Context()
	ca := x509test.NewCA(t, x509test.Options{})
	arn := h.anchor(ca.CertPEM(), true).TrustAnchorArn
	if _, err := h.svc.TagResource(ctx, account, &rolesanywhere.TagResourceInput{ResourceArn: &arn, Tags: []rolesanywhere.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}, h.now); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.UntagResource(ctx, account, &rolesanywhere.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"a"}}, h.now); err != nil {
		t.Fatal(err)
	}
	got, err := h.svc.ListTagsForResource(ctx, account, &rolesanywhere.ListTagsForResourceInput{ResourceArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]rolesanywhere.Tag{{Key: "b", Value: "2"}}, got.Tags); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	var many []rolesanywhere.Tag
	for i := range 50 {
		many = append(many, rolesanywhere.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"})
	}
	if _, err := h.svc.TagResource(ctx, account, &rolesanywhere.TagResourceInput{ResourceArn: &arn, Tags: many}, h.now); errKind(err) != "TooManyTagsException" {
		t.Errorf("51 tags: %v", err)
	}
	other := strings.Replace(arn, account, "210987654321", 1)
	if _, err := h.svc.ListTagsForResource(ctx, account, &rolesanywhere.ListTagsForResourceInput{ResourceArn: other}); errKind(err) != "ResourceNotFoundException" {
		t.Errorf("another account's ARN: %v", err)
	}
	if _, err := h.svc.ListTagsForResource(ctx, account, &rolesanywhere.ListTagsForResourceInput{ResourceArn: "arn:aws:iam::1:role/x"}); errKind(err) != "ValidationException" {
		t.Errorf("not a Roles Anywhere ARN: %v", err)
	}
	// Another partition's spelling of the ARN would be authorized as a
	// resource no policy names (escaping a Deny on the real ARN), then
	// served on the real one: it is refused.
	for _, p := range []string{"aws-cn", "aws-us-gov", "", "AWS"} {
		variant := strings.Replace(arn, "arn:aws:", "arn:"+p+":", 1)
		if _, err := h.svc.TagResource(ctx, account, &rolesanywhere.TagResourceInput{ResourceArn: &variant, Tags: []rolesanywhere.Tag{{Key: "c", Value: "3"}}}, h.now); errKind(err) != "ValidationException" {
			t.Errorf("tag the anchor as %s: %v, want ValidationException", variant, err)
		}
	}
}

// downObjects is the real store's objects, whose reads fail while down is
// set (a store outage).
type downObjects struct {
	store.Objects
	down bool
}

func (o *downObjects) Get(ctx context.Context, account, kind, id string) (store.Object, error) {
	if o.down {
		return store.Object{}, store.ErrUnavailable
	}
	return o.Objects.Get(ctx, account, kind, id)
}

// TestResourceTagsFailClosed: while the store is down, a resource's tags
// are an error, not "none", so that a Deny on aws:ResourceTag/KEY does
// not lapse; a resource that does not exist has none.
func TestResourceTagsFailClosed(t *testing.T) {
	h := newHarness(t, nil)
	ctx := t.Context()
	objs := &downObjects{Objects: h.st.Objects()}
	svc, err := rolesanywhere.New(rolesanywhere.Config{Objects: objs, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	arn := h.anchor(x509test.NewCA(t, x509test.Options{}).CertPEM(), true).TrustAnchorArn
	if _, err := svc.TagResource(ctx, account, &rolesanywhere.TagResourceInput{ResourceArn: &arn, Tags: []rolesanywhere.Tag{{Key: "protected", Value: "yes"}}}, h.now); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.ResourceTags(ctx, account, arn); err != nil || len(got) != 1 {
		t.Fatalf("tags = %v, %v; want the one tag", got, err)
	}
	missing := strings.Replace(arn, arn[len(arn)-36:], "00000000-0000-4000-8000-000000000000", 1)
	if got, err := svc.ResourceTags(ctx, account, missing); err != nil || got != nil {
		t.Errorf("a missing resource's tags = %v, %v; want none", got, err)
	}
	objs.down = true
	if got, err := svc.ResourceTags(ctx, account, arn); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("tags with the store down = %v, %v; want store.ErrUnavailable", got, err)
	}
}
