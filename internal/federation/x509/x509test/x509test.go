// Package x509test mints X.509 certificate hierarchies for tests: a root
// CA, intermediates, leaves with RSA or ECDSA keys (weak, SHA-1 signed,
// expired, constrained, non-CA "intermediates"), CRLs, and PEM files for
// clients that read them (AWS's signing helper, curl).
//
// It is imported by tests only. Every certificate has a fresh key; a
// failure calls tb.Fatal.
package x509test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// KeyType is the kind of key a certificate gets.
type KeyType int

// The key types.
const (
	// ECDSAP256 is an ECDSA key on P-256 (the default).
	ECDSAP256 KeyType = iota
	// RSA is an RSA key of Options.RSABits bits (2048 when zero).
	RSA
	// ECDSAP384 is an ECDSA key on P-384.
	ECDSAP384
)

// Options describe one certificate. The zero value is a valid ECDSA
// P-256 certificate, valid from an hour ago for a day.
type Options struct {
	// CN is the subject's common name; Subject's other fields are kept.
	CN string
	// Subject is the rest of the subject name (O, OU, C, ...).
	Subject pkix.Name
	// Key is the key type; RSABits its size for RSA.
	Key     KeyType
	RSABits int
	// Serial is the serial number; a random 128-bit one when nil.
	Serial *big.Int
	// DNSNames, URIs, Emails and IPs are the subject alternative names.
	DNSNames []string
	URIs     []string
	Emails   []string
	IPs      []net.IP
	// DirectoryName, when set, is added as a directoryName subject
	// alternative name (after the others).
	DirectoryName *pkix.Name
	// NotBefore and NotAfter bound validity; when zero, an hour ago and
	// a day from now.
	NotBefore, NotAfter time.Time
	// SHA1 has the issuer sign with SHA-1 (RSA issuers: SHA1WithRSA;
	// ECDSA issuers: ECDSAWithSHA1).
	SHA1 bool
	// KeyUsage replaces the default key usage (leaves:
	// DigitalSignature; CAs: CertSign|CRLSign). NoKeyUsage leaves the
	// extension out.
	KeyUsage   x509.KeyUsage
	NoKeyUsage bool
	// ExtKeyUsage is the extended key usage (none when nil).
	ExtKeyUsage []x509.ExtKeyUsage
	// NotCA (Intermediate only) issues the "intermediate" without
	// basic constraints CA:TRUE, so that a chain through it must fail.
	NotCA bool
	// MaxPathLen (CAs) is the path length constraint; MaxPathLenZero
	// sets it to 0. Unconstrained by default.
	MaxPathLen     int
	MaxPathLenZero bool
	// PermittedDNSDomains and ExcludedDNSDomains (CAs) are name
	// constraints.
	PermittedDNSDomains []string
	ExcludedDNSDomains  []string
}

// CA is a certificate authority: a root (NewCA) or an intermediate.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Parent is the issuer; nil for a root.
	Parent *CA
}

// Leaf is an end-entity certificate with its key and the chain a
// client sends with it.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain is the intermediates from the leaf's issuer up to, not
	// including, the root: what goes in X-Amz-X509-Chain.
	Chain []*x509.Certificate
	// Root is the self-signed root the chain ends at: the trust anchor.
	Root *x509.Certificate
}

// NewCA returns a fresh self-signed root CA.
func NewCA(tb testing.TB, opts Options) *CA {
	tb.Helper()
	if opts.CN == "" {
		opts.CN = "x509test root CA"
	}
	key := newKey(tb, opts)
	tmpl := template(tb, opts, true)
	cert := create(tb, tmpl, tmpl, key.Public(), key, opts)
	return &CA{Cert: cert, Key: key}
}

// Intermediate returns a CA issued by ca.
func (ca *CA) Intermediate(tb testing.TB, opts Options) *CA {
	tb.Helper()
	if opts.CN == "" {
		opts.CN = "x509test intermediate CA"
	}
	key := newKey(tb, opts)
	tmpl := template(tb, opts, !opts.NotCA)
	if opts.NotCA {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	cert := create(tb, tmpl, ca.Cert, key.Public(), ca.Key, opts)
	return &CA{Cert: cert, Key: key, Parent: ca}
}

// Leaf returns an end-entity certificate issued by ca.
func (ca *CA) Leaf(tb testing.TB, opts Options) *Leaf {
	tb.Helper()
	if opts.CN == "" {
		opts.CN = "x509test leaf"
	}
	key := newKey(tb, opts)
	tmpl := template(tb, opts, false)
	cert := create(tb, tmpl, ca.Cert, key.Public(), ca.Key, opts)
	return &Leaf{Cert: cert, Key: key, Chain: ca.Chain(), Root: ca.Root().Cert}
}

// Root returns the root CA of ca's hierarchy.
func (ca *CA) Root() *CA {
	for ca.Parent != nil {
		ca = ca.Parent
	}
	return ca
}

// Chain returns ca and its ancestors, nearest first, without the root:
// the intermediates a leaf issued by ca is sent with.
func (ca *CA) Chain() []*x509.Certificate {
	var chain []*x509.Certificate
	for c := ca; c.Parent != nil; c = c.Parent {
		chain = append(chain, c.Cert)
	}
	return chain
}

// CRL returns a CRL issued by ca revoking serials, valid from an hour
// ago for a day (thisUpdate, nextUpdate).
func (ca *CA) CRL(tb testing.TB, serials ...*big.Int) *x509.RevocationList {
	tb.Helper()
	now := time.Now()
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(now.UnixNano()),
		ThisUpdate: now.Add(-time.Hour),
		NextUpdate: now.Add(24 * time.Hour),
	}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		tb.Fatalf("x509test: CRL: %v", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		tb.Fatalf("x509test: CRL: %v", err)
	}
	return crl
}

