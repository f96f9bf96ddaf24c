package config

import (
	"fmt"
	"strings"
)

// CertPair is one certificate (with its chain) and its private key, PEM
// files both.
type CertPair struct {
	CertFile, KeyFile string
}

// fileCertPair is one item of the file's tls.extra_certificates.
type fileCertPair struct {
	CertFile *string `yaml:"cert_file"`
	KeyFile  *string `yaml:"key_file"`
}

// convertExtraCertificates checks the file's tls.extra_certificates: each
// needs both files, and they add names to a server that speaks TLS, so
// tls.cert and tls.key must be set too. The files themselves are read by
// the server, which refuses to start on a pair that does not load.
func (l *loader) convertExtraCertificates(c *Config, errs []error) ([]CertPair, []error) {
	var pairs []CertPair
	seen := map[CertPair]bool{}
	for i, fp := range l.extraCerts {
		p := CertPair{CertFile: fileStr(fp.CertFile), KeyFile: fileStr(fp.KeyFile)}
		key := fmt.Sprintf("tls.extra_certificates[%d]", i)
		at := l.atItem(key, "tls.extra_certificates", "cert_file", "key_file")
		fail := func(msg string) { errs = append(errs, &Error{Setting: key, Source: at, Msg: msg}) }
		switch {
		case p.CertFile == "":
			fail("cert_file is missing: give the PEM certificate (with its chain) for the extra names")
		case p.KeyFile == "":
			fail("key_file is missing: give the PEM private key of " + p.CertFile)
		case !c.TLS.Enabled():
			fail("is set but TLS is not; extra certificates are served beside tls.cert and tls.key, give those too")
		case seen[p]:
			fail(fmt.Sprintf("%s is listed twice; keep one", p.CertFile))
		}
		seen[p] = true
		pairs = append(pairs, p)
	}
	return pairs, errs
}

// extraCertFiles lists the extra certificates' files for the log.
func (t TLS) extraCertFiles() string {
	files := make([]string, len(t.ExtraCertificates))
	for i, p := range t.ExtraCertificates {
		files[i] = p.CertFile
	}
	return strings.Join(files, ",")
}
