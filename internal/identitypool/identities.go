package identitypool

// Identities: GetId, authenticate (GetCredentialsForIdentity's and
// GetOpenIdToken's check of the logins), UnlinkIdentity and the
// administrative actions on identities. The store layer is
// identities_store.go, the logins' verification logins.go.

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// Authenticated is an identity whose request's logins were verified.
type Authenticated struct {
	Account  string
	Pool     *Pool
	Identity *Identity
	// Logins are the request's verified logins, sorted by provider; none
	// for a guest.
	Logins []LoginProof
	// changed is set when authenticating linked new logins to the
	// identity (or merged identities): it wrote to the store.
	changed bool
}

// Guest reports whether the request came with no login.
func (a *Authenticated) Guest() bool { return len(a.Logins) == 0 }

// loginsOf are the logins proofs link: all but a developer token, which
// proves an identity (developerIdentity) instead.
func loginsOf(proofs []LoginProof) []Login {
	var ls []Login
	for i := range proofs {
		if proofs[i].Developer == nil {
			ls = append(ls, proofs[i].Login())
		}
	}
	return ls
}

// developerIdentity is the identity a developer token among proofs was
// minted for; "" when there is none.
func developerIdentity(proofs []LoginProof) string {
	for i := range proofs {
		if proofs[i].Developer != nil {
			return proofs[i].Subject
		}
	}
	return ""
}

// GetId returns the identity of the logins in the pool, made when they
// are new; a guest (no logins) gets a new identity each time, as on AWS.
func (s *Service) GetId(ctx context.Context, in *GetIdInput, x *request.Exchange) (*IdentityIDOutput, error) {
	account, p, err := s.findPool(ctx, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	if in.AccountId != "" && in.AccountId != account {
		return nil, notFound("IdentityPool '%s' not found.", in.IdentityPoolId)
	}
	received(x, account)
	now := x.Start
	if len(in.Logins) == 0 {
		if !p.AllowUnauthenticatedIdentities {
			return nil, notAuthorized(msgNoGuests, "guest GetId on a pool without guests", nil)
		}
		if err := s.guests.take(p.IdentityPoolId, x.SourceIP, now); err != nil {
			return nil, err
		}
		si, err := s.createIdentity(ctx, account, p.IdentityPoolId, nil, now)
		if err != nil {
			return nil, err
		}
		return &IdentityIDOutput{IdentityId: si.IdentityId}, nil
	}
	proofs, err := s.verifyLogins(ctx, account, p, in.Logins, now)
	if err != nil {
		return nil, err
	}
	var have []string
	if id := developerIdentity(proofs); id != "" {
		have = append(have, id)
	}
	si, read, err := s.resolveRead(ctx, account, p.IdentityPoolId, p.DeveloperProviderName, loginsOf(proofs), have, now, nil)
	if err != nil {
		return nil, err
	}
	if read {
		// A returning identity: no cache needs syncing after it.
		x.Unchanged()
	}
	return &IdentityIDOutput{IdentityId: si.IdentityId}, nil
}

// authenticate is what GetCredentialsForIdentity and GetOpenIdToken know
// of the identity id once its logins are checked: the identity (logins
// linked, merged where a login belonged to another identity), its pool
// and account, and the verified logins (none for a guest). It refuses an
// identity with linked logins called without one of them
// (NotAuthorizedException), and a guest of a pool that no longer allows
// guests. A returning identity costs reads only.
func (s *Service) authenticate(ctx context.Context, id string, logins map[string]string, x *request.Exchange) (*Authenticated, error) {
	if !validIdentityID(id) {
		return nil, invalid("1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+")
	}
	si, err := s.findIdentity(ctx, id)
	if err != nil {
		return nil, err
	}
	if si == nil {
		return nil, identityNotFound(id)
	}
	received(x, si.Account)
	p, err := s.pool(ctx, si.Account, si.IdentityPoolId)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Code == CodeNotFound {
			return nil, identityNotFound(id)
		}
		return nil, err
	}
	now := x.Start
	if len(logins) == 0 {
		if len(si.Logins) > 0 {
			return nil, notAuthorized(msgLoginsDontMatch, "no login for an identity with linked logins", nil)
		}
		if !p.AllowUnauthenticatedIdentities {
			return nil, notAuthorized(msgNoGuests, "guest of a pool without guests", nil)
		}
		return &Authenticated{Account: si.Account, Pool: p, Identity: &si.Identity}, nil
	}
	proofs, err := s.verifyLogins(ctx, si.Account, p, logins, now)
	if err != nil {
		return nil, err
	}
	ls := loginsOf(proofs)
	matched := false
	if dev := developerIdentity(proofs); dev != "" {
		if dev != id {
			return nil, notAuthorized(msgLoginsDontMatch, "the developer token was minted for another identity", nil)
		}
		matched = true
	}
	if slices.ContainsFunc(ls, si.hasLogin) {
		matched = true
	}
	if !matched && len(si.Logins) > 0 {
		return nil, notAuthorized(msgLoginsDontMatch, "none of the logins is linked to the identity", nil)
	}
	if !slices.ContainsFunc(ls, func(l Login) bool { return !si.hasLogin(l) }) {
		return &Authenticated{Account: si.Account, Pool: p, Identity: &si.Identity, Logins: proofs}, nil
	}
	// New logins: link them (a guest becomes authenticated), merging the
	// identities they already belong to. What was checked above is
	// checked again as the identity is written: two people who both
	// hold a guest's id cannot both make it theirs.
	stillProved := func(ident *Identity) error {
		if matched || ident.IdentityId != id || len(ident.Logins) == 0 || slices.ContainsFunc(ls, ident.hasLogin) {
			return nil
		}
		return notAuthorized(msgLoginsDontMatch, "the identity was linked to another's logins meanwhile", nil)
	}
	next, read, err := s.resolveRead(ctx, si.Account, si.IdentityPoolId, p.DeveloperProviderName, ls, []string{id}, now, stillProved)
	if err != nil {
		return nil, err
	}
	return &Authenticated{Account: si.Account, Pool: p, Identity: &next.Identity, Logins: proofs, changed: !read}, nil
}

