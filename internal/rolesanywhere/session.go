package rolesanywhere

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/credential"
	fx509 "github.com/brevet-dev/brevet/internal/federation/x509"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/sts"
)

// SessionIssuer mints the role sessions CreateSession hands out; an
// *sts.Service is one.
type SessionIssuer interface {
	ServiceSession(ctx context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error)
}

// CreateSessionInput is CreateSession's input. AWS's signing helper puts
// the three ARNs in the query string; AWS's documentation (and other
// clients) in the JSON body. Either is accepted; the query wins.
type CreateSessionInput struct {
	QueryTrustAnchorArn *string           `json:"-" query:"trustAnchorArn"`
	QueryProfileArn     *string           `json:"-" query:"profileArn"`
	QueryRoleArn        *string           `json:"-" query:"roleArn"`
	TrustAnchorArn      *string           `json:"trustAnchorArn,omitempty"`
	ProfileArn          *string           `json:"profileArn,omitempty"`
	RoleArn             *string           `json:"roleArn,omitempty"`
	DurationSeconds     *int32            `json:"durationSeconds,omitempty"`
	InstanceProperties  map[string]string `json:"instanceProperties,omitempty"`
	// SessionName is deprecated and ignored, as on AWS.
	SessionName     *string `json:"sessionName,omitempty"`
	RoleSessionName *string `json:"roleSessionName,omitempty"`
}

func pick(q, b *string) string {
	if q != nil {
		return *q
	}
	return deref(b)
}

// CreateSessionOutput is CreateSession's output.
type CreateSessionOutput struct {
	CredentialSet []CredentialResponse `json:"credentialSet"`
	SubjectArn    string               `json:"subjectArn"`
}

// CredentialResponse is one role session of CreateSession's output.
type CredentialResponse struct {
	AssumedRoleUser  AssumedRoleUser `json:"assumedRoleUser"`
	Credentials      Credentials     `json:"credentials"`
	PackedPolicySize *int32          `json:"packedPolicySize,omitempty"`
	RoleArn          string          `json:"roleArn"`
	SourceIdentity   string          `json:"sourceIdentity,omitempty"`
}

// AssumedRoleUser names a role session.
type AssumedRoleUser struct {
	Arn           string `json:"arn"`
	AssumedRoleID string `json:"assumedRoleId"`
}

// Credentials are a session's credentials; Expiration is an ISO 8601
// string, which the signing helper passes on as credential_process's.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      string `json:"expiration"`
}

// CertificatePrincipal is the caller of CreateSession: the holder of a
// certificate whose chain verified to a trust anchor and whose key signed
// the request. Its ARN is the Roles Anywhere subject ARN of the
// certificate's subject under that anchor.
type CertificatePrincipal struct {
	// Account is the trust anchor's account, the one the session is in.
	Account string
	// SubjectArn names the certificate's subject (the anchor and the
	// subject's DN, hashed): the same subject always has the same ARN.
	SubjectArn string
	// TrustAnchorArn is the anchor the chain verified to.
	TrustAnchorArn string
	// Chain is the verified chain (shared, read-only).
	Chain *fx509.Verified
}

// ARN is the subject ARN.
func (p *CertificatePrincipal) ARN() string { return p.SubjectArn }

// AccountID is the account the principal acts in, for the audit
// record's userIdentity.
func (p *CertificatePrincipal) AccountID() string { return p.Account }

// subjectARN derives the subject's ARN: a UUID from SHA-256 of the
// anchor and the subject's DER, so that no store write is needed to name
// it.
func (s *Service) subjectARN(account, anchorID string, rawSubject []byte) string {
	h := sha256.New()
	h.Write([]byte(account + "/" + anchorID + "/"))
	h.Write(rawSubject)
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50 // a name-based UUID
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	id := x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
	return "arn:" + iam.Partition + ":rolesanywhere:" + s.region + ":" + account + ":subject/" + id
}

