package identitypool

// Pools: create, describe, list, update and delete, and the pools'
// authorization targets. Roles and mappings are in roles.go, tags in
// tags.go, the cache in cache.go.

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/store"
)

// MaxPools is how many pools an account may have (AWS's quota).
const MaxPools = 1000

// Bounds of DeleteIdentityPool's clean-up: pages of this many objects,
// at most this many pages per kind.
const (
	deletePage  = 500
	deletePages = 1000
)

// CreateIdentityPool makes a pool in account. AllowClassicFlow defaults
// to false; names need not be unique (AWS).
func (s *Service) CreateIdentityPool(ctx context.Context, account string, in *CreateIdentityPoolInput) (*Pool, error) {
	var v violations
	if in.AllowUnauthenticatedIdentities == nil {
		v.null("allowUnauthenticatedIdentities")
	}
	p := &Pool{
		IdentityPoolName:          in.IdentityPoolName,
		AllowClassicFlow:          in.AllowClassicFlow,
		SupportedLoginProviders:   in.SupportedLoginProviders,
		DeveloperProviderName:     in.DeveloperProviderName,
		OpenIdConnectProviderARNs: in.OpenIdConnectProviderARNs,
		CognitoIdentityProviders:  in.CognitoIdentityProviders,
		SamlProviderARNs:          in.SamlProviderARNs,
		IdentityPoolTags:          in.IdentityPoolTags,
	}
	if in.AllowUnauthenticatedIdentities != nil {
		p.AllowUnauthenticatedIdentities = *in.AllowUnauthenticatedIdentities
	}
	if p.AllowClassicFlow == nil {
		p.AllowClassicFlow = new(bool)
	}
	checkPoolFields(&v, p)
	checkPoolTags(&v, "identityPoolTags", p.IdentityPoolTags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkProviderARNs(account, p); err != nil {
		return nil, err
	}
	if err := checkReservedTags(p.IdentityPoolTags); err != nil {
		return nil, err
	}
	n, err := s.objects.List(ctx, account, KindPool, "", MaxPools)
	if err != nil {
		return nil, err
	}
	if len(n) >= MaxPools {
		return nil, &Error{Code: CodeLimitExceeded, Message: fmt.Sprintf("Exceeded the limit of %d identity pools per account.", MaxPools)}
	}
	id, err := s.newPoolID()
	if err != nil {
		return nil, err
	}
	p.IdentityPoolId = id
	body, err := p.MarshalStored()
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if err := s.objects.Create(ctx, store.Object{Account: account, Kind: KindPool, ID: id, Body: body, Created: now, Updated: now}); err != nil {
		return nil, err
	}
	s.cache.drop(id) // an earlier miss of this id
	return p, nil
}

// DescribeIdentityPool returns the pool id of account.
func (s *Service) DescribeIdentityPool(ctx context.Context, account, id string) (*Pool, error) {
	return s.pool(ctx, account, id)
}

// ListIdentityPools pages the account's pools by id. NextToken is the
// last id of the page before, base64url: opaque to callers.
func (s *Service) ListIdentityPools(ctx context.Context, account string, in *ListIdentityPoolsInput) (*ListIdentityPoolsOutput, error) {
	after, err := checkPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	objs, err := s.objects.List(ctx, account, KindPool, after, in.MaxResults+1)
	if err != nil {
		return nil, err
	}
	out := &ListIdentityPoolsOutput{IdentityPools: make([]PoolShort, 0, min(len(objs), in.MaxResults))}
	for i, o := range objs {
		if i == in.MaxResults {
			out.NextToken = pageToken(objs[i-1].ID)
			break
		}
		p, err := UnmarshalStored(o.Body)
		if err != nil {
			return nil, fmt.Errorf("identitypool: pool %s: %w", o.ID, err)
		}
		out.IdentityPools = append(out.IdentityPools, PoolShort{IdentityPoolId: o.ID, IdentityPoolName: p.IdentityPoolName})
	}
	return out, nil
}

// checkPage validates a list's MaxResults (1–60, required) and NextToken,
// and returns the id the page starts after.
func checkPage(maxResults int, token string) (string, error) {
	var v violations
	switch {
	case maxResults < 1:
		v.add("maxResults", fmt.Sprint(maxResults), "Member must have value greater than or equal to 1")
	case maxResults > MaxPageSize:
		v.add("maxResults", fmt.Sprint(maxResults), fmt.Sprintf("Member must have value less than or equal to %d", MaxPageSize))
	}
	if token != "" {
		v.str("nextToken", token, 1, 65535, rePaginationKey, patPaginationKey)
	}
	if err := v.err(); err != nil {
		return "", err
	}
	if token == "" {
		return "", nil
	}
	after, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(after) == 0 {
		return "", invalid("Invalid pagination token.")
	}
	return string(after), nil
}

// pageToken is the NextToken of a page that ends at id.
func pageToken(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// UpdateIdentityPool replaces the pool's settings with in's, as AWS does
// (a provider list left out is emptied). What UpdateIdentityPool does
// not carry is kept: the roles, role mappings and principal tag maps;
// the tags when IdentityPoolTags is absent (present, even empty, it
// replaces them: tools that tag through TagResource send none);
// AllowClassicFlow when absent; and the DeveloperProviderName, which
// AWS lets no one change once set (absent keeps it, another name is
// InvalidParameterException).
func (s *Service) UpdateIdentityPool(ctx context.Context, account string, in *Pool) (*Pool, error) {
	var v violations
	if err := checkPoolID(in.IdentityPoolId); err != nil {
		return nil, err
	}
	checkPoolFields(&v, in)
	checkPoolTags(&v, "identityPoolTags", in.IdentityPoolTags)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkProviderARNs(account, in); err != nil {
		return nil, err
	}
	if err := checkReservedTags(in.IdentityPoolTags); err != nil {
		return nil, err
	}
	return s.modifyPool(ctx, account, in.IdentityPoolId, func(p *Pool) error {
		if p.DeveloperProviderName != "" && in.DeveloperProviderName != "" && in.DeveloperProviderName != p.DeveloperProviderName {
			return invalid("Developer provider name cannot be changed once set.")
		}
		up := *in
		up.IdentityPoolId = p.IdentityPoolId
		if up.DeveloperProviderName == "" {
			up.DeveloperProviderName = p.DeveloperProviderName
		}
		if up.AllowClassicFlow == nil {
			up.AllowClassicFlow = p.AllowClassicFlow
		}
		if up.IdentityPoolTags == nil {
			up.IdentityPoolTags = p.IdentityPoolTags
		}
		up.Roles, up.RoleMappings, up.PrincipalTags = p.Roles, p.RoleMappings, p.PrincipalTags
		*p = up
		return nil
	})
}

// DeleteIdentityPool deletes the pool, then its identities, members and
// logins (best effort, bounded: what is left names a pool that no
// longer exists, and so serves no one).
func (s *Service) DeleteIdentityPool(ctx context.Context, account, id string) error {
	if _, err := s.pool(ctx, account, id); err != nil {
		return err
	}
	err := s.objects.Delete(ctx, account, KindPool, id)
	s.cache.drop(id)
	if errors.Is(err, store.ErrNotFound) {
		return poolNotFound(id)
	}
	if err != nil {
		return err
	}
	// The pool is gone: the clean-up runs to its end even if the caller
	// hangs up, rather than leave half of the identities behind.
	ctx = context.WithoutCancel(ctx)
	if err := s.deletePoolObjects(ctx, account, KindMember, id, func(member string) error {
		return ignoreNotFound(s.objects.Delete(ctx, account, KindIdentity, member))
	}); err != nil {
		return err
	}
	return s.deletePoolObjects(ctx, account, KindLogin, id, nil)
}

// deletePoolObjects deletes the account's objects of kind whose ids
// start with "POOL/", calling also (when set) with the rest of each id
// first.
func (s *Service) deletePoolObjects(ctx context.Context, account, kind, pool string, also func(rest string) error) error {
	prefix := pool + "/"
	after := prefix
	for range deletePages {
		objs, err := s.objects.List(ctx, account, kind, after, deletePage)
		if err != nil {
			return err
		}
		for _, o := range objs {
			rest, ok := strings.CutPrefix(o.ID, prefix)
			if !ok {
				return nil
			}
			if also != nil {
				if err := also(rest); err != nil {
					return err
				}
			}
			if err := ignoreNotFound(s.objects.Delete(ctx, account, kind, o.ID)); err != nil {
				return err
			}
			after = o.ID
		}
		if len(objs) < deletePage {
			return nil
		}
	}
	return nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// maxModifyTries bounds modifyPool's compare-and-swap retries: each
// round one writer wins, so it takes that many writers to one pool at
// once before one hears ConcurrentModificationException.
const maxModifyTries = 32

// modifyPool applies change to the stored pool id of account (a fresh
// copy, never the cache's) and stores it if no one else changed it
// meanwhile (else it tries again); it returns the pool as stored.
func (s *Service) modifyPool(ctx context.Context, account, id string, change func(*Pool) error) (*Pool, error) {
	if err := checkPoolID(id); err != nil {
		return nil, err
	}
	for range maxModifyTries {
		o, err := s.objects.Get(ctx, account, KindPool, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, poolNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		p, err := UnmarshalStored(o.Body)
		if err != nil {
			return nil, fmt.Errorf("identitypool: pool %s: %w", id, err)
		}
		if err := change(p); err != nil {
			return nil, err
		}
		body, err := p.MarshalStored()
		if err != nil {
			return nil, err
		}
		err = s.objects.UpdateIf(ctx, store.Object{Account: account, Kind: KindPool, ID: id, Body: body, Updated: time.Now().UTC()}, o.Body)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		s.cache.drop(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, poolNotFound(id)
		}
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, &Error{Code: CodeConcurrentChange, Message: "The identity pool was changed concurrently; try again."}
}

// newPoolID draws a pool id: the region and a version 4 UUID.
func (s *Service) newPoolID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rnd, b[:]); err != nil {
		return "", fmt.Errorf("identitypool: pool id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return s.region + ":" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// checkPoolFields records the model's constraints on a pool's settings.
func checkPoolFields(v *violations, p *Pool) {
	v.str("identityPoolName", p.IdentityPoolName, 1, 128, rePoolName, patPoolName)
	v.count("supportedLoginProviders", len(p.SupportedLoginProviders), 0, 10)
	for k, id := range p.SupportedLoginProviders {
		v.str("supportedLoginProviders", k, 1, 128, nil, "")
		v.str("supportedLoginProviders."+k, id, 1, 128, reProviderID, patProviderID)
	}
	v.optional("developerProviderName", p.DeveloperProviderName, 1, 128, reDeveloperName, patDeveloperName)
	v.count("openIdConnectProviderARNs", len(p.OpenIdConnectProviderARNs), 0, MaxPoolProviders)
	v.count("samlProviderARNs", len(p.SamlProviderARNs), 0, MaxPoolProviders)
	v.count("cognitoIdentityProviders", len(p.CognitoIdentityProviders), 0, MaxPoolProviders)
	for i, a := range p.OpenIdConnectProviderARNs {
		v.str(fmt.Sprintf("openIdConnectProviderARNs.%d.member", i+1), a, 20, 2048, nil, "")
	}
	for i, a := range p.SamlProviderARNs {
		v.str(fmt.Sprintf("samlProviderARNs.%d.member", i+1), a, 20, 2048, nil, "")
	}
	for i, c := range p.CognitoIdentityProviders {
		m := fmt.Sprintf("cognitoIdentityProviders.%d.member.", i+1)
		v.optional(m+"providerName", c.ProviderName, 1, 128, reCognitoName, patCognitoName)
		v.optional(m+"clientId", c.ClientId, 1, 128, reCognitoClientID, patCognitoClientID)
	}
}

// checkProviderARNs requires the pool's OIDC and SAML provider ARNs to
// be IAM providers of its account, of their kind, each listed once.
// Whether the provider exists is checked when a login names it.
func checkProviderARNs(account string, p *Pool) error {
	check := func(list []string, kind iam.ProviderKind, what string) error {
		seen := make(map[string]bool, len(list))
		for _, a := range list {
			k, acct, _, err := iam.ParseProviderARN(a)
			if err != nil || k != kind {
				return invalid("Invalid %s provider ARN: %s", what, echoValue(a))
			}
			if acct != account {
				return invalid("The %s provider %s is not of this account.", what, echoValue(a))
			}
			if seen[a] {
				return invalid("Duplicate %s provider ARN: %s", what, echoValue(a))
			}
			seen[a] = true
		}
		return nil
	}
	if err := check(p.OpenIdConnectProviderARNs, iam.ProviderOIDC, "OpenID Connect"); err != nil {
		return err
	}
	return check(p.SamlProviderARNs, iam.ProviderSAML, "SAML")
}

// poolResource is the authorization target of the pool id in account:
// its ARN, with its tags as aws:ResourceTag/KEY beside extra's keys. A
// pool that does not exist is still a target (its ARN, no tags): the
// action then answers ResourceNotFoundException once allowed. A
// malformed id is InvalidParameterException before any authorization,
// as AWS validates first.
func (s *Service) poolResource(ctx context.Context, account, id string, extra map[string][]string) (request.Target, error) {
	if err := checkPoolID(id); err != nil {
		return request.Target{}, err
	}
	t := request.Target{Resource: s.PoolARN(account, id), Context: extra}
	p, err := s.pool(ctx, account, id)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Code == CodeNotFound {
			return t, nil
		}
		return request.Target{}, err
	}
	t.Context = request.WithResourceTags(extra, maps.All(p.IdentityPoolTags))
	return t, nil
}

// updateTarget authorizes UpdateIdentityPool on the pool, with the tags
// it sets (IdentityPoolTags replaces them) as aws:RequestTag/KEY and
// aws:TagKeys, so that a policy conditioning tags binds the update as it
// binds TagResource.
func (s *Service) updateTarget(ctx context.Context, r *restjson.Request[Pool]) (request.Target, error) {
	ip, err := caller(r.Principal)
	if err != nil {
		return request.Target{}, err
	}
	return s.poolResource(ctx, ip.Account, r.Input.IdentityPoolId, request.RequestTagContext(maps.All(r.Input.IdentityPoolTags)))
}

// arnTarget authorizes the tag actions on the pool ARN their input names
// (it must be a pool of the caller's account), with the tags they set as
// aws:RequestTag/KEY and aws:TagKeys, and the pool's as
// aws:ResourceTag/KEY.
func arnTarget[In any](s *Service, f func(*In) (arn string, tags map[string]string)) func(context.Context, *restjson.Request[In]) (request.Target, error) {
	return func(ctx context.Context, r *restjson.Request[In]) (request.Target, error) {
		ip, err := caller(r.Principal)
		if err != nil {
			return request.Target{}, err
		}
		arn, tags := f(r.Input)
		id, err := s.arnPool(ip.Account, arn)
		if err != nil {
			return request.Target{}, err
		}
		return s.poolResource(ctx, ip.Account, id, request.RequestTagContext(maps.All(tags)))
	}
}

// arnPool returns the pool id a resource ARN names: InvalidParameterException
// when it is no identity pool ARN, ResourceNotFoundException when it is
// one of another region or account.
func (s *Service) arnPool(account, arn string) (string, error) {
	var v violations
	v.str("resourceArn", arn, 20, 2048, nil, "")
	if err := v.err(); err != nil {
		return "", err
	}
	a, err := iam.ParseARN(arn)
	id, ok := strings.CutPrefix(a.Resource, "identitypool/")
	if err != nil || a.Partition != iam.Partition || a.Service != "cognito-identity" || !ok || !validPoolID(id) {
		return "", invalid("Invalid resource ARN: %s", echoValue(arn))
	}
	if a.Region != s.region || a.Account != account {
		return "", poolNotFound(id)
	}
	return id, nil
}
