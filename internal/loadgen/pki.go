package loadgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// PKI is an in-memory certificate authority for the X.509 benchmarks: a
// root and an intermediate (ECDSA P-256) that issue device certificates
// with ECDSA P-256 or RSA-2048 keys, and a server certificate for
// 127.0.0.1. Nothing is written to disk but what a caller writes.
type PKI struct {
	Root, Intermediate       *x509.Certificate
	rootKey, intermediateKey crypto.Signer
	now                      time.Time
	serial                   int64
}

// KeyType is a leaf's key algorithm.
type KeyType string

// The leaf key types the benchmarks measure.
const (
	KeyECDSAP256 KeyType = "ECDSA-P256"
	KeyRSA2048   KeyType = "RSA-2048"
)

// NewPKI makes a root and an intermediate valid from an hour before now
// for a day.
func NewPKI(now time.Time) (*PKI, error) {
	p := &PKI{now: now}
	var err error
	if p.rootKey, err = newKey(KeyECDSAP256); err != nil {
		return nil, err
	}
	root := p.template("Brevet bench root CA")
	root.IsCA, root.BasicConstraintsValid, root.KeyUsage = true, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign
	if p.Root, err = issue(root, root, p.rootKey.Public(), p.rootKey); err != nil {
		return nil, err
	}
	if p.intermediateKey, err = newKey(KeyECDSAP256); err != nil {
		return nil, err
	}
	im := p.template("Brevet bench intermediate CA")
	im.IsCA, im.BasicConstraintsValid, im.MaxPathLenZero, im.KeyUsage = true, true, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign
	if p.Intermediate, err = issue(im, p.Root, p.intermediateKey.Public(), p.rootKey); err != nil {
		return nil, err
	}
	return p, nil
}

// Leaf issues a client certificate for cn, with a new key of type kt,
// signed by the intermediate.
func (p *PKI) Leaf(kt KeyType, cn string) (crypto.Signer, *x509.Certificate, error) {
	key, err := newKey(kt)
	if err != nil {
		return nil, nil, err
	}
	t := p.template(cn)
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	t.BasicConstraintsValid = true
	cert, err := issue(t, p.Intermediate, key.Public(), p.intermediateKey)
	return key, cert, err
}

// ServerCertificate issues a TLS server certificate for 127.0.0.1, ::1
// and localhost, signed by the intermediate, with the intermediate in
// its chain.
func (p *PKI) ServerCertificate() (tls.Certificate, error) {
	key, err := newKey(KeyECDSAP256)
	if err != nil {
		return tls.Certificate{}, err
	}
	t := p.template("localhost")
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	t.BasicConstraintsValid = true
	t.DNSNames = []string{"localhost"}
	t.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	cert, err := issue(t, p.Intermediate, key.Public(), p.intermediateKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return TLSCertificate(key, cert, p.Intermediate), nil
}

// Roots is a pool holding the root, for clients of ServerCertificate.
func (p *PKI) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// TLSCertificate is cert with key and chain, as a TLS peer presents it.
func TLSCertificate(key crypto.Signer, cert *x509.Certificate, chain ...*x509.Certificate) tls.Certificate {
	c := tls.Certificate{PrivateKey: key, Leaf: cert, Certificate: [][]byte{cert.Raw}}
	for _, ch := range chain {
		c.Certificate = append(c.Certificate, ch.Raw)
	}
	return c
}

// CertificatePEM is certs PEM-encoded, one block each.
func CertificatePEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// KeyPEM is key PKCS #8 and PEM-encoded.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (p *PKI) template(cn string) *x509.Certificate {
	p.serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(1000 + p.serial),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Brevet bench"}},
		NotBefore:    p.now.Add(-time.Hour),
		NotAfter:     p.now.Add(24 * time.Hour),
	}
}

func newKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case KeyECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, errors.New("loadgen: unknown key type " + string(kt))
}

func issue(t, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, t, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("loadgen: issue %s: %w", t.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}
