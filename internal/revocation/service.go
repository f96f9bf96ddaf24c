package revocation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// MaxLifetime is the longest any temporary credential lives (GetSessionToken
// and GetFederationToken: 36 hours). Every entry lives this long from its
// creation: no credential alive then outlives it, and none can be made from
// a covered credential while the entry stands, so the entry reaches every
// credential it covers, however deep in a chain.
const MaxLifetime = 36 * time.Hour

// Repos is what the Service needs of the store: store.Repos has it.
type Repos interface {
	Sessions() store.Sessions
	Revocations() store.Revocations
	AccessKeys() store.AccessKeys
}

// NotFoundError says the credential to revoke is unknown in the caller's
// account.
type NotFoundError struct{ AccessKeyID string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no credential with access key id %s in this account", e.AccessKeyID)
}

// InvalidError says a revocation request is malformed.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return e.Reason }

// Service writes revocations and lists sessions.
type Service struct {
	repos Repos
}

// NewService returns a Service over repos.
func NewService(repos Repos) *Service { return &Service{repos: repos} }

// Request is one revocation: either AccessKeyID, or Principal with
// IssuedBefore (zero = now).
type Request struct {
	Account      string // the caller's account: nothing outside it is revoked
	AccessKeyID  string
	Principal    string
	IssuedBefore time.Time
	By           string // the caller's ARN
}

// Revoke writes the entry for req at now and returns it. One entry is
// enough whatever the chains below the target: every session token carries
// its lineage (credential.Claims.Lineage), so List.Revoked reaches the
// sessions made from a revoked one, at any depth, from the token alone.
// The issuance records are read only to find a temporary key in the
// caller's account.
func (s *Service) Revoke(ctx context.Context, req Request, now time.Time) ([]store.Revocation, error) {
	switch {
	case (req.AccessKeyID == "") == (req.Principal == ""):
		return nil, &InvalidError{Reason: "give exactly one of an access key id or a principal ARN"}
	case req.AccessKeyID != "" && !req.IssuedBefore.IsZero():
		return nil, &InvalidError{Reason: "IssuedBefore applies to a principal only"}
	case req.Principal != "" && !strings.HasPrefix(req.Principal, "arn:"):
		return nil, &InvalidError{Reason: "the principal must be an ARN"}
	case req.Principal != "" && iam.ARNAccount(req.Principal) != req.Account:
		return nil, &InvalidError{Reason: "the principal must be in the caller's account"}
	}
	// A credential alive now expires by now+MaxLifetime, and nothing is
	// made from a covered one while the entry stands.
	e := store.Revocation{Account: req.Account, Created: now, CreatedBy: req.By, ExpiresAt: now.Add(MaxLifetime)}
	if req.AccessKeyID != "" {
		if err := s.checkKey(ctx, req.Account, req.AccessKeyID); err != nil {
			return nil, err
		}
		e.Kind, e.Target = store.RevokeKey, req.AccessKeyID
	} else {
		e.Kind, e.Target, e.NotBefore = store.RevokePrincipal, req.Principal, req.IssuedBefore
		if e.NotBefore.IsZero() || e.NotBefore.After(now) {
			e.NotBefore = now
		}
	}
	e, err := s.repos.Revocations().Add(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("revocation: %w", err)
	}
	return []store.Revocation{e}, nil
}

// checkKey returns a *NotFoundError unless id is a key of account: a
// temporary one in the issuance records of the account (several records
// may share an id, store.Sessions; the entry covers them all), a long-term
// one in its keys.
func (s *Service) checkKey(ctx context.Context, account, id string) error {
	if strings.HasPrefix(id, "ASIA") {
		recs, err := s.repos.Sessions().List(ctx, store.SessionFilter{Account: account, AccessKeyID: id, Limit: 1})
		if err != nil {
			return fmt.Errorf("revocation: %w", err)
		}
		if len(recs) == 0 {
			return &NotFoundError{AccessKeyID: id}
		}
		return nil
	}
	k, err := s.repos.AccessKeys().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.Account != account) {
		return &NotFoundError{AccessKeyID: id}
	}
	if err != nil {
		return fmt.Errorf("revocation: %w", err)
	}
	return nil
}

// Sessions lists the account's issuance records, of one principal when
// principal is set, only those live at now when active.
func (s *Service) Sessions(ctx context.Context, account, principal string, active bool, now time.Time, limit int) ([]store.SessionRecord, error) {
	f := store.SessionFilter{Account: account, PrincipalARN: principal, Limit: limit}
	if active {
		f.ActiveAt = now
	}
	return s.repos.Sessions().List(ctx, f)
}
