package saml

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/brevet-dev/brevet/internal/policy"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

const (
	roleARN  = "arn:aws:iam::123456789012:role/Engineers"
	provARN  = "arn:aws:iam::123456789012:saml-provider/Corp"
	bearer   = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	persist  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	emailFmt = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
)

// testIdP is an in-test SAML identity provider: a generated key and
// self-signed certificate, assertions built with etree and signed with
// goxmldsig's signing context.
type testIdP struct {
	entityID string
	key      *rsa.PrivateKey
	certDER  []byte
	cert     *x509.Certificate
}

var (
	idpOnce        sync.Once
	corp, attacker *testIdP
)

func idps(t testing.TB) {
	idpOnce.Do(func() {
		corp = newTestIdP(t, "https://idp.corp.example/saml", t0.Add(-365*24*time.Hour), t0.Add(365*24*time.Hour))
		attacker = newTestIdP(t, "https://idp.corp.example/saml", t0.Add(-time.Hour), t0.Add(time.Hour))
	})
}

func newTestIdP(t testing.TB, entityID string, from, to time.Time) *testIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: entityID}, NotBefore: from, NotAfter: to}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testIdP{entityID: entityID, key: key, certDER: der, cert: cert}
}

func (p *testIdP) provider() *Provider {
	return &Provider{EntityID: p.entityID, Certificates: []*x509.Certificate{p.cert}}
}

// spec describes an assertion to build.
type spec struct {
	id, issuer, nameID, format, recipient string
	audiences                             []string
	issued, notBefore, notOnOrAfter       time.Time
	attrs                                 []attr
	twoConfirmations                      bool
	commentInNameID                       bool
}

type attr struct {
	name   string
	values []string
}

var idSeq int

