package sts

import (
	"context"
	"strconv"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/stsapi"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// OutboundDisabledError: GetWebIdentityToken was called but the server
// has no issuer configured (AWS:
// OutboundWebIdentityFederationDisabledException).
type OutboundDisabledError struct{}

func (OutboundDisabledError) Error() string {
	return "Outbound web identity federation is not enabled for this account."
}

// webTokenTarget is what GetWebIdentityToken is authorized on: "*" with
// the request's audiences, duration, algorithm and tags as condition
// keys, so an identity policy can say which audiences a principal may
// mint tokens for and for how long.
func webTokenTarget(p *identity.Principal, in *stsapi.GetWebIdentityTokenRequest) (request.Target, error) {
	if err := sessionMayCall(p, "GetWebIdentityToken"); err != nil {
		return request.Target{}, err
	}
	keys := map[string][]string{
		"sts:IdentityTokenAudience": in.Audience,
		"sts:DurationSeconds":       {strconv.Itoa(int(duration(in.DurationSeconds, int(issuer.DefaultDuration/time.Second)) / time.Second))},
	}
	if in.SigningAlgorithm != "" {
		keys["sts:SigningAlgorithm"] = []string{in.SigningAlgorithm}
	}
	tags, err := sessionTags(in.Tags)
	if err != nil {
		return request.Target{}, err
	}
	tagContext(keys, tags)
	return request.Target{Resource: "*", Context: keys}, nil
}

// GetWebIdentityToken returns a JWT, signed by Brevet's OIDC issuer, that
// says who the caller is: its account, its principal ARN (the role ARN
// for a role session, as AWS does), its session tags and source identity.
// The dispatcher has authorized sts:GetWebIdentityToken.
func (s *Service) GetWebIdentityToken(_ context.Context, p *identity.Principal, in *stsapi.GetWebIdentityTokenRequest, now time.Time) (*stsapi.GetWebIdentityTokenResponse, error) {
	if s.fed.cfg.Issuer == nil {
		return nil, OutboundDisabledError{}
	}
	tags, err := sessionTags(in.Tags)
	if err != nil {
		return nil, err
	}
	mi := issuer.MintInput{
		Account: p.Account, Subject: p.CallerARN, Audience: in.Audience,
		Duration: duration(in.DurationSeconds, int(issuer.DefaultDuration/time.Second)), Algorithm: in.SigningAlgorithm,
		SourceRegion: s.region,
	}
	if len(tags) > 0 {
		mi.RequestTags = map[string]string{}
		for _, t := range tags {
			mi.RequestTags[t.Key] = t.Value
		}
	}
	if c := p.Session; c != nil {
		mi.Subject = c.PrincipalARN
		mi.SessionExpiry = c.Expires
		mi.SourceIdentity = c.SourceIdentity
		if len(c.Tags) > 0 {
			mi.PrincipalTags = map[string]string{}
			for _, t := range c.Tags {
				mi.PrincipalTags[t.Key] = t.Value
			}
		}
	}
	tok, err := s.fed.cfg.Issuer.Mint(mi, now)
	if err != nil {
		return nil, err
	}
	return &stsapi.GetWebIdentityTokenResponse{WebIdentityToken: tok.Raw, Expiration: tok.Expiration}, nil
}