// Authenticate establishes the caller of a CreateSession request: the
// SigV4-X509 signature, made with the key of the X-Amz-X509 certificate,
// whose chain (with X-Amz-X509-Chain) must verify to the trust anchor the
// request names, enabled, with its enabled CRLs. A refusal is a
// *DeniedError (or a *ValidationError for a malformed certificate
// header); nothing is read from the store when the anchor is cached.
func (s *Service) Authenticate(ctx context.Context, r *http.Request, body []byte, now time.Time) (*CertificatePrincipal, error) {
	sreq := sigv4.FromHTTP(r, body)
	auth, err := sigv4.Parse(&sreq)
	if err != nil {
		return nil, denied(msgNotAuth, "signature: "+err.Error(), err)
	}
	if auth.Algorithm != sigv4.AlgorithmX509RSA && auth.Algorithm != sigv4.AlgorithmX509ECDSA {
		return nil, denied(msgNotAuth, "CreateSession is signed with "+auth.Algorithm+", not SigV4-X509", nil)
	}
	arn := requestAnchorARN(r, body)
	ra, ok := parseARN(arn)
	if !ok || ra.Kind != KindTrustAnchor {
		return nil, &ValidationError{Message: "trustAnchorArn is missing or not a trust anchor ARN"}
	}
	if ra.Region != s.region {
		return nil, denied(msgUntrusted, "trust anchor "+arn+" is not in this region", nil)
	}
	gen := s.cache.anchorGen.Load()
	a, err := s.anchor(ctx, ra.Account, ra.ID)
	if err != nil {
		return nil, err
	}
	if a == nil || !a.Enabled {
		return nil, denied(msgUntrusted, "trust anchor "+arn+" does not exist or is disabled", nil)
	}
	v, err := s.chains.VerifyHeaders(auth.X509, auth.X509Chain, []fx509.Anchor{a.X}, gen, now)
	if err != nil {
		if xe, ok := errors.AsType[*fx509.Error](err); ok && xe.Client() {
			return nil, &ValidationError{Message: xe.Message}
		}
		msg := msgUntrusted
		if xe, ok := errors.AsType[*fx509.Error](err); ok {
			msg = xe.Message
		}
		return nil, denied(msg, "certificate chain: "+err.Error(), err)
	}
	if err := s.signer.VerifyX509(&sreq, auth, v.Leaf, now); err != nil {
		msg := msgNotAuth
		if se, ok := errors.AsType[*sigv4.Error](err); ok {
			msg = se.Message
		}
		return nil, denied(msg, "signature: "+err.Error(), err)
	}
	return &CertificatePrincipal{
		Account: a.Account, TrustAnchorArn: a.X.ARN, Chain: v,
		SubjectArn: s.subjectARN(a.Account, a.X.ID, v.Leaf.RawSubject),
	}, nil
}

// requestAnchorARN is the trustAnchorArn a CreateSession names: in the
// query string, or in the JSON body.
func requestAnchorARN(r *http.Request, body []byte) string {
	if v := r.URL.Query().Get("trustAnchorArn"); v != "" {
		return v
	}
	var b struct {
		TrustAnchorArn string `json:"trustAnchorArn"`
	}
	if len(body) > 0 && json.Unmarshal(body, &b) == nil {
		return b.TrustAnchorArn
	}
	return ""
}

// Instance property bounds (the model's InstancePropertyMap).
const (
	maxInstanceProperties = 50
	maxInstanceProperty   = 200
)

