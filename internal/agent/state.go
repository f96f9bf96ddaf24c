package agent

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// State is what the agent keeps in its state directory: the host key
// and self-signed certificate it enrolls with and signs with, and what
// enrollment returned. Files are 0600 in a 0700 directory.
type State struct {
	Dir  string
	Key  *ecdsa.PrivateKey
	Cert *x509.Certificate
	// CertPEM is Cert's PEM, as sent to EnrollHost.
	CertPEM string
	// Host is nil until the host is enrolled.
	Host *HostInfo
}

const (
	keyFile  = "host.key"
	certFile = "host.crt"
	hostFile = "host.json"
)

// LoadState reads the state in dir, creating the directory, key and
// certificate (CN hostname) when they do not exist yet. The directory
// must be this user's (privateDir).
func LoadState(dir, hostname string, now time.Time) (*State, error) {
	if err := privateDir(dir); err != nil {
		return nil, fmt.Errorf("agent: state directory: %w", err)
	}
	s := &State{Dir: dir}
	keyPEM, err := os.ReadFile(filepath.Join(dir, keyFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := s.create(hostname, now); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("agent: reading the host key: %w", err)
	default:
		if err := s.parse(keyPEM); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, hostFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("agent: reading the enrollment: %w", err)
	default:
		var h HostInfo
		if err := json.Unmarshal(b, &h); err != nil || h.HostID == "" {
			return nil, fmt.Errorf("agent: %s is not an enrollment record", filepath.Join(dir, hostFile))
		}
		s.Host = &h
	}
	return s, nil
}

func (s *State) create(hostname string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: hostname},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(20, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), certPEM...)
	// The certificate goes with the key, in one file written at once, so
	// that a crash never leaves a key without its certificate.
	if err := writeFile(filepath.Join(s.Dir, keyFile), keyPEM); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.Dir, certFile), certPEM); err != nil {
		return err
	}
	return s.parse(keyPEM)
}

// parse reads the key file: a PKCS #8 ECDSA key and its certificate.
func (s *State) parse(b []byte) error {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if ek, ok := k.(*ecdsa.PrivateKey); err == nil && ok {
				s.Key = ek
			}
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(blk.Bytes)
			if err == nil {
				s.Cert = c
				s.CertPEM = string(pem.EncodeToMemory(blk))
			}
		}
	}
	if s.Key == nil || s.Cert == nil || !s.Key.PublicKey.Equal(s.Cert.PublicKey) {
		return fmt.Errorf("agent: %s does not hold an ECDSA key and its certificate", filepath.Join(s.Dir, keyFile))
	}
	return nil
}

// SaveHost records the enrollment.
func (s *State) SaveHost(h HostInfo) error {
	b, err := json.MarshalIndent(h, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(s.Dir, hostFile), b); err != nil {
		return err
	}
	s.Host = &h
	return nil
}

// writeFile writes data to path atomically, mode 0600.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("agent: writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("agent: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadCertificate reads a certificate (the leaf, then any intermediates),
// more intermediates from chainPath when it is not empty, and the
// private key, from PEM files, for Roles Anywhere enrollment.
func LoadCertificate(certPath, chainPath, keyPath string) (crypto.Signer, *x509.Certificate, []*x509.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("agent: reading the certificate: %w", err)
	}
	if chainPath != "" {
		chain, err := os.ReadFile(chainPath)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("agent: reading the intermediates: %w", err)
		}
		certPEM = append(append(certPEM, '\n'), chain...)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("agent: reading the private key: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("agent: certificate and key: %w", err)
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, nil, errors.New("agent: the private key cannot sign")
	}
	var chain []*x509.Certificate
	for _, der := range pair.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("agent: chain certificate: %w", err)
		}
		chain = append(chain, c)
	}
	return key, pair.Leaf, chain, nil
}