// UnlinkIdentity removes logins from the identity its Logins prove.
// Removing the last one leaves an identity that only a guest call
// reaches, if the pool allows guests (AWS: it becomes inaccessible).
// Providers in LoginsToRemove the identity does not have are ignored.
func (s *Service) UnlinkIdentity(ctx context.Context, in *UnlinkIdentityInput, x *request.Exchange) error {
	if len(in.Logins) == 0 {
		return invalid("1 validation error detected: Value null at 'logins' failed to satisfy constraint: Member must not be null")
	}
	if len(in.LoginsToRemove) == 0 {
		return invalid("1 validation error detected: Value null at 'loginsToRemove' failed to satisfy constraint: Member must not be null")
	}
	a, err := s.authenticate(ctx, in.IdentityId, in.Logins, x)
	if err != nil {
		return err
	}
	si, err := s.getIdentity(ctx, a.Account, a.Identity.IdentityId)
	if err != nil {
		return err
	}
	if si == nil {
		return identityNotFound(in.IdentityId)
	}
	_, err = s.unlinkLogins(ctx, si, in.LoginsToRemove, x.Start)
	return err
}

// describe is the API's description of an identity.
func describe(ident *Identity) IdentityDescription {
	d := IdentityDescription{IdentityId: ident.IdentityId, CreationDate: Time(ident.Created), LastModifiedDate: Time(ident.LastModified)}
	for _, l := range ident.Logins {
		if !slices.Contains(d.Logins, l.Provider) {
			d.Logins = append(d.Logins, l.Provider)
		}
	}
	return d
}

// ListIdentities pages the pool's identities, in the order of their ids.
// HideDisabled changes nothing: Brevet has no disabled identities.
func (s *Service) ListIdentities(ctx context.Context, account string, in *ListIdentitiesInput) (*ListIdentitiesOutput, error) {
	if in.MaxResults < 1 || in.MaxResults > MaxPageSize {
		return nil, invalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", in.MaxResults, MaxPageSize)
	}
	p, err := s.pool(ctx, account, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	prefix := p.IdentityPoolId + "/"
	after := prefix
	if in.NextToken != "" {
		last, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil || !validIdentityID(string(last)) {
			return nil, invalid("The pagination token is invalid.")
		}
		after = prefix + string(last)
	}
	members, err := s.objects.List(ctx, account, KindMember, after, in.MaxResults+1)
	if err != nil {
		return nil, err
	}
	out := &ListIdentitiesOutput{IdentityPoolId: p.IdentityPoolId, Identities: []IdentityDescription{}}
	for i, m := range members {
		id, ok := strings.CutPrefix(m.ID, prefix)
		if !ok {
			break
		}
		if i == in.MaxResults {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(last(members[i-1].ID, prefix)))
			break
		}
		si, err := s.getIdentity(ctx, account, id)
		if err != nil {
			return nil, err
		}
		if si != nil { // else deleted since the member was listed
			out.Identities = append(out.Identities, describe(&si.Identity))
		}
	}
	return out, nil
}