// CreateSession lets the certificate holder p assume the role in, as the
// profile allows: enabled, listing the role (a role of the trust anchor's
// account: the anchor's account cannot hand out another's roles), with
// instance properties when it requires them, a role session name only
// when it accepts one.
// The session's tags are the certificate's attributes by the profile's
// mappings, its source identity the subject's CN, its name the serial in
// hex; the role's trust policy sees aws:SourceArn (the anchor) and
// aws:SourceAccount. The second result is the minted session, for the
// issuance record.
func (s *Service) CreateSession(ctx context.Context, p *CertificatePrincipal, in *CreateSessionInput, facts authz.Facts) (*CreateSessionOutput, *sts.ServiceSession, error) {
	anchorARN, profileARN, roleARN := pick(in.QueryTrustAnchorArn, in.TrustAnchorArn), pick(in.QueryProfileArn, in.ProfileArn), pick(in.QueryRoleArn, in.RoleArn)
	if profileARN == "" || roleARN == "" {
		return nil, nil, invalid("profileArn and roleArn are required")
	}
	if err := checkSessionInput(in); err != nil {
		return nil, nil, err
	}
	if anchorARN != p.TrustAnchorArn {
		return nil, nil, denied(msgUntrusted, "the request names another trust anchor than the one authenticated", nil)
	}
	pa, ok := parseARN(profileARN)
	if !ok || pa.Kind != KindProfile {
		return nil, nil, invalid("profileArn is not a profile ARN")
	}
	if pa.Account != p.Account || pa.Region != s.region {
		return nil, nil, denied(msgProfile, "profile "+profileARN+" is not in the trust anchor's account and region", nil)
	}
	prof, err := s.profile(ctx, pa.Account, pa.ID)
	if err != nil {
		return nil, nil, err
	}
	if prof == nil || !prof.Enabled || !prof.Roles[roleARN] {
		return nil, nil, denied(msgProfile, "profile "+profileARN+" does not exist, is disabled or does not list "+roleARN, nil)
	}
	if iam.ARNAccount(roleARN) != p.Account {
		// A role's trust policy that names only the service principal
		// (as AWS's examples do) would otherwise let any account's trust
		// anchor and profile hand out its sessions.
		return nil, nil, denied(msgProfile, "role "+roleARN+" is not in the trust anchor's account", nil)
	}
	if prof.RequireInstanceProperties && len(in.InstanceProperties) == 0 {
		return nil, nil, denied("The profile requires instance properties.", "profile requires instance properties", nil)
	}
	id := fx509.Attributes(p.Chain.Leaf, prof.Mappings)
	name := id.SessionName
	if in.RoleSessionName != nil {
		if !prof.AcceptRoleSessionName {
			return nil, nil, denied("The profile does not accept a role session name.", "roleSessionName given to a profile that does not accept one", nil)
		}
		name = *in.RoleSessionName
	}
	tags := make([]credential.Tag, len(id.Tags))
	for i, t := range id.Tags {
		tags[i] = credential.Tag{Key: t.Key, Value: t.Value}
	}
	ss, err := s.issue(ctx, &sts.ServiceSessionInput{
		Service: sts.RolesAnywherePrincipal, RoleARN: roleARN, SessionName: name,
		Duration: sessionDuration(in.DurationSeconds, prof.Duration, p.Chain.NotAfter, facts.Now),
		Tags:     tags, SourceIdentity: id.SourceIdentity, Policy: prof.Policy, PolicyARNs: prof.PolicyARNs,
		Context: map[string][]string{"aws:SourceArn": {p.TrustAnchorArn}, "aws:SourceAccount": {p.Account}},
		Facts:   facts,
	})
	if err != nil {
		return nil, nil, err
	}
	c := ss.Credentials
	return &CreateSessionOutput{
		SubjectArn: p.SubjectArn,
		CredentialSet: []CredentialResponse{{
			AssumedRoleUser: AssumedRoleUser{Arn: ss.SessionARN, AssumedRoleID: ss.AssumedRoleID},
			Credentials: Credentials{
				AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
				Expiration: c.Expiration.UTC().Format(time.RFC3339),
			},
			PackedPolicySize: ss.PackedPolicySize, RoleArn: ss.RoleARN, SourceIdentity: id.SourceIdentity,
		}},
	}, ss, nil
}

// issue asks STS for the session and words its refusals as Roles
// Anywhere does: a trust policy that does not allow is AccessDenied, a
// parameter STS refuses is a ValidationException.
func (s *Service) issue(ctx context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error) {
	if s.sessions == nil {
		return nil, denied(msgAssume, "no session issuer configured", nil)
	}
	ss, err := s.sessions.ServiceSession(ctx, in)
	if err == nil {
		return ss, nil
	}
	if e, ok := errors.AsType[*sts.AccessDeniedError](err); ok {
		return nil, denied(msgAssume, "role trust: "+e.Message, err)
	}
	if e, ok := errors.AsType[*sts.ValidationError](err); ok {
		return nil, &ValidationError{Message: e.Message}
	}
	return nil, err
}

func checkSessionInput(in *CreateSessionInput) error {
	if d := in.DurationSeconds; d != nil && (*d < MinDuration || *d > MaxDuration) {
		return invalid("Value at 'durationSeconds' failed to satisfy constraint: Member must be between %d and %d", MinDuration, MaxDuration)
	}
	if len(in.InstanceProperties) > maxInstanceProperties {
		return invalid("Too many instance properties")
	}
	for k, v := range in.InstanceProperties {
		if len(k) < 1 || len(k) > maxInstanceProperty || len(v) < 1 || len(v) > maxInstanceProperty {
			return invalid("Instance property keys and values must have length between 1 and %d", maxInstanceProperty)
		}
	}
	if n := in.RoleSessionName; n != nil && (len(*n) < 2 || len(*n) > 64) {
		return invalid("Value at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64")
	}
	return nil
}

// sessionDuration is the session's length: the duration asked for (the
// profile's when none), at most the profile's, and not past the chain's
// NotAfter (but never under STS's 900 seconds).
func sessionDuration(asked *int32, profile int32, notAfter, now time.Time) time.Duration {
	d := profile
	if asked != nil && *asked < d {
		d = *asked
	}
	dur := time.Duration(d) * time.Second
	if left := notAfter.Sub(now).Truncate(time.Second); left < dur {
		dur = max(left, MinDuration*time.Second)
	}
	return dur
}
