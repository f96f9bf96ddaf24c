package request

import (
	"iter"
	"maps"
)

// The condition keys of tagging, which a Target's Context carries for the
// services whose resources have tags.

// RequestTagContext is the condition keys of a request that sets tags:
// aws:RequestTag/KEY for each tag, and aws:TagKeys listing the keys in
// the order tags yields them; nil when there are none.
func RequestTagContext(tags iter.Seq2[string, string]) map[string][]string {
	var c map[string][]string
	var keys []string
	for k, v := range tags {
		if c == nil {
			c = map[string][]string{}
		}
		c["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	if c != nil {
		c["aws:TagKeys"] = keys
	}
	return c
}

// WithResourceTags is extra's condition keys and aws:ResourceTag/KEY for
// each of a resource's tags, in a new map; extra itself when there are no
// tags.
func WithResourceTags(extra map[string][]string, tags iter.Seq2[string, string]) map[string][]string {
	var c map[string][]string
	for k, v := range tags {
		if c == nil {
			c = maps.Clone(extra)
			if c == nil {
				c = map[string][]string{}
			}
		}
		c["aws:ResourceTag/"+k] = []string{v}
	}
	if c == nil {
		return extra
	}
	return c
}
