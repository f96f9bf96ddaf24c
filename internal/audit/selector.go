package audit

import (
	"fmt"
	"strings"

	"github.com/brevet-dev/brevet/internal/request"
)

// ReadWriteType is an event selector's choice of data events by what the
// request does, as CloudTrail's ReadWriteType.
type ReadWriteType string

// The read/write types.
const (
	SelectAll       ReadWriteType = "All"
	SelectReadOnly  ReadWriteType = "ReadOnly"
	SelectWriteOnly ReadWriteType = "WriteOnly"
)

// DataSelector is one event selector for data events, shaped like
// CloudTrail's basic event selectors: which requests, by read/write type
// and resource, and the actions left out.
type DataSelector struct {
	// ReadWriteType is All (the default when empty), ReadOnly or
	// WriteOnly: data events whose readOnly is true or false.
	ReadWriteType ReadWriteType
	// Resources are CloudTrail's DataResource values: "arn:aws:s3" for
	// every bucket, "arn:aws:s3:::BUCKET/" for a bucket (its objects and
	// the bucket itself), "arn:aws:s3:::BUCKET/PREFIX" for its objects
	// under a prefix; a bucket ARN without "/" is the whole bucket. Other
	// services' ARNs are prefixes of their resource ARNs. "*", or no
	// resources at all, selects every data event.
	Resources []string
	// ExcludeActions are actions never recorded by this selector:
	// "GetObject" (any service) or "s3:GetObject", case-insensitive.
	ExcludeActions []string
}

// Selector decides which data events the trail records: a data event is
// recorded when any of its selectors selects it. Management events are
// never filtered, and neither is a request that failed (it has an error
// code or an error status): refusals are what a security trail is for.
// A nil *Selector records every data event.
type Selector struct {
	rules []selectorRule
}

type selectorRule struct {
	rw       ReadWriteType
	all      bool
	prefixes []arnPrefix
	exclude  []actionName
}

// arnPrefix matches resource ARNs that start with prefix, or equal exact
// (a bucket, when the prefix names all its objects).
type arnPrefix struct{ prefix, exact string }

type actionName struct{ service, action string }

// s3ARN starts every S3 bucket and object ARN.
const s3ARN = "arn:aws:s3:::"

// NewSelector checks and compiles selectors. An empty list records no
// data event (but failures, see Selector).
func NewSelector(sels []DataSelector) (*Selector, error) {
	s := &Selector{rules: make([]selectorRule, 0, len(sels))}
	for i, ds := range sels {
		r, err := compileSelector(ds)
		if err != nil {
			return nil, fmt.Errorf("audit: data event selector %d: %w", i+1, err)
		}
		s.rules = append(s.rules, r)
	}
	return s, nil
}

func compileSelector(ds DataSelector) (selectorRule, error) {
	r := selectorRule{rw: ds.ReadWriteType, all: len(ds.Resources) == 0}
	switch r.rw {
	case "":
		r.rw = SelectAll
	case SelectAll, SelectReadOnly, SelectWriteOnly:
	default:
		return r, fmt.Errorf("read/write type %q: want All, ReadOnly or WriteOnly", ds.ReadWriteType)
	}
	for _, v := range ds.Resources {
		p, all, err := compileResource(v)
		if err != nil {
			return r, err
		}
		r.all = r.all || all
		if !all {
			r.prefixes = append(r.prefixes, p)
		}
	}
	for _, a := range ds.ExcludeActions {
		a = strings.TrimSpace(a)
		svc, act, ok := strings.Cut(a, ":")
		if !ok {
			svc, act = "", a
		}
		if act == "" || strings.ContainsAny(act, ":*") {
			return r, fmt.Errorf("excluded action %q: want an action name such as GetObject or s3:GetObject", a)
		}
		r.exclude = append(r.exclude, actionName{service: svc, action: act})
	}
	return r, nil
}

// compileResource reads one DataResource value.
func compileResource(v string) (p arnPrefix, all bool, err error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "*":
		return p, true, nil
	case v == "arn:aws:s3" || v == s3ARN:
		return arnPrefix{prefix: s3ARN}, false, nil
	case strings.HasPrefix(v, s3ARN):
		bucket, _, hasSlash := strings.Cut(v[len(s3ARN):], "/")
		if bucket == "" {
			return p, false, fmt.Errorf("resource %q names no bucket: want arn:aws:s3:::BUCKET/ or arn:aws:s3:::BUCKET/PREFIX", v)
		}
		if !hasSlash {
			v += "/" // the bucket ARN: the whole bucket, not every bucket it prefixes
		}
		p = arnPrefix{prefix: v}
		if v == s3ARN+bucket+"/" {
			p.exact = s3ARN + bucket // every object, and the bucket itself
		}
		return p, false, nil
	case strings.HasPrefix(v, "arn:") && len(v) > len("arn:"):
		return arnPrefix{prefix: v}, false, nil
	}
	return p, false, fmt.Errorf("resource %q: want an ARN (or prefix), arn:aws:s3 for every bucket, or * for everything", v)
}

// Records reports whether the trail records rec.
func (s *Selector) Records(rec *request.Record) bool {
	if s == nil || rec.Category != request.CategoryData || rec.ErrorCode != "" || rec.Status >= 400 || rec.Refused > 0 {
		return true
	}
	for i := range s.rules {
		if s.rules[i].selects(rec) {
			return true
		}
	}
	return false
}

func (r *selectorRule) selects(rec *request.Record) bool {
	switch r.rw {
	case SelectReadOnly:
		if rec.Effect != request.ReadOnly {
			return false
		}
	case SelectWriteOnly:
		if rec.Effect == request.ReadOnly {
			return false
		}
	}
	for _, x := range r.exclude {
		if strings.EqualFold(x.action, rec.Action) && (x.service == "" || strings.EqualFold(x.service, rec.Service)) {
			return false
		}
	}
	if r.all {
		return true
	}
	for _, res := range rec.Resources {
		for _, p := range r.prefixes {
			if strings.HasPrefix(res.ARN, p.prefix) || res.ARN == p.exact && p.exact != "" {
				return true
			}
		}
	}
	return false
}
