package x509_test

import (
	stdx509 "crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/x509"
	"github.com/brevet-dev/brevet/internal/federation/x509/x509test"
)

// pki is an in-test hierarchy: root → intermediate → leaves.
type pki struct {
	root, inter *x509test.CA
	anchor      x509.Anchor
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	root := x509test.NewCA(t, x509test.Options{CN: "Test Root", Subject: pkix.Name{Organization: []string{"Brevet"}}})
	inter := root.Intermediate(t, x509test.Options{CN: "Test Issuing CA", Subject: pkix.Name{
		Organization: []string{"Brevet"}, OrganizationalUnit: []string{"Devices"}, Country: []string{"FR"}}})
	return &pki{root: root, inter: inter,
		anchor: x509.Anchor{ID: "ta-1", ARN: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta-1", Certs: []*stdx509.Certificate{root.Cert}}}
}

func reasonOf(err error) x509.Reason {
	var e *x509.Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return 0
}

func TestVerify(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	var v x509.Verifier
	other := x509test.NewCA(t, x509test.Options{CN: "Other Root"})
	revoked := p.inter.Leaf(t, x509test.Options{CN: "revoked"})
	revokedInter := p.root.Intermediate(t, x509test.Options{CN: "revoked CA"})
	crlAnchor := p.anchor
	crlAnchor.CRLs = []*stdx509.RevocationList{
		p.inter.CRL(t, revoked.Cert.SerialNumber),
		p.root.CRL(t, revokedInter.Cert.SerialNumber),
		other.CRL(t, big.NewInt(1)),
	}
	// A CRL that names the issuing CA but is signed by another key: it
	// speaks for no CA of the chain and is ignored.
	forger := x509test.NewCA(t, x509test.Options{CN: "Test Issuing CA", Subject: pkix.Name{
		Organization: []string{"Brevet"}, OrganizationalUnit: []string{"Devices"}, Country: []string{"FR"}}})
	forged := p.inter.Leaf(t, x509test.Options{CN: "forged-crl"})
	forgedAnchor := p.anchor
	forgedAnchor.CRLs = []*stdx509.RevocationList{forger.CRL(t, forged.Cert.SerialNumber)}

	nonCA := p.root.Intermediate(t, x509test.Options{CN: "not a CA", NotCA: true})
	pathZero := p.root.Intermediate(t, x509test.Options{CN: "pathlen 0", MaxPathLenZero: true})
	below := pathZero.Intermediate(t, x509test.Options{CN: "below pathlen 0"})
	constrained := p.root.Intermediate(t, x509test.Options{CN: "example.com only", PermittedDNSDomains: []string{"example.com"}})
	rsaRoot := x509test.NewCA(t, x509test.Options{CN: "RSA Root", Key: x509test.RSA})
	rsaAnchor := x509.Anchor{ID: "ta-rsa", Certs: []*stdx509.Certificate{rsaRoot.Cert}}
	expiredInter := p.root.Intermediate(t, x509test.Options{CN: "expired CA", NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})

	tests := []struct {
		name    string
		leaf    *x509test.Leaf
		anchors []x509.Anchor
		want    x509.Reason // 0: verifies
	}{
		{"ECDSA P-256 leaf", p.inter.Leaf(t, x509test.Options{CN: "ec"}), []x509.Anchor{p.anchor}, 0},
		{"RSA-2048 leaf", p.inter.Leaf(t, x509test.Options{CN: "rsa", Key: x509test.RSA}), []x509.Anchor{p.anchor}, 0},
		{"leaf of the root", p.root.Leaf(t, x509test.Options{}), []x509.Anchor{p.anchor}, 0},
		{"second anchor matches", p.inter.Leaf(t, x509test.Options{}), []x509.Anchor{{ID: "o", Certs: []*stdx509.Certificate{other.Cert}}, p.anchor}, 0},
		{"intermediate as anchor", p.inter.Leaf(t, x509test.Options{}), []x509.Anchor{{ID: "i", Certs: []*stdx509.Certificate{p.inter.Cert}}}, 0},
		{"no key usage extension", p.inter.Leaf(t, x509test.Options{NoKeyUsage: true}), []x509.Anchor{p.anchor}, 0},
		{"CRL of another CA", p.inter.Leaf(t, x509test.Options{}), []x509.Anchor{crlAnchor}, 0},
		{"forged CRL ignored", forged, []x509.Anchor{forgedAnchor}, 0},
		{"within name constraints", constrained.Leaf(t, x509test.Options{DNSNames: []string{"a.example.com"}}), []x509.Anchor{p.anchor}, 0},

		{"RSA-1024 leaf", p.inter.Leaf(t, x509test.Options{Key: x509test.RSA, RSABits: 1024}), []x509.Anchor{p.anchor}, x509.WeakKey},
		{"RSA-1024 intermediate", p.root.Intermediate(t, x509test.Options{Key: x509test.RSA, RSABits: 1024}).Leaf(t, x509test.Options{}), []x509.Anchor{p.anchor}, x509.WeakKey},
		{"SHA-1 signed leaf", rsaRoot.Leaf(t, x509test.Options{SHA1: true}), []x509.Anchor{rsaAnchor}, x509.WeakSignature},
		{"SHA-1 signed intermediate", rsaRoot.Intermediate(t, x509test.Options{SHA1: true}).Leaf(t, x509test.Options{}), []x509.Anchor{rsaAnchor}, x509.WeakSignature},
		{"ECDSA-SHA1 signed leaf", p.inter.Leaf(t, x509test.Options{SHA1: true}), []x509.Anchor{p.anchor}, x509.WeakSignature},
		{"expired", p.inter.Leaf(t, x509test.Options{NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Second)}), []x509.Anchor{p.anchor}, x509.Expired},
		{"not yet valid", p.inter.Leaf(t, x509test.Options{NotBefore: now.Add(time.Hour)}), []x509.Anchor{p.anchor}, x509.NotYetValid},
		{"expired intermediate", expiredInter.Leaf(t, x509test.Options{NotBefore: now.Add(-24 * time.Hour)}), []x509.Anchor{p.anchor}, x509.Expired},
		{"unknown CA", other.Leaf(t, x509test.Options{}), []x509.Anchor{p.anchor}, x509.UnknownAuthority},
		{"no anchors", p.inter.Leaf(t, x509test.Options{}), nil, x509.UnknownAuthority},
		{"non-CA intermediate", nonCA.Leaf(t, x509test.Options{}), []x509.Anchor{p.anchor}, x509.NotCA},
		{"path length exceeded", below.Leaf(t, x509test.Options{}), []x509.Anchor{p.anchor}, x509.Constraint},
		{"name constraint violated", constrained.Leaf(t, x509test.Options{DNSNames: []string{"evil.org"}}), []x509.Anchor{p.anchor}, x509.Constraint},
		{"revoked leaf", revoked, []x509.Anchor{crlAnchor}, x509.Revoked},
		{"revoked intermediate", revokedInter.Leaf(t, x509test.Options{}), []x509.Anchor{crlAnchor}, x509.Revoked},
		{"key usage without digitalSignature", p.inter.Leaf(t, x509test.Options{KeyUsage: stdx509.KeyUsageKeyEncipherment}), []x509.Anchor{p.anchor}, x509.KeyUsage},
		{"expired beats unknown CA", p.inter.Leaf(t, x509test.Options{NotAfter: now.Add(-time.Second), NotBefore: now.Add(-time.Hour)}),
			[]x509.Anchor{{ID: "o", Certs: []*stdx509.Certificate{other.Cert}}, p.anchor}, x509.Expired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(tt.leaf.Cert, tt.leaf.Chain, tt.anchors, now)
			if r := reasonOf(err); r != tt.want || (err != nil) != (tt.want != 0) {
				t.Fatalf("got %v (reason %v), want reason %v", err, r, tt.want)
			}
			if err != nil {
				return
			}
			if got.Leaf != tt.leaf.Cert || got.Chain[0] != tt.leaf.Cert || got.AnchorID == "" {
				t.Errorf("got leaf %v, chain of %d, anchor %q", got.Leaf.Subject, len(got.Chain), got.AnchorID)
			}
			for _, c := range got.Chain {
				if c.NotBefore.After(got.NotBefore) || c.NotAfter.Before(got.NotAfter) {
					t.Errorf("window [%v, %v] is not inside %v's", got.NotBefore, got.NotAfter, c.Subject)
				}
			}
		})
	}
}

