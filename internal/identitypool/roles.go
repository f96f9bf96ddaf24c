package identitypool

// Roles, role mappings and principal tag maps: SetIdentityPoolRoles,
// GetIdentityPoolRoles, SetPrincipalTagAttributeMap,
// GetPrincipalTagAttributeMap, and the iam:PassRole authorizations
// setting roles needs.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// Bounds of SetIdentityPoolRoles and SetPrincipalTagAttributeMap (the
// model's). The role and mapping names are rolemap.go's.
const (
	maxRoleMappings          = 10
	maxMappingRules          = 400
	maxPrincipalTagAttribute = 50
)

// passRoles are the iam:PassRole authorizations SetIdentityPoolRoles
// needs, one per distinct role it gives (Roles and the mapping rules'),
// with iam:PassedToService cognito-identity.amazonaws.com, as AWS asks: a
// pool hands its roles to whoever its providers vouch for (and to
// guests), so cognito-identity:SetIdentityPoolRoles alone must not
// obtain a role the caller could not pass. The input is validated first,
// so the number of authorizations is bounded (at most 2 + 10 × 400).
func (s *Service) passRoles(_ context.Context, r *restjson.Request[SetIdentityPoolRolesInput]) ([]request.Target, error) {
	ip, err := caller(r.Principal)
	if err != nil {
		return nil, err
	}
	in := r.Input
	if err := checkRoles(ip.Account, in); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ts []request.Target
	pass := func(arn string) {
		if seen[arn] {
			return
		}
		seen[arn] = true
		ts = append(ts, request.Target{Action: "iam:PassRole", Resource: arn,
			Context: map[string][]string{"iam:PassedToService": {Principal}}})
	}
	for _, k := range slices.Sorted(maps.Keys(in.Roles)) {
		pass(in.Roles[k])
	}
	for _, k := range slices.Sorted(maps.Keys(in.RoleMappings)) {
		if rc := in.RoleMappings[k].RulesConfiguration; rc != nil {
			for _, rule := range rc.Rules {
				pass(rule.RoleARN)
			}
		}
	}
	return ts, nil
}