func (p *testIdP) spec() spec {
	idSeq++
	return spec{
		id: fmt.Sprintf("_a%06d", idSeq), issuer: p.entityID, nameID: "alice@corp.example", format: persist,
		recipient: DefaultSignInURL, audiences: []string{DefaultSignInURL},
		issued: t0.Add(-30 * time.Second), notBefore: t0.Add(-time.Minute), notOnOrAfter: t0.Add(5 * time.Minute),
		attrs: []attr{
			{AttrRole, []string{roleARN + "," + provARN}},
			{AttrRoleSessionName, []string{"alice"}},
		},
	}
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s spec) build() *etree.Element {
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", nsAssertion)
	a.CreateAttr("ID", s.id)
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", ts(s.issued))
	a.CreateElement("saml:Issuer").SetText(s.issuer)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	if s.format != "" {
		nid.CreateAttr("Format", s.format)
	}
	if s.commentInNameID {
		nid.CreateText("alice@corp.example")
		nid.CreateComment("x")
		nid.CreateText(".evil.example")
	} else {
		nid.SetText(s.nameID)
	}
	n := 1
	if s.twoConfirmations {
		n = 2
	}
	for range n {
		sc := subj.CreateElement("saml:SubjectConfirmation")
		sc.CreateAttr("Method", bearer)
		scd := sc.CreateElement("saml:SubjectConfirmationData")
		scd.CreateAttr("NotOnOrAfter", ts(s.notOnOrAfter))
		scd.CreateAttr("Recipient", s.recipient)
	}
	cond := a.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(s.notBefore))
	cond.CreateAttr("NotOnOrAfter", ts(s.notOnOrAfter))
	ar := cond.CreateElement("saml:AudienceRestriction")
	for _, au := range s.audiences {
		ar.CreateElement("saml:Audience").SetText(au)
	}
	st := a.CreateElement("saml:AttributeStatement")
	for _, at := range s.attrs {
		e := st.CreateElement("saml:Attribute")
		e.CreateAttr("Name", at.name)
		for _, v := range at.values {
			e.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	return a
}

// sign signs el enveloped and moves the Signature after the Issuer, where
// the SAML schema puts it.
func (p *testIdP) sign(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	ctx, err := dsig.NewSigningContext(p.key, [][]byte{p.certDER})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	// SignEnveloped appends the Signature to Child directly, without
	// etree's bookkeeping, so RemoveChild cannot find it: cut it off the
	// slice instead.
	sig := signed.Child[len(signed.Child)-1].(*etree.Element)
	signed.Child = signed.Child[:len(signed.Child)-1]
	signed.InsertChildAt(1, sig)
	return signed
}

func (p *testIdP) response(assertion *etree.Element, status string) *etree.Element {
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", nsProtocol)
	r.CreateAttr("xmlns:saml", nsAssertion)
	r.CreateAttr("ID", "_r"+assertion.SelectAttrValue("ID", ""))
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", ts(t0.Add(-30*time.Second)))
	r.CreateAttr("Destination", DefaultSignInURL)
	r.CreateElement("saml:Issuer").SetText(p.entityID)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", status)
	r.AddChild(assertion)
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

func decode(t testing.TB, b64 string) *etree.Element {
	t.Helper()
	raw, _ := base64.StdEncoding.DecodeString(b64)
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

// signedAssertion returns a response whose assertion is signed.
func (p *testIdP) signedAssertion(t testing.TB, s spec) string {
	return encode(t, p.response(p.sign(t, s.build()), statusSuccess))
}

// signedResponse returns a response signed as a whole, assertion unsigned.
func (p *testIdP) signedResponse(t testing.TB, s spec) string {
	return encode(t, p.sign(t, p.response(s.build(), statusSuccess)))
}

func newVerifier() *Verifier {
	return NewVerifier(Config{Audiences: []string{DefaultSignInURL, "https://brevet.corp.example/saml"}})
}

func TestVerifySuccess(t *testing.T) {
	idps(t)
	withAttrs := corp.spec()
	withAttrs.format = emailFmt
	withAttrs.attrs = []attr{
		{AttrRole, []string{provARN + ", " + roleARN, "arn:aws:iam::123456789012:role/Other," + provARN, "garbage"}},
		{AttrRoleSessionName, []string{"alice"}},
		{AttrSessionDuration, []string{"7200"}},
		{AttrPrincipalTag + "Project", []string{"Automation"}},
		{AttrPrincipalTag + "CostCenter", []string{"987654"}},
		{AttrTransitiveTagKeys, []string{"Project", "CostCenter"}},
		{AttrSourceIdentity, []string{"alice"}},
		{"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", []string{"staff", "member"}},
		{"urn:oid:0.9.2342.19200300.100.1.3", []string{"alice@corp.example"}},
	}
	brevetAud := corp.spec()
	brevetAud.audiences = []string{"https://brevet.corp.example/saml"}
	brevetAud.recipient = "https://brevet.corp.example/saml"
	noFormat := corp.spec()
	noFormat.format = ""
	comment := corp.spec()
	comment.commentInNameID = true

	tests := []struct {
		name     string
		response string
		want     *Assertion
	}{{
		name:     "assertion signed",
		response: corp.signedAssertion(t, corp.spec()),
		want: &Assertion{Issuer: corp.entityID, Subject: "alice@corp.example", NameIDFormat: persist, SubjectType: "persistent",
			Recipient: DefaultSignInURL, Audiences: []string{DefaultSignInURL},
			Roles: []RolePair{{roleARN, provARN}}, RoleSessionName: "alice"},
	}, {
		name:     "response signed, attributes, roles in either order",
		response: corp.signedResponse(t, withAttrs),
		want: &Assertion{Issuer: corp.entityID, Subject: "alice@corp.example", NameIDFormat: emailFmt, SubjectType: emailFmt,
			Recipient: DefaultSignInURL, Audiences: []string{DefaultSignInURL},
			Roles:           []RolePair{{roleARN, provARN}, {"arn:aws:iam::123456789012:role/Other", provARN}},
			RoleSessionName: "alice", SessionDuration: 7200, SourceIdentity: "alice",
			PrincipalTags:     map[string]string{"Project": "Automation", "CostCenter": "987654"},
			TransitiveTagKeys: []string{"Project", "CostCenter"}},
	}, {
		name:     "both signed, configured audience",
		response: encode(t, corp.sign(t, corp.response(corp.sign(t, brevetAud.build()), statusSuccess))),
		want: &Assertion{Issuer: corp.entityID, Subject: "alice@corp.example", NameIDFormat: persist, SubjectType: "persistent",
			Recipient: "https://brevet.corp.example/saml", Audiences: []string{"https://brevet.corp.example/saml"},
			Roles: []RolePair{{roleARN, provARN}}, RoleSessionName: "alice"},
	}, {
		name:     "no NameID format",
		response: corp.signedAssertion(t, noFormat),
		want: &Assertion{Issuer: corp.entityID, Subject: "alice@corp.example", SubjectType: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
			Recipient: DefaultSignInURL, Audiences: []string{DefaultSignInURL},
			Roles: []RolePair{{roleARN, provARN}}, RoleSessionName: "alice"},
	}, {
		// The IdP signed "alice@corp.example.evil.example" (comments are
		// not part of the canonical form): the whole value is the
		// subject, never the part before the comment.
		name:     "comment in NameID",
		response: corp.signedAssertion(t, comment),
		want: &Assertion{Issuer: corp.entityID, Subject: "alice@corp.example.evil.example", NameIDFormat: persist, SubjectType: "persistent",
			Recipient: DefaultSignInURL, Audiences: []string{DefaultSignInURL},
			Roles: []RolePair{{roleARN, provARN}}, RoleSessionName: "alice"},
	}}
	v := newVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), corp.provider(), tt.response, t0)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			opts := cmpopts.IgnoreFields(Assertion{}, "ID", "IssueInstant", "NotOnOrAfter", "NotBefore", "ConditionsNotOnOrAfter", "Attributes")
			if diff := cmp.Diff(tt.want, got, opts); diff != "" {
				t.Errorf("assertion (-want +got):\n%s", diff)
			}
			if got.ID == "" || !got.NotOnOrAfter.Equal(t0.Add(5*time.Minute)) {
				t.Errorf("ID %q NotOnOrAfter %v", got.ID, got.NotOnOrAfter)
			}
		})
	}
}

