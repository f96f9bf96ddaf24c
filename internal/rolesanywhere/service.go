package rolesanywhere

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	fx509 "github.com/brevet-dev/brevet/internal/federation/x509"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/sigv4"
	"github.com/brevet-dev/brevet/internal/store"
)

// The store.Objects kinds this package owns.
const (
	KindTrustAnchor = "rolesanywhere.trust-anchor"
	KindProfile     = "rolesanywhere.profile"
	KindCRL         = "rolesanywhere.crl"
)

// Limits (AWS's quotas and the model's constraints).
const (
	// MaxTags is the number of tags a resource may carry.
	MaxTags = 50
	// DefaultPageSize and MaxPageSize bound a List page.
	DefaultPageSize = 50
	MaxPageSize     = 100
	// DefaultDuration is a profile's session duration when none is
	// given; MinDuration and MaxDuration bound it, in seconds.
	DefaultDuration = 3600
	MinDuration     = 900
	MaxDuration     = 43200
)

// Config configures a Service.
type Config struct {
	// Objects keeps the trust anchors, profiles and CRLs; required.
	Objects store.Objects
	// Region is the region in the ARNs the service makes ("us-east-1"
	// when empty).
	Region string
	// Rand is the source of resource ids; crypto/rand when nil.
	Rand io.Reader
	// Regions are the regions CreateSession's signatures may be scoped
	// to; Region alone when empty.
	Regions []string
	// MaxSkew is the clock skew CreateSession's signatures may have;
	// sigv4.DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// Sessions mints CreateSession's role sessions (an *sts.Service);
	// CreateSession is refused when nil.
	Sessions SessionIssuer
	// ChainCacheSize bounds the verified-chain cache (entries);
	// fx509.DefaultCacheSize when zero.
	ChainCacheSize int
}

// Service implements IAM Roles Anywhere.
type Service struct {
	objects  store.Objects
	region   string
	rnd      io.Reader
	sessions SessionIssuer
	signer   *sigv4.Verifier
	chains   *fx509.Cache
	cache    cache
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Objects == nil {
		return nil, errors.New("rolesanywhere: Objects is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if len(cfg.Regions) == 0 {
		cfg.Regions = []string{cfg.Region}
	}
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: cfg.Regions, Services: []string{sigv4.ServiceRolesAnywhere}, MaxSkew: cfg.MaxSkew})
	if err != nil {
		return nil, fmt.Errorf("rolesanywhere: %w", err)
	}
	s := &Service{objects: cfg.Objects, region: cfg.Region, rnd: cfg.Rand, sessions: cfg.Sessions, signer: v, chains: fx509.NewCache(cfg.ChainCacheSize)}
	s.cache.init()
	return s, nil
}

// Region is the region of the service's ARNs.
func (s *Service) Region() string { return s.region }

// Apply drops what the service cached of the objects changes name (a
// trust anchor, a profile or a CRL changed on any node): the next
// CreateSession reads them again. It is called by the node's change-feed
// follower and after every write through this node.
func (s *Service) Apply(changes []store.Change) {
	for _, c := range changes {
		if c.Kind != store.ChangeObject {
			continue
		}
		kind, id := store.SplitObjectKey(c.Key)
		switch kind {
		case KindTrustAnchor, KindCRL:
			// A CRL names its anchor in its body, which the change does
			// not carry: any CRL change drops every anchor of the account.
			s.cache.dropAnchors(c.Account, kind, id)
		case KindProfile:
			s.cache.dropProfile(c.Account, id)
		}
	}
}

// resourceType names the ARN resource type of a kind.
var resourceType = map[string]string{KindTrustAnchor: "trust-anchor", KindProfile: "profile", KindCRL: "crl"}

// kindOf is resourceType's inverse.
var kindOf = map[string]string{"trust-anchor": KindTrustAnchor, "profile": KindProfile, "crl": KindCRL}

// ARN is the ARN of the object of kind and id in account.
func (s *Service) ARN(account, kind, id string) string {
	return "arn:" + iam.Partition + ":rolesanywhere:" + s.region + ":" + account + ":" + resourceType[kind] + "/" + id
}

// resourceARN is a parsed Roles Anywhere ARN.
type resourceARN struct {
	Region, Account, Kind, ID string
}

