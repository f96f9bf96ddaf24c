package authzapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/request"
)

// MaxRouteMapBytes bounds a route map file.
const MaxRouteMapBytes = 4 << 20

// reservedSigningNames are the services Brevet itself answers as: a route
// map may not claim their SigV4 scopes, or a request signed for Brevet's
// own APIs would pass for a request to another service.
var reservedSigningNames = []string{"sts", "iam", "cloudtrail", "s3", "brevet", "signin", "sso", "kms"}

// fileMap is a route map file as written.
type fileMap struct {
	Services []fileService `yaml:"services"`
}

type fileService struct {
	Name            string      `yaml:"name"`
	SigningName     string      `yaml:"signing_name"`
	Hosts           []string    `yaml:"hosts"`
	Account         string      `yaml:"account"`
	Region          string      `yaml:"region"`
	ResourceType    string      `yaml:"resource_type"`
	BearerAudiences []string    `yaml:"bearer_audiences"`
	BearerRole      string      `yaml:"bearer_role"`
	Routes          []fileRoute `yaml:"routes"`
}

type fileRoute struct {
	Method     string            `yaml:"method"`
	Path       string            `yaml:"path"`
	Action     string            `yaml:"action"`
	Resource   string            `yaml:"resource"`
	Conditions map[string]string `yaml:"conditions"`
	BearerRole string            `yaml:"bearer_role"`
}

// Defaults are what a service that does not say takes from the node.
type Defaults struct {
	// Account is the account resource ARNs name ({account}); the node's.
	Account string
	// Region is the region resource ARNs name ({region}); the node's
	// first.
	Region string
}

// Map is a compiled route map. It is immutable and safe for concurrent
// use.
type Map struct {
	services []*Service
}

// Service is one service behind the authorization API.
type Service struct {
	// Name is the action prefix ("orders") and the audit event source.
	Name string
	// SigningName is the SigV4 service name clients sign for.
	SigningName string
	// Hosts, when not empty, are the only Host values the service's
	// routes match.
	Hosts []string
	// Account and Region fill {account} and {region} in resource ARNs.
	Account, Region string
	// ResourceType is the audit event's resource type.
	ResourceType string
	// BearerAudiences are the audiences of Brevet's own tokens
	// (GetWebIdentityToken) the service accepts; none: not accepted.
	BearerAudiences []string
	// BearerRole is the role a registered OIDC provider's token is
	// mapped to, by the role's trust policy; "": not accepted.
	BearerRole string
	routes     []*Route
}

// Route is one method and path template of a service.
type Route struct {
	Service *Service
	// Method is the HTTP method, or "*" for any.
	Method string
	// Path is the template as written.
	Path string
	// Action is the IAM action ("orders:GetOrder").
	Action string
	// BearerRole overrides the service's.
	BearerRole string
	tmpl       *template
	resource   []resPart
	conditions []condition
	op         request.Operation
}

// resPart is a literal piece of a resource template, or a placeholder.
type resPart struct {
	literal string
	capture int // index of the path capture; -1 for a literal or a service value
}

type sourceKind uint8

const (
	fromQuery sourceKind = iota + 1
	fromHeader
	fromPath
)

// condition is a condition key taken from the request.
type condition struct {
	key     string
	kind    sourceKind
	name    string
	capture int
}

// ParseRouteMap reads a route map strictly: unknown keys, bad templates,
// actions that are not PREFIX:Name with the service's prefix, condition
// sources that are not query:, header: or path: are all errors, reported
// together.
func ParseRouteMap(data []byte, d Defaults) (*Map, error) {
	if len(data) > MaxRouteMapBytes {
		return nil, fmt.Errorf("route map: larger than %d bytes", MaxRouteMapBytes)
	}
	var fm fileMap
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("route map: %w", err)
	}
	return compileMap(&fm, d)
}

