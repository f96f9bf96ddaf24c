package iot

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// The condition keys the credentials provider adds to the trust
// policy's evaluation, as AWS names them.
const (
	KeyThingName       = "credentials-iot:ThingName"
	KeyThingTypeName   = "credentials-iot:ThingTypeName"
	KeyThingAttributes = "credentials-iot:ThingAttributes/"
	KeyCertificateID   = "credentials-iot:AwsCertificateId"
)

// Device is a device the credentials provider authenticated: the
// registered, ACTIVE certificate it presented. It is the request's
// principal (its ARN is the certificate's).
type Device struct {
	Account       string
	CertificateID string
	arn           string
	cert          certificate
}

// ARN is the certificate's ARN.
func (d *Device) ARN() string { return d.arn }

// AccountID is the account the certificate is registered in, for the
// audit record's userIdentity (audit.AccountPrincipal).
func (d *Device) AccountID() string { return d.Account }

// AuthenticateDevice finds the certificate a device presented (its DER;
// nil when it presented none) among those registered in every account,
// and checks that it and its CA, if any, are ACTIVE and that now is
// within their validity (a chain through an expired CA is no chain). Certificate status is read through the cache that
// Apply keeps current, so a status change takes effect at once.
func (s *Service) AuthenticateDevice(ctx context.Context, der []byte, now time.Time) (*Device, error) {
	if len(der) == 0 {
		return nil, &DeviceError{Reason: CertificateInvalid, Detail: "no client certificate"}
	}
	id := CertificateID(der)
	objs, certs, err := findAs[certificate](ctx, s, KindCertificate, id)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 {
		return nil, &DeviceError{Reason: CertificateInvalid, Detail: "certificate " + id + " is not registered"}
	}
	d := &Device{Account: objs[0].Account, CertificateID: id, arn: s.CertificateARN(objs[0].Account, id), cert: *certs[0]}
	switch {
	case d.cert.Status != StatusActive:
		return nil, &DeviceError{Reason: CertificateNotActive, Detail: "certificate " + id + " is " + d.cert.Status}
	case now.Before(d.cert.NotBefore) || now.After(d.cert.NotAfter):
		return nil, &DeviceError{Reason: CertificateNotActive, Detail: "certificate " + id + " is outside its validity"}
	case d.cert.CAID == "":
		return d, nil
	}
	ca, err := findInAs[caCertificate](ctx, s, d.Account, KindCACertificate, d.cert.CAID)
	if err != nil {
		return nil, notRegistered(err, CertificateNotActive, "the CA certificate "+d.cert.CAID+" is not registered")
	}
	switch {
	case ca.Status != StatusActive:
		return nil, &DeviceError{Reason: CertificateNotActive, Detail: "the CA certificate " + d.cert.CAID + " is " + ca.Status}
	case now.Before(ca.NotBefore) || now.After(ca.NotAfter):
		return nil, &DeviceError{Reason: CertificateNotActive, Detail: "the CA certificate " + d.cert.CAID + " is outside its validity"}
	}
	return d, nil
}

// CredentialsInput is a device's request for credentials.
type CredentialsInput struct {
	RoleAlias string
	// ThingName is x-amzn-iot-thingname, "" when the device sent none.
	ThingName string
	// Facts are the request's facts for the trust evaluation.
	Facts authz.Facts
}

// Credentials is what the credentials provider issued a device.
type Credentials struct {
	*sts.ServiceSession
	// RoleAliasARN is the role alias the device asked for.
	RoleAliasARN string
}

// DeviceCredentials issues d a session of the role its role alias names,
// as AWS's credentials provider does: a thing named in the request must
// be attached to d's certificate; the role's trust policy must let
// credentials.iot.amazonaws.com assume it, with credentials-iot:* keys
// available to its conditions, and aws:SourceArn (the role alias's ARN)
// and aws:SourceAccount for confused-deputy conditions; the session is
// named after the certificate id and lasts the alias's duration.
//
// The credentials-iot keys are also in the context of every request made
// with the session (sts.ServiceSessionInput.SessionContext), as AWS makes
// them: conditions and policy variables (${credentials-iot:ThingName}) in
// the role's policies and in resource policies see them, within the
// bounds sessionContext keeps. They also travel as session tags under the
// same names (aws:PrincipalTag/credentials-iot:ThingName), when the trust
// policy allows sts:TagSession; a trust policy written as AWS documents it
// (sts:AssumeRole only) still issues the session, without the tags.
func (s *Service) DeviceCredentials(ctx context.Context, d *Device, in *CredentialsInput) (*Credentials, error) {
	if s.cfg.Sessions == nil {
		return nil, errors.New("iot: the credentials provider has no Sessions")
	}
	if !aliasRE.MatchString(in.RoleAlias) {
		return nil, &DeviceError{Reason: RoleAliasNotFound, Detail: "invalid role alias"}
	}
	keys := map[string][]string{KeyCertificateID: {d.CertificateID}}
	if in.ThingName != "" {
		if err := s.thingKeys(ctx, d, in.ThingName, keys); err != nil {
			return nil, err
		}
	}
	alias, err := findInAs[roleAlias](ctx, s, d.Account, KindRoleAlias, in.RoleAlias)
	if err != nil {
		return nil, notRegistered(err, RoleAliasNotFound, "role alias "+in.RoleAlias)
	}
	aliasARN := s.RoleAliasARN(d.Account, in.RoleAlias)
	keys["aws:SourceArn"], keys["aws:SourceAccount"] = []string{aliasARN}, []string{d.Account}
	ssi := &sts.ServiceSessionInput{
		Service: sts.IoTCredentialsPrincipal, RoleARN: alias.RoleARN, SessionName: d.CertificateID,
		Duration: time.Duration(alias.Duration) * time.Second, Context: keys, Facts: in.Facts,
		Tags: sessionTags(keys), SessionContext: sessionContext(keys),
	}
	sess, err := s.cfg.Sessions.ServiceSession(ctx, ssi)
	if err != nil && refused(err) {
		ssi.Tags = nil // the trust policy does not allow sts:TagSession, or the tags do not fit
		sess, err = s.cfg.Sessions.ServiceSession(ctx, ssi)
	}
	if err != nil {
		if _, ok := errors.AsType[*sts.AccessDeniedError](err); ok {
			return nil, &DeviceError{Reason: AssumeRoleRefused, Detail: "role " + alias.RoleARN, Err: err}
		}
		if _, ok := errors.AsType[*sts.ValidationError](err); ok {
			return nil, &DeviceError{Reason: DurationExceedsMax, Detail: "role " + alias.RoleARN, Err: err}
		}
		return nil, err
	}
	return &Credentials{ServiceSession: sess, RoleAliasARN: aliasARN}, nil
}

