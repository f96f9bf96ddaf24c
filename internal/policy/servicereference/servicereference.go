// Package servicereference reads the AWS Service Authorization Reference:
// for every service, its actions, the resource types each action acts on
// (with their ARN templates) and its condition keys with their types.
//
// It reads the JSON layout of the iam-data project (services.json,
// unassociatedConditions.json and one file per service under actions/,
// resourceTypes/ and conditionKeys/) from any fs.FS, loading a service's
// files the first time it is asked about. It is used for advice (the
// warnings of `brevet policy validate`), never to decide a request: AWS
// itself accepts unknown actions and keys in policies.
package servicereference

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// Reference is a loaded Service Authorization Reference. It is safe for
// concurrent use.
type Reference struct {
	fsys     fs.FS
	services map[string]bool // service prefixes, lower case
	// unassociated maps condition key prefixes that are not service
	// prefixes (OIDC provider hosts, "saml") to the services defining them.
	unassociated []prefixServices

	mu     sync.Mutex
	loaded map[string]*Service
}

type prefixServices struct {
	prefix   template
	services []string
}

// Service is one service's part of the reference.
type Service struct {
	Prefix string
	// Actions by lower-case name.
	Actions map[string]*Action
	// ResourceTypes by name.
	ResourceTypes map[string]ResourceType
	// ConditionKeys by lower-case key, for keys without placeholders;
	// Templates holds the others (aws:RequestTag/${TagKey},
	// s3:ExistingObjectTag/<key>).
	ConditionKeys map[string]ConditionKey
	Templates     []ConditionKey
}

// Action is one action of a service.
type Action struct {
	Name          string
	ResourceTypes []ActionResource
	ConditionKeys []string
}

// ActionResource is a resource type an action acts on.
type ActionResource struct {
	Name     string
	Required bool
}

// ResourceType is a resource type and its ARN template, for example
// arn:${Partition}:s3:::${BucketName}/${ObjectName}.
type ResourceType struct {
	Name string
	ARN  string
}

