package saml

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// DefaultSignInURL is AWS's SAML sign-in endpoint. IdPs configured for AWS
// put it in Audience and Recipient, so Brevet accepts it by default; a
// deployment adds its own sign-in URL in Config.
const DefaultSignInURL = "https://signin.aws.amazon.com/saml"

// Defaults for Config's zero fields.
const (
	DefaultLeeway = 60 * time.Second
	// DefaultMaxAge is AWS's rule that an assertion be redeemed within
	// five minutes of its IssueInstant.
	DefaultMaxAge = 5 * time.Minute
	// MaxResponseBytes bounds the base64 text (STS's SAMLAssertion is at
	// most 100,000 characters; this leaves room for line breaks).
	MaxResponseBytes = 128 << 10
)

// Config tunes a Verifier.
type Config struct {
	// Audiences are the accepted Audience values of the assertion's
	// AudienceRestriction; empty means DefaultSignInURL only.
	Audiences []string
	// Recipients are the accepted Recipient values of the
	// SubjectConfirmationData; empty means the Audiences.
	Recipients []string
	// Leeway is the clock skew allowed on every time check.
	Leeway time.Duration
	// MaxAge is how long after IssueInstant an assertion may be redeemed.
	MaxAge time.Duration
	// Replay remembers redeemed assertions; nil means a fresh
	// MemoryReplayCache (right for one process only).
	Replay ReplayCache
}

// Verifier verifies SAMLResponse documents for AssumeRoleWithSAML. It is
// safe for concurrent use.
type Verifier struct {
	cfg Config
}

// NewVerifier returns a verifier with cfg's zero fields defaulted.
func NewVerifier(cfg Config) *Verifier {
	if len(cfg.Audiences) == 0 {
		cfg.Audiences = []string{DefaultSignInURL}
	}
	if len(cfg.Recipients) == 0 {
		cfg.Recipients = cfg.Audiences
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Replay == nil {
		cfg.Replay = NewMemoryReplayCache(0)
	}
	return &Verifier{cfg: cfg}
}

// Verify checks samlResponse, the base64 SAMLResponse that
// AssumeRoleWithSAML receives, against provider and returns the verified
// assertion. now is the time the request arrived.
//
// Only what a valid signature covers is read: the signature is verified
// with goxmldsig against the provider's certificates, and every value is
// taken from the element goxmldsig returns (rebuilt from the bytes that
// were digested), never from the document as received. Either the
// assertion or the whole response must be signed (both may be). A response
// must contain exactly one assertion, anywhere in the document, as a
// direct child of the Response: that closes signature-wrapping variants
// that hide a second assertion in an extension, an Object or the
// Signature itself. Encrypted assertions are not supported.
//
// Then: Issuer equals the provider's entity id; StatusCode is Success;
// exactly one bearer SubjectConfirmation whose data has a Recipient this
// service accepts and a NotOnOrAfter in the future; an AudienceRestriction
// with an accepted Audience; Conditions' NotBefore/NotOnOrAfter; issued
// within MaxAge; a Subject NameID; a valid Role attribute; and finally
// the assertion id has not been redeemed before.
func (v *Verifier) Verify(ctx context.Context, provider *Provider, samlResponse string, now time.Time) (*Assertion, error) {
	el, err := v.verifiedAssertion(provider, samlResponse, now)
	if err != nil {
		return nil, err
	}
	a, err := v.read(provider, el, now)
	if err != nil {
		return nil, err
	}
	ok, err := v.cfg.Replay.Claim(ctx, a.Issuer, a.ID, a.replayUntil(v.cfg.Leeway), now)
	switch {
	case errors.Is(err, ErrReplayCacheFull):
		return nil, invalid(msgReplayed, err)
	case err != nil:
		// The cache (a store) could not answer: fail closed, as the
		// store's own error (unavailable: try again), not as a replay.
		return nil, fmt.Errorf("saml: replay cache: %w", err)
	}
	if !ok {
		return nil, &Error{Kind: Replayed, Message: msgReplayed}
	}
	return a, nil
}

// ParseResponse decodes and parses a base64 SAMLResponse and returns its
// Response element, checking shape only (no signature, no time): the
// parsing entry point shared by Verify, exposed for fuzzing and for
// diagnostics that must never be mistaken for verification.
func ParseResponse(samlResponse string) (*etree.Element, error) {
	if len(samlResponse) > MaxResponseBytes {
		return nil, invalid(msgMalformed, errors.New("response too large"))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(samlResponse), ""))
	if err != nil {
		return nil, invalid(msgMalformed, err)
	}
	root, err := parseXML(raw)
	if err != nil {
		return nil, invalid(msgMalformed, err)
	}
	if !is(root, nsProtocol, "Response") {
		return nil, invalid(msgMalformed, errors.New("root is not samlp:Response"))
	}
	if root.SelectAttrValue("Version", "") != "2.0" {
		return nil, invalid(msgMalformed, errors.New("response Version is not 2.0"))
	}
	if len(descendants(root, nsAssertion, "EncryptedAssertion")) > 0 {
		return nil, invalid(msgEncrypted, nil)
	}
	if n := len(descendants(root, nsAssertion, "Assertion")); n != 1 {
		return nil, invalid(msgAssertionCount, fmt.Errorf("%d assertions", n))
	}
	if child(root, nsAssertion, "Assertion") == nil {
		return nil, invalid(msgAssertionCount, errors.New("the assertion is not a child of the Response"))
	}
	return root, nil
}

