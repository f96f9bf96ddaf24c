package x509

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	stdx509 "crypto/x509"
	"errors"
	"time"
)

// MinRSABits is the smallest RSA key accepted anywhere in a chain.
const MinRSABits = 2048

// Anchor is a trust anchor: the CA certificates of one bundle (a
// Roles Anywhere trust anchor, an IoT CA) and the CRLs imported for it.
type Anchor struct {
	// ID and ARN name the anchor in Verified; the Cache keys on both.
	ID, ARN string
	// Certs are the anchor's CA certificates, trusted as roots.
	Certs []*stdx509.Certificate
	// CRLs are the enabled CRLs. A CRL applies to the certificates of
	// a chain issued by its issuer, and only when its signature verifies
	// with that issuer's key; one that does not verify is ignored (it
	// speaks for no CA of the chain).
	CRLs []*stdx509.RevocationList
}

// Verified is a chain that verified. A Cache hands the same Verified to
// every caller: it is read-only.
type Verified struct {
	// Leaf is the end-entity certificate.
	Leaf *stdx509.Certificate
	// AnchorID and AnchorARN name the anchor the chain ends at.
	AnchorID, AnchorARN string
	// Chain is the chain used: the leaf first, the anchor's
	// certificate last.
	Chain []*stdx509.Certificate
	// NotBefore and NotAfter bound when the whole chain is valid: the
	// latest NotBefore and the earliest NotAfter along it.
	NotBefore, NotAfter time.Time
	// Fingerprint is SHA-256 of the leaf's DER (AWS IoT's certificate
	// id, in hex).
	Fingerprint [32]byte
}

// Verifier checks certificate chains against trust anchors. The zero
// value is ready; it is safe for concurrent use.
type Verifier struct{}

// Verify builds a chain from leaf, through the intermediates of chain, to
// one of anchors, at time now, with crypto/x509 (validity, CA basic
// constraints, path length and name constraints) and Brevet's rules on
// top: no SHA-1 or MD5 signature on the leaf or any intermediate sent (a
// self-signed anchor's own signature is not looked at), RSA keys of at
// least MinRSABits along the chain, the leaf's key usage (when present)
// allowing digital signatures, no certificate of the chain revoked by a
// CRL of the anchor. The anchors are tried in order; when none verifies,
// the error is the most specific one met (an expired certificate over an
// unknown authority).
func (Verifier) Verify(leaf *stdx509.Certificate, chain []*stdx509.Certificate, anchors []Anchor, now time.Time) (*Verified, error) {
	if leaf == nil {
		return nil, errorf(Malformed, "no certificate")
	}
	if err := checkSent(leaf, chain, now); err != nil {
		return nil, err
	}
	var inter *stdx509.CertPool
	if len(chain) > 0 {
		inter = stdx509.NewCertPool()
		for _, c := range chain {
			inter.AddCert(c)
		}
	}
	var best *Error
	for i := range anchors {
		a := &anchors[i]
		v, err := verifyAnchor(leaf, chain, inter, a, now)
		if err == nil {
			return v, nil
		}
		if best == nil || rank(err.Reason) > rank(best.Reason) {
			best = err
		}
	}
	if best == nil {
		best = errorf(UnknownAuthority, "no trust anchor")
	}
	return nil, best
}

// rank orders failures from the least to the most telling.
func rank(r Reason) int {
	if r == UnknownAuthority {
		return 0
	}
	return 1
}