func TestParseHeaders(t *testing.T) {
	p := newPKI(t)
	leaf := p.inter.Leaf(t, x509test.Options{})
	b64 := func(c *stdx509.Certificate) string { return base64.StdEncoding.EncodeToString(c.Raw) }
	chain := b64(p.inter.Cert) + "," + b64(p.root.Cert)
	big := base64.StdEncoding.EncodeToString(make([]byte, 100<<10))
	tests := []struct {
		name          string
		leaf, chain   string
		want          x509.Reason
		wantChainCert int
	}{
		{"leaf alone", b64(leaf.Cert), "", 0, 0},
		{"leaf and chain", b64(leaf.Cert), chain, 0, 2},
		{"empty leaf", "", "", x509.Malformed, 0},
		{"not base64", "!!!", "", x509.Malformed, 0},
		{"unpadded", "TUlJQg", "", x509.Malformed, 0},
		{"URL alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(b64(leaf.Cert)), "", x509.Malformed, 0},
		{"newline inside", b64(leaf.Cert)[:10] + "\n" + b64(leaf.Cert)[10:], "", x509.Malformed, 0},
		{"not a certificate", base64.StdEncoding.EncodeToString([]byte("hello")), "", x509.Malformed, 0},
		{"empty chain element", b64(leaf.Cert), chain + ",", x509.Malformed, 0},
		{"100 KB leaf", big, "", x509.TooLarge, 0},
		{"100 KB chain", b64(leaf.Cert), big, x509.TooLarge, 0},
		{"six chain certificates", b64(leaf.Cert), strings.Repeat(b64(p.inter.Cert)+",", 5) + b64(p.root.Cert), x509.TooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c, err := x509.ParseHeaders(tt.leaf, tt.chain)
			if r := reasonOf(err); r != tt.want || (err != nil) != (tt.want != 0) {
				t.Fatalf("got %v, want reason %v", err, tt.want)
			}
			if err == nil && (l == nil || len(c) != tt.wantChainCert) {
				t.Errorf("got leaf %v, %d chain certificates, want %d", l != nil, len(c), tt.wantChainCert)
			}
		})
	}
}

