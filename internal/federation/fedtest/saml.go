package fedtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// SAML namespaces and values the test IdP writes.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	// Persistent is the persistent NameID format.
	Persistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	// SignIn is AWS's SAML sign-in URL, the default audience.
	SignIn = "https://signin.aws.amazon.com/saml"
)

// SAMLIdP is an in-test SAML identity provider: a generated RSA key and
// self-signed certificate; assertions built with etree and signed with
// goxmldsig, as an IdP configured for AWS sends them.
type SAMLIdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	CertDER  []byte
}

// NewSAMLIdP makes an IdP whose certificate is valid for a day around now.
func NewSAMLIdP(t testing.TB, entityID string) *SAMLIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: entityID},
		NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &SAMLIdP{EntityID: entityID, Key: key, CertDER: der}
}

// Metadata is the IdP's SAML metadata document (what CreateSAMLProvider
// takes).
func (p *SAMLIdP) Metadata() string {
	b64 := base64.StdEncoding.EncodeToString(p.CertDER)
	var lines []string
	for len(b64) > 64 {
		lines = append(lines, b64[:64])
		b64 = b64[64:]
	}
	lines = append(lines, b64)
	return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="` + nsMetadata + `" xmlns:ds="` + nsDSig + `" entityID="` + p.EntityID + `">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + strings.Join(lines, "\n") + `
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// Assertion describes an assertion to build. Zero fields take the
// defaults of Assertion.
type Assertion struct {
	ID, NameID, Format, Recipient   string
	Audiences                       []string
	Issued, NotBefore, NotOnOrAfter time.Time
	// Attributes by name, in order of Names (or map order when nil).
	Attributes map[string][]string
	Names      []string
}

var assertionSeq atomic.Int64

// NewAssertion is a valid assertion for nameID at now, with the Role
// attribute for role and provider ARN and a RoleSessionName.
func (p *SAMLIdP) NewAssertion(nameID, roleARN, providerARN, sessionName string, now time.Time) Assertion {
	return Assertion{
		ID: fmt.Sprintf("_a%d_%d", now.UnixNano(), assertionSeq.Add(1)), NameID: nameID, Format: Persistent,
		Recipient: SignIn, Audiences: []string{SignIn},
		Issued: now.Add(-5 * time.Second), NotBefore: now.Add(-time.Minute), NotOnOrAfter: now.Add(5 * time.Minute),
		Attributes: map[string][]string{
			"https://aws.amazon.com/SAML/Attributes/Role":            {roleARN + "," + providerARN},
			"https://aws.amazon.com/SAML/Attributes/RoleSessionName": {sessionName},
		},
	}
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (p *SAMLIdP) build(a Assertion) *etree.Element {
	el := etree.NewElement("saml:Assertion")
	el.CreateAttr("xmlns:saml", nsAssertion)
	el.CreateAttr("ID", a.ID)
	el.CreateAttr("Version", "2.0")
	el.CreateAttr("IssueInstant", ts(a.Issued))
	el.CreateElement("saml:Issuer").SetText(p.EntityID)
	subj := el.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	if a.Format != "" {
		nid.CreateAttr("Format", a.Format)
	}
	nid.SetText(a.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(a.NotOnOrAfter))
	scd.CreateAttr("Recipient", a.Recipient)
	cond := el.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(a.NotBefore))
	cond.CreateAttr("NotOnOrAfter", ts(a.NotOnOrAfter))
	ar := cond.CreateElement("saml:AudienceRestriction")
	for _, au := range a.Audiences {
		ar.CreateElement("saml:Audience").SetText(au)
	}
	st := el.CreateElement("saml:AttributeStatement")
	names := a.Names
	if names == nil {
		for n := range a.Attributes {
			names = append(names, n)
		}
	}
	for _, n := range names {
		e := st.CreateElement("saml:Attribute")
		e.CreateAttr("Name", n)
		for _, v := range a.Attributes[n] {
			e.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	return el
}

func (p *SAMLIdP) sign(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(p.Key, [][]byte{p.CertDER})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	// SignEnveloped appends the Signature to Child directly; move it
	// after the Issuer, where the schema puts it.
	sig := signed.Child[len(signed.Child)-1].(*etree.Element)
	signed.Child = signed.Child[:len(signed.Child)-1]
	signed.InsertChildAt(1, sig)
	return signed
}

func (p *SAMLIdP) response(assertions ...*etree.Element) *etree.Element {
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", "_r"+assertions[0].SelectAttrValue("ID", ""))
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", assertions[0].SelectAttrValue("IssueInstant", ""))
	r.CreateAttr("Destination", SignIn)
	r.CreateElement("saml:Issuer").SetText(p.EntityID)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	for _, a := range assertions {
		r.AddChild(a)
	}
	return r
}

func encode(t testing.TB, root *etree.Element) string {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(root)
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString([]byte(s))
}

// Response is the base64 SAMLResponse carrying a, with the assertion
// signed (what AssumeRoleWithSAML's SAMLAssertion takes).
func (p *SAMLIdP) Response(t testing.TB, a Assertion) string {
	t.Helper()
	return encode(t, p.response(p.sign(t, p.build(a))))
}

// Unsigned is the response with a's assertion unsigned.
func (p *SAMLIdP) Unsigned(t testing.TB, a Assertion) string {
	t.Helper()
	return encode(t, p.response(p.build(a)))
}

// Wrapped is a signature-wrapping attack: the validly signed assertion a
// followed by an unsigned copy whose NameID is evil.
func (p *SAMLIdP) Wrapped(t testing.TB, a Assertion, evil string) string {
	t.Helper()
	forged := a
	forged.ID = a.ID + "-evil"
	forged.NameID = evil
	return encode(t, p.response(p.build(forged), p.sign(t, p.build(a))))
}
