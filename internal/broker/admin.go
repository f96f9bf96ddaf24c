package broker

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// Bounds of an upstream account's and a brokered role's settings.
const (
	MaxRotateEveryDays = 365
	MaxRate            = 10000
	MinRoleDuration    = 900
	MaxRoleDuration    = 43200
	DefaultRoleSeconds = 3600
	maxDescription     = 1000
	// casAttempts bounds the compare-and-swap retries of an update that
	// races another writer (a rotation, another admin).
	casAttempts = 5
)

var (
	upstreamIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern     = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	externalIDPattern = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// UpstreamARN is the ARN the upstream actions are authorized on:
// arn:aws:brevet::BREVETACCOUNT:upstream/UPSTREAMID.
func UpstreamARN(brevetAccount, upstreamID string) string {
	return "arn:aws:brevet::" + brevetAccount + ":upstream/" + upstreamID
}

func notFoundUpstream(id string) error {
	return &NotFoundError{Message: "The upstream account with id " + id + " cannot be found."}
}

func registeredAlready(id string) error {
	return &ExistsError{Message: "Upstream account " + id + " is registered already."}
}

func notFoundRole(arn string) error {
	return &NotFoundError{Message: "The brokered role with ARN " + arn + " cannot be found."}
}

// CreateUpstream registers an upstream account in the caller's account.
// The upstream id must not be a Brevet account of this installation nor
// registered in any account already: the id is claimed first (claim),
// so that of two accounts registering it at once on two nodes one only
// succeeds.
func (s *Service) CreateUpstream(ctx context.Context, caller *identity.Principal, in *brevetapi.UpstreamAccountRequest, now time.Time) (Upstream, error) {
	id := in.UpstreamAccountId
	if !upstreamIDPattern.MatchString(id) {
		return Upstream{}, invalid("UpstreamAccountId must be 12 digits.")
	}
	u := Upstream{Account: caller.Account, ID: id, Region: DefaultRegion, Created: now.UTC(), CreatedBy: caller.CallerARN}
	if err := s.change(&u, in, now); err != nil {
		return Upstream{}, err
	}
	if _, err := s.st.Accounts().Get(ctx, id); err == nil {
		return Upstream{}, &ExistsError{Message: "Upstream account " + id + " is a Brevet account of this installation."}
	} else if !errors.Is(err, store.ErrNotFound) {
		return Upstream{}, err
	}
	if err := s.claim(ctx, caller.Account, id, now); err != nil {
		return Upstream{}, err
	}
	if held, err := s.st.Objects().Find(ctx, KindUpstream, id); err != nil {
		return Upstream{}, err
	} else if len(held) > 0 {
		return Upstream{}, registeredAlready(id)
	}
	body, err := json.Marshal(&u)
	if err != nil {
		return Upstream{}, err
	}
	err = s.st.Objects().Create(ctx, store.Object{Account: u.Account, Kind: KindUpstream, ID: id, Body: body, Created: now, Updated: now})
	if errors.Is(err, store.ErrConflict) {
		return Upstream{}, registeredAlready(id)
	}
	if err != nil {
		return Upstream{}, err
	}
	return u, s.sync(ctx, u.Account, KindUpstream, id)
}

// kindClaim is the object (in the pseudo-account iam.AWSAccount, one per
// upstream id) that says which Brevet account registers or holds an
// upstream id: its Create is the installation-wide unique check the
// objects of the accounts cannot give.
const kindClaim = "broker.claim"

// claimTakeover is how old a claim whose account holds no such upstream
// must be before another account takes it over (a registration that
// failed or crashed after claiming, an upstream removed before its claim
// was).
const claimTakeover = time.Minute

// upstreamClaim is a claim object's body.
type upstreamClaim struct {
	Account string `json:"account"`
}

// claim claims upstream id id for account: Create of the claim object,
// whose conflict decides between two registrations at once. A claim of
// account already is kept; another account's is taken over (UpdateIf)
// only when that account holds no such upstream and the claim is older
// than claimTakeover. Without the pseudo-account (a store never seeded)
// there is nothing to claim in, and nothing is claimed.
func (s *Service) claim(ctx context.Context, account, id string, now time.Time) error {
	body, err := json.Marshal(upstreamClaim{Account: account})
	if err != nil {
		return err
	}
	o := store.Object{Account: iam.AWSAccount, Kind: kindClaim, ID: id, Body: body, Created: now, Updated: now}
	taken := registeredAlready(id)
	for range casAttempts {
		err := s.st.Objects().Create(ctx, o)
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		cur, err := s.st.Objects().Get(ctx, iam.AWSAccount, kindClaim, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return err
		}
		var c upstreamClaim
		if err := json.Unmarshal(cur.Body, &c); err != nil {
			return fmt.Errorf("broker: claim of upstream %s: %w", id, err)
		}
		if c.Account == account {
			return nil
		}
		switch _, err := s.st.Objects().Get(ctx, c.Account, KindUpstream, id); {
		case err == nil:
			return taken
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if now.Sub(cur.Updated) < claimTakeover {
			return taken // being registered by another account now
		}
		switch err := s.st.Objects().UpdateIf(ctx, o, cur.Body); {
		case err == nil:
			return nil
		case !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	return taken
}

// release drops account's claim of upstream id (DeleteUpstream), best
// effort: a claim left behind is taken over by the next registration.
func (s *Service) release(ctx context.Context, account, id string) {
	cur, err := s.st.Objects().Get(ctx, iam.AWSAccount, kindClaim, id)
	if err != nil {
		return
	}
	var c upstreamClaim
	if json.Unmarshal(cur.Body, &c) != nil || c.Account != account {
		return
	}
	if err := s.st.Objects().Delete(ctx, iam.AWSAccount, kindClaim, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("broker: releasing the claim of an upstream id", "upstream_account", id, "err", err)
	}
}

// UpdateUpstream changes the members in gives of an upstream account of
// the caller's account.
func (s *Service) UpdateUpstream(ctx context.Context, caller *identity.Principal, in *brevetapi.UpstreamAccountRequest, now time.Time) (Upstream, error) {
	u, err := s.modifyUpstream(ctx, caller.Account, in.UpstreamAccountId, now, func(u *Upstream) error { return s.change(u, in, now) })
	if err != nil {
		return Upstream{}, err
	}
	return u, s.sync(ctx, u.Account, KindUpstream, u.ID)
}

// modifyUpstream applies change to the stored upstream and saves it with
// a compare-and-swap, again on a race.
func (s *Service) modifyUpstream(ctx context.Context, account, id string, now time.Time, change func(*Upstream) error) (Upstream, error) {
	for range casAttempts {
		o, err := s.st.Objects().Get(ctx, account, KindUpstream, id)
		if errors.Is(err, store.ErrNotFound) {
			return Upstream{}, notFoundUpstream(id)
		}
		if err != nil {
			return Upstream{}, err
		}
		u, err := decodeUpstream(o)
		if err != nil {
			return Upstream{}, err
		}
		if err := change(&u); err != nil {
			return Upstream{}, err
		}
		body, err := json.Marshal(&u)
		if err != nil {
			return Upstream{}, err
		}
		match := o.Body
		o.Body, o.Updated = body, now
		switch err := s.st.Objects().UpdateIf(ctx, o, match); {
		case err == nil:
			return u, nil
		case errors.Is(err, store.ErrNotFound):
			return Upstream{}, notFoundUpstream(id)
		case !errors.Is(err, store.ErrConflict):
			return Upstream{}, err
		}
	}
	return Upstream{}, &BusyError{Account: id}
}

// change applies the members in gives to u (a nil one is absent) and
// validates the result; a new key pair is sealed.
func (s *Service) change(u *Upstream, in *brevetapi.UpstreamAccountRequest, now time.Time) error {
	oldRegion, oldMode := u.Region, u.Mode
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Mode, in.Mode)
	set(&u.Region, in.Region)
	if in.StsEndpoint != nil {
		u.STSEndpoint = *in.StsEndpoint
	} else if u.STSEndpoint == "" || u.STSEndpoint == DefaultSTSEndpoint(oldRegion) {
		u.STSEndpoint = DefaultSTSEndpoint(u.Region)
	}
	set(&u.IAMEndpoint, in.IamEndpoint)
	if u.IAMEndpoint == "" {
		u.IAMEndpoint = DefaultIAMEndpoint
	}
	set(&u.Audience, in.Audience)
	set(&u.CABundle, in.CaBundle)
	set(&u.UserName, in.UserName)
	set(&u.Description, in.Description)
	if in.RotateEveryDays != nil {
		if d := *in.RotateEveryDays; d < 0 || d > MaxRotateEveryDays {
			return invalid("RotateEveryDays must be between 0 and %d.", MaxRotateEveryDays)
		}
		u.RotateEvery = time.Duration(*in.RotateEveryDays) * 24 * time.Hour
	}
	if in.Rate != nil {
		u.Rate = float64(*in.Rate)
	}
	if in.Burst != nil {
		u.Burst = int(*in.Burst)
	}
	if in.CacheCredentials != nil {
		u.Cache = *in.CacheCredentials
	}
	if (in.AccessKeyId == nil) != (in.SecretAccessKey == nil) {
		return invalid("AccessKeyId and SecretAccessKey go together.")
	}
	if err := s.changeMode(u, in, oldMode, now); err != nil {
		return err
	}
	return validateUpstream(u)
}

// changeMode makes u what its Mode needs once in is applied (oldMode was
// u's before): in OIDC mode no key and the default audience, the key's
// settings dropped when it leaves KEY mode; in KEY mode a new key given
// sealed, and no audience.
func (s *Service) changeMode(u *Upstream, in *brevetapi.UpstreamAccountRequest, oldMode string, now time.Time) error {
	switch u.Mode {
	case ModeOIDC:
		if in.AccessKeyId != nil {
			return invalid("An upstream account in OIDC mode holds no key: give no AccessKeyId or SecretAccessKey.")
		}
		u.Key = nil
		if oldMode == ModeKey {
			// The key's settings go with it (UserName cannot be set to
			// "" through the API); given again, they are refused below.
			if in.UserName == nil {
				u.UserName = ""
			}
			if in.RotateEveryDays == nil {
				u.RotateEvery = 0
			}
			u.Rotation = Rotation{}
		}
		if u.Audience == "" {
			u.Audience = DefaultAudience
		}
	case ModeKey:
		if in.AccessKeyId != nil {
			ct, err := s.keys.Seal([]byte(*in.SecretAccessKey), KeyPurpose(u.Account, u.ID))
			if err != nil {
				return fmt.Errorf("broker: sealing the key of upstream %s: %w", u.ID, err)
			}
			u.Key = &SealedKey{AccessKeyID: *in.AccessKeyId, Secret: ct, Created: now.UTC()}
			u.Rotation.Failed, u.Rotation.Error = time.Time{}, "" // a new key: nothing is failing
		}
		u.Audience = ""
	}
	return nil
}

// validateUpstream checks an upstream account about to be saved.
func validateUpstream(u *Upstream) error {
	switch u.Mode {
	case ModeOIDC:
		if u.Key != nil {
			return invalid("An upstream account in OIDC mode holds no key.")
		}
		if u.RotateEvery != 0 || u.UserName != "" {
			return invalid("RotateEveryDays and UserName are for an upstream account in KEY mode.")
		}
	case ModeKey:
		if u.Key == nil {
			return invalid("An upstream account in KEY mode needs AccessKeyId and SecretAccessKey.")
		}
	default:
		return invalid("Mode must be OIDC or KEY.")
	}
	if !regionPattern.MatchString(u.Region) {
		return invalid("Region must be 1 to 64 of [a-z0-9-].")
	}
	if err := checkEndpoint("StsEndpoint", u.STSEndpoint); err != nil {
		return err
	}
	if err := checkEndpoint("IamEndpoint", u.IAMEndpoint); err != nil {
		return err
	}
	if u.CABundle != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(u.CABundle)) {
		return invalid("CaBundle holds no PEM certificate.")
	}
	if u.Rate < 0 || u.Rate > MaxRate || u.Burst < 0 || u.Burst > MaxRate {
		return invalid("Rate and Burst must be between 0 (the default) and %d.", MaxRate)
	}
	if utf8.RuneCountInString(u.Description) > maxDescription {
		return invalid("Description must be at most %d characters.", maxDescription)
	}
	return nil
}

// GetUpstream returns an upstream account of the caller's account.
func (s *Service) GetUpstream(ctx context.Context, account, id string) (Upstream, error) {
	o, err := s.st.Objects().Get(ctx, account, KindUpstream, id)
	if errors.Is(err, store.ErrNotFound) {
		return Upstream{}, notFoundUpstream(id)
	}
	if err != nil {
		return Upstream{}, err
	}
	return decodeUpstream(o)
}

// ListUpstreams lists account's upstream accounts by id, after marker,
// at most max (0: 100); next is the marker of the next page.
func (s *Service) ListUpstreams(ctx context.Context, account, marker string, max int) (us []Upstream, next string, err error) {
	if max <= 0 {
		max = 100
	}
	objs, err := s.st.Objects().List(ctx, account, KindUpstream, marker, max+1)
	if err != nil {
		return nil, "", err
	}
	for i, o := range objs {
		if i == max {
			return us, us[max-1].ID, nil
		}
		u, err := decodeUpstream(o)
		if err != nil {
			return nil, "", err
		}
		us = append(us, u)
	}
	return us, "", nil
}

// DeleteUpstream removes an upstream account that has no brokered roles
// left. Its key is not deleted upstream: it is the administrator's.
func (s *Service) DeleteUpstream(ctx context.Context, account, id string) error {
	roles, err := s.st.Objects().List(ctx, account, KindRole, id+"/", 1)
	if err != nil {
		return err
	}
	if len(roles) > 0 && strings.HasPrefix(roles[0].ID, id+"/") {
		return &ConflictError{Message: "Cannot delete upstream account " + id + ": it has brokered roles. Delete them first."}
	}
	err = s.st.Objects().Delete(ctx, account, KindUpstream, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundUpstream(id)
	}
	if err != nil {
		return err
	}
	s.release(ctx, account, id)
	return s.sync(ctx, account, KindUpstream, id)
}

// parseRoleARN reads a brokered role's ARN.
func parseRoleARN(arn string) (iam.EntityRef, error) {
	ref, err := iam.ParseEntityARN(arn)
	if err != nil || ref.Type != iam.ResourceRole {
		return ref, invalid("RoleArn must be the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME).")
	}
	return ref, nil
}

// CreateRole registers a brokered role in the caller's account: its
// upstream account must be registered there. The trust policy is
// validated and bound as IAM's CreateRole does.
func (s *Service) CreateRole(ctx context.Context, caller *identity.Principal, in *brevetapi.BrokeredRoleRequest, now time.Time) (Role, error) {
	ref, err := parseRoleARN(in.RoleArn)
	if err != nil {
		return Role{}, err
	}
	if _, err := s.GetUpstream(ctx, caller.Account, ref.Account); err != nil {
		if _, ok := errors.AsType[*NotFoundError](err); ok {
			return Role{}, invalid("The role's account %s is not an upstream account registered in this account.", ref.Account)
		}
		return Role{}, err
	}
	r := Role{Account: caller.Account, Upstream: ref.Account, ARN: iam.RoleARN(ref.Account, ref.Path, ref.Name),
		MaxSessionDuration: DefaultRoleSeconds, Created: now.UTC(), CreatedBy: caller.CallerARN}
	if err := s.changeRole(ctx, &r, ref, in); err != nil {
		return Role{}, err
	}
	body, err := json.Marshal(&r)
	if err != nil {
		return Role{}, err
	}
	id := RoleID(ref.Account, ref.Name)
	err = s.st.Objects().Create(ctx, store.Object{Account: r.Account, Kind: KindRole, ID: id, Body: body, Created: now, Updated: now})
	if errors.Is(err, store.ErrConflict) {
		return Role{}, &ExistsError{Message: "A brokered role named " + ref.Name + " of upstream account " + ref.Account + " is registered already."}
	}
	if err != nil {
		return Role{}, err
	}
	return r, s.sync(ctx, r.Account, KindRole, id)
}

// UpdateRole changes the members in gives of a brokered role.
func (s *Service) UpdateRole(ctx context.Context, caller *identity.Principal, in *brevetapi.BrokeredRoleRequest, now time.Time) (Role, error) {
	ref, err := parseRoleARN(in.RoleArn)
	if err != nil {
		return Role{}, err
	}
	id := RoleID(ref.Account, ref.Name)
	for range casAttempts {
		o, err := s.st.Objects().Get(ctx, caller.Account, KindRole, id)
		if errors.Is(err, store.ErrNotFound) {
			return Role{}, notFoundRole(in.RoleArn)
		}
		if err != nil {
			return Role{}, err
		}
		r, err := decodeRole(o)
		if err != nil {
			return Role{}, err
		}
		if r.ARN != in.RoleArn {
			return Role{}, notFoundRole(in.RoleArn) // as GetRole
		}
		if err := s.changeRole(ctx, &r, ref, in); err != nil {
			return Role{}, err
		}
		match := o.Body
		if o.Body, err = json.Marshal(&r); err != nil {
			return Role{}, err
		}
		o.Updated = now
		switch err := s.st.Objects().UpdateIf(ctx, o, match); {
		case err == nil:
			return r, s.sync(ctx, r.Account, KindRole, id)
		case errors.Is(err, store.ErrNotFound):
			return Role{}, notFoundRole(in.RoleArn)
		case !errors.Is(err, store.ErrConflict):
			return Role{}, err
		}
	}
	return Role{}, &BusyError{Account: ref.Account}
}

// changeRole applies the members in gives to r and validates it: the
// trust policy as IAM's CreateRole validates and binds an
// AssumeRolePolicyDocument (iam.ValidateRole for its text and quota,
// policy.ParseAndValidate, trust.Bind), the session policy as a session
// policy.
func (s *Service) changeRole(ctx context.Context, r *Role, ref iam.EntityRef, in *brevetapi.BrokeredRoleRequest) error {
	rebind := in.AssumeRolePolicyDocument != nil
	if rebind {
		r.TrustPolicy = *in.AssumeRolePolicyDocument
	}
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = int(*in.MaxSessionDuration)
	}
	if in.SessionPolicy != nil {
		r.SessionPolicy = *in.SessionPolicy
	}
	if in.ExternalId != nil {
		r.ExternalID = *in.ExternalId
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	// IAM's own checks of a role: name, path, description, the trust
	// policy's characters and quota. The session duration is the
	// broker's (900 s up, as AWS lets an upstream role's be asked for).
	if err := iam.ValidateRole(iam.Role{Name: ref.Name, Path: ref.Path, TrustPolicy: r.TrustPolicy,
		Description: r.Description, MaxSessionDuration: DefaultRoleSeconds}); err != nil {
		return err
	}
	if r.MaxSessionDuration < MinRoleDuration || r.MaxSessionDuration > MaxRoleDuration {
		return invalid("MaxSessionDuration must be between %d and %d seconds.", MinRoleDuration, MaxRoleDuration)
	}
	if r.ExternalID != "" && (len(r.ExternalID) < 2 || len(r.ExternalID) > 1224 || !externalIDPattern.MatchString(r.ExternalID)) {
		return invalid("ExternalId must be 2 to 1224 of [\\w+=,.@:/-].")
	}
	if r.SessionPolicy != "" {
		if err := iam.ValidatePolicyDocumentText("sessionPolicy", r.SessionPolicy); err != nil {
			return err
		}
		if _, err := policy.ParseAndValidate([]byte(r.SessionPolicy), policy.TypeSession); err != nil {
			return err
		}
	}
	if rebind || r.TrustBindings == nil {
		doc, err := policy.ParseAndValidate([]byte(r.TrustPolicy), policy.TypeTrust)
		if err != nil {
			return err
		}
		bs, err := trust.Bind(ctx, s.st, doc, trust.Options{})
		if err != nil {
			return err
		}
		r.TrustBindings = bs
	}
	return nil
}

// GetRole returns a brokered role of account.
func (s *Service) GetRole(ctx context.Context, account, arn string) (Role, error) {
	ref, err := parseRoleARN(arn)
	if err != nil {
		return Role{}, err
	}
	o, err := s.st.Objects().Get(ctx, account, KindRole, RoleID(ref.Account, ref.Name))
	if errors.Is(err, store.ErrNotFound) {
		return Role{}, notFoundRole(arn)
	}
	if err != nil {
		return Role{}, err
	}
	r, err := decodeRole(o)
	if err == nil && r.ARN != arn {
		// The ARN authorized is the one the role has, path and case
		// included: a policy on one path does not reach another's role.
		return Role{}, notFoundRole(arn)
	}
	return r, err
}

// ListRoles lists account's brokered roles (of one upstream account when
// upstreamID is set) by upstream and name, after marker, at most max
// (0: 100); next is the marker of the next page.
func (s *Service) ListRoles(ctx context.Context, account, upstreamID, marker string, max int) (rs []Role, next string, err error) {
	if max <= 0 {
		max = 100
	}
	after := marker
	if upstreamID != "" && after < upstreamID+"/" {
		after = upstreamID + "/"
	}
	objs, err := s.st.Objects().List(ctx, account, KindRole, after, 0)
	if err != nil {
		return nil, "", err
	}
	for _, o := range objs {
		if upstreamID != "" && !strings.HasPrefix(o.ID, upstreamID+"/") {
			break
		}
		if len(rs) == max {
			return rs, RoleID(rs[max-1].Upstream, roleName(rs[max-1].ARN)), nil
		}
		r, err := decodeRole(o)
		if err != nil {
			return nil, "", err
		}
		rs = append(rs, r)
	}
	return rs, "", nil
}

// roleName is the name in a role ARN.
func roleName(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// DeleteRole removes a brokered role.
func (s *Service) DeleteRole(ctx context.Context, account, arn string) error {
	ref, err := parseRoleARN(arn)
	if err != nil {
		return err
	}
	if _, err := s.GetRole(ctx, account, arn); err != nil {
		return err
	}
	id := RoleID(ref.Account, ref.Name)
	err = s.st.Objects().Delete(ctx, account, KindRole, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFoundRole(arn)
	}
	if err != nil {
		return err
	}
	return s.sync(ctx, account, KindRole, id)
}
