package identitypool

// The pools' tags: TagResource, UntagResource, ListTagsForResource, and
// the tag constraints CreateIdentityPool and UpdateIdentityPool share.

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
)

// checkPoolTags records the constraints of tags to set: at most MaxTags,
// keys of 1–128 characters and values of at most 256, both of AWS's tag
// character set.
func checkPoolTags(v *violations, member string, tags map[string]string) {
	v.count(member, len(tags), 0, MaxTags)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		v.str(member, k, 1, 128, reTag, patTag)
		v.str(member+"."+k, tags[k], 0, 256, reTag, patTag)
	}
}

// checkReservedTags refuses keys with AWS's reserved prefix "aws:".
func checkReservedTags(tags map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if err := checkReservedTagKey(k); err != nil {
			return err
		}
	}
	return nil
}

// checkSessionTagKeys refuses principal tag keys a session could not
// carry (STS's rules): the reserved prefix "aws:", and two keys that
// differ only by case.
func checkSessionTagKeys(tags map[string]string) error {
	if err := checkReservedTags(tags); err != nil {
		return err
	}
	seen := make(map[string]bool, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		l := strings.ToLower(k)
		if seen[l] {
			return invalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[l] = true
	}
	return nil
}

func checkReservedTagKey(k string) error {
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return invalid("Tag keys starting with 'aws:' are reserved for AWS use: %s", echoValue(k))
	}
	return nil
}

// TagResource adds tags to the pool the ARN names (a key given again
// takes the new value); a pool holds at most MaxTags.
func (s *Service) TagResource(ctx context.Context, account string, in *TagResourceInput) error {
	var v violations
	if in.Tags == nil {
		v.null("tags")
	}
	checkPoolTags(&v, "tags", in.Tags)
	if err := v.err(); err != nil {
		return err
	}
	if err := checkReservedTags(in.Tags); err != nil {
		return err
	}
	return s.modifyTags(ctx, account, in.ResourceArn, func(tags map[string]string) error {
		maps.Copy(tags, in.Tags)
		if len(tags) > MaxTags {
			return invalid("An identity pool can have at most %d tags.", MaxTags)
		}
		return nil
	})
}

// UntagResource removes tag keys from the pool the ARN names; keys it
// does not have are ignored.
func (s *Service) UntagResource(ctx context.Context, account string, in *UntagResourceInput) error {
	var v violations
	if in.TagKeys == nil {
		v.null("tagKeys")
	}
	v.count("tagKeys", len(in.TagKeys), 0, MaxTags)
	for i, k := range in.TagKeys {
		v.str("tagKeys."+strconv.Itoa(i+1)+".member", k, 1, 128, nil, "")
	}
	if err := v.err(); err != nil {
		return err
	}
	return s.modifyTags(ctx, account, in.ResourceArn, func(tags map[string]string) error {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return nil
	})
}

// modifyTags changes the tags of the pool arn names: edit gets a copy of
// them (never nil) to change in place, or refuses with an error.
func (s *Service) modifyTags(ctx context.Context, account, arn string, edit func(tags map[string]string) error) error {
	id, err := s.arnPool(account, arn)
	if err != nil {
		return err
	}
	_, err = s.modifyPool(ctx, account, id, func(p *Pool) error {
		tags := maps.Clone(p.IdentityPoolTags)
		if tags == nil {
			tags = map[string]string{}
		}
		if err := edit(tags); err != nil {
			return err
		}
		p.IdentityPoolTags = nonEmpty(tags)
		return nil
	})
	return err
}

// untagTarget authorizes UntagResource on the pool its ARN names, with
// the keys it removes as aws:TagKeys (AWS's key for untagging).
func (s *Service) untagTarget(ctx context.Context, r *restjson.Request[UntagResourceInput]) (request.Target, error) {
	ip, err := caller(r.Principal)
	if err != nil {
		return request.Target{}, err
	}
	id, err := s.arnPool(ip.Account, r.Input.ResourceArn)
	if err != nil {
		return request.Target{}, err
	}
	var keys map[string][]string
	if len(r.Input.TagKeys) > 0 {
		keys = map[string][]string{"aws:TagKeys": slices.Clone(r.Input.TagKeys)}
	}
	return s.poolResource(ctx, ip.Account, id, keys)
}

// ListTagsForResource returns the tags of the pool the ARN names.
func (s *Service) ListTagsForResource(ctx context.Context, account string, in *ResourceArnInput) (*TagsOutput, error) {
	id, err := s.arnPool(account, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	p, err := s.pool(ctx, account, id)
	if err != nil {
		return nil, err
	}
	tags := maps.Clone(p.IdentityPoolTags)
	if tags == nil {
		tags = map[string]string{}
	}
	return &TagsOutput{Tags: tags}, nil
}