func TestConditionKeys(t *testing.T) {
	if got, want := NameQualifier("https://example.com/saml", "123456789012", "MySAMLIdP"), "1uAJanUnBc2XeUkHURMht+xam2c="; got != want {
		t.Errorf("NameQualifier = %q, want %q (AWS's documented example)", got, want)
	}
	a := &Assertion{Issuer: "https://example.com/saml", Subject: "alice", SubjectType: "persistent", Recipient: DefaultSignInURL,
		Attributes: map[string][]string{
			"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": {"staff", "member"},
			"urn:oid:2.5.4.3":                  {"Alice"},
			"unmapped":                         {"x"},
		}}
	want := []ConditionKey{
		{"saml:aud", []string{DefaultSignInURL}},
		{"saml:iss", []string{"https://example.com/saml"}},
		{"saml:sub", []string{"alice"}},
		{"saml:sub_type", []string{"persistent"}},
		{"saml:namequalifier", []string{"1uAJanUnBc2XeUkHURMht+xam2c="}},
		{"saml:doc", []string{"123456789012/MySAMLIdP"}},
		{"saml:cn", []string{"Alice"}},
		{"saml:commonName", []string{"Alice"}},
		{"saml:edupersonaffiliation", []string{"staff", "member"}},
	}
	if diff := cmp.Diff(want, a.ConditionKeys("123456789012", "MySAMLIdP")); diff != "" {
		t.Errorf("ConditionKeys (-want +got):\n%s", diff)
	}
	var c policy.Context
	a.AddConditionKeys("123456789012", "MySAMLIdP", c.Add)
	for _, k := range want {
		if got, ok := c.Lookup(k.Key); !ok || !cmp.Equal(got, k.Values) {
			t.Errorf("policy context %s = %v, %v; want %v", k.Key, got, ok, k.Values)
		}
	}
	if !(&Assertion{Roles: []RolePair{{roleARN, provARN}}}).HasRole(roleARN, provARN) {
		t.Error("HasRole false for present pair")
	}
	if (&Assertion{Roles: []RolePair{{roleARN, provARN}}}).HasRole(roleARN, "arn:aws:iam::123456789012:saml-provider/Other") {
		t.Error("HasRole true for other provider")
	}
}