// ARNService is the service field of the resource type's ARN template
// ("s3"), which for some resource types is not the defining service's
// prefix (ssm's instance is an ec2 ARN).
func (r ResourceType) ARNService() string {
	parts := strings.SplitN(r.ARN, ":", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// ConditionKey is a condition key and its type as the reference writes it:
// String, ARN, Bool, Numeric, Date, IPAddress, or ArrayOf one of these for
// multivalued keys.
type ConditionKey struct {
	Key  string
	Type string
	tmpl template
}

// Load opens the reference rooted at fsys (the folder that holds
// services.json). It reads only the index; service files are read when
// first needed.
func Load(fsys fs.FS) (*Reference, error) {
	var prefixes []string
	if err := readJSON(fsys, "services.json", &prefixes); err != nil {
		return nil, err
	}
	if len(prefixes) == 0 {
		return nil, errors.New("servicereference: services.json lists no services")
	}
	r := &Reference{fsys: fsys, services: make(map[string]bool, len(prefixes)), loaded: map[string]*Service{}}
	for _, p := range prefixes {
		r.services[strings.ToLower(p)] = true
	}
	var unassoc map[string][]string
	err := readJSON(fsys, "unassociatedConditions.json", &unassoc)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for p, svcs := range unassoc {
		r.unassociated = append(r.unassociated, prefixServices{prefix: compileTemplate(p), services: svcs})
	}
	return r, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("servicereference: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("servicereference: %s: %w", name, err)
	}
	return nil
}

// KnownService reports whether prefix (any case) is a service in the
// reference.
func (r *Reference) KnownService(prefix string) bool {
	return r.services[strings.ToLower(prefix)]
}

// Services lists the reference's service prefixes, sorted.
func (r *Reference) Services() []string {
	out := make([]string, 0, len(r.services))
	for p := range r.services {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Service returns the named service, loading its files if needed.
func (r *Reference) Service(prefix string) (*Service, error) {
	prefix = strings.ToLower(prefix)
	if !r.services[prefix] {
		return nil, fmt.Errorf("servicereference: unknown service %q", prefix)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.loaded[prefix]; ok {
		return s, nil
	}
	s, err := r.loadService(prefix)
	if err != nil {
		return nil, err
	}
	r.loaded[prefix] = s
	return s, nil
}

type actionFile map[string]struct {
	Name          string `json:"name"`
	ResourceTypes []struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	} `json:"resourceTypes"`
	ConditionKeys []string `json:"conditionKeys"`
}

type resourceFile map[string]struct {
	Key string `json:"key"`
	ARN string `json:"arn"`
}

type keyFile map[string]struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

func (r *Reference) loadService(prefix string) (*Service, error) {
	var (
		af actionFile
		rf resourceFile
		kf keyFile
	)
	for _, f := range []struct {
		dir string
		v   any
	}{{"actions", &af}, {"resourceTypes", &rf}, {"conditionKeys", &kf}} {
		err := readJSON(r.fsys, path.Join(f.dir, prefix+".json"), f.v)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	s := &Service{
		Prefix:        prefix,
		Actions:       make(map[string]*Action, len(af)),
		ResourceTypes: make(map[string]ResourceType, len(rf)),
		ConditionKeys: make(map[string]ConditionKey, len(kf)),
	}
	for _, a := range af {
		act := &Action{Name: a.Name, ConditionKeys: a.ConditionKeys}
		for _, rt := range a.ResourceTypes {
			act.ResourceTypes = append(act.ResourceTypes, ActionResource{Name: rt.Name, Required: rt.Required})
		}
		s.Actions[strings.ToLower(a.Name)] = act
	}
	for name, rt := range rf {
		s.ResourceTypes[name] = ResourceType{Name: name, ARN: rt.ARN}
	}
	for _, k := range kf {
		ck := ConditionKey{Key: k.Key, Type: k.Type}
		if base, ok := strings.CutSuffix(k.Key, "/tag-key"); ok {
			// Secrets Manager's page writes its tag placeholder as plain text.
			ck.Key = base + "/${TagKey}"
		}
		if isTemplate(ck.Key) {
			ck.tmpl = compileTemplate(ck.Key)
			s.Templates = append(s.Templates, ck)
			continue
		}
		s.ConditionKeys[strings.ToLower(k.Key)] = ck
	}
	return s, nil
}

// MatchActions returns the actions of service whose names match pattern
// (case-insensitive; * matches any run of characters, ? any one).
func (r *Reference) MatchActions(service, pattern string) ([]*Action, error) {
	s, err := r.Service(service)
	if err != nil {
		return nil, err
	}
	pattern = strings.ToLower(pattern)
	if !strings.ContainsAny(pattern, "*?") {
		if a, ok := s.Actions[pattern]; ok {
			return []*Action{a}, nil
		}
		return nil, nil
	}
	var out []*Action
	for name, a := range s.Actions {
		if globMatch(pattern, name) {
			out = append(out, a)
		}
	}
	return out, nil
}

// ConditionKey looks a condition key up (case-insensitive) in the service
// its prefix names, or for a prefix that is no service (an OIDC provider's
// host, "saml"), in the services the reference associates with it.
// Template variables such as ${TagKey} match any non-empty text.
func (r *Reference) ConditionKey(key string) (ConditionKey, bool) {
	prefix, _, ok := strings.Cut(key, ":")
	if !ok {
		return ConditionKey{}, false
	}
	var services []string
	if r.KnownService(prefix) {
		services = append(services, prefix)
	}
	for _, u := range r.unassociated {
		if u.prefix.match(prefix) {
			services = append(services, u.services...)
		}
	}
	lower := strings.ToLower(key)
	for _, name := range services {
		s, err := r.Service(name)
		if err != nil {
			continue
		}
		if ck, ok := s.ConditionKeys[lower]; ok {
			return ck, true
		}
		for _, ck := range s.Templates {
			if ck.tmpl.match(key) {
				return ck, true
			}
		}
	}
	return ConditionKey{}, false
}

// KnownKeyPrefix reports whether keys with this prefix are described by
// the reference: a service prefix or an associated provider prefix.
func (r *Reference) KnownKeyPrefix(prefix string) bool {
	if r.KnownService(prefix) {
		return true
	}
	for _, u := range r.unassociated {
		if u.prefix.match(prefix) {
			return true
		}
	}
	return false
}

// ActionResourceServices reports whether any action of service matches
// pattern and returns the service fields of the ARN templates of the
// resource types those actions act on (policy.Catalog).
func (r *Reference) ActionResourceServices(service, pattern string) ([]string, bool) {
	acts, err := r.MatchActions(service, pattern)
	if err != nil || len(acts) == 0 {
		return nil, false
	}
	s, err := r.Service(service)
	if err != nil {
		return nil, false
	}
	seen := map[string]bool{}
	var out []string
	for _, a := range acts {
		for _, rt := range a.ResourceTypes {
			svc := s.ResourceTypes[rt.Name].ARNService()
			if svc != "" && !seen[svc] {
				seen[svc] = true
				out = append(out, svc)
			}
		}
	}
	return out, true
}

// ConditionKeyType returns the reference's type for key (policy.Catalog).
func (r *Reference) ConditionKeyType(key string) (string, bool) {
	ck, ok := r.ConditionKey(key)
	return ck.Type, ok
}