func TestCache(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	leaf := p.inter.Leaf(t, x509test.Options{NotAfter: now.Add(time.Hour)})
	hdr := base64.StdEncoding.EncodeToString(leaf.Cert.Raw)
	chain := base64.StdEncoding.EncodeToString(p.inter.Cert.Raw)
	anchors := []x509.Anchor{p.anchor}
	c := x509.NewCache(2)

	v1, err := c.VerifyHeaders(hdr, chain, anchors, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.VerifyHeaders(hdr, chain, anchors, 1, now)
	if err != nil || v2 != v1 {
		t.Fatalf("second call: got %p, %v, want the cached %p", v2, err, v1)
	}
	// The same id under another ARN (another account's anchor) is another
	// anchor: the chain verified for the first does not carry over.
	other := x509test.NewCA(t, x509test.Options{CN: "Other Root"})
	sameID := x509.Anchor{ID: p.anchor.ID, ARN: p.anchor.ARN + "-elsewhere", Certs: []*stdx509.Certificate{other.Cert}}
	if v, err := c.VerifyHeaders(hdr, chain, []x509.Anchor{sameID}, 1, now); reasonOf(err) != x509.UnknownAuthority {
		t.Errorf("an anchor with the same id and another ARN: got %v (%+v), want UnknownAuthority", err, v)
	}
	if _, err := c.VerifyHeaders(hdr, chain, anchors, 1, now.Add(2*time.Hour)); reasonOf(err) != x509.Expired {
		t.Errorf("hit after the window: got %v, want Expired", err)
	}
	// Another anchor set is another key: the chain does not lead to it.
	if _, err := c.VerifyHeaders(hdr, chain, []x509.Anchor{{ID: "other", Certs: []*stdx509.Certificate{other.Cert}}}, 1, now); reasonOf(err) != x509.UnknownAuthority {
		t.Errorf("other anchor: got %v, want UnknownAuthority", err)
	}
	// A CRL revoking the leaf, with the generation bumped, applies at once.
	revoking := p.anchor
	revoking.CRLs = []*stdx509.RevocationList{p.inter.CRL(t, leaf.Cert.SerialNumber)}
	if _, err := c.VerifyHeaders(hdr, chain, []x509.Anchor{revoking}, 2, now); reasonOf(err) != x509.Revoked {
		t.Errorf("after the CRL: got %v, want Revoked", err)
	}
	if n := c.Len(); n != 0 {
		t.Errorf("entries after a new generation: got %d, want 0", n)
	}
	// An older generation bypasses the cache.
	if _, err := c.Verify(leaf.Cert, leaf.Chain, anchors, 1, now); err != nil || c.Len() != 0 {
		t.Errorf("old generation: got %v with %d entries, want nil and 0", err, c.Len())
	}
	// Bounded.
	for i := range 5 {
		l := p.inter.Leaf(t, x509test.Options{})
		if _, err := c.Verify(l.Cert, l.Chain, anchors, 2, now); err != nil {
			t.Fatal(i, err)
		}
	}
	if n := c.Len(); n != 2 {
		t.Errorf("entries: got %d, want 2", n)
	}
	// A newer generation empties the full cache: one invalidation
	// (generations 1 and 2 found it empty).
	if _, err := c.Verify(leaf.Cert, leaf.Chain, anchors, 3, now); err != nil {
		t.Fatal(err)
	}
	// One hit (the second call); every other call missed.
	if got, want := c.Stats(), (x509.CacheStats{Hits: 1, Misses: 12, Invalidations: 1, Entries: 1}); got != want {
		t.Errorf("Stats() = %+v, want %+v", got, want)
	}
}

func TestCacheConcurrent(t *testing.T) {
	p := newPKI(t)
	now := time.Now()
	leaves := make([]*x509test.Leaf, 4)
	for i := range leaves {
		leaves[i] = p.inter.Leaf(t, x509test.Options{})
	}
	c := x509.NewCache(3)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				l := leaves[(g+i)%len(leaves)]
				if _, err := c.Verify(l.Cert, l.Chain, []x509.Anchor{p.anchor}, uint64(i/10), now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestAttributes(t *testing.T) {
	p := newPKI(t)
	leaf := p.inter.Leaf(t, x509test.Options{
		CN: "device-42",
		Subject: pkix.Name{Organization: []string{"Acme", "Second Org"}, OrganizationalUnit: []string{"Fleet"},
			Locality: []string{"Lyon"}, Province: []string{"Rhone"}, Country: []string{"FR"}},
		DNSNames:      []string{"d42.example.com", "other.example.com"},
		URIs:          []string{"spiffe://example.com/device/42"},
		DirectoryName: &pkix.Name{CommonName: "dir-cn", Organization: []string{"Dir Org"}},
		Serial:        big.NewInt(0x1f71c5),
	})
	tests := []struct {
		name  string
		rules []x509.MappingRule
		want  x509.Identity
	}{
		{"default", nil, x509.Identity{Tags: []x509.Tag{
			{"x509Subject/CN", "device-42"}, {"x509Subject/OU", "Fleet"}, {"x509Subject/O", "Acme"},
			{"x509Subject/L", "Lyon"}, {"x509Subject/ST", "Rhone"}, {"x509Subject/C", "FR"},
			{"x509Issuer/CN", "Test Issuing CA"}, {"x509Issuer/OU", "Devices"}, {"x509Issuer/O", "Brevet"}, {"x509Issuer/C", "FR"},
			{"x509SAN/DNS", "d42.example.com"}, {"x509SAN/URI", "spiffe://example.com/device/42"},
			{"x509SAN/Name/CN", "dir-cn"}, {"x509SAN/Name/O", "Dir Org"},
		}, SourceIdentity: "device-42", SessionName: "1f71c5"}},
		{"named specifiers", []x509.MappingRule{
			{Field: x509.FieldSubject, Specifiers: []string{"CN", "UID", "bogus"}},
			{Field: x509.FieldIssuer, Specifiers: []string{"O"}},
			{Field: x509.FieldSAN, Specifiers: []string{"URI", "Name/CN"}},
		}, x509.Identity{Tags: []x509.Tag{
			{"x509Subject/CN", "device-42"}, {"x509Issuer/O", "Brevet"},
			{"x509SAN/URI", "spiffe://example.com/device/42"}, {"x509SAN/Name/CN", "dir-cn"},
		}, SourceIdentity: "device-42", SessionName: "1f71c5"}},
		{"no rules", []x509.MappingRule{}, x509.Identity{SourceIdentity: "device-42", SessionName: "1f71c5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := x509.Attributes(leaf.Cert, tt.rules)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Attributes (-want +got):\n%s", diff)
			}
		})
	}

	long := p.inter.Leaf(t, x509test.Options{CN: "x y", DNSNames: []string{strings.Repeat("a", 250) + ".example"}})
	got := x509.Attributes(long.Cert, nil)
	if diff := cmp.Diff([]string{"x509SAN/DNS"}, got.Dropped); diff != "" || got.SourceIdentity != "" {
		t.Errorf("long values: dropped diff %s, source identity %q (want none: a space is not allowed)", diff, got.SourceIdentity)
	}

	// A comma is a fine character in a name but not in a session tag:
	// the tag is left out, the rest of the identity stays.
	comma := p.inter.Leaf(t, x509test.Options{CN: "d7", Subject: pkix.Name{Organization: []string{"Example, Inc."}, OrganizationalUnit: []string{"Plant 4"}}})
	got = x509.Attributes(comma.Cert, []x509.MappingRule{{Field: x509.FieldSubject, Specifiers: []string{"*"}}})
	wantTags := []x509.Tag{{"x509Subject/CN", "d7"}, {"x509Subject/OU", "Plant 4"}}
	if diff := cmp.Diff(wantTags, got.Tags); diff != "" || !slices.Equal(got.Dropped, []string{"x509Subject/O"}) {
		t.Errorf("comma in O: tags (-want +got):\n%s dropped %v, want [x509Subject/O]", diff, got.Dropped)
	}
}

func TestValidSpecifier(t *testing.T) {
	for _, tt := range []struct {
		field, spec string
		want        bool
	}{
		{"x509Subject", "*", true}, {"x509Subject", "CN", true}, {"x509Issuer", "UID", true}, {"x509Subject", "DNS", false},
		{"x509SAN", "DNS", true}, {"x509SAN", "Name/*", true}, {"x509SAN", "Name/CN", true}, {"x509SAN", "Name/XX", false},
		{"x509SAN", "CN", false}, {"x509Other", "*", false},
	} {
		if got := x509.ValidSpecifier(tt.field, tt.spec); got != tt.want {
			t.Errorf("ValidSpecifier(%q, %q): got %v, want %v", tt.field, tt.spec, got, tt.want)
		}
	}
}