// mutate re-parses a base64 response, applies f, and re-encodes it.
func mutate(t testing.TB, b64 string, f func(root *etree.Element)) string {
	root := decode(t, b64)
	f(root)
	return encode(t, root)
}

func assertionOf(root *etree.Element) *etree.Element { return child(root, nsAssertion, "Assertion") }

func setNameID(a *etree.Element, v string) {
	child(child(a, nsAssertion, "Subject"), nsAssertion, "NameID").SetText(v)
}

func removeSignature(el *etree.Element) {
	for _, s := range children(el, nsDSig, "Signature") {
		el.RemoveChild(s)
	}
}

func TestVerifyRejects(t *testing.T) {
	idps(t)
	sa := corp.signedAssertion(t, corp.spec())
	sr := corp.signedResponse(t, corp.spec())

	mod := func(f func(*spec)) spec { s := corp.spec(); f(&s); return s }
	expiredCert := newTestIdP(t, corp.entityID, t0.Add(-2*time.Hour), t0.Add(-time.Hour))

	tests := []struct {
		name     string
		provider *Provider
		response string
		wantKind Kind
		wantMsg  string
	}{
		{"not base64", nil, "%%%", InvalidToken, msgMalformed},
		{"not XML", nil, base64.StdEncoding.EncodeToString([]byte("<samlp:Response")), InvalidToken, msgMalformed},
		{"DOCTYPE", nil, base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><samlp:Response xmlns:samlp="` + nsProtocol + `" Version="2.0"/>`)), InvalidToken, msgMalformed},
		{"root not Response", nil, base64.StdEncoding.EncodeToString([]byte(`<x/>`)), InvalidToken, msgMalformed},
		{"no assertion", nil, mutate(t, sa, func(r *etree.Element) { r.RemoveChild(assertionOf(r)) }), InvalidToken, msgAssertionCount},
		{"encrypted assertion", nil, mutate(t, sa, func(r *etree.Element) {
			r.CreateElement("saml:EncryptedAssertion")
		}), InvalidToken, msgEncrypted},
		{"unsigned", nil, encode(t, corp.response(corp.spec().build(), statusSuccess)), InvalidToken, msgSignature},
		{"status not success", nil, encode(t, corp.response(corp.sign(t, corp.spec().build()), "urn:oasis:names:tc:SAML:2.0:status:Requester")), InvalidToken, msgStatus},
		{"bad signature: NameID changed after signing", nil, mutate(t, sa, func(r *etree.Element) { setNameID(assertionOf(r), "admin@corp.example") }), InvalidToken, msgSignature},
		{"bad signature: response-signed NameID changed", nil, mutate(t, sr, func(r *etree.Element) { setNameID(assertionOf(r), "admin@corp.example") }), InvalidToken, msgSignature},
		{"wrong key", nil, attacker.signedAssertion(t, corp.spec()), InvalidToken, msgSignature},
		{"wrong key, no KeyInfo", nil, mutate(t, attacker.signedAssertion(t, corp.spec()), func(r *etree.Element) {
			sig := child(assertionOf(r), nsDSig, "Signature")
			sig.RemoveChild(child(sig, nsDSig, "KeyInfo"))
		}), InvalidToken, msgSignature},
		{"signing certificate expired", expiredCert.provider(), expiredCert.signedAssertion(t, corp.spec()), InvalidToken, msgSignature},
		{"wrong issuer", nil, corp.signedAssertion(t, mod(func(s *spec) { s.issuer = "https://evil.example" })), InvalidToken, msgIssuer},
		{"wrong response issuer", nil, mutate(t, sa, func(r *etree.Element) { child(r, nsAssertion, "Issuer").SetText("https://evil.example") }), InvalidToken, msgIssuer},
		{"wrong audience", nil, corp.signedAssertion(t, mod(func(s *spec) { s.audiences = []string{"https://other.example/saml"} })), InvalidToken, msgAudience},
		{"wrong recipient", nil, corp.signedAssertion(t, mod(func(s *spec) { s.recipient = "https://other.example/saml" })), InvalidToken, msgRecipient},
		{"two bearer confirmations", nil, corp.signedAssertion(t, mod(func(s *spec) { s.twoConfirmations = true })), InvalidToken, msgConfirmation},
		{"expired", nil, corp.signedAssertion(t, mod(func(s *spec) { s.notOnOrAfter = t0.Add(-2 * time.Minute) })), Expired, msgExpired},
		{"not yet valid", nil, corp.signedAssertion(t, mod(func(s *spec) { s.notBefore = t0.Add(2 * time.Minute) })), InvalidToken, msgNotYetValid},
		{"issued over 5 minutes ago", nil, corp.signedAssertion(t, mod(func(s *spec) {
			s.issued = t0.Add(-7 * time.Minute)
			s.notOnOrAfter = t0.Add(time.Hour)
		})), Expired, msgTooOld},
		{"missing role attribute", nil, corp.signedAssertion(t, mod(func(s *spec) { s.attrs = s.attrs[1:] })), InvalidToken, msgNoRole},
		{"malformed role attribute", nil, corp.signedAssertion(t, mod(func(s *spec) { s.attrs[0].values = []string{roleARN} })), InvalidToken, msgNoRole},
		{"session duration out of range", nil, corp.signedAssertion(t, mod(func(s *spec) {
			s.attrs = append(s.attrs, attr{AttrSessionDuration, []string{"60"}})
		})), RejectedClaim, msgSessionDuration},
		{"tag with two values", nil, corp.signedAssertion(t, mod(func(s *spec) {
			s.attrs = append(s.attrs, attr{AttrPrincipalTag + "A", []string{"1", "2"}})
		})), RejectedClaim, msgTags},
		{"two session names", nil, corp.signedAssertion(t, mod(func(s *spec) {
			s.attrs = append(s.attrs, attr{AttrRoleSessionName, []string{"bob"}})
		})), RejectedClaim, msgSingleValue},

		// Signature wrapping (XSW): the signed assertion stays intact
		// somewhere in the document while an evil one is offered.
		{"XSW: signed assertion moved into Extensions, evil assertion in its place", nil, mutate(t, sa, func(r *etree.Element) {
			orig := assertionOf(r)
			evil := orig.Copy()
			removeSignature(evil)
			setNameID(evil, "admin@corp.example")
			evil.CreateAttr("ID", "_evil")
			r.RemoveChild(orig)
			r.InsertChildAt(1, etree.NewElement("samlp:Extensions"))
			child(r, nsProtocol, "Extensions").AddChild(orig)
			r.AddChild(evil)
		}), InvalidToken, msgAssertionCount},
		{"XSW: signed assertion nested inside the evil one", nil, mutate(t, sa, func(r *etree.Element) {
			orig := assertionOf(r)
			evil := orig.Copy()
			removeSignature(evil)
			setNameID(evil, "admin@corp.example")
			r.RemoveChild(orig)
			child(evil, nsAssertion, "Subject").AddChild(orig)
			r.AddChild(evil)
		}), InvalidToken, msgAssertionCount},
		{"XSW: evil assertion with the signed one's ID placed first", nil, mutate(t, sa, func(r *etree.Element) {
			orig := assertionOf(r)
			evil := orig.Copy()
			removeSignature(evil)
			setNameID(evil, "admin@corp.example")
			r.InsertChildAt(orig.Index(), evil)
		}), InvalidToken, msgAssertionCount},
		{"XSW: signed response copied into the Signature's Object", nil, mutate(t, sr, func(r *etree.Element) {
			orig := r.Copy()
			setNameID(assertionOf(r), "admin@corp.example")
			obj := child(r, nsDSig, "Signature").CreateElement("ds:Object")
			obj.AddChild(orig)
		}), InvalidToken, msgAssertionCount},
		{"XSW: assertion signature moved to the response", nil, mutate(t, sa, func(r *etree.Element) {
			a := assertionOf(r)
			sig := child(a, nsDSig, "Signature")
			a.RemoveChild(sig)
			setNameID(a, "admin@corp.example")
			r.InsertChildAt(1, sig)
		}), InvalidToken, msgSignature},
		{"XSW: response signature over a different ID", nil, mutate(t, sr, func(r *etree.Element) {
			r.CreateAttr("ID", "_other")
			setNameID(assertionOf(r), "admin@corp.example")
		}), InvalidToken, msgSignature},
	}
	v := newVerifier()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.provider
			if p == nil {
				p = corp.provider()
			}
			_, err := v.Verify(context.Background(), p, tt.response, t0)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify error = %v, want *Error", err)
			}
			if e.Kind != tt.wantKind || e.Message != tt.wantMsg {
				t.Errorf("got %v %q, want %v %q (detail: %v)", e.Kind, e.Message, tt.wantKind, tt.wantMsg, e.Err)
			}
		})
	}
}

func TestCommentInjectedAfterSigning(t *testing.T) {
	idps(t)
	s := corp.spec()
	s.nameID = "alice@corp.example.evil.example"
	resp := mutate(t, corp.signedAssertion(t, s), func(r *etree.Element) {
		nid := child(child(assertionOf(r), nsAssertion, "Subject"), nsAssertion, "NameID")
		nid.SetText("alice@corp.example")
		nid.CreateComment("injected")
		nid.CreateText(".evil.example")
	})
	a, err := newVerifier().Verify(context.Background(), corp.provider(), resp, t0)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got, want := a.Subject, "alice@corp.example.evil.example"; got != want {
		t.Errorf("Subject = %q, want %q (never truncated at the comment)", got, want)
	}
}

func TestReplay(t *testing.T) {
	idps(t)
	cache := NewMemoryReplayCache(0)
	v := NewVerifier(Config{Replay: cache})
	resp := corp.signedAssertion(t, corp.spec())
	ctx := context.Background()
	if _, err := v.Verify(ctx, corp.provider(), resp, t0); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(ctx, corp.provider(), resp, t0.Add(time.Second))
	var e *Error
	if !errors.As(err, &e) || e.Kind != Replayed {
		t.Fatalf("second redemption: err = %v, want Replayed", err)
	}
	// A second verifier sharing the cache (another server) also refuses.
	if _, err := NewVerifier(Config{Replay: cache}).Verify(ctx, corp.provider(), resp, t0.Add(2*time.Second)); !errors.As(err, &e) || e.Kind != Replayed {
		t.Fatalf("shared cache: err = %v, want Replayed", err)
	}
}

func TestMemoryReplayCache(t *testing.T) {
	ctx := context.Background()
	c := NewMemoryReplayCache(2)
	claim := func(id string, exp, now time.Time) (bool, error) { return c.Claim(ctx, "iss", id, exp, now) }
	steps := []struct {
		id      string
		exp     time.Time
		now     time.Time
		want    bool
		wantErr error
	}{
		{"a", t0.Add(time.Minute), t0, true, nil},
		{"a", t0.Add(time.Minute), t0.Add(time.Second), false, nil},
		{"b", t0.Add(2 * time.Minute), t0, true, nil},
		{"c", t0.Add(time.Minute), t0, false, ErrReplayCacheFull},
		{"c", t0.Add(3 * time.Minute), t0.Add(61 * time.Second), true, nil}, // "a" expired and swept
		{"a", t0.Add(3 * time.Minute), t0.Add(62 * time.Second), false, ErrReplayCacheFull},
	}
	for i, s := range steps {
		got, err := claim(s.id, s.exp, s.now)
		if got != s.want || !errors.Is(err, s.wantErr) {
			t.Errorf("step %d Claim(%s) = %v, %v; want %v, %v", i, s.id, got, err, s.want, s.wantErr)
		}
	}
	c.Sweep(t0.Add(time.Hour))
	if c.Len() != 0 {
		t.Errorf("Len after sweep = %d, want 0", c.Len())
	}
}

func metadata(entityID string, kds string) []byte {
	return []byte(`<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="` + nsMetadata + `" xmlns:ds="` + nsDSig + `" entityID="` + entityID + `">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kds + `
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`)
}

func keyDescriptor(use string, der []byte) string {
	b64 := base64.StdEncoding.EncodeToString(der)
	var lines []string
	for len(b64) > 64 {
		lines = append(lines, b64[:64])
		b64 = b64[64:]
	}
	lines = append(lines, b64)
	u := ""
	if use != "" {
		u = ` use="` + use + `"`
	}
	return `<md:KeyDescriptor` + u + `><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + strings.Join(lines, "\n") + `
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`
}

func TestParseMetadata(t *testing.T) {
	idps(t)
	md := metadata(corp.entityID, keyDescriptor("signing", corp.certDER)+keyDescriptor("encryption", attacker.certDER)+keyDescriptor("", attacker.certDER))
	p, err := ParseMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	if p.EntityID != corp.entityID || len(p.Certificates) != 2 || !p.Certificates[0].Equal(corp.cert) || !p.Certificates[1].Equal(attacker.cert) {
		t.Errorf("ParseMetadata = %q with %d certs", p.EntityID, len(p.Certificates))
	}
	// The metadata-derived provider verifies the IdP's responses.
	if _, err := newVerifier().Verify(context.Background(), p, corp.signedAssertion(t, corp.spec()), t0); err != nil {
		t.Errorf("Verify with metadata provider: %v", err)
	}
	wrapped := []byte(`<md:EntitiesDescriptor xmlns:md="` + nsMetadata + `">` + strings.TrimPrefix(string(md), `<?xml version="1.0"?>`) + `</md:EntitiesDescriptor>`)
	if p, err := ParseMetadata(wrapped); err != nil || p.EntityID != corp.entityID {
		t.Errorf("EntitiesDescriptor: %v", err)
	}
	bad := map[string][]byte{
		"no signing certificate": metadata(corp.entityID, keyDescriptor("encryption", corp.certDER)),
		"no entityID":            metadata("", keyDescriptor("signing", corp.certDER)),
		"bad certificate":        metadata(corp.entityID, keyDescriptor("signing", []byte("nope"))),
		"DTD":                    append([]byte(`<!DOCTYPE md [<!ENTITY x "y">]>`), md[len(`<?xml version="1.0"?>`):]...),
		"not metadata":           []byte(`<x/>`),
		"not XML":                []byte(`<md:EntityDescriptor`),
		"two entities":           []byte(`<md:EntitiesDescriptor xmlns:md="` + nsMetadata + `"><md:EntityDescriptor entityID="a"/><md:EntityDescriptor entityID="b"/></md:EntitiesDescriptor>`),
	}
	for name, doc := range bad {
		if _, err := ParseMetadata(doc); err == nil {
			t.Errorf("%s: ParseMetadata succeeded", name)
		}
	}
}

func FuzzParseSAMLResponse(f *testing.F) {
	idps(f)
	f.Add(corp.signedAssertion(f, corp.spec()))
	f.Add(corp.signedResponse(f, corp.spec()))
	f.Add(base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="` + nsProtocol + `" Version="2.0"/>`)))
	v := NewVerifier(Config{Replay: allowAll{}})
	p := corp.provider()
	f.Fuzz(func(t *testing.T, resp string) {
		if _, err := ParseResponse(resp); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseResponse error %v is not *Error", err)
			}
		}
		a, err := v.Verify(context.Background(), p, resp, t0)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Verify error %v is not *Error", err)
			}
			return
		}
		if a.Subject == "" || len(a.Roles) == 0 || a.Issuer != p.EntityID {
			t.Fatalf("verified assertion incomplete: %+v", a)
		}
	})
}

