package hosts

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// Store is what the Service needs of the store: store.Store has it.
type Store interface {
	Objects() store.Objects
	Tx(ctx context.Context, fn func(store.Repos) error) error
}

// Profile is an instance profile as enrollment sees it.
type Profile struct {
	// ID is the profile's unique id (AIPA…): a profile deleted and made
	// again under its name has another, and is not the one a host or a
	// join token was bound to.
	Name, ARN, ID string
	// RoleARN is the ARN of the profile's role; "" when it has none.
	RoleARN string
}

// Profiles finds instance profiles.
type Profiles interface {
	// InstanceProfile returns the account's instance profile called
	// name; nil, nil when there is none.
	InstanceProfile(ctx context.Context, account, name string) (*Profile, error)
}

// SessionIssuer mints role sessions for a service principal:
// *sts.Service.
type SessionIssuer interface {
	ServiceSession(ctx context.Context, in *sts.ServiceSessionInput) (*sts.ServiceSession, error)
}

// Config configures a Service. Store, Profiles, Sessions and Region are
// required.
type Config struct {
	Store    Store
	Profiles Profiles
	Sessions SessionIssuer
	// Region is the region of the hosts' instance ARNs; Regions those the
	// SigV4-X509 scope may name (Region when empty).
	Region  string
	Regions []string
	// Rand is the source of tokens and host ids; crypto/rand when nil.
	Rand io.Reader
	// MaxSkew is SigV4-X509's clock skew; sigv4's default when zero.
	MaxSkew time.Duration
	// Parked, when set, is called with the request's context when a
	// WaitHostChange request starts waiting, and the function it returns
	// when it stops: the node counts a parked long poll neither among the
	// requests the audit trail's group commit waits for nor among the
	// server's requests in flight (server.Park).
	Parked func(ctx context.Context) (unparked func())
}

// Service enrolls hosts and issues their sessions.
type Service struct {
	st       Store
	profiles Profiles
	sessions SessionIssuer
	region   string
	rnd      io.Reader
	signer   *sigv4.Verifier
	watch    watchers
	parked   func(context.Context) func()
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Profiles == nil || cfg.Sessions == nil || cfg.Region == "" {
		return nil, errors.New("hosts: Config needs Store, Profiles, Sessions and Region")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if len(cfg.Regions) == 0 {
		cfg.Regions = []string{cfg.Region}
	}
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: cfg.Regions, Services: []string{sigv4.ServiceBrevet}, MaxSkew: cfg.MaxSkew})
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	s := &Service{st: cfg.Store, profiles: cfg.Profiles, sessions: cfg.Sessions, region: cfg.Region, rnd: cfg.Rand, signer: v, parked: cfg.Parked}
	if s.parked == nil {
		s.parked = func(context.Context) func() { return func() {} }
	}
	s.watch.init()
	return s, nil
}

// boundTo reports whether p is the profile of unique id id (a host or
// token stored before ids were recorded has none, and takes the profile
// of its name).
func boundTo(p *Profile, id string) bool { return p != nil && (id == "" || p.ID == id) }

// hostProfile returns h's instance profile, or nil when it is gone
// (deleted, or deleted and made again under its name).
func (s *Service) hostProfile(ctx context.Context, h *Host) (*Profile, error) {
	p, err := s.profiles.InstanceProfile(ctx, h.Account, h.Profile)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	if !boundTo(p, h.ProfileID) {
		return nil, nil
	}
	return p, nil
}

// Region is the region of the hosts' ARNs.
func (s *Service) Region() string { return s.region }

// profile returns the account's profile called name, or a *NotFoundError.
func (s *Service) profile(ctx context.Context, account, name string) (*Profile, error) {
	p, err := s.profiles.InstanceProfile(ctx, account, name)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	if p == nil {
		return nil, &NotFoundError{Message: "Instance Profile " + name + " cannot be found."}
	}
	return p, nil
}

// ProfileARN returns the ARN of the account's instance profile called
// name (the resource CreateJoinToken and a signed EnrollHost are
// authorized on), or a *NotFoundError.
func (s *Service) ProfileARN(ctx context.Context, account, name string) (string, error) {
	p, err := s.profile(ctx, account, name)
	if err != nil {
		return "", err
	}
	return p.ARN, nil
}