// CertPEM is ca's certificate in PEM: a trust anchor's bundle.
func (ca *CA) CertPEM() []byte { return CertsPEM(ca.Cert) }

// CertsPEM encodes certificates as concatenated PEM blocks.
func CertsPEM(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// CRLPEM encodes a CRL in PEM ("X509 CRL"), as ImportCrl takes it.
func CRLPEM(crl *x509.RevocationList) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl.Raw})
}

// KeyPEM encodes a private key as PKCS #8 PEM ("PRIVATE KEY"), which
// both AWS's signing helper and curl read.
func KeyPEM(tb testing.TB, key crypto.Signer) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("x509test: key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// Files are the paths WritePEM wrote.
type Files struct {
	// Cert is the leaf certificate alone (--certificate, curl --cert).
	Cert string
	// Key is the private key (--private-key, curl --key), mode 0600.
	Key string
	// Chain is the intermediates (--intermediates); "" when there are
	// none.
	Chain string
	// Root is the root CA certificate (a trust anchor's bundle).
	Root string
}

// WritePEM writes the leaf, its key, its chain and its root as PEM
// files in dir (t.TempDir()), named after the leaf's CN.
func (l *Leaf) WritePEM(tb testing.TB, dir string) Files {
	tb.Helper()
	base := filepath.Join(dir, fileName(l.Cert.Subject.CommonName))
	f := Files{Cert: base + ".crt", Key: base + ".key", Root: base + "-root.crt"}
	write(tb, f.Cert, CertsPEM(l.Cert))
	write(tb, f.Key, KeyPEM(tb, l.Key))
	write(tb, f.Root, CertsPEM(l.Root))
	if len(l.Chain) > 0 {
		f.Chain = base + "-chain.crt"
		write(tb, f.Chain, CertsPEM(l.Chain...))
	}
	return f
}

func write(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatalf("x509test: %v", err)
	}
}

func fileName(cn string) string {
	if cn == "" {
		return "cert"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, cn)
}

func newKey(tb testing.TB, opts Options) crypto.Signer {
	tb.Helper()
	var key crypto.Signer
	var err error
	switch opts.Key {
	case RSA:
		bits := opts.RSABits
		if bits == 0 {
			bits = 2048
		}
		key, err = rsa.GenerateKey(rand.Reader, bits)
	case ECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		tb.Fatalf("x509test: key: %v", err)
	}
	return key
}

func template(tb testing.TB, opts Options, isCA bool) *x509.Certificate {
	tb.Helper()
	serial := opts.Serial
	if serial == nil {
		var err error
		serial, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		if err != nil {
			tb.Fatalf("x509test: serial: %v", err)
		}
		serial.Add(serial, big.NewInt(1)) // never 0
	}
	now := time.Now()
	subject := opts.Subject
	subject.CommonName = opts.CN
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             opts.NotBefore,
		NotAfter:              opts.NotAfter,
		DNSNames:              opts.DNSNames,
		EmailAddresses:        opts.Emails,
		IPAddresses:           opts.IPs,
		ExtKeyUsage:           opts.ExtKeyUsage,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
		PermittedDNSDomains:   opts.PermittedDNSDomains,
		ExcludedDNSDomains:    opts.ExcludedDNSDomains,
	}
	if t.NotBefore.IsZero() {
		t.NotBefore = now.Add(-time.Hour)
	}
	if t.NotAfter.IsZero() {
		t.NotAfter = now.Add(24 * time.Hour)
	}
	for _, s := range opts.URIs {
		u, err := url.Parse(s)
		if err != nil {
			tb.Fatalf("x509test: URI SAN %q: %v", s, err)
		}
		t.URIs = append(t.URIs, u)
	}
	if opts.DirectoryName != nil {
		t.ExtraExtensions = append(t.ExtraExtensions, sanExtension(tb, t, opts.DirectoryName))
	}
	switch {
	case opts.NoKeyUsage:
	case opts.KeyUsage != 0:
		t.KeyUsage = opts.KeyUsage
	case isCA:
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	default:
		t.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if isCA {
		t.MaxPathLen, t.MaxPathLenZero = opts.MaxPathLen, opts.MaxPathLenZero
		if t.MaxPathLen == 0 && !t.MaxPathLenZero {
			t.MaxPathLen = -1
		}
	}
	return t
}

func create(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer, opts Options) *x509.Certificate {
	tb.Helper()
	if opts.SHA1 {
		switch signer.Public().(type) {
		case *rsa.PublicKey:
			tmpl.SignatureAlgorithm = x509.SHA1WithRSA
		case *ecdsa.PublicKey:
			tmpl.SignatureAlgorithm = x509.ECDSAWithSHA1
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		tb.Fatalf("x509test: certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("x509test: certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return cert
}

// sanExtension builds the subject alternative name extension by hand,
// for a directoryName, which crypto/x509 does not write.
func sanExtension(tb testing.TB, t *x509.Certificate, dir *pkix.Name) pkix.Extension {
	tb.Helper()
	var names []asn1.RawValue
	for _, d := range t.DNSNames {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(d)})
	}
	for _, e := range t.EmailAddresses {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, Bytes: []byte(e)})
	}
	for _, u := range t.URIs {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(u.String())})
	}
	for _, ip := range t.IPAddresses {
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 7, Bytes: ip})
	}
	dn, err := asn1.Marshal(dir.ToRDNSequence())
	if err != nil {
		tb.Fatalf("x509test: directoryName: %v", err)
	}
	names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: dn})
	val, err := asn1.Marshal(names)
	if err != nil {
		tb.Fatalf("x509test: SAN: %v", err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: val}
}
