package rolesanywhere

import (
	"context"
	"errors"
	"iter"
	"regexp"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

var tagPattern = regexp.MustCompile(`^[ a-zA-Z0-9_.:/=+@\-]*$`)

// checkTags validates tags to add: the model's lengths and pattern, no
// reserved "aws:" prefix, each key once.
func checkTags(tags []Tag) error {
	if len(tags) > 200 {
		return invalid("Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 200")
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if err := checkTagKey(t.Key); err != nil {
			return err
		}
		if len(t.Value) > 256 || !tagPattern.MatchString(t.Value) {
			return invalid("Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256 and match [ a-zA-Z0-9_.:/=+@-]*")
		}
		if seen[t.Key] {
			return invalid("Duplicate tag key: %s", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func checkTagKey(k string) error {
	if len(k) < 1 || len(k) > 128 || !tagPattern.MatchString(k) {
		return invalid("Value at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128 and match [ a-zA-Z0-9_.:/=+@-]*")
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return invalid("Tag keys starting with 'aws:' are reserved for AWS use")
	}
	return nil
}

// mergeTags sets add's tags on tags (a key given again takes the new
// value) and enforces MaxTags.
func mergeTags(tags, add []Tag) ([]Tag, error) {
	out := append([]Tag(nil), tags...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, found = t.Value, true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, &TooManyTagsError{}
	}
	return out, nil
}

// TagRequestContext is the condition keys of a request that tags: the
// aws:RequestTag/KEY of each tag and aws:TagKeys; nil for none.
func TagRequestContext(tags []Tag) map[string][]string {
	return request.RequestTagContext(tagPairs(tags))
}

// tagPairs yields each tag's key and value, in order.
func tagPairs(tags []Tag) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, t := range tags {
			if !yield(t.Key, t.Value) {
				return
			}
		}
	}
}

// taggedDoc is a stored resource document that carries tags.
type taggedDoc interface {
	tagList() *[]Tag
}

func (d *anchorDoc) tagList() *[]Tag  { return &d.Tags }
func (d *profileDoc) tagList() *[]Tag { return &d.Tags }
func (d *crlDoc) tagList() *[]Tag     { return &d.Tags }

func newDoc(kind string) taggedDoc {
	switch kind {
	case KindTrustAnchor:
		return &anchorDoc{}
	case KindProfile:
		return &profileDoc{}
	}
	return &crlDoc{}
}

// TagResource adds tags to the resource the ARN names.
func (s *Service) TagResource(ctx context.Context, account string, in *TagResourceInput, now time.Time) (*Empty, error) {
	if in.ResourceArn == nil || in.Tags == nil {
		return nil, invalid("resourceArn and tags are required")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	a, err := s.ownARN(account, *in.ResourceArn, "")
	if err != nil {
		return nil, err
	}
	doc := newDoc(a.Kind)
	o, err := s.get(ctx, account, a.Kind, a.ID, doc)
	if err != nil {
		return nil, err
	}
	tags, err := mergeTags(*doc.tagList(), in.Tags)
	if err != nil {
		return nil, err
	}
	*doc.tagList() = tags
	return &Empty{}, s.put(ctx, &o, doc, now)
}

// UntagResource removes tag keys from the resource the ARN names.
func (s *Service) UntagResource(ctx context.Context, account string, in *UntagResourceInput, now time.Time) (*Empty, error) {
	if in.ResourceArn == nil || in.TagKeys == nil {
		return nil, invalid("resourceArn and tagKeys are required")
	}
	if len(in.TagKeys) > 200 {
		return nil, invalid("Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 200")
	}
	a, err := s.ownARN(account, *in.ResourceArn, "")
	if err != nil {
		return nil, err
	}
	doc := newDoc(a.Kind)
	o, err := s.get(ctx, account, a.Kind, a.ID, doc)
	if err != nil {
		return nil, err
	}
	drop := make(map[string]bool, len(in.TagKeys))
	for _, k := range in.TagKeys {
		drop[k] = true
	}
	var kept []Tag
	for _, t := range *doc.tagList() {
		if !drop[t.Key] {
			kept = append(kept, t)
		}
	}
	*doc.tagList() = kept
	return &Empty{}, s.put(ctx, &o, doc, now)
}

// ListTagsForResource returns the tags of the resource the ARN names.
func (s *Service) ListTagsForResource(ctx context.Context, account string, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	if in.ResourceArn == "" {
		return nil, invalid("resourceArn is required")
	}
	a, err := s.ownARN(account, in.ResourceArn, "")
	if err != nil {
		return nil, err
	}
	doc := newDoc(a.Kind)
	if _, err := s.get(ctx, account, a.Kind, a.ID, doc); err != nil {
		return nil, err
	}
	tags := *doc.tagList()
	if tags == nil {
		tags = []Tag{}
	}
	return &ListTagsForResourceOutput{Tags: tags}, nil
}

// ResourceTags returns the tags of the resource the ARN names, for the
// authorizer's aws:ResourceTag keys; none when it does not exist or is
// not the account's. A store failure is an error, never "no tags": a Deny
// conditioned on a resource tag must not lapse while the store is down.
func (s *Service) ResourceTags(ctx context.Context, account, arn string) ([]Tag, error) {
	a, err := s.ownARN(account, arn, "")
	if err != nil {
		return nil, nil
	}
	doc := newDoc(a.Kind)
	if _, err := s.get(ctx, account, a.Kind, a.ID, doc); err != nil {
		if _, ok := errors.AsType[*NotFoundError](err); ok {
			return nil, nil
		}
		return nil, err
	}
	return *doc.tagList(), nil
}