// CreateJoinToken makes a single-use join token for the account's
// instance profile called profile, valid for ttl (MinTokenTTL to
// MaxTokenTTL; DefaultTokenTTL when zero). It returns the token, which is
// not kept: only its SHA-256 is stored. The account's expired tokens are
// deleted on the way.
func (s *Service) CreateJoinToken(ctx context.Context, account, profile string, ttl time.Duration, by string, now time.Time) (string, *JoinToken, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < MinTokenTTL || ttl > MaxTokenTTL {
		return "", nil, &InvalidError{Message: "TtlSeconds must be between 60 and 86400."}
	}
	p, err := s.profile(ctx, account, profile)
	if err != nil {
		return "", nil, err
	}
	if err := s.pruneTokens(ctx, account, now); err != nil {
		return "", nil, err
	}
	var b [32]byte
	if _, err := io.ReadFull(s.rnd, b[:]); err != nil {
		return "", nil, fmt.Errorf("hosts: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	jt := &JoinToken{Version: 1, ID: TokenID(token), Account: account, Profile: p.Name, ProfileARN: p.ARN, ProfileID: p.ID,
		Expires: now.Add(ttl).Truncate(time.Second), CreatedBy: by, Created: now}
	body, err := json.Marshal(jt)
	if err != nil {
		return "", nil, err
	}
	if err := s.st.Objects().Create(ctx, store.Object{Account: account, Kind: KindJoinToken, ID: jt.ID, Body: body, Created: now, Updated: now}); err != nil {
		return "", nil, fmt.Errorf("hosts: %w", err)
	}
	return token, jt, nil
}

// pruneTokens deletes the account's expired join tokens, so that tokens
// never used do not pile up in the store: the account keeps at most those
// made within MaxTokenTTL.
func (s *Service) pruneTokens(ctx context.Context, account string, now time.Time) error {
	objs, err := s.st.Objects().List(ctx, account, KindJoinToken, "", 0)
	if err != nil {
		return fmt.Errorf("hosts: %w", err)
	}
	for _, o := range objs {
		var jt JoinToken
		if decode(o.Body, &jt) != nil || now.Before(jt.Expires) {
			continue
		}
		if err := s.st.Objects().Delete(ctx, account, KindJoinToken, o.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("hosts: %w", err)
		}
	}
	return nil
}

// Enrollment is an enrolled host and what it is bound to.
type Enrollment struct {
	Host                *Host
	ProfileARN, RoleARN string
}

// EnrollInput is an EnrollHost request.
type EnrollInput struct {
	// CertificatePEM is the host's self-signed certificate (ECDSA P-256).
	CertificatePEM string
	Hostname       string
	// Either JoinToken, or Account and Profile with EnrolledBy, the ARN of
	// the session that signed the request (authorized by the caller).
	// Profile may also be given with JoinToken: it must be the token's.
	JoinToken  string
	Account    string
	Profile    string
	EnrolledBy string
}

// Enroll binds a new host to an instance profile and pins its
// certificate. With a join token, the token is consumed in the same
// store transaction as the host is created: of two enrollments with one
// token, one wins and the other is a *DeniedError. A token that is
// unknown, used, expired or for another profile than in.Profile is a
// *DeniedError, all told apart only in the error's Reason.
func (s *Service) Enroll(ctx context.Context, in *EnrollInput, now time.Time) (*Enrollment, error) {
	// The token first: a caller without a valid one learns nothing of
	// the certificate (whether it is enrolled) and costs no parsing.
	var jt *JoinToken
	var err error
	if in.JoinToken != "" {
		if jt, err = s.joinToken(ctx, in.JoinToken, in.Profile, now); err != nil {
			return nil, err
		}
		in.Account, in.Profile = jt.Account, jt.Profile
	} else if in.Account == "" || in.Profile == "" {
		return nil, &InvalidError{Message: "EnrollHost needs a JoinToken, or InstanceProfileName in a signed request."}
	}
	if !validHostname(in.Hostname) {
		return nil, &InvalidError{Message: "Hostname must be at most 255 letters, digits, '.', '-' and '_'."}
	}
	cert, err := parseHostCertificate(in.CertificatePEM, now)
	if err != nil {
		return nil, err
	}
	// The key index is per account: refuse a certificate another account
	// pinned, or neither host could be told apart by its key.
	if taken, err := s.st.Objects().Find(ctx, KindHostKey, fingerprint(cert)); err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	} else if len(taken) > 0 {
		return nil, &InvalidError{Message: "A host with this certificate is already enrolled."}
	}
	p, err := s.profile(ctx, in.Account, in.Profile)
	if jt != nil && (err != nil || !boundTo(p, jt.ProfileID)) {
		return nil, &DeniedError{Message: msgTokenDenied, Reason: "the token's instance profile is gone"}
	}
	if err != nil {
		return nil, err
	}
	h := &Host{Version: 1, Account: in.Account, Profile: p.Name, ProfileID: p.ID, Fingerprint: fingerprint(cert), NotAfter: cert.NotAfter,
		Hostname: in.Hostname, EnrolledBy: in.EnrolledBy, Created: now}
	if h.ID, err = s.newHostID(); err != nil {
		return nil, err
	}
	if p.RoleARN != "" {
		h.Roles = []string{p.RoleARN}
	}
	if jt != nil {
		h.JoinTokenID = jt.ID
	}
	if err := s.st.Tx(ctx, func(r store.Repos) error { return createHost(ctx, r.Objects(), h, jt, now) }); err != nil {
		return nil, err
	}
	return &Enrollment{Host: h, ProfileARN: p.ARN, RoleARN: p.RoleARN}, nil
}