// verifiedAssertion returns the assertion element as covered by a valid
// signature.
func (v *Verifier) verifiedAssertion(p *Provider, samlResponse string, now time.Time) (*etree.Element, error) {
	root, err := ParseResponse(samlResponse)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(root); err != nil {
		return nil, err
	}
	if iss := child(root, nsAssertion, "Issuer"); iss != nil && strings.TrimSpace(text(iss)) != p.EntityID {
		return nil, invalid(msgIssuer, fmt.Errorf("response issuer %q", text(iss)))
	}
	assertion := child(root, nsAssertion, "Assertion")
	responseSigned := len(children(root, nsDSig, "Signature")) > 0
	assertionSigned := len(children(assertion, nsDSig, "Signature")) > 0
	if !responseSigned && !assertionSigned {
		return nil, invalid(msgSignature, errors.New("neither the response nor the assertion is signed"))
	}
	var verified *etree.Element
	if responseSigned {
		vr, err := validate(root, p.Certificates, now)
		if err != nil {
			return nil, invalid(msgSignature, fmt.Errorf("response: %w", err))
		}
		if n := len(descendants(vr, nsAssertion, "Assertion")); n != 1 {
			return nil, invalid(msgAssertionCount, fmt.Errorf("%d assertions in the signed response", n))
		}
		verified = child(vr, nsAssertion, "Assertion")
		if verified == nil {
			return nil, invalid(msgAssertionCount, errors.New("signed response has no assertion child"))
		}
	}
	if assertionSigned {
		nsctx, err := etreeutils.NSBuildParentContext(assertion)
		if err != nil {
			return nil, invalid(msgMalformed, err)
		}
		detached, err := etreeutils.NSDetatch(nsctx, assertion)
		if err != nil {
			return nil, invalid(msgMalformed, err)
		}
		va, err := validate(detached, p.Certificates, now)
		if err != nil {
			return nil, invalid(msgSignature, fmt.Errorf("assertion: %w", err))
		}
		if !is(va, nsAssertion, "Assertion") {
			return nil, invalid(msgSignature, errors.New("signed element is not the assertion"))
		}
		verified = va
	}
	return verified, nil
}

// validate verifies el's enveloped signature against certs, trying each
// certificate alone when the signature carries no KeyInfo and the provider
// has several.
func validate(el *etree.Element, certs []*x509.Certificate, now time.Time) (*etree.Element, error) {
	clock := dsig.NewFakeClock(clockwork.NewFakeClockAt(now))
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: certs})
	ctx.Clock = clock
	out, err := ctx.Validate(el)
	if err == nil || len(certs) < 2 {
		return out, err
	}
	for _, c := range certs {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		ctx.Clock = clock
		if out, err2 := ctx.Validate(el); err2 == nil {
			return out, nil
		}
	}
	return nil, err
}

const statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"

func checkStatus(root *etree.Element) error {
	st := child(root, nsProtocol, "Status")
	if st == nil {
		return invalid(msgStatus, errors.New("no Status"))
	}
	code := child(st, nsProtocol, "StatusCode")
	if code == nil || code.SelectAttrValue("Value", "") != statusSuccess {
		return invalid(msgStatus, nil)
	}
	return nil
}

// read extracts and checks the verified assertion's content.
func (v *Verifier) read(p *Provider, el *etree.Element, now time.Time) (*Assertion, error) {
	a := &Assertion{ID: el.SelectAttrValue("ID", "")}
	if a.ID == "" || el.SelectAttrValue("Version", "") != "2.0" {
		return nil, invalid(msgMalformed, errors.New("assertion without ID or Version 2.0"))
	}
	issued, err := parseTime(el.SelectAttrValue("IssueInstant", ""))
	if err != nil {
		return nil, invalid(msgMalformed, fmt.Errorf("IssueInstant: %w", err))
	}
	a.IssueInstant = issued
	iss := child(el, nsAssertion, "Issuer")
	if iss == nil || strings.TrimSpace(text(iss)) != p.EntityID {
		return nil, invalid(msgIssuer, nil)
	}
	a.Issuer = p.EntityID
	if err := v.readSubject(a, el, now); err != nil {
		return nil, err
	}
	if err := v.readConditions(a, el, now); err != nil {
		return nil, err
	}
	if now.After(issued.Add(v.cfg.MaxAge + v.cfg.Leeway)) {
		return nil, &Error{Kind: Expired, Message: msgTooOld}
	}
	if now.Add(v.cfg.Leeway).Before(issued) {
		return nil, invalid(msgNotYetValid, errors.New("IssueInstant in the future"))
	}
	if err := a.readAttributes(el); err != nil {
		return nil, err
	}
	return a, nil
}