// thingKeys checks that the thing exists and is attached to d's
// certificate, and adds its condition keys.
func (s *Service) thingKeys(ctx context.Context, d *Device, name string, keys map[string][]string) error {
	if !thingNameRE.MatchString(name) || !d.cert.hasThing(name) {
		return &DeviceError{Reason: InvalidThingName, Detail: "thing " + name + " is not attached to certificate " + d.CertificateID}
	}
	t, err := findInAs[thing](ctx, s, d.Account, KindThing, name)
	if err != nil {
		return notRegistered(err, InvalidThingName, "thing "+name)
	}
	keys[KeyThingName] = []string{name}
	if t.Type != "" {
		keys[KeyThingTypeName] = []string{t.Type}
	}
	for k, v := range t.Attributes {
		keys[KeyThingAttributes+k] = []string{v}
	}
	return nil
}

// notRegistered is the device's refusal for an object the store does
// not have, and any other failure (the store unreachable) as it is: the
// device must not be told its role alias is gone when the store is.
func notRegistered(err error, r Reason, detail string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &DeviceError{Reason: r, Detail: detail, Err: err}
	}
	return err
}

// refused reports a refusal the session may be issued without tags for.
func refused(err error) bool {
	if _, ok := errors.AsType[*sts.AccessDeniedError](err); ok {
		return true
	}
	_, ok := errors.AsType[*sts.ValidationError](err)
	return ok
}

// Session tag limits (STS's).
const (
	maxTagKey   = 128
	maxTagValue = 256
	maxTags     = 50
)

// sessionTags are the condition keys that can be session tags: keys and
// values in STS's character set and lengths, at most 50 of them (the
// certificate id, thing name and type first).
func sessionTags(keys map[string][]string) []credential.Tag {
	tags := make([]credential.Tag, 0, len(keys))
	add := func(k, v string) {
		if len(tags) < maxTags && len(k) <= maxTagKey && len(v) <= maxTagValue && tagChars(k, false) && tagChars(v, true) {
			tags = append(tags, credential.Tag{Key: k, Value: v})
		}
	}
	eachKey(keys, add)
	return tags
}

// eachKey calls add with the credentials-iot keys in the order they are
// kept while they fit: the certificate id, thing name and type, then the
// thing's attributes in name order.
func eachKey(keys map[string][]string, add func(k, v string)) {
	for _, k := range []string{KeyCertificateID, KeyThingName, KeyThingTypeName} {
		if v, ok := keys[k]; ok {
			add(k, v[0])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if strings.HasPrefix(k, KeyThingAttributes) {
			add(k, keys[k][0])
		}
	}
}

// maxSessionContext bounds the bytes (keys and values) of the condition
// keys a session carries, so that its token stays within
// credential.MaxTokenLen whatever else it holds (the role's ARN, session
// tags up to credential.PackedBudget).
const maxSessionContext = 2048

// sessionContext are the credentials-iot keys the session carries into
// its own requests: the certificate id, thing name and type (all within
// the bounds), then the thing's attributes in name order while they fit
// credential's bounds on a key and value and maxSessionContext in all. An
// attribute left out (a name over 96 characters, a value over 256, or
// past the budget) is absent from the session's requests, as an attribute
// the thing does not have.
func sessionContext(keys map[string][]string) map[string]string {
	out := make(map[string]string, len(keys))
	size := 0
	add := func(k, v string) {
		if len(k) <= credential.MaxContextKeyLen && len(v) <= credential.MaxContextValueLen && size+len(k)+len(v) <= maxSessionContext &&
			len(out) < credential.MaxRequestContextKeys {
			out[k] = v
			size += len(k) + len(v)
		}
	}
	eachKey(keys, add)
	return out
}

// tagChars reports whether s is made of the characters STS allows in
// tag keys and values ([\p{L}\p{Z}\p{N}_.:/=+\-@]; the IoT names are
// ASCII, so only ASCII is accepted here).
func tagChars(s string, empty bool) bool {
	if s == "" {
		return empty
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ' ', c == '_', c == '.', c == ':', c == '/', c == '=', c == '+', c == '-', c == '@':
		default:
			return false
		}
	}
	return true
}