// createHost consumes jt (when not nil) and writes h and its key's index.
func createHost(ctx context.Context, o store.Objects, h *Host, jt *JoinToken, now time.Time) error {
	if jt != nil {
		err := o.Delete(ctx, jt.Account, KindJoinToken, jt.ID)
		if errors.Is(err, store.ErrNotFound) {
			return &DeniedError{Message: msgTokenDenied, Reason: "the token was used"}
		}
		if err != nil {
			return fmt.Errorf("hosts: %w", err)
		}
	}
	key, _ := json.Marshal(hostKey{Account: h.Account, HostID: h.ID})
	err := o.Create(ctx, store.Object{Account: h.Account, Kind: KindHostKey, ID: h.Fingerprint, Body: key, Created: now, Updated: now})
	if errors.Is(err, store.ErrConflict) {
		return &InvalidError{Message: "A host with this certificate is already enrolled."}
	}
	if err != nil {
		return fmt.Errorf("hosts: %w", err)
	}
	body, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := o.Create(ctx, store.Object{Account: h.Account, Kind: KindHost, ID: h.ID, Body: body, Created: now, Updated: now}); err != nil {
		return fmt.Errorf("hosts: %w", err)
	}
	return nil
}

// hostKey is the body of a KindHostKey object.
type hostKey struct {
	Account string `json:"account"`
	HostID  string `json:"hostId"`
}

// joinToken finds the live token token, for profile when it is set.
func (s *Service) joinToken(ctx context.Context, token, profile string, now time.Time) (*JoinToken, error) {
	if !validToken(token) {
		return nil, &DeniedError{Message: msgTokenDenied, Reason: "not a join token"}
	}
	id := TokenID(token)
	objs, err := s.st.Objects().Find(ctx, KindJoinToken, id)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	if len(objs) != 1 {
		return nil, &DeniedError{Message: msgTokenDenied, Reason: "unknown or used token"}
	}
	var jt JoinToken
	if err := decode(objs[0].Body, &jt); err != nil {
		return nil, err
	}
	jt.ID, jt.Account, jt.Created = id, objs[0].Account, objs[0].Created
	switch {
	case !now.Before(jt.Expires):
		return nil, &DeniedError{Message: msgTokenDenied, Reason: "the token expired"}
	case profile != "" && profile != jt.Profile:
		return nil, &DeniedError{Message: msgTokenDenied, Reason: "the token is for another instance profile"}
	}
	return &jt, nil
}

func (s *Service) newHostID() (string, error) {
	var b [9]byte
	if _, err := io.ReadFull(s.rnd, b[:]); err != nil {
		return "", fmt.Errorf("hosts: %w", err)
	}
	return "i-" + hex.EncodeToString(b[:])[:17], nil
}

// maxCertificatePEM bounds HostCertificate.
const maxCertificatePEM = 8 << 10

