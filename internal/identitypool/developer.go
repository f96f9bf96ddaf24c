package identitypool

// Developer identities: the app's back end, signed with AWS credentials,
// vouches for its own users (DeveloperProviderName → user identifier)
// and gets a pool token the app then uses as the DeveloperLogin login.

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/sts"
)

// DefaultDeveloperTokenDuration is GetOpenIdTokenForDeveloperIdentity's
// token life when TokenDuration is not given (AWS's 15 minutes).
const DefaultDeveloperTokenDuration = 15 * time.Minute

// developerPool returns the pool id of account, which must have a
// developer provider; name, when set, must be it.
func (s *Service) developerPool(ctx context.Context, account, id, name string) (*Pool, error) {
	p, err := s.pool(ctx, account, id)
	if err != nil {
		return nil, err
	}
	if p.DeveloperProviderName == "" {
		return nil, invalid("The identity pool has no developer provider.")
	}
	if name != "" && name != p.DeveloperProviderName {
		return nil, invalid("Developer provider '%s' is not the developer provider of the identity pool.", name)
	}
	return p, nil
}

func checkUserID(field, id string) error {
	if len(id) < 1 || len(id) > 1024 {
		return invalid("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length between 1 and 1024", field)
	}
	return nil
}

// GetOpenIdTokenForDeveloperIdentity links the developer's user (and the
// other logins given, verified) to an identity and mints its pool token.
// IAM decides who may call it (cognito-identity:GetOpenIdTokenForDeveloperIdentity).
func (s *Service) GetOpenIdTokenForDeveloperIdentity(ctx context.Context, account string, in *GetOpenIdTokenForDeveloperIdentityInput, now time.Time) (*OpenIdTokenOutput, error) {
	p, err := s.developerPool(ctx, account, in.IdentityPoolId, "")
	if err != nil {
		return nil, err
	}
	user, ok := in.Logins[p.DeveloperProviderName]
	if !ok {
		return nil, invalid("Logins must hold the developer provider '%s' of the identity pool.", p.DeveloperProviderName)
	}
	if err := checkUserID("logins", user); err != nil {
		return nil, err
	}
	d := DefaultDeveloperTokenDuration
	if in.TokenDuration != nil {
		if *in.TokenDuration < 1 || *in.TokenDuration > int64(MaxTokenDuration/time.Second) {
			return nil, invalid("1 validation error detected: Value '%d' at 'tokenDuration' failed to satisfy constraint: Member must have value between 1 and 86400", *in.TokenDuration)
		}
		d = time.Duration(*in.TokenDuration) * time.Second
	}
	tags, err := developerTags(in.PrincipalTags)
	if err != nil {
		return nil, err
	}
	others := make(map[string]string, len(in.Logins))
	for k, v := range in.Logins {
		if k != p.DeveloperProviderName {
			others[k] = v
		}
	}
	proofs, err := s.verifyLogins(ctx, account, p, others, now)
	if err != nil {
		return nil, err
	}
	dev := Login{Provider: p.DeveloperProviderName, Subject: user}
	logins := append([]Login{dev}, loginsOf(proofs)...)
	var have []string
	if id := developerIdentity(proofs); id != "" {
		have = append(have, id)
	}
	if in.IdentityId != "" {
		if !validIdentityID(in.IdentityId) {
			return nil, invalid("1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+")
		}
		owner, _, err := s.loginOwner(ctx, account, p.IdentityPoolId, dev)
		if err != nil {
			return nil, err
		}
		if owner != "" && owner != in.IdentityId {
			if si, err := s.getIdentity(ctx, account, owner); err != nil {
				return nil, err
			} else if si != nil {
				return nil, &Error{Code: CodeDeveloperRegistered, Message: "The developer user identifier is already registered with another identity."}
			}
		}
		have = append(have, in.IdentityId)
	}
	si, err := s.resolve(ctx, account, p.IdentityPoolId, p.DeveloperProviderName, logins, have, now)
	if err != nil {
		return nil, err
	}
	token, err := s.tokens.MintPoolToken(&sts.PoolToken{
		Account: account, PoolID: p.IdentityPoolId, IdentityID: si.IdentityId, AMR: amr(si.Logins), Tags: tags,
	}, d, now)
	if err != nil {
		return nil, err
	}
	return &OpenIdTokenOutput{IdentityId: si.IdentityId, Token: token}, nil
}