func compileMap(fm *fileMap, d Defaults) (*Map, error) {
	var errs []error
	fail := func(at, format string, a ...any) {
		errs = append(errs, fmt.Errorf("route map: %s: %s", at, fmt.Sprintf(format, a...)))
	}
	m := &Map{}
	names := map[string]bool{}
	if len(fm.Services) == 0 {
		fail("services", "no service is described")
	}
	for i := range fm.Services {
		fs := &fm.Services[i]
		at := fmt.Sprintf("services[%d]", i)
		s := &Service{
			Name: fs.Name, SigningName: fs.SigningName, Account: fs.Account, Region: fs.Region,
			ResourceType: fs.ResourceType, BearerAudiences: fs.BearerAudiences, BearerRole: fs.BearerRole,
		}
		if !validPrefix(s.Name) {
			fail(at+".name", "%q must be a lower-case action prefix (letters, digits, -)", s.Name)
		} else if names[s.Name] {
			fail(at+".name", "service %q is described twice", s.Name)
		}
		names[s.Name] = true
		if s.SigningName == "" {
			s.SigningName = s.Name
		}
		if !validPrefix(s.SigningName) {
			fail(at+".signing_name", "%q must be a SigV4 service name (lower-case letters, digits, -)", s.SigningName)
		} else if slices.Contains(reservedSigningNames, s.SigningName) {
			fail(at+".signing_name", "%q is a service Brevet answers as itself; choose another name", s.SigningName)
		}
		for _, h := range fs.Hosts {
			if h == "" || strings.ContainsAny(h, "/ ") {
				fail(at+".hosts", "%q is not a host[:port]", h)
			}
			s.Hosts = append(s.Hosts, strings.ToLower(h))
		}
		if s.Account == "" {
			s.Account = d.Account
		}
		if iam.ValidateAccountID(s.Account) != nil {
			fail(at+".account", "%q is not a 12-digit account id", s.Account)
		}
		if s.Region == "" {
			s.Region = d.Region
		}
		if s.ResourceType == "" {
			s.ResourceType = "Brevet::" + s.Name + "::Resource"
		}
		for _, a := range s.BearerAudiences {
			if a == "" {
				fail(at+".bearer_audiences", "an audience is empty")
			}
		}
		if s.BearerRole != "" && !isRoleARN(s.BearerRole) {
			fail(at+".bearer_role", "%q is not a role ARN", s.BearerRole)
		}
		if len(fs.Routes) == 0 {
			fail(at+".routes", "the service has no route")
		}
		for j := range fs.Routes {
			r, err := compileRoute(s, &fs.Routes[j])
			if err != nil {
				fail(fmt.Sprintf("%s.routes[%d]", at, j), "%v", err)
				continue
			}
			s.routes = append(s.routes, r)
		}
		m.services = append(m.services, s)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

func isRoleARN(s string) bool {
	ref, err := iam.ParseEntityARN(s)
	return err == nil && ref.Type == iam.ResourceRole
}

func validPrefix(s string) bool {
	if s == "" || !('a' <= s[0] && s[0] <= 'z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validActionName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !('0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func validMethod(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func compileRoute(s *Service, fr *fileRoute) (*Route, error) {
	r := &Route{Service: s, Method: fr.Method, Path: fr.Path, Action: fr.Action, BearerRole: fr.BearerRole}
	if !validMethod(r.Method) {
		return nil, fmt.Errorf("method %q must be an upper-case HTTP method or *", r.Method)
	}
	var err error
	if r.tmpl, err = compileTemplate(r.Path); err != nil {
		return nil, err
	}
	prefix, name, ok := strings.Cut(r.Action, ":")
	if !ok || prefix != s.Name || !validActionName(name) {
		return nil, fmt.Errorf("action %q must be %s:ActionName (letters and digits, no wildcard)", r.Action, s.Name)
	}
	if r.BearerRole != "" && !isRoleARN(r.BearerRole) {
		return nil, fmt.Errorf("bearer_role %q is not a role ARN", r.BearerRole)
	}
	if r.resource, err = compileResource(fr.Resource, r.tmpl, s); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(fr.Conditions))
	for k := range fr.Conditions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c, err := compileCondition(k, fr.Conditions[k], r.tmpl)
		if err != nil {
			return nil, err
		}
		r.conditions = append(r.conditions, c)
	}
	// The authorization API's checks change nothing in Brevet: they are
	// read-only for the pipeline (no store write, no cache sync).
	r.op = request.Operation{Service: s.SigningName, Name: name, Action: r.Action, Effect: request.ReadOnly}
	return r, nil
}

// compileResource parses an ARN template: literal text with {capture},
// {region} and {account} placeholders.
func compileResource(t string, tmpl *template, s *Service) ([]resPart, error) {
	if t == "" {
		return nil, errors.New("resource is required (an ARN template, or *)")
	}
	if t != "*" && !strings.HasPrefix(t, "arn:") {
		return nil, fmt.Errorf("resource %q must be an ARN template (arn:...) or *", t)
	}
	var parts []resPart
	rest := t
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return nil, fmt.Errorf("resource %q: unbalanced }", t)
			}
			parts = append(parts, resPart{literal: rest, capture: -1})
			break
		}
		if strings.IndexByte(rest[:i], '}') >= 0 {
			return nil, fmt.Errorf("resource %q: unbalanced }", t)
		}
		if i > 0 {
			parts = append(parts, resPart{literal: rest[:i], capture: -1})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("resource %q: unbalanced {", t)
		}
		name := rest[i+1 : i+j]
		switch {
		case name == "region":
			parts = append(parts, resPart{literal: s.Region, capture: -1})
		case name == "account":
			parts = append(parts, resPart{literal: s.Account, capture: -1})
		default:
			c := tmpl.captureIndex(name)
			if c < 0 {
				return nil, fmt.Errorf("resource %q: {%s} is neither a capture of the path nor {region} or {account}", t, name)
			}
			parts = append(parts, resPart{capture: c})
		}
		rest = rest[i+j+1:]
	}
	return parts, nil
}

