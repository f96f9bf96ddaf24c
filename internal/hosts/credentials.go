package hosts

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/sts"
)

// EC2Principal is the service principal a host's sessions are issued
// for, as an EC2 instance's: the role's trust policy must allow it
// sts:AssumeRole, and nothing more, so that an EC2 instance role's trust
// policy serves as it is. (The session name is the host id, so the
// session ARN and aws:userid name the host; a trust policy that also
// allows sts:SetSourceIdentity makes it the source identity too.)
const EC2Principal = "ec2.amazonaws.com"

// DefaultSessionDuration is a host session's length.
const DefaultSessionDuration = time.Hour

// maxX509Header bounds X-Amz-X509 (base64 DER).
const maxX509Header = 8 << 10

// HostPrincipal is the caller of GetHostCredentials and WaitHostChange:
// an enrolled host, proved by a SigV4-X509 signature with the key of the
// certificate it pinned. The host may be deregistered: each action
// decides.
type HostPrincipal struct {
	Host *Host
	// InstanceARN is the host's ARN (arn:aws:ec2:REGION:ACCOUNT:instance/ID).
	InstanceARN string
}

// ARN is the host's instance ARN.
func (p *HostPrincipal) ARN() string { return p.InstanceARN }

// AccountID is the host's account, for the audit record.
func (p *HostPrincipal) AccountID() string { return p.Host.Account }

// Authenticate establishes the host that signed r: SigV4-X509 (scope
// service "brevet") with the key of the X-Amz-X509 certificate, whose
// SHA-256 an enrolled host pinned. No chain is verified: the pin is the
// trust. A refusal is a *DeniedError.
func (s *Service) Authenticate(ctx context.Context, r *http.Request, body []byte, now time.Time) (*HostPrincipal, error) {
	sreq := sigv4.FromHTTP(r, body)
	a, err := sigv4.Parse(&sreq)
	if err != nil {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "signature: " + err.Error()}
	}
	if a.Algorithm != sigv4.AlgorithmX509ECDSA {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "signed with " + a.Algorithm + ", not AWS4-X509-ECDSA-SHA256"}
	}
	if len(a.X509) > maxX509Header {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "X-Amz-X509 too long"}
	}
	der, err := base64.StdEncoding.DecodeString(a.X509)
	if err != nil {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "X-Amz-X509 is not base64"}
	}
	h, err := s.hostByKey(ctx, der)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "X-Amz-X509 does not parse"}
	}
	if err := s.signer.VerifyX509(&sreq, a, cert, now); err != nil {
		msg := msgNotEnrolled
		if se, ok := errors.AsType[*sigv4.Error](err); ok {
			msg = se.Message
		}
		return nil, &DeniedError{Message: msg, Reason: "signature: " + err.Error()}
	}
	if !now.Before(cert.NotAfter) {
		return nil, &DeniedError{Message: "The host's certificate has expired: enroll again.", Reason: "certificate expired"}
	}
	return &HostPrincipal{Host: h, InstanceARN: InstanceARN(s.region, h.Account, h.ID)}, nil
}

// hostByKey returns the host that pinned the certificate der.
func (s *Service) hostByKey(ctx context.Context, der []byte) (*Host, error) {
	fp := fingerprintDER(der)
	objs, err := s.st.Objects().Find(ctx, KindHostKey, fp)
	if err != nil {
		return nil, fmt.Errorf("hosts: %w", err)
	}
	if len(objs) != 1 {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "no host pinned this certificate"}
	}
	var k hostKey
	if err := decode(objs[0].Body, &k); err != nil {
		return nil, err
	}
	h, err := s.Host(ctx, k.Account, k.HostID)
	if _, ok := errors.AsType[*NotFoundError](err); ok {
		return nil, &DeniedError{Message: msgNotEnrolled, Reason: "the pinned host is gone"}
	}
	return h, err
}

// HostSession is a session a host obtained.
type HostSession struct {
	*sts.ServiceSession
	ProfileARN string
}