func (v *Verifier) readSubject(a *Assertion, el *etree.Element, now time.Time) error {
	subj := child(el, nsAssertion, "Subject")
	if subj == nil {
		return invalid(msgSubject, nil)
	}
	nameID := child(subj, nsAssertion, "NameID")
	if nameID == nil {
		return invalid(msgSubject, nil)
	}
	a.Subject = strings.TrimSpace(text(nameID))
	if a.Subject == "" {
		return invalid(msgSubject, nil)
	}
	a.NameIDFormat = nameID.SelectAttrValue("Format", "")
	a.SubjectType = subjectType(a.NameIDFormat)

	var bearer []*etree.Element
	for _, sc := range children(subj, nsAssertion, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") == "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
			bearer = append(bearer, sc)
		}
	}
	if len(bearer) != 1 {
		return invalid(msgConfirmation, fmt.Errorf("%d bearer confirmations", len(bearer)))
	}
	scd := child(bearer[0], nsAssertion, "SubjectConfirmationData")
	if scd == nil {
		return invalid(msgConfirmation, nil)
	}
	a.Recipient = scd.SelectAttrValue("Recipient", "")
	if a.Recipient == "" {
		return invalid(msgConfirmation, errors.New("no Recipient"))
	}
	if !slices.Contains(v.cfg.Recipients, a.Recipient) {
		return invalid(msgRecipient, fmt.Errorf("recipient %q", a.Recipient))
	}
	noa, err := parseTime(scd.SelectAttrValue("NotOnOrAfter", ""))
	if err != nil {
		return invalid(msgConfirmation, fmt.Errorf("NotOnOrAfter: %w", err))
	}
	a.NotOnOrAfter = noa
	if !now.Before(noa.Add(v.cfg.Leeway)) {
		return &Error{Kind: Expired, Message: msgExpired}
	}
	if nb := scd.SelectAttrValue("NotBefore", ""); nb != "" {
		t, err := parseTime(nb)
		if err != nil {
			return invalid(msgConfirmation, fmt.Errorf("NotBefore: %w", err))
		}
		if now.Add(v.cfg.Leeway).Before(t) {
			return invalid(msgNotYetValid, nil)
		}
	}
	return nil
}

func (v *Verifier) readConditions(a *Assertion, el *etree.Element, now time.Time) error {
	cond := child(el, nsAssertion, "Conditions")
	if cond == nil {
		return invalid(msgAudience, errors.New("no Conditions"))
	}
	if nb := cond.SelectAttrValue("NotBefore", ""); nb != "" {
		t, err := parseTime(nb)
		if err != nil {
			return invalid(msgMalformed, fmt.Errorf("NotBefore in Conditions: %w", err))
		}
		if now.Add(v.cfg.Leeway).Before(t) {
			return invalid(msgNotYetValid, nil)
		}
		a.NotBefore = t
	}
	if na := cond.SelectAttrValue("NotOnOrAfter", ""); na != "" {
		t, err := parseTime(na)
		if err != nil {
			return invalid(msgMalformed, fmt.Errorf("NotOnOrAfter in Conditions: %w", err))
		}
		if !now.Before(t.Add(v.cfg.Leeway)) {
			return &Error{Kind: Expired, Message: msgExpired}
		}
		a.ConditionsNotOnOrAfter = t
	}
	// Every AudienceRestriction must name this service (SAML core 2.5.1.4),
	// and there must be at least one.
	ars := children(cond, nsAssertion, "AudienceRestriction")
	if len(ars) == 0 {
		return invalid(msgAudience, errors.New("no AudienceRestriction"))
	}
	for _, ar := range ars {
		ok := false
		for _, au := range children(ar, nsAssertion, "Audience") {
			s := strings.TrimSpace(text(au))
			a.Audiences = append(a.Audiences, s)
			if slices.Contains(v.cfg.Audiences, s) {
				ok = true
			}
		}
		if !ok {
			return invalid(msgAudience, fmt.Errorf("audiences %q", a.Audiences))
		}
	}
	return nil
}

// parseTime reads an xs:dateTime in UTC as SAML requires.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	return time.Parse(time.RFC3339Nano, s)
}

func subjectType(format string) string {
	switch format {
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent":
		return "persistent"
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:transient":
		return "transient"
	case "":
		return "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	}
	return format
}
