package saml

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// XML namespaces.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// MaxMetadataBytes is IAM's limit on a SAML metadata document.
const MaxMetadataBytes = 10_000_000

// Provider is an IAM SAML provider: the identity provider's entity id and
// the certificates whose keys may sign its assertions.
type Provider struct {
	EntityID     string
	Certificates []*x509.Certificate
}

// ParseMetadata reads an IdP's SAML 2.0 metadata: one EntityDescriptor with
// an IDPSSODescriptor whose KeyDescriptors with use="signing" (or no use)
// carry X.509 certificates. Documents with a DTD are refused (no entity
// expansion of any kind), as are documents with no signing certificate.
func ParseMetadata(doc []byte) (*Provider, error) {
	if len(doc) > MaxMetadataBytes {
		return nil, fmt.Errorf("saml: metadata larger than %d bytes", MaxMetadataBytes)
	}
	root, err := parseXML(doc)
	if err != nil {
		return nil, fmt.Errorf("saml: metadata: %w", err)
	}
	ed := root
	if is(root, nsMetadata, "EntitiesDescriptor") {
		eds := children(root, nsMetadata, "EntityDescriptor")
		if len(eds) != 1 {
			return nil, fmt.Errorf("saml: metadata has %d EntityDescriptors, want 1", len(eds))
		}
		ed = eds[0]
	}
	if !is(ed, nsMetadata, "EntityDescriptor") {
		return nil, errors.New("saml: metadata root is not an EntityDescriptor")
	}
	p := &Provider{EntityID: strings.TrimSpace(ed.SelectAttrValue("entityID", ""))}
	if p.EntityID == "" {
		return nil, errors.New("saml: metadata has no entityID")
	}
	for _, idp := range children(ed, nsMetadata, "IDPSSODescriptor") {
		for _, kd := range children(idp, nsMetadata, "KeyDescriptor") {
			if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
				continue
			}
			for _, ki := range children(kd, nsDSig, "KeyInfo") {
				for _, xd := range children(ki, nsDSig, "X509Data") {
					for _, xc := range children(xd, nsDSig, "X509Certificate") {
						c, err := parseCert(text(xc))
						if err != nil {
							return nil, fmt.Errorf("saml: metadata certificate: %w", err)
						}
						p.Certificates = append(p.Certificates, c)
					}
				}
			}
		}
	}
	if len(p.Certificates) == 0 {
		return nil, errors.New("saml: metadata has no IDPSSODescriptor signing certificate")
	}
	return p, nil
}

func parseCert(b64 string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// parseXML parses a document, refusing DTDs outright: SAML never needs
// one, and refusing them closes entity-expansion tricks at the door.
func parseXML(b []byte) (*etree.Element, error) {
	if bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!ENTITY")) {
		return nil, errors.New("DTDs are not allowed")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// is reports whether el is ns:local.
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// children returns el's child elements named ns:local.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// child returns el's only child named ns:local; nil if there is none or
// more than one.
func child(el *etree.Element, ns, local string) *etree.Element {
	cs := children(el, ns, local)
	if len(cs) != 1 {
		return nil
	}
	return cs[0]
}

// descendants returns every element under (and including) el named
// ns:local.
func descendants(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		if is(e, ns, local) {
			out = append(out, e)
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(el)
	return out
}

// text returns all the character data directly inside el, concatenated.
// Comments and child elements are skipped, so a value split by a comment
// ("alice@example.com<!---->.evil") reads whole, as the signature over
// its canonical form saw it, not truncated at the comment.
func text(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}