// checkSent applies the rules that need no anchor to what the client
// sent: validity, signature algorithms, key sizes, the leaf's key usage.
func checkSent(leaf *stdx509.Certificate, chain []*stdx509.Certificate, now time.Time) *Error {
	if err := checkValidity(leaf, "certificate", now); err != nil {
		return err
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&stdx509.KeyUsageDigitalSignature == 0 {
		return errorf(KeyUsage, "the certificate's key usage does not include digitalSignature")
	}
	if err := checkCert(leaf, "certificate"); err != nil {
		return err
	}
	for _, c := range chain {
		if bytes.Equal(c.Raw, leaf.Raw) {
			continue // some clients send the leaf again, first
		}
		what := "intermediate certificate " + c.Subject.String()
		if err := checkCert(c, what); err != nil {
			return err
		}
	}
	return nil
}

func checkValidity(c *stdx509.Certificate, what string, now time.Time) *Error {
	if now.Before(c.NotBefore) {
		return errorf(NotYetValid, "the %s is not valid before %s", what, c.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter) {
		return errorf(Expired, "the %s expired at %s", what, c.NotAfter.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkCert refuses weak signature algorithms and weak keys.
func checkCert(c *stdx509.Certificate, what string) *Error {
	switch c.SignatureAlgorithm {
	case stdx509.SHA1WithRSA, stdx509.ECDSAWithSHA1, stdx509.DSAWithSHA1, stdx509.MD5WithRSA, stdx509.MD2WithRSA:
		return errorf(WeakSignature, "the %s is signed with %s", what, c.SignatureAlgorithm)
	}
	return checkKey(c, what)
}

func checkKey(c *stdx509.Certificate, what string) *Error {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return errorf(WeakKey, "the %s has a %d-bit RSA key; at least %d bits are required", what, k.N.BitLen(), MinRSABits)
		}
		return nil
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return nil
	}
	return errorf(WeakKey, "the %s has a %s key, which is not allowed", what, c.PublicKeyAlgorithm)
}

// verifyAnchor builds and checks a chain to one anchor.
func verifyAnchor(leaf *stdx509.Certificate, chain []*stdx509.Certificate, inter *stdx509.CertPool, a *Anchor, now time.Time) (*Verified, *Error) {
	if len(a.Certs) == 0 {
		return nil, errorf(UnknownAuthority, "the trust anchor has no certificate")
	}
	roots := stdx509.NewCertPool()
	for _, c := range a.Certs {
		roots.AddCert(c)
	}
	chains, err := leaf.Verify(stdx509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []stdx509.ExtKeyUsage{stdx509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, diagnose(err, leaf, chain, a.Certs, now)
	}
	var first *Error
	for _, ch := range chains {
		v, err := checkChain(ch, a, now)
		if err == nil {
			return v, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// checkChain applies the rules crypto/x509 does not to a built chain:
// weak keys and signatures on the anchor side, and revocation.
func checkChain(ch []*stdx509.Certificate, a *Anchor, now time.Time) (*Verified, *Error) {
	v := &Verified{Leaf: ch[0], AnchorID: a.ID, AnchorARN: a.ARN, Chain: ch, Fingerprint: sha256.Sum256(ch[0].Raw)}
	for i, c := range ch {
		root := i == len(ch)-1
		if root && bytes.Equal(c.RawIssuer, c.RawSubject) {
			if err := checkKey(c, "trust anchor's certificate"); err != nil {
				return nil, err
			}
		} else if err := checkCert(c, "chain's certificate "+c.Subject.String()); err != nil {
			return nil, err
		}
		if !root {
			if err := checkRevoked(c, ch[i+1], a.CRLs); err != nil {
				return nil, err
			}
		}
		if i == 0 || c.NotBefore.After(v.NotBefore) {
			v.NotBefore = c.NotBefore
		}
		if i == 0 || c.NotAfter.Before(v.NotAfter) {
			v.NotAfter = c.NotAfter
		}
	}
	return v, nil
}

// checkRevoked refuses c when a CRL that issuer signed lists its serial.
func checkRevoked(c, issuer *stdx509.Certificate, crls []*stdx509.RevocationList) *Error {
	for _, crl := range crls {
		if !bytes.Equal(crl.RawIssuer, c.RawIssuer) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				return errorf(Revoked, "the certificate with serial number %s issued by %s is revoked", c.SerialNumber, c.Issuer)
			}
		}
	}
	return nil
}

// diagnose says why crypto/x509 found no chain. crypto/x509 reports a
// failing candidate issuer sometimes as a CertificateInvalidError and
// sometimes only as a hint inside an UnknownAuthorityError, depending on
// the order it tried candidates in; so diagnose walks up from the leaf
// itself, through the certificates sent and the anchor's, and names the
// first issuer that is not a CA, not valid now, or whose path length
// constraint is exceeded. With none found, a CA on the way with name
// constraints means a constraint was violated; otherwise crypto/x509's
// own error is mapped.
func diagnose(err error, leaf *stdx509.Certificate, chain, anchorCerts []*stdx509.Certificate, now time.Time) *Error {
	c, below, constrained := leaf, 0, false
	for range MaxChainCerts + 2 {
		parent, isAnchor := findIssuer(c, chain, anchorCerts)
		if parent == nil {
			break
		}
		what := "chain's certificate " + parent.Subject.String()
		if !parent.BasicConstraintsValid || !parent.IsCA {
			return errorf(NotCA, "the %s signs another certificate but is not a CA", what)
		}
		if e := checkValidity(parent, what, now); e != nil {
			return e
		}
		if c != leaf {
			below++
		}
		if parent.MaxPathLen >= 0 && (parent.MaxPathLen > 0 || parent.MaxPathLenZero) && below > parent.MaxPathLen {
			return errorf(Constraint, "the chain is longer than the path length constraint of the %s allows", what)
		}
		constrained = constrained || hasNameConstraints(parent)
		if isAnchor {
			if constrained {
				return errorf(Constraint, "the certificate violates a name constraint of its chain")
			}
			break
		}
		c = parent
	}
	return mapVerifyError(err, leaf, now)
}

// findIssuer returns the certificate among chain and anchors whose
// subject is c's issuer and whose key verifies c's signature.
func findIssuer(c *stdx509.Certificate, chain, anchors []*stdx509.Certificate) (*stdx509.Certificate, bool) {
	for i, list := range [][]*stdx509.Certificate{anchors, chain} {
		for _, p := range list {
			// CheckSignature, not CheckSignatureFrom: a non-CA issuer
			// is to be found, and named.
			if p != c && bytes.Equal(p.RawSubject, c.RawIssuer) &&
				p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
				return p, i == 0
			}
		}
	}
	return nil, false
}

func hasNameConstraints(c *stdx509.Certificate) bool {
	return len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
		len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0
}

// mapVerifyError turns crypto/x509's verification errors into Reasons.
func mapVerifyError(err error, leaf *stdx509.Certificate, now time.Time) *Error {
	var inv stdx509.CertificateInvalidError
	if errors.As(err, &inv) {
		what := "chain's certificate " + inv.Cert.Subject.String()
		if inv.Cert == leaf {
			what = "certificate"
		}
		switch inv.Reason {
		case stdx509.Expired:
			if e := checkValidity(inv.Cert, what, now); e != nil {
				return e
			}
			return errorf(Expired, "the %s is outside its validity period", what)
		case stdx509.NotAuthorizedToSign:
			return errorf(NotCA, "the %s signs another certificate but is not a CA", what)
		case stdx509.TooManyIntermediates:
			return errorf(Constraint, "the chain is longer than a path length constraint allows")
		case stdx509.CANotAuthorizedForThisName, stdx509.UnconstrainedName, stdx509.NameConstraintsWithoutSANs,
			stdx509.NameMismatch:
			return errorf(Constraint, "the %s violates a name constraint", what)
		case stdx509.IncompatibleUsage, stdx509.CANotAuthorizedForExtKeyUsage:
			return errorf(KeyUsage, "the %s's extended key usage is not allowed by its issuer", what)
		}
		return errorf(UnknownAuthority, "the %s is not valid: %v", what, inv.Detail)
	}
	var ua stdx509.UnknownAuthorityError
	if errors.As(err, &ua) {
		return errorf(UnknownAuthority, "the certificate is not issued by a trusted certificate authority")
	}
	var ins stdx509.InsecureAlgorithmError
	if errors.As(err, &ins) {
		return errorf(WeakSignature, "a certificate of the chain is signed with %s", stdx509.SignatureAlgorithm(ins))
	}
	return errorf(UnknownAuthority, "the certificate chain does not verify")
}