// checkRoles validates SetIdentityPoolRoles' input against the model and
// the contract: Roles keys authenticated and unauthenticated, every role
// an IAM role of account, mappings complete and consistent. Whether the
// mappings' providers are the pool's is checked against the pool
// (checkMappingProviders).
func checkRoles(account string, in *SetIdentityPoolRolesInput) error {
	var v violations
	if err := checkPoolID(in.IdentityPoolId); err != nil {
		return err
	}
	if in.Roles == nil {
		v.null("roles")
	}
	v.count("roles", len(in.Roles), 0, 2)
	for _, k := range slices.Sorted(maps.Keys(in.Roles)) {
		if k != RoleAuthenticated && k != RoleUnauthenticated {
			v.add("roles", k, "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "+patRoleType+"]")
		}
		v.str("roles."+k, in.Roles[k], 20, 2048, nil, "")
	}
	v.count("roleMappings", len(in.RoleMappings), 0, maxRoleMappings)
	for _, k := range slices.Sorted(maps.Keys(in.RoleMappings)) {
		v.str("roleMappings", k, 1, 128, nil, "")
		m := in.RoleMappings[k]
		path := "roleMappings." + k + ".member."
		v.enum(path+"type", m.Type, MappingToken, MappingRules)
		v.enum(path+"ambiguousRoleResolution", m.AmbiguousRoleResolution, ResolveAuthenticatedRole, ResolveDeny)
		if rc := m.RulesConfiguration; rc != nil {
			v.count(path+"rulesConfiguration.rules", len(rc.Rules), 1, maxMappingRules)
			for i, r := range rc.Rules {
				rp := fmt.Sprintf("%srulesConfiguration.rules.%d.member.", path, i+1)
				v.str(rp+"claim", r.Claim, 1, 64, reClaimName, patClaimName)
				v.enum(rp+"matchType", r.MatchType, MatchEquals, MatchContains, MatchStartsWith, MatchNotEqual)
				v.str(rp+"value", r.Value, 1, 128, nil, "")
				v.str(rp+"roleARN", r.RoleARN, 20, 2048, nil, "")
			}
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(in.RoleMappings)) {
		m := in.RoleMappings[k]
		switch {
		case m.Type == MappingRules && m.RulesConfiguration == nil:
			return invalid("RulesConfiguration is required for the Rules role mapping of %s.", echoValue(k))
		case m.Type == MappingToken && m.RulesConfiguration != nil:
			return invalid("RulesConfiguration must not be set for the Token role mapping of %s.", echoValue(k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Roles)) {
		if err := checkRoleARN(account, in.Roles[k]); err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.RoleMappings)) {
		if rc := in.RoleMappings[k].RulesConfiguration; rc != nil {
			for _, r := range rc.Rules {
				if err := checkRoleARN(account, r.RoleARN); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkRoleARN requires arn to be an IAM role of account.
func checkRoleARN(account, arn string) error {
	ref, err := iam.ParseEntityARN(arn)
	if err != nil || ref.Type != iam.ResourceRole || ref.Name == "" {
		return invalid("Invalid role ARN: %s", echoValue(arn))
	}
	if ref.Account != account {
		return invalid("The role %s is not of this identity pool's account.", echoValue(arn))
	}
	return nil
}

// providerConfigured reports whether name is a provider the pool accepts
// logins of, by the name Logins, role mappings and principal tag maps
// use: a SupportedLoginProviders key, an OIDC provider's name (its ARN
// after "oidc-provider/"), a SAML provider's ARN, or a Cognito user
// pool provider ("NAME:CLIENTID", or NAME).
func (p *Pool) providerConfigured(name string) bool {
	if _, ok := p.SupportedLoginProviders[name]; ok {
		return true
	}
	for _, a := range p.OpenIdConnectProviderARNs {
		if _, n, ok := strings.Cut(a, ":oidc-provider/"); ok && n == name {
			return true
		}
	}
	if slices.Contains(p.SamlProviderARNs, name) {
		return true
	}
	for _, c := range p.CognitoIdentityProviders {
		if name == c.ProviderName || name == c.ProviderName+":"+c.ClientId {
			return true
		}
	}
	return false
}

// SetIdentityPoolRoles replaces the pool's roles and role mappings (an
// absent RoleMappings removes them, as on AWS). A mapping must name a
// provider of the pool (AWS's check and words).
func (s *Service) SetIdentityPoolRoles(ctx context.Context, account string, in *SetIdentityPoolRolesInput) error {
	if err := checkRoles(account, in); err != nil {
		return err
	}
	_, err := s.modifyPool(ctx, account, in.IdentityPoolId, func(p *Pool) error {
		for _, k := range slices.Sorted(maps.Keys(in.RoleMappings)) {
			if !p.providerConfigured(k) {
				return invalid("%s is not a valid RoleMapping ProviderName or is not a configured provider.", echoValue(k))
			}
		}
		p.Roles = nonEmpty(in.Roles)
		p.RoleMappings = nonEmpty(in.RoleMappings)
		return nil
	})
	return err
}

// nonEmpty is m, or nil when it is empty (stored as absent).
func nonEmpty[K comparable, V any](m map[K]V) map[K]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

// GetIdentityPoolRoles returns the pool's roles and role mappings.
func (s *Service) GetIdentityPoolRoles(ctx context.Context, account, id string) (*IdentityPoolRoles, error) {
	p, err := s.pool(ctx, account, id)
	if err != nil {
		return nil, err
	}
	return &IdentityPoolRoles{IdentityPoolId: p.IdentityPoolId, Roles: p.Roles, RoleMappings: p.RoleMappings}, nil
}

// checkPrincipalTags validates a principal tag attribute map's input.
func checkPrincipalTags(id, provider string, tags map[string]string) error {
	if err := checkPoolID(id); err != nil {
		return err
	}
	var v violations
	v.str("identityProviderName", provider, 1, 128, nil, "")
	v.count("principalTags", len(tags), 0, maxPrincipalTagAttribute)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v.str("principalTags", k, 1, 128, nil, "")
		v.str("principalTags."+k, tags[k], 1, 256, nil, "")
	}
	if err := v.err(); err != nil {
		return err
	}
	return checkSessionTagKeys(tags)
}

// SetPrincipalTagAttributeMap sets which claims of the provider's tokens
// become the session's principal tags (UseDefaults: aud and sub). The
// provider must be one of the pool's.
func (s *Service) SetPrincipalTagAttributeMap(ctx context.Context, account string, in *PrincipalTagAttributeMap) (*PrincipalTagAttributeMap, error) {
	if err := checkPrincipalTags(in.IdentityPoolId, in.IdentityProviderName, in.PrincipalTags); err != nil {
		return nil, err
	}
	m := TagAttributeMap{PrincipalTags: nonEmpty(in.PrincipalTags)}
	if in.UseDefaults != nil {
		m.UseDefaults = *in.UseDefaults
	}
	_, err := s.modifyPool(ctx, account, in.IdentityPoolId, func(p *Pool) error {
		if !p.providerConfigured(in.IdentityProviderName) {
			return invalid("%s is not a configured provider of this identity pool.", echoValue(in.IdentityProviderName))
		}
		if p.PrincipalTags == nil {
			p.PrincipalTags = map[string]TagAttributeMap{}
		}
		p.PrincipalTags[in.IdentityProviderName] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return principalTagOutput(in.IdentityPoolId, in.IdentityProviderName, m), nil
}

// GetPrincipalTagAttributeMap returns the provider's principal tag map;
// for a provider that has none, UseDefaults false and no tags (no
// principal tags are set).
func (s *Service) GetPrincipalTagAttributeMap(ctx context.Context, account string, in *ProviderNameInput) (*PrincipalTagAttributeMap, error) {
	if err := checkPrincipalTags(in.IdentityPoolId, in.IdentityProviderName, nil); err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, account, in.IdentityPoolId)
	if err != nil {
		return nil, err
	}
	return principalTagOutput(p.IdentityPoolId, in.IdentityProviderName, p.PrincipalTags[in.IdentityProviderName]), nil
}

func principalTagOutput(id, provider string, m TagAttributeMap) *PrincipalTagAttributeMap {
	return &PrincipalTagAttributeMap{IdentityPoolId: id, IdentityProviderName: provider, UseDefaults: &m.UseDefaults, PrincipalTags: m.PrincipalTags}
}