// allowAll is a ReplayCache that accepts everything: for the fuzz test
// and the benchmark, which redeem one assertion many times.
type allowAll struct{}

func (allowAll) Claim(context.Context, string, string, time.Time, time.Time) (bool, error) {
	return true, nil
}

func BenchmarkVerify(b *testing.B) {
	idps(b)
	for _, bc := range []struct {
		name string
		resp string
	}{
		{"AssertionSigned", corp.signedAssertion(b, corp.spec())},
		{"ResponseSigned", corp.signedResponse(b, corp.spec())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := NewVerifier(Config{Replay: allowAll{}})
			p := corp.provider()
			ctx := context.Background()
			b.SetBytes(int64(len(bc.resp)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, p, bc.resp, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestVerifySignatureVariants(t *testing.T) {
	idps(t)
	sha1 := func() string {
		ctx, err := dsig.NewSigningContext(corp.key, [][]byte{corp.certDER})
		if err != nil {
			t.Fatal(err)
		}
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
		if err := ctx.SetSignatureMethod(dsig.RSASHA1SignatureMethod); err != nil {
			t.Fatal(err)
		}
		signed, err := ctx.SignEnveloped(corp.spec().build())
		if err != nil {
			t.Fatal(err)
		}
		return encode(t, corp.response(signed, statusSuccess))
	}()
	noKeyInfo := mutate(t, corp.signedAssertion(t, corp.spec()), func(r *etree.Element) {
		sig := child(assertionOf(r), nsDSig, "Signature")
		sig.RemoveChild(child(sig, nsDSig, "KeyInfo"))
	})
	twoCerts := &Provider{EntityID: corp.entityID, Certificates: []*x509.Certificate{attacker.cert, corp.cert}}
	tests := []struct {
		name     string
		provider *Provider
		response string
	}{
		// AWS accepts SHA-1 as well as SHA-256 signatures from IdPs.
		{"rsa-sha1", corp.provider(), sha1},
		{"no KeyInfo, one certificate", corp.provider(), noKeyInfo},
		{"no KeyInfo, the signing certificate second of two", twoCerts, noKeyInfo},
		{"KeyInfo, the signing certificate second of two", twoCerts, corp.signedAssertion(t, corp.spec())},
	}
	for _, tt := range tests {
		v := NewVerifier(Config{Replay: allowAll{}})
		if _, err := v.Verify(context.Background(), tt.provider, tt.response, t0); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// failingCache is a ReplayCache whose store cannot answer.
type failingCache struct{ err error }

func (c failingCache) Claim(context.Context, string, string, time.Time, time.Time) (bool, error) {
	return false, c.err
}

// TestReplayCacheError: a replay cache that cannot answer fails the
// verification closed, with its own error (a store outage is the
// server's fault, to try again), not as a replayed assertion; a full
// memory cache refuses the assertion.
func TestReplayCacheError(t *testing.T) {
	idps(t)
	resp := corp.signedAssertion(t, corp.spec())
	down := errors.New("store: unavailable")
	_, err := NewVerifier(Config{Replay: failingCache{down}}).Verify(context.Background(), corp.provider(), resp, t0)
	var e *Error
	if !errors.Is(err, down) || errors.As(err, &e) {
		t.Errorf("store down: got %v, want the store's error, not a *saml.Error", err)
	}
	_, err = NewVerifier(Config{Replay: failingCache{ErrReplayCacheFull}}).Verify(context.Background(), corp.provider(), resp, t0)
	if !errors.As(err, &e) || e.Kind != InvalidToken {
		t.Errorf("cache full: got %v, want InvalidToken", err)
	}
}