func compileCondition(key, from string, tmpl *template) (condition, error) {
	prefix, name, ok := strings.Cut(key, ":")
	if !ok || prefix == "" || name == "" || strings.ContainsAny(key, " *?") {
		return condition{}, fmt.Errorf("condition key %q must be PREFIX:Name", key)
	}
	if strings.EqualFold(prefix, "aws") {
		return condition{}, fmt.Errorf("condition key %q: aws: keys are Brevet's to set, from the request itself", key)
	}
	kind, src, ok := strings.Cut(from, ":")
	if !ok || src == "" {
		return condition{}, fmt.Errorf("condition %q: source %q must be query:NAME, header:NAME or path:NAME", key, from)
	}
	c := condition{key: key, name: src, capture: -1}
	switch kind {
	case "query":
		c.kind = fromQuery
	case "header":
		c.kind = fromHeader
		c.name = http.CanonicalHeaderKey(src)
	case "path":
		c.kind = fromPath
		if c.capture = tmpl.captureIndex(src); c.capture < 0 {
			return condition{}, fmt.Errorf("condition %q: the path has no capture {%s}", key, src)
		}
	default:
		return condition{}, fmt.Errorf("condition %q: source %q must be query:NAME, header:NAME or path:NAME", key, from)
	}
	return c, nil
}

// Services are the map's services, in the file's order.
func (m *Map) Services() []*Service { return m.services }

// SigningNames are the SigV4 service names the map's services are
// signed for, each once.
func (m *Map) SigningNames() []string {
	var out []string
	for _, s := range m.services {
		if !slices.Contains(out, s.SigningName) {
			out = append(out, s.SigningName)
		}
	}
	return out
}

// match finds the first route of the map for method, host and the raw
// path (no query), and its captures.
func (m *Map) match(method, host, path string, c *captures) *Route {
	for _, s := range m.services {
		if len(s.Hosts) > 0 && !hostMatches(s.Hosts, host) {
			continue
		}
		for _, r := range s.routes {
			if r.Method != "*" && r.Method != method {
				continue
			}
			if r.tmpl.match(path, c) {
				return r
			}
		}
	}
	return nil
}

func hostMatches(hosts []string, host string) bool {
	for _, h := range hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