// last is the identity id of a member id.
func last(member, prefix string) string { return strings.TrimPrefix(member, prefix) }

// DescribeIdentity describes an identity of the caller's account.
func (s *Service) DescribeIdentity(ctx context.Context, account string, in *IdentityIDInput) (*IdentityDescription, error) {
	owner, ident, err := s.identity(ctx, in.IdentityId)
	if err != nil {
		return nil, err
	}
	if owner != account {
		return nil, identityNotFound(in.IdentityId)
	}
	d := describe(ident)
	return &d, nil
}

// identityResource is the authorization target of identity id of
// account: its pool's; the ARN of every pool of the account
// (identitypool/*) when there is no such identity (the action then
// answers ResourceNotFoundException once allowed).
func (s *Service) identityResource(ctx context.Context, account, id string) (request.Target, error) {
	if validIdentityID(id) {
		si, err := s.getIdentity(ctx, account, id)
		if err != nil {
			return request.Target{}, err
		}
		if si != nil {
			return s.poolResource(ctx, account, si.IdentityPoolId, nil)
		}
	}
	return request.Target{Resource: s.PoolARN(account, "*")}, nil
}

// identityTarget authorizes DescribeIdentity on the identity's pool.
func (s *Service) identityTarget(ctx context.Context, r *restjson.Request[IdentityIDInput]) (request.Target, error) {
	ip, err := caller(r.Principal)
	if err != nil {
		return request.Target{}, err
	}
	return s.identityResource(ctx, ip.Account, r.Input.IdentityId)
}

// deleteTargets authorizes DeleteIdentities on each identity's pool.
func (s *Service) deleteTargets(ctx context.Context, r *restjson.Request[DeleteIdentitiesInput]) ([]request.Target, error) {
	ip, err := caller(r.Principal)
	if err != nil {
		return nil, err
	}
	if err := checkDeleteIDs(r.Input.IdentityIdsToDelete); err != nil {
		return nil, err
	}
	var ts []request.Target
	for _, id := range r.Input.IdentityIdsToDelete {
		t, err := s.identityResource(ctx, ip.Account, id)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(ts, func(o request.Target) bool { return o.Resource == t.Resource }) {
			ts = append(ts, t)
		}
	}
	return ts, nil
}

func checkDeleteIDs(ids []string) error {
	if len(ids) < 1 || len(ids) > MaxPageSize {
		return invalid("1 validation error detected: Value at 'identityIdsToDelete' failed to satisfy constraint: Member must have length between 1 and %d", MaxPageSize)
	}
	for _, id := range ids {
		if !validIdentityID(id) {
			return invalid("1 validation error detected: Value at 'identityIdsToDelete' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+")
		}
	}
	return nil
}

// DeleteIdentities deletes identities of the caller's account with their
// logins. Ids that name no identity are not an error (AWS answers
// success for them too).
func (s *Service) DeleteIdentities(ctx context.Context, account string, in *DeleteIdentitiesInput) (*DeleteIdentitiesOutput, error) {
	if err := checkDeleteIDs(in.IdentityIdsToDelete); err != nil {
		return nil, err
	}
	out := &DeleteIdentitiesOutput{UnprocessedIdentityIds: []UnprocessedIdentityID{}}
	for _, id := range in.IdentityIdsToDelete {
		si, err := s.getIdentity(ctx, account, id)
		if err != nil {
			return nil, err
		}
		if si == nil {
			continue
		}
		if err := s.deleteIdentity(ctx, si); err != nil {
			return nil, err
		}
	}
	return out, nil
}
