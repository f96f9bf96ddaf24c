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
// and GetFederationToken: 36 hours). An entry whose covered credentials are
// not all known from the issuance records lives this long.
const MaxLifetime = 36 * time.Hour

// maxChain bounds the walk down a chain of derived credentials.
const maxChain = 16

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

// Revoke writes the entries for req at now and returns them: the target,
// and one key entry per credential derived from what it covers (found in
// the issuance records), so that chains of any depth die together.
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
	var (
		first   store.Revocation
		covered []store.SessionRecord
		err     error
	)
	base := store.Revocation{Account: req.Account, Created: now, CreatedBy: req.By}
	if req.AccessKeyID != "" {
		first, covered, err = s.keyTarget(ctx, base, req.AccessKeyID, now)
	} else {
		first, covered, err = s.principalTarget(ctx, base, req, now)
	}
	if err != nil {
		return nil, err
	}
	derived, err := s.descendants(ctx, covered, now)
	if err != nil {
		return nil, err
	}
	out := []store.Revocation{first}
	for _, d := range derived {
		e := base
		e.Kind, e.Target, e.ExpiresAt = store.RevokeKey, d.AccessKeyID, d.Expires
		out = append(out, e)
	}
	for i := range out {
		if out[i], err = s.repos.Revocations().Add(ctx, out[i]); err != nil {
			return nil, fmt.Errorf("revocation: %w", err)
		}
	}
	return out, nil
}

// keyTarget is the entry for one access key: a temporary one must be in
// the issuance records of the caller's account, a long-term one in its
// keys. Several records may share a temporary id (store.Sessions): the
// entry covers every credential bearing it, so it lasts until the last of
// them expires, and all of them have descendants.
func (s *Service) keyTarget(ctx context.Context, base store.Revocation, id string, now time.Time) (store.Revocation, []store.SessionRecord, error) {
	e := base
	e.Kind, e.Target = store.RevokeKey, id
	if strings.HasPrefix(id, "ASIA") {
		recs, err := s.repos.Sessions().List(ctx, store.SessionFilter{Account: base.Account, AccessKeyID: id})
		if err != nil {
			return e, nil, fmt.Errorf("revocation: %w", err)
		}
		if len(recs) == 0 {
			return e, nil, &NotFoundError{AccessKeyID: id}
		}
		for _, r := range recs {
			if r.Expires.After(e.ExpiresAt) {
				e.ExpiresAt = r.Expires
			}
		}
		return e, recs, nil
	}
	k, err := s.repos.AccessKeys().Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.Account != base.Account) {
		return e, nil, &NotFoundError{AccessKeyID: id}
	}
	if err != nil {
		return e, nil, fmt.Errorf("revocation: %w", err)
	}
	// Every session rooted in the key carries it as its root: one entry
	// covers them all, for as long as any of them may live.
	e.ExpiresAt = now.Add(MaxLifetime)
	return e, nil, nil
}

// principalTarget is the entry for a principal's sessions issued before a
// time; the covered sessions found in the records have descendants too.
func (s *Service) principalTarget(ctx context.Context, base store.Revocation, req Request, now time.Time) (store.Revocation, []store.SessionRecord, error) {
	before := req.IssuedBefore
	if before.IsZero() || before.After(now) {
		before = now
	}
	e := base
	e.Kind, e.Target, e.NotBefore = store.RevokePrincipal, req.Principal, before
	// Nothing issued before the cut-off outlives it by more than this.
	e.ExpiresAt = before.Add(MaxLifetime)
	recs, err := s.repos.Sessions().List(ctx, store.SessionFilter{
		Account: base.Account, PrincipalARN: req.Principal, IssuedBefore: before, ActiveAt: now,
	})
	if err != nil {
		return e, nil, fmt.Errorf("revocation: %w", err)
	}
	return e, recs, nil
}

// descendants walks the issuance records down from roots: every live
// credential whose parent is one of them, and so on. It returns one record
// per access key id; of records sharing one, with the latest Expires, so
// that the entry written for the id outlives every credential bearing it.
func (s *Service) descendants(ctx context.Context, roots []store.SessionRecord, now time.Time) ([]store.SessionRecord, error) {
	var out []store.SessionRecord
	at := map[string]int{} // access key id → its record in out, -1 for a root
	frontier := make([]string, 0, len(roots))
	for _, r := range roots {
		if _, ok := at[r.AccessKeyID]; !ok {
			at[r.AccessKeyID] = -1
			frontier = append(frontier, r.AccessKeyID)
		}
	}
	for depth := 0; len(frontier) > 0 && depth < maxChain; depth++ {
		recs, err := s.repos.Sessions().List(ctx, store.SessionFilter{Parents: frontier, ActiveAt: now})
		if err != nil {
			return nil, fmt.Errorf("revocation: %w", err)
		}
		frontier = frontier[:0]
		for _, r := range recs {
			i, ok := at[r.AccessKeyID]
			switch {
			case !ok:
				at[r.AccessKeyID] = len(out)
				out = append(out, r)
				frontier = append(frontier, r.AccessKeyID)
			case i >= 0 && r.Expires.After(out[i].Expires):
				out[i].Expires = r.Expires
			}
		}
	}
	return out, nil
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