// parseARN parses a trust anchor, profile or CRL ARN. Only the ARN's
// canonical spelling parses (this partition, the id in lower case), so
// that an ARN that parses is the one ARN the object has: the one the
// authorizer sees and the one CRLs name their anchor by.
func parseARN(s string) (resourceARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != iam.Partition || parts[2] != "rolesanywhere" || parts[4] == "" {
		return resourceARN{}, false
	}
	typ, id, ok := strings.Cut(parts[5], "/")
	kind := kindOf[typ]
	if !ok || kind == "" || !validID(id) {
		return resourceARN{}, false
	}
	return resourceARN{Region: parts[3], Account: parts[4], Kind: kind, ID: id}, true
}

// ownARN parses s and requires it to name an object of kind (any kind
// when "") in this service's region and the account.
func (s *Service) ownARN(account, arn, kind string) (resourceARN, error) {
	a, ok := parseARN(arn)
	if !ok || (kind != "" && a.Kind != kind) {
		return a, invalid("Invalid resource ARN: %s", truncate(arn, 200))
	}
	if a.Region != s.region || a.Account != account {
		return a, &NotFoundError{Kind: a.Kind, ID: arn}
	}
	return a, nil
}

var idPattern = regexp.MustCompile(`^[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}$`)

// validID reports whether id is a resource id (a UUID).
func validID(id string) bool { return len(id) == 36 && idPattern.MatchString(id) }

func checkID(id string) error {
	if !validID(id) {
		return invalid("Invalid resource id: %s", truncate(id, 64))
	}
	return nil
}

// newID returns a random version 4 UUID.
func (s *Service) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rnd, b[:]); err != nil {
		return "", fmt.Errorf("rolesanywhere: id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

var namePattern = regexp.MustCompile(`^[ a-zA-Z0-9\-_]*$`)

// checkName validates a resource name (ResourceName).
func checkName(name *string, required bool) error {
	if name == nil {
		if required {
			return invalid("name is required")
		}
		return nil
	}
	if n := len(*name); n < 1 || n > 255 || !namePattern.MatchString(*name) {
		return invalid("Value at 'name' failed to satisfy constraint: Member must have length between 1 and 255 and match [ a-zA-Z0-9-_]*")
	}
	return nil
}

// get reads the object of kind and id and decodes its body into doc.
func (s *Service) get(ctx context.Context, account, kind, id string, doc any) (store.Object, error) {
	if err := checkID(id); err != nil {
		return store.Object{}, err
	}
	o, err := s.objects.Get(ctx, account, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return o, &NotFoundError{Kind: resourceType[kind], ID: id}
	}
	if err != nil {
		return o, err
	}
	if err := json.Unmarshal(o.Body, doc); err != nil {
		return o, fmt.Errorf("rolesanywhere: %s %s: %w", kind, id, err)
	}
	return o, nil
}

// create stores a new object with a fresh id.
func (s *Service) create(ctx context.Context, account, kind string, doc any, now time.Time) (store.Object, error) {
	id, err := s.newID()
	if err != nil {
		return store.Object{}, err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return store.Object{}, err
	}
	o := store.Object{Account: account, Kind: kind, ID: id, Body: body, Created: now, Updated: now}
	return o, s.objects.Create(ctx, o)
}

// put replaces o's body with doc.
func (s *Service) put(ctx context.Context, o *store.Object, doc any, now time.Time) error {
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	o.Body, o.Updated = body, now
	err = s.objects.Update(ctx, *o)
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{Kind: resourceType[o.Kind], ID: o.ID}
	}
	return err
}

// remove deletes the object of kind and id.
func (s *Service) remove(ctx context.Context, account, kind, id string) error {
	err := s.objects.Delete(ctx, account, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return &NotFoundError{Kind: resourceType[kind], ID: id}
	}
	return err
}

// page lists one page of the account's objects of kind.
func (s *Service) page(ctx context.Context, account, kind string, in *ListInput) ([]store.Object, string, error) {
	size := DefaultPageSize
	if in.PageSize != nil {
		if *in.PageSize < 1 {
			return nil, "", invalid("Value at 'pageSize' failed to satisfy constraint: Member must be greater than or equal to 1")
		}
		size = min(int(*in.PageSize), MaxPageSize)
	}
	after := ""
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		if err != nil || !validID(string(b)) {
			return nil, "", invalid("Invalid nextToken")
		}
		after = string(b)
	}
	objs, err := s.objects.List(ctx, account, kind, after, size+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(objs) > size {
		objs = objs[:size]
		next = base64.RawURLEncoding.EncodeToString([]byte(objs[size-1].ID))
	}
	return objs, next, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// decode decodes a listed object's body into doc.
func decode(o *store.Object, doc any) error {
	if err := json.Unmarshal(o.Body, doc); err != nil {
		return fmt.Errorf("rolesanywhere: %s %s: %w", o.Kind, o.ID, err)
	}
	return nil
}
