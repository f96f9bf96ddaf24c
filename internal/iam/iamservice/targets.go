package iamservice

import (
	"context"
	"errors"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// What each action is authorized on, after the Service Authorization
// Reference: the resource ARN of the entity the action touches (with its
// path, so the entity is read first) and the condition keys the action
// supports: aws:RequestTag/K and aws:TagKeys for tagging, iam:PolicyARN for
// attachments, iam:PermissionsBoundary (the requested boundary on the
// actions that set one, the entity's boundary on the others), and the
// entity's tags as aws:ResourceTag/K and iam:ResourceTag/K. An entity that
// does not exist is authorized on its path-less ARN; the action then
// reports NoSuchEntity, as AWS does to callers allowed to act.

// keys builds a Target's context.
type keys map[string][]string

func (k keys) requestTags(tags []iamapi.Tag) keys {
	if len(tags) == 0 {
		return k
	}
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		k["aws:RequestTag/"+t.Key] = []string{t.Value}
		names = append(names, t.Key)
	}
	k["aws:TagKeys"] = names
	return k
}

func (k keys) tagKeys(names []string) keys {
	if len(names) > 0 {
		k["aws:TagKeys"] = names
	}
	return k
}

func (k keys) boundary(arn string) keys {
	if arn != "" {
		k["iam:PermissionsBoundary"] = []string{arn}
	}
	return k
}

func (k keys) policyARN(arn string) keys {
	k["iam:PolicyARN"] = []string{arn}
	return k
}

func (k keys) resourceTags(tags []iam.Tag, iamToo bool) keys {
	for _, t := range tags {
		k["aws:ResourceTag/"+t.Key] = []string{t.Value}
		if iamToo {
			k["iam:ResourceTag/"+t.Key] = []string{t.Value}
		}
	}
	return k
}

func target(resource string, k keys) (request.Target, error) {
	if len(k) == 0 {
		k = nil
	}
	return request.Target{Resource: resource, Context: k}, nil
}

// listARN is the resource AWS authorizes a List action on:
// arn:aws:iam::ACCOUNT:user/ and so on.
func listARN(p *identity.Principal, typ string) string {
	return "arn:aws:iam::" + p.Account + ":" + typ + "/"
}

// fallback authorizes on resource when the entity was not found, and
// fails on any other store error.
func fallback(resource string, k keys, err error) (request.Target, error) {
	if !errors.Is(err, store.ErrNotFound) {
		return request.Target{}, err
	}
	return target(resource, k)
}

// onUser authorizes on a user (the caller when name is empty).
func (s *Service) onUser(ctx context.Context, p *identity.Principal, name string, k keys) (request.Target, error) {
	if k == nil {
		k = keys{}
	}
	if name == "" {
		if p.Type != identity.IAMUser {
			return target(p.CallerARN, k)
		}
		name = p.UserName
	}
	u, err := s.st.Users().Get(ctx, p.Account, name)
	if err != nil {
		return fallback(iam.UserARN(p.Account, "/", name), k, err)
	}
	if _, set := k["iam:PermissionsBoundary"]; !set {
		k.boundary(u.PermissionsBoundary)
	}
	return target(u.ARN(), k.resourceTags(u.Tags, true))
}

func (s *Service) onRole(ctx context.Context, p *identity.Principal, name string, k keys) (request.Target, error) {
	if k == nil {
		k = keys{}
	}
	r, err := s.st.Roles().Get(ctx, p.Account, name)
	if err != nil {
		return fallback(iam.RoleARN(p.Account, "/", name), k, err)
	}
	if _, set := k["iam:PermissionsBoundary"]; !set {
		k.boundary(r.PermissionsBoundary)
	}
	return target(r.ARN(), k.resourceTags(r.Tags, true))
}

func (s *Service) onGroup(ctx context.Context, p *identity.Principal, name string, k keys) (request.Target, error) {
	g, err := s.st.Groups().Get(ctx, p.Account, name)
	if err != nil {
		return fallback(iam.GroupARN(p.Account, "/", name), k, err)
	}
	return target(g.ARN(), k)
}

// onPolicy authorizes on a managed policy, with its tags when it is the
// caller's account's or AWS's: another account's policy is as absent to
// the caller (NoSuchEntity), and its tags stay out of the evaluation,
// where a condition on them would reveal them.
func (s *Service) onPolicy(ctx context.Context, p *identity.Principal, arn string, k keys) (request.Target, error) {
	if k == nil {
		k = keys{}
	}
	pol, err := s.st.Policies().Get(ctx, arn)
	if err != nil {
		return fallback(arn, k, err)
	}
	if pol.Account != p.Account && !pol.AWSManaged() {
		return target(arn, k)
	}
	return target(arn, k.resourceTags(pol.Tags, false))
}

// onDevice authorizes on a virtual MFA device, with its tags when it is
// the caller's account's (another account's stay out, as onPolicy's).
func (s *Service) onDevice(ctx context.Context, p *identity.Principal, serial string) (request.Target, error) {
	d, err := s.st.MFADevices().Get(ctx, serial)
	if err != nil {
		return fallback(serial, nil, err)
	}
	if d.Account != p.Account {
		return target(serial, nil)
	}
	return target(serial, keys{}.resourceTags(d.Tags, false))
}

// onKeyOwner authorizes GetAccessKeyLastUsed on the key's user.
func (s *Service) onKeyOwner(ctx context.Context, p *identity.Principal, id string) (request.Target, error) {
	k, err := s.st.AccessKeys().Get(ctx, id)
	if err != nil {
		return fallback(listARN(p, "user"), nil, err)
	}
	if k.Account != p.Account {
		return target(listARN(p, "user"), nil)
	}
	return s.onUser(ctx, p, k.UserName, nil)
}

// onSource authorizes SimulatePrincipalPolicy on the simulated entity.
func onSource(arn string) (request.Target, error) { return target(arn, nil) }