// Credentials issues a session of the role of p's instance profile, as
// EC2 does for an instance: service principal EC2Principal, session name
// the host id, its source identity the host id too when the role's trust
// policy allows sts:SetSourceIdentity (it then follows the session into
// every role chained from it, a workload's included), and for the trust
// evaluation the keys ec2:SourceInstanceARN (the host's ARN) and
// aws:SourceAccount. ec2:SourceInstanceARN is also in the context of every
// request made with the session (sts.ServiceSessionInput.SessionContext),
// as EC2 makes it for an instance role's credentials, so that the role's
// policies and resource policies can tell the hosts apart; it does not
// follow the session into roles chained from it. A
// deregistered host, or one whose profile is gone or has no role, is a
// *DeniedError; a role whose trust policy does not allow it is sts's
// *AccessDeniedError.
func (s *Service) Credentials(ctx context.Context, p *HostPrincipal, f authz.Facts) (*HostSession, error) {
	h := p.Host
	if !h.Deregistered.IsZero() {
		return nil, &DeniedError{Message: "The host is deregistered.", Reason: "deregistered"}
	}
	prof, err := s.hostProfile(ctx, h)
	if err != nil {
		return nil, err
	}
	if prof == nil || prof.RoleARN == "" {
		return nil, &DeniedError{Message: "The host's instance profile has no role.", Reason: "no role"}
	}
	if !slices.Contains(h.Roles, prof.RoleARN) {
		// Recorded before the session is issued, so that a
		// deregistration always revokes it.
		if _, err := s.update(ctx, h.Account, h.ID, f.Now, func(h *Host) bool {
			if slices.Contains(h.Roles, prof.RoleARN) {
				return false
			}
			h.Roles = append(h.Roles, prof.RoleARN)
			return true
		}); err != nil {
			return nil, err
		}
	}
	in := &sts.ServiceSessionInput{
		Service: EC2Principal, RoleARN: prof.RoleARN, SessionName: h.ID, SourceIdentity: h.ID,
		Duration: DefaultSessionDuration, Facts: f,
		Context:        map[string][]string{"ec2:SourceInstanceARN": {p.InstanceARN}, "aws:SourceAccount": {h.Account}},
		SessionContext: map[string]string{"ec2:SourceInstanceARN": p.InstanceARN},
	}
	ss, err := s.sessions.ServiceSession(ctx, in)
	if _, denied := errors.AsType[*sts.AccessDeniedError](err); denied {
		// The trust policy does not allow sts:SetSourceIdentity (EC2's
		// usual trust policy allows sts:AssumeRole alone): the session
		// is issued without the host id as its source identity, as EC2
		// issues it; a trust policy that refuses the session altogether
		// refuses this second try too.
		in.SourceIdentity = ""
		ss, err = s.sessions.ServiceSession(ctx, in)
	}
	if err != nil {
		return nil, err
	}
	return &HostSession{ServiceSession: ss, ProfileARN: prof.ARN}, nil
}

// State is a host's state as WaitHostChange reports it.
type State struct {
	// Generation changes whenever Status or the role the host's sessions
	// are of changes; it is the same on every node.
	Generation int64
	Status     Status
}

// State returns the current state of the host h (read again from the
// store).
func (s *Service) State(ctx context.Context, account, id string) (State, error) {
	h, err := s.Host(ctx, account, id)
	if err != nil {
		return State{}, err
	}
	st, role := StatusDeregistered, ""
	if h.Deregistered.IsZero() {
		p, err := s.hostProfile(ctx, h)
		if err != nil {
			return State{}, err
		}
		st = StatusNoRole
		if p != nil && p.RoleARN != "" {
			st, role = StatusActive, p.RoleARN
		}
	}
	g := fnv.New64a()
	g.Write([]byte(string(st) + "\x00" + role))
	return State{Generation: int64(g.Sum64() >> 11), Status: st}, nil // 53 bits: exact in every JSON parser
}

// Wait returns the host's state once its Generation is not gen, or when
// timeout passes, or ctx ends, whichever comes first. It wakes when Apply
// sees a change of a host, an instance profile or a role of account. A
// host with MaxWaitsPerHost waits already is refused with a
// *ThrottledError.
func (s *Service) Wait(ctx context.Context, account, id string, gen int64, timeout time.Duration) (State, error) {
	key := account + "/" + id
	if !s.watch.enter(key) {
		return State{}, &ThrottledError{Message: "The host has too many WaitHostChange requests waiting."}
	}
	defer s.watch.leave(key)
	t := time.NewTimer(timeout)
	defer t.Stop()
	defer s.parked(ctx)()
	for {
		woken := s.watch.next(account) // before reading: no change is missed
		st, err := s.State(ctx, account, id)
		if err != nil || st.Generation != gen {
			return st, err
		}
		select {
		case <-woken:
		case <-t.C:
			return st, nil
		case <-ctx.Done():
			return st, nil
		case <-s.watch.stop:
			return st, nil
		}
	}
}