// developerTags are PrincipalTags as the token's tags, sorted by key:
// at most MaxTags, keys 1–128 and values 0–256 long.
func developerTags(m map[string]string) ([]credential.Tag, error) {
	if len(m) > MaxTags {
		return nil, invalid("1 validation error detected: Value at 'principalTags' failed to satisfy constraint: Member must have length less than or equal to %d", MaxTags)
	}
	if err := checkSessionTagKeys(m); err != nil {
		return nil, err
	}
	tags := make([]credential.Tag, 0, len(m))
	for k, v := range m {
		if len(k) < 1 || len(k) > 128 || len(v) > 256 {
			return nil, invalid("1 validation error detected: Value at 'principalTags' failed to satisfy constraint: Map keys must have length between 1 and 128, values at most 256")
		}
		tags = append(tags, credential.Tag{Key: k, Value: v})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	if len(tags) == 0 {
		return nil, nil
	}
	return tags, nil
}

// developerIdentityOf is the identity the developer user is linked to;
// nil when none.
func (s *Service) developerIdentityOf(ctx context.Context, account string, p *Pool, user string) (*storedIdentity, error) {
	owner, _, err := s.loginOwner(ctx, account, p.IdentityPoolId, Login{Provider: p.DeveloperProviderName, Subject: user})
	if err != nil || owner == "" {
		return nil, err
	}
	return s.getIdentity(ctx, account, owner)
}

// LookupDeveloperIdentity finds an identity's developer users, or a
// developer user's identity. Given both, they must belong together
// (ResourceConflictException otherwise, as AWS).
func (s *Service) LookupDeveloperIdentity(ctx context.Context, account string, in *LookupDeveloperIdentityInput) (*LookupDeveloperIdentityOutput, error) {
	if in.IdentityId == "" && in.DeveloperUserIdentifier == "" {
		return nil, invalid("IdentityId or DeveloperUserIdentifier is required.")
	}
	if in.MaxResults != 0 && (in.MaxResults < 1 || in.MaxResults > MaxPageSize) {
		return nil, invalid("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", in.MaxResults, MaxPageSize)
	}
	p, err := s.developerPool(ctx, account, in.IdentityPoolId, "")
	if err != nil {
		return nil, err
	}
	var si *storedIdentity
	if in.DeveloperUserIdentifier != "" {
		if err := checkUserID("developerUserIdentifier", in.DeveloperUserIdentifier); err != nil {
			return nil, err
		}
		if si, err = s.developerIdentityOf(ctx, account, p, in.DeveloperUserIdentifier); err != nil {
			return nil, err
		}
		if si == nil {
			return nil, notFound("Developer user identifier not found in the identity pool.")
		}
		if in.IdentityId != "" && in.IdentityId != si.IdentityId {
			return nil, &Error{Code: CodeConflict, Message: "The developer user identifier is linked to another identity."}
		}
	} else {
		if !validIdentityID(in.IdentityId) {
			return nil, invalid("1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+")
		}
		if si, err = s.getIdentity(ctx, account, in.IdentityId); err != nil {
			return nil, err
		}
		if si == nil || si.IdentityPoolId != p.IdentityPoolId {
			return nil, identityNotFound(in.IdentityId)
		}
	}
	out := &LookupDeveloperIdentityOutput{IdentityId: si.IdentityId, DeveloperUserIdentifierList: []string{}}
	for _, l := range si.Logins {
		if l.Provider == p.DeveloperProviderName {
			out.DeveloperUserIdentifierList = append(out.DeveloperUserIdentifierList, l.Subject)
		}
	}
	slices.Sort(out.DeveloperUserIdentifierList)
	return out, nil
}

// MergeDeveloperIdentities merges the source user's identity into the
// destination user's, which survives whatever their ages.
func (s *Service) MergeDeveloperIdentities(ctx context.Context, account string, in *MergeDeveloperIdentitiesInput) (*IdentityIDOutput, error) {
	if err := checkUserID("sourceUserIdentifier", in.SourceUserIdentifier); err != nil {
		return nil, err
	}
	if err := checkUserID("destinationUserIdentifier", in.DestinationUserIdentifier); err != nil {
		return nil, err
	}
	if in.DeveloperProviderName == "" {
		return nil, invalid("1 validation error detected: Value null at 'developerProviderName' failed to satisfy constraint: Member must not be null")
	}
	p, err := s.developerPool(ctx, account, in.IdentityPoolId, in.DeveloperProviderName)
	if err != nil {
		return nil, err
	}
	src, err := s.developerIdentityOf(ctx, account, p, in.SourceUserIdentifier)
	if err != nil {
		return nil, err
	}
	dst, err := s.developerIdentityOf(ctx, account, p, in.DestinationUserIdentifier)
	if err != nil {
		return nil, err
	}
	if src == nil || dst == nil {
		return nil, notFound("Developer user identifier not found in the identity pool.")
	}
	if src.IdentityId == dst.IdentityId {
		return &IdentityIDOutput{IdentityId: dst.IdentityId}, nil
	}
	next, err := s.mergeInto(ctx, dst, src, p.DeveloperProviderName, time.Now(), nil)
	if err != nil {
		return nil, err
	}
	return &IdentityIDOutput{IdentityId: next.IdentityId}, nil
}

// UnlinkDeveloperIdentity unlinks a developer user from its identity.
func (s *Service) UnlinkDeveloperIdentity(ctx context.Context, account string, in *UnlinkDeveloperIdentityInput) error {
	if err := checkUserID("developerUserIdentifier", in.DeveloperUserIdentifier); err != nil {
		return err
	}
	if !validIdentityID(in.IdentityId) {
		return invalid("1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+")
	}
	p, err := s.developerPool(ctx, account, in.IdentityPoolId, in.DeveloperProviderName)
	if err != nil {
		return err
	}
	si, err := s.getIdentity(ctx, account, in.IdentityId)
	if err != nil {
		return err
	}
	l := Login{Provider: p.DeveloperProviderName, Subject: in.DeveloperUserIdentifier}
	if si == nil || si.IdentityPoolId != p.IdentityPoolId || !si.hasLogin(l) {
		return notFound("The developer user identifier is not linked to identity '%s'.", in.IdentityId)
	}
	_, err = s.unlink(ctx, si, []Login{l}, time.Now())
	return err
}
