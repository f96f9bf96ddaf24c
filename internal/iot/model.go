package iot

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// The kinds of the service's objects in store.Objects.
const (
	KindCACertificate = "iot.ca-certificate"
	KindCertificate   = "iot.certificate"
	KindThing         = "iot.thing"
	KindThingType     = "iot.thing-type"
	KindRoleAlias     = "iot.role-alias"
)

// Certificate statuses, as AWS names them.
const (
	StatusActive            = "ACTIVE"
	StatusInactive          = "INACTIVE"
	StatusRevoked           = "REVOKED"
	StatusPendingTransfer   = "PENDING_TRANSFER"
	StatusRegisterInactive  = "REGISTER_INACTIVE"
	StatusPendingActivation = "PENDING_ACTIVATION"
)

// Role alias credential durations, in seconds.
const (
	MinCredentialDuration     = 900
	MaxCredentialDuration     = 43200
	DefaultCredentialDuration = 3600
)

// Limits of the model.
const (
	maxAttributes = 50
	maxPageSize   = 250
	defaultPage   = 25
	maxPEM        = 65536
	// maxScanPages bounds the pages a filtered list reads for one
	// request: past it, the request answers what it found (perhaps
	// nothing) and the marker to read on from, as AWS may.
	maxScanPages = 20
)

var (
	thingNameRE  = regexp.MustCompile(`^[a-zA-Z0-9:_-]{1,128}$`)
	aliasRE      = regexp.MustCompile(`^[\w=,@-]{1,128}$`)
	attrNameRE   = regexp.MustCompile(`^[a-zA-Z0-9_.,@/:#-]{1,128}$`)
	attrValueRE  = regexp.MustCompile(`^[a-zA-Z0-9_.,@/:#=\[\]-]{0,800}$`)
	certIDRE     = regexp.MustCompile(`^[a-f0-9]{64}$`)
	roleARNRE    = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):role/[\w+=,.@/-]{1,512}$`)
	certARNRE    = regexp.MustCompile(`^arn:aws:iot:[a-z0-9-]+:([0-9]{12}):cert/([a-f0-9]{64})$`)
	typeDescRE   = regexp.MustCompile(`^[\x20-\x7e]*$`)
	errBadMarker = errorf(InvalidRequest, "The marker is not valid.")
)

// caCertificate is a registered CA certificate's document.
type caCertificate struct {
	PEM       string    `json:"pem"`
	Status    string    `json:"status"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	Version   int       `json:"version"`
}

// certificate is a registered device certificate's document.
type certificate struct {
	PEM       string    `json:"pem"`
	Status    string    `json:"status"`
	CAID      string    `json:"caId,omitempty"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	Version   int       `json:"version"`
	// Things are the names of the things attached to it.
	Things []string `json:"things,omitempty"`
}

// thing is a thing's document.
type thing struct {
	ID         string            `json:"id"`
	Type       string            `json:"type,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Version    int64             `json:"version"`
	// Principals are the ARNs of the certificates attached to it.
	Principals []string `json:"principals,omitempty"`
}

// thingType is a thing type's document.
type thingType struct {
	ID          string   `json:"id"`
	Description string   `json:"description,omitempty"`
	Searchable  []string `json:"searchable,omitempty"`
}

// roleAlias is a role alias's document.
type roleAlias struct {
	RoleARN  string `json:"roleArn"`
	Duration int    `json:"duration"`
}

// Epoch is a time as REST-JSON writes timestamps: seconds since the Unix
// epoch, with milliseconds.
type Epoch time.Time

// MarshalJSON writes seconds since the epoch.
func (e Epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON reads seconds since the epoch.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*e = Epoch(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

func epoch(t time.Time) *Epoch { e := Epoch(t); return &e }

// ARNs of the resources.
func (s *Service) arn(account, resource string) string {
	return "arn:aws:iot:" + s.cfg.Region + ":" + account + ":" + resource
}

// CertificateARN is a certificate's ARN.
func (s *Service) CertificateARN(account, id string) string { return s.arn(account, "cert/"+id) }

// CACertificateARN is a CA certificate's ARN.
func (s *Service) CACertificateARN(account, id string) string { return s.arn(account, "cacert/"+id) }

// ThingARN is a thing's ARN.
func (s *Service) ThingARN(account, name string) string { return s.arn(account, "thing/"+name) }

// ThingTypeARN is a thing type's ARN.
func (s *Service) ThingTypeARN(account, name string) string { return s.arn(account, "thingtype/"+name) }

// RoleAliasARN is a role alias's ARN.
func (s *Service) RoleAliasARN(account, name string) string { return s.arn(account, "rolealias/"+name) }

// load reads one object's document into v.
func (s *Service) load(ctx context.Context, account, kind, id string, v any) (store.Object, error) {
	o, err := s.cfg.Store.Get(ctx, account, kind, id)
	if err != nil {
		return o, err
	}
	if err := json.Unmarshal(o.Body, v); err != nil {
		return o, fmt.Errorf("iot: %s %s: %w", kind, id, err)
	}
	return o, nil
}

// save writes v as a new object (create) or in place of the old one.
func (s *Service) save(ctx context.Context, create bool, account, kind, id string, v any, now time.Time) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o := store.Object{Account: account, Kind: kind, ID: id, Body: body, Created: now, Updated: now}
	defer s.cache.drop(kind, id)
	if create {
		return s.cfg.Store.Create(ctx, o)
	}
	return s.cfg.Store.Update(ctx, o)
}

// remove deletes one object.
func (s *Service) remove(ctx context.Context, account, kind, id string) error {
	defer s.cache.drop(kind, id)
	return s.cfg.Store.Delete(ctx, account, kind, id)
}

// notFound turns store.ErrNotFound into the action's ResourceNotFound.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return errorf(NotFound, format, args...)
	}
	return err
}

// page reads a page of the account's objects of kind after the marker.
func (s *Service) page(ctx context.Context, account, kind, marker string, size int) (objs []store.Object, next string, err error) {
	after := ""
	if marker != "" {
		b, err := base64.StdEncoding.DecodeString(marker)
		if err != nil || len(b) == 0 {
			return nil, "", errBadMarker
		}
		after = string(b)
	}
	if size <= 0 {
		size = defaultPage
	}
	if size > maxPageSize {
		return nil, "", errorf(InvalidRequest, "1 validation error detected: Value '%d' at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 250", size)
	}
	objs, err = s.cfg.Store.List(ctx, account, kind, after, size+1)
	if err != nil {
		return nil, "", err
	}
	if len(objs) > size {
		objs = objs[:size]
		next = base64.StdEncoding.EncodeToString([]byte(objs[size-1].ID))
	}
	return objs, next, nil
}

// pageStrings pages a list held in a document with a marker.
func pageStrings(all []string, marker string, size int) (page []string, next string, err error) {
	start := 0
	if marker != "" {
		n, err := strconv.Atoi(marker)
		if err != nil || n < 0 || n > len(all) {
			return nil, "", errBadMarker
		}
		start = n
	}
	if size <= 0 {
		size = defaultPage
	}
	if size > maxPageSize {
		size = maxPageSize
	}
	end := min(start+size, len(all))
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[start:end], next, nil
}