// parseHostCertificate decodes a host's certificate: one PEM
// CERTIFICATE, an ECDSA P-256 key, self-signed (which proves the host
// holds the key), valid at now.
func parseHostCertificate(s string, now time.Time) (*x509.Certificate, error) {
	if len(s) > maxCertificatePEM {
		return nil, &InvalidError{Message: "HostCertificate is too long."}
	}
	blk, rest := pem.Decode([]byte(s))
	if blk == nil || blk.Type != "CERTIFICATE" || len(bytes.TrimLeft(rest, "\n\r \t")) != 0 {
		return nil, &InvalidError{Message: "HostCertificate must be one PEM CERTIFICATE."}
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, &InvalidError{Message: "HostCertificate is not a valid X.509 certificate."}
	}
	k, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, &InvalidError{Message: "HostCertificate must have an ECDSA P-256 key."}
	}
	if cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature) != nil {
		return nil, &InvalidError{Message: "HostCertificate must be self-signed by its key."}
	}
	if now.Before(cert.NotBefore.Add(-5*time.Minute)) || !now.Before(cert.NotAfter) {
		return nil, &InvalidError{Message: "HostCertificate is not valid now."}
	}
	return cert, nil
}

func fingerprint(cert *x509.Certificate) string { return fingerprintDER(cert.Raw) }

// fingerprintDER is the hex SHA-256 of a DER certificate.
func fingerprintDER(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// List returns the account's hosts, deregistered ones included.
func (s *Service) List(ctx context.Context, account string) ([]Host, error) {
	objs, err := s.st.Objects().List(ctx, account, KindHost, "", 0)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	out := make([]Host, len(objs))
	for i, o := range objs {
		h, err := hostOf(o)
		if err != nil {
			return nil, err
		}
		out[i] = *h
	}
	return out, nil
}

// Host returns the account's host id, or a *NotFoundError.
func (s *Service) Host(ctx context.Context, account, id string) (*Host, error) {
	if !validHostID(id) {
		return nil, &InvalidError{Message: "HostId must be i- and 17 hexadecimal digits."}
	}
	o, err := s.st.Objects().Get(ctx, account, KindHost, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &NotFoundError{Message: "Host " + id + " cannot be found."}
	}
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	return hostOf(o)
}

// hostOf decodes a KindHost object.
func hostOf(o store.Object) (*Host, error) {
	var h Host
	if err := decode(o.Body, &h); err != nil {
		return nil, err
	}
	h.Account, h.ID, h.Created = o.Account, o.ID, o.Created
	return &h, nil
}

// Deregister marks the account's host id deregistered at now: it never
// obtains credentials again. It returns the host, whose sessions the
// caller revokes (SessionARNs). A host deregistered already is returned
// as it is.
func (s *Service) Deregister(ctx context.Context, account, id string, now time.Time) (*Host, error) {
	if !validHostID(id) {
		return nil, &InvalidError{Message: "HostId must be i- and 17 hexadecimal digits."}
	}
	return s.update(ctx, account, id, now, func(h *Host) bool {
		if !h.Deregistered.IsZero() {
			return false
		}
		h.Deregistered = now
		return true
	})
}

// SessionARNs are the ARNs of the role sessions h obtained (one per
// role in h.Roles): revoking them revokes every session of the host.
func SessionARNs(h *Host) []string {
	out := make([]string, len(h.Roles))
	for i, r := range h.Roles {
		out[i] = iam.AssumedRoleARN(h.Account, roleName(r), h.ID)
	}
	return out
}

// update changes the account's host id with change in one transaction
// (so a deregistration and a role recorded for a session never undo each
// other) and writes it when change reports a change.
func (s *Service) update(ctx context.Context, account, id string, now time.Time, change func(*Host) bool) (*Host, error) {
	var out *Host
	err := s.st.Tx(ctx, func(r store.Repos) error {
		o, err := r.Objects().Get(ctx, account, KindHost, id)
		if errors.Is(err, store.ErrNotFound) {
			return &NotFoundError{Message: "Host " + id + " cannot be found."}
		}
		if err != nil {
			return fmt.Errorf("hosts: %w", err)
		}
		h, err := hostOf(o)
		if err != nil {
			return err
		}
		out = h
		if !change(h) {
			return nil
		}
		body, err := json.Marshal(h)
		if err != nil {
			return err
		}
		if err := r.Objects().Update(ctx, store.Object{Account: account, Kind: KindHost, ID: id, Body: body, Updated: now}); err != nil {
			return fmt.Errorf("hosts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
