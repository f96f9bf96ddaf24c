package iot

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// AttributePayload is a thing's attributes as the API passes them.
type AttributePayload struct {
	Attributes map[string]string `json:"attributes,omitempty"`
	Merge      bool              `json:"merge,omitempty"`
}

// CreateThingInput is CreateThing's input.
type CreateThingInput struct {
	ThingName        string            `json:"-" path:"thingName"`
	ThingTypeName    string            `json:"thingTypeName,omitempty"`
	AttributePayload *AttributePayload `json:"attributePayload,omitempty"`
	BillingGroupName string            `json:"billingGroupName,omitempty"`
}

// CreateThingOutput is CreateThing's output.
type CreateThingOutput struct {
	ThingName string `json:"thingName"`
	ThingArn  string `json:"thingArn"`
	ThingID   string `json:"thingId"`
}

func checkThingName(name string) error {
	if !thingNameRE.MatchString(name) {
		return errorf(InvalidRequest, "The thing name %q is not valid: 1 to 128 letters, digits, ':', '_' or '-'.", name)
	}
	return nil
}

func checkAttributes(attrs map[string]string) error {
	if len(attrs) > maxAttributes {
		return errorf(InvalidRequest, "A thing has at most %d attributes.", maxAttributes)
	}
	for k, v := range attrs {
		if !attrNameRE.MatchString(k) {
			return errorf(InvalidRequest, "The attribute name %q is not valid.", k)
		}
		if !attrValueRE.MatchString(v) {
			return errorf(InvalidRequest, "The value of attribute %q is not valid.", k)
		}
	}
	return nil
}

// checkType confirms that the thing type exists in account.
func (s *Service) checkType(ctx context.Context, account, name string) error {
	if name == "" {
		return nil
	}
	if err := checkThingName(name); err != nil {
		return errorf(InvalidRequest, "The thing type name %q is not valid.", name)
	}
	if _, err := s.cfg.Store.Get(ctx, account, KindThingType, name); err != nil {
		return notFound(err, "The thing type %s does not exist.", name)
	}
	return nil
}

// newID is a random version 4 UUID.
func newID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// CreateThing creates a thing. Creating a thing that exists with the
// same type and attributes succeeds and returns it, as AWS does;
// otherwise it is ResourceAlreadyExists.
func (s *Service) CreateThing(ctx context.Context, account string, in *CreateThingInput, now time.Time) (*CreateThingOutput, error) {
	if err := checkThingName(in.ThingName); err != nil {
		return nil, err
	}
	if in.BillingGroupName != "" {
		return nil, errorf(InvalidRequest, "Brevet has no billing groups.")
	}
	var attrs map[string]string
	if in.AttributePayload != nil {
		attrs = in.AttributePayload.Attributes
	}
	if err := checkAttributes(attrs); err != nil {
		return nil, err
	}
	if err := s.checkType(ctx, account, in.ThingTypeName); err != nil {
		return nil, err
	}
	arn := s.ThingARN(account, in.ThingName)
	var old thing
	if _, err := s.load(ctx, account, KindThing, in.ThingName, &old); err == nil {
		if old.Type == in.ThingTypeName && maps.Equal(old.Attributes, attrs) {
			return &CreateThingOutput{ThingName: in.ThingName, ThingArn: arn, ThingID: old.ID}, nil
		}
		return nil, &Error{Code: AlreadyExists, Message: "Thing " + in.ThingName + " already exists in account with different attributes",
			ResourceID: old.ID, ResourceARN: arn}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	id, err := newID(s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	doc := thing{ID: id, Type: in.ThingTypeName, Attributes: attrs, Version: 1}
	if err := s.save(ctx, true, account, KindThing, in.ThingName, &doc, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Code: AlreadyExists, Message: "Thing " + in.ThingName + " already exists in account", ResourceARN: arn}
		}
		return nil, err
	}
	return &CreateThingOutput{ThingName: in.ThingName, ThingArn: arn, ThingID: id}, nil
}

// ThingNameInput names a thing.
type ThingNameInput struct {
	ThingName string `json:"-" path:"thingName"`
}

// DescribeThingOutput is DescribeThing's output.
type DescribeThingOutput struct {
	DefaultClientID string            `json:"defaultClientId"`
	ThingName       string            `json:"thingName"`
	ThingID         string            `json:"thingId"`
	ThingArn        string            `json:"thingArn"`
	ThingTypeName   string            `json:"thingTypeName,omitempty"`
	Attributes      map[string]string `json:"attributes"`
	Version         int64             `json:"version"`
}

func (s *Service) loadThing(ctx context.Context, account, name string) (*thing, error) {
	if err := checkThingName(name); err != nil {
		return nil, err
	}
	var doc thing
	if _, err := s.load(ctx, account, KindThing, name, &doc); err != nil {
		return nil, notFound(err, "Thing %s cannot be found.", name)
	}
	return &doc, nil
}

// DescribeThing describes a thing.
func (s *Service) DescribeThing(ctx context.Context, account string, in *ThingNameInput) (*DescribeThingOutput, error) {
	doc, err := s.loadThing(ctx, account, in.ThingName)
	if err != nil {
		return nil, err
	}
	attrs := doc.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return &DescribeThingOutput{DefaultClientID: in.ThingName, ThingName: in.ThingName, ThingID: doc.ID,
		ThingArn: s.ThingARN(account, in.ThingName), ThingTypeName: doc.Type, Attributes: attrs, Version: doc.Version}, nil
}

// ListThingsInput is ListThings's input.
type ListThingsInput struct {
	NextToken               string `json:"-" query:"nextToken"`
	MaxResults              int    `json:"-" query:"maxResults"`
	AttributeName           string `json:"-" query:"attributeName"`
	AttributeValue          string `json:"-" query:"attributeValue"`
	ThingTypeName           string `json:"-" query:"thingTypeName"`
	UsePrefixAttributeValue bool   `json:"-" query:"usePrefixAttributeValue"`
}

// ThingAttribute is one thing in a list.
type ThingAttribute struct {
	ThingName     string            `json:"thingName"`
	ThingTypeName string            `json:"thingTypeName,omitempty"`
	ThingArn      string            `json:"thingArn"`
	Attributes    map[string]string `json:"attributes"`
	Version       int64             `json:"version"`
}

// ListThingsOutput is ListThings's output.
type ListThingsOutput struct {
	Things    []ThingAttribute `json:"things"`
	NextToken string           `json:"nextToken,omitempty"`
}

// ListThings lists the account's things by name, filtered by attribute
// and type.
func (s *Service) ListThings(ctx context.Context, account string, in *ListThingsInput) (*ListThingsOutput, error) {
	out := &ListThingsOutput{Things: []ThingAttribute{}}
	token := in.NextToken
	for pages := 1; ; pages++ {
		objs, next, err := s.page(ctx, account, KindThing, token, in.MaxResults)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			var doc thing
			if err := json.Unmarshal(o.Body, &doc); err != nil {
				return nil, err
			}
			if !in.matches(&doc) {
				continue
			}
			attrs := doc.Attributes
			if attrs == nil {
				attrs = map[string]string{}
			}
			out.Things = append(out.Things, ThingAttribute{ThingName: o.ID, ThingTypeName: doc.Type,
				ThingArn: s.ThingARN(account, o.ID), Attributes: attrs, Version: doc.Version})
		}
		out.NextToken = next
		if next == "" || len(out.Things) > 0 || pages == maxScanPages {
			return out, nil
		}
		token = next
	}
}

func (in *ListThingsInput) matches(t *thing) bool {
	if in.ThingTypeName != "" && t.Type != in.ThingTypeName {
		return false
	}
	if in.AttributeName == "" {
		return true
	}
	v, ok := t.Attributes[in.AttributeName]
	switch {
	case !ok:
		return false
	case in.UsePrefixAttributeValue:
		return len(v) >= len(in.AttributeValue) && v[:len(in.AttributeValue)] == in.AttributeValue
	case in.AttributeValue != "":
		return v == in.AttributeValue
	}
	return true
}

// UpdateThingInput is UpdateThing's input.
type UpdateThingInput struct {
	ThingName        string            `json:"-" path:"thingName"`
	ThingTypeName    string            `json:"thingTypeName,omitempty"`
	AttributePayload *AttributePayload `json:"attributePayload,omitempty"`
	ExpectedVersion  *int64            `json:"expectedVersion,omitempty"`
	RemoveThingType  bool              `json:"removeThingType,omitempty"`
}

// UpdateThing changes a thing's type and attributes. With merge, the
// attributes given are added or replaced and those given empty removed;
// without, they replace all of the thing's.
func (s *Service) UpdateThing(ctx context.Context, account string, in *UpdateThingInput, now time.Time) error {
	doc, err := s.loadThing(ctx, account, in.ThingName)
	if err != nil {
		return err
	}
	if in.ExpectedVersion != nil && *in.ExpectedVersion != doc.Version {
		return errorf(VersionConflict, "The version of thing %s is %d, not %d.", in.ThingName, doc.Version, *in.ExpectedVersion)
	}
	if in.RemoveThingType && in.ThingTypeName != "" {
		return errorf(InvalidRequest, "Give either thingTypeName or removeThingType.")
	}
	if err := s.checkType(ctx, account, in.ThingTypeName); err != nil {
		return err
	}
	switch {
	case in.RemoveThingType:
		doc.Type = ""
	case in.ThingTypeName != "":
		doc.Type = in.ThingTypeName
	}
	if p := in.AttributePayload; p != nil {
		attrs := map[string]string{}
		if p.Merge {
			maps.Copy(attrs, doc.Attributes)
		}
		for k, v := range p.Attributes {
			if v == "" && p.Merge {
				delete(attrs, k)
				continue
			}
			attrs[k] = v
		}
		if err := checkAttributes(attrs); err != nil {
			return err
		}
		doc.Attributes = attrs
	}
	doc.Version++
	return notFound(s.save(ctx, false, account, KindThing, in.ThingName, doc, now), "Thing %s cannot be found.", in.ThingName)
}

// DeleteThingInput is DeleteThing's input.
type DeleteThingInput struct {
	ThingName       string `json:"-" path:"thingName"`
	ExpectedVersion *int   `json:"-" query:"expectedVersion"`
}

// DeleteThing deletes a thing that has no certificate attached; a thing
// that does not exist is deleted already, as AWS answers.
func (s *Service) DeleteThing(ctx context.Context, account string, in *DeleteThingInput) error {
	doc, err := s.loadThing(ctx, account, in.ThingName)
	if err != nil {
		if e, ok := errors.AsType[*Error](err); ok && e.Code == NotFound {
			return nil
		}
		return err
	}
	if in.ExpectedVersion != nil && int64(*in.ExpectedVersion) != doc.Version {
		return errorf(VersionConflict, "The version of thing %s is %d, not %d.", in.ThingName, doc.Version, *in.ExpectedVersion)
	}
	if len(doc.Principals) > 0 {
		return errorf(InvalidRequest, "Cannot delete thing %s: it has %d principal(s) attached; detach them first.", in.ThingName, len(doc.Principals))
	}
	if err := s.remove(ctx, account, KindThing, in.ThingName); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// ThingPrincipalInput is AttachThingPrincipal's and
// DetachThingPrincipal's input.
type ThingPrincipalInput struct {
	ThingName          string `json:"-" path:"thingName"`
	Principal          string `json:"-" header:"x-amzn-principal"`
	ThingPrincipalType string `json:"-" query:"thingPrincipalType"`
}

// principalCert parses a certificate ARN of account.
func (s *Service) principalCert(account, principal string) (string, error) {
	m := certARNRE.FindStringSubmatch(principal)
	if m == nil || m[1] != account {
		return "", errorf(InvalidRequest, "The principal %q is not the ARN of a certificate of this account.", principal)
	}
	return m[2], nil
}

// AttachThingPrincipal attaches a certificate (its ARN) to a thing: the
// thing's name may then be given by a device presenting the certificate.
func (s *Service) AttachThingPrincipal(ctx context.Context, account string, in *ThingPrincipalInput, now time.Time) error {
	switch in.ThingPrincipalType {
	case "", "NON_EXCLUSIVE_THING", "EXCLUSIVE_THING":
	default:
		return errorf(InvalidRequest, "The thing principal type %q is not valid.", in.ThingPrincipalType)
	}
	doc, err := s.loadThing(ctx, account, in.ThingName)
	if err != nil {
		return err
	}
	id, err := s.principalCert(account, in.Principal)
	if err != nil {
		return err
	}
	var cert certificate
	if _, err := s.load(ctx, account, KindCertificate, id, &cert); err != nil {
		return notFound(err, "The certificate %s does not exist.", id)
	}
	if in.ThingPrincipalType == "EXCLUSIVE_THING" && len(cert.Things) > 0 && !cert.hasThing(in.ThingName) {
		return errorf(InvalidRequest, "The certificate is attached to another thing; it cannot be attached exclusively.")
	}
	if !cert.hasThing(in.ThingName) {
		cert.Things = append(cert.Things, in.ThingName)
		if err := s.save(ctx, false, account, KindCertificate, id, &cert, now); err != nil {
			return notFound(err, "The certificate %s does not exist.", id)
		}
	}
	if !slices.Contains(doc.Principals, in.Principal) {
		doc.Principals = append(doc.Principals, in.Principal)
		return notFound(s.save(ctx, false, account, KindThing, in.ThingName, doc, now), "Thing %s cannot be found.", in.ThingName)
	}
	return nil
}

// DetachThingPrincipal detaches a certificate from a thing.
func (s *Service) DetachThingPrincipal(ctx context.Context, account string, in *ThingPrincipalInput, now time.Time) error {
	doc, err := s.loadThing(ctx, account, in.ThingName)
	if err != nil {
		return err
	}
	id, err := s.principalCert(account, in.Principal)
	if err != nil {
		return err
	}
	var cert certificate
	if _, err := s.load(ctx, account, KindCertificate, id, &cert); err == nil && cert.hasThing(in.ThingName) {
		cert.Things = slices.DeleteFunc(cert.Things, func(n string) bool { return n == in.ThingName })
		if err := s.save(ctx, false, account, KindCertificate, id, &cert, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if slices.Contains(doc.Principals, in.Principal) {
		doc.Principals = slices.DeleteFunc(doc.Principals, func(p string) bool { return p == in.Principal })
		return notFound(s.save(ctx, false, account, KindThing, in.ThingName, doc, now), "Thing %s cannot be found.", in.ThingName)
	}
	return nil
}

// ListThingPrincipalsInput is ListThingPrincipals's input.
type ListThingPrincipalsInput struct {
	ThingName  string `json:"-" path:"thingName"`
	NextToken  string `json:"-" query:"nextToken"`
	MaxResults int    `json:"-" query:"maxResults"`
}

// ListThingPrincipalsOutput is ListThingPrincipals's output.
type ListThingPrincipalsOutput struct {
	Principals []string `json:"principals"`
	NextToken  string   `json:"nextToken,omitempty"`
}

// ListThingPrincipals lists the certificates attached to a thing.
func (s *Service) ListThingPrincipals(ctx context.Context, account string, in *ListThingPrincipalsInput) (*ListThingPrincipalsOutput, error) {
	doc, err := s.loadThing(ctx, account, in.ThingName)
	if err != nil {
		return nil, err
	}
	page, next, err := pageStrings(doc.Principals, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ListThingPrincipalsOutput{Principals: append([]string{}, page...), NextToken: next}, nil
}

// ListPrincipalThingsInput is ListPrincipalThings's input.
type ListPrincipalThingsInput struct {
	Principal  string `json:"-" header:"x-amzn-principal"`
	NextToken  string `json:"-" query:"nextToken"`
	MaxResults int    `json:"-" query:"maxResults"`
}

// ListPrincipalThingsOutput is ListPrincipalThings's output.
type ListPrincipalThingsOutput struct {
	Things    []string `json:"things"`
	NextToken string   `json:"nextToken,omitempty"`
}

// ListPrincipalThings lists the things a certificate is attached to.
func (s *Service) ListPrincipalThings(ctx context.Context, account string, in *ListPrincipalThingsInput) (*ListPrincipalThingsOutput, error) {
	id, err := s.principalCert(account, in.Principal)
	if err != nil {
		return nil, err
	}
	var cert certificate
	if _, err := s.load(ctx, account, KindCertificate, id, &cert); err != nil {
		return nil, notFound(err, "The certificate %s does not exist.", id)
	}
	page, next, err := pageStrings(cert.Things, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ListPrincipalThingsOutput{Things: append([]string{}, page...), NextToken: next}, nil
}

// ThingTypeProperties are a thing type's properties.
type ThingTypeProperties struct {
	ThingTypeDescription string   `json:"thingTypeDescription,omitempty"`
	SearchableAttributes []string `json:"searchableAttributes,omitempty"`
}

// CreateThingTypeInput is CreateThingType's input.
type CreateThingTypeInput struct {
	ThingTypeName       string               `json:"-" path:"thingTypeName"`
	ThingTypeProperties *ThingTypeProperties `json:"thingTypeProperties,omitempty"`
	Tags                []Tag                `json:"tags,omitempty"`
}

// CreateThingTypeOutput is CreateThingType's output.
type CreateThingTypeOutput struct {
	ThingTypeName string `json:"thingTypeName"`
	ThingTypeArn  string `json:"thingTypeArn"`
	ThingTypeID   string `json:"thingTypeId"`
}

// CreateThingType creates a thing type (its name and description; a
// device's thing type is credentials-iot:ThingTypeName).
func (s *Service) CreateThingType(ctx context.Context, account string, in *CreateThingTypeInput, now time.Time) (*CreateThingTypeOutput, error) {
	if !thingNameRE.MatchString(in.ThingTypeName) {
		return nil, errorf(InvalidRequest, "The thing type name %q is not valid.", in.ThingTypeName)
	}
	doc := thingType{}
	if p := in.ThingTypeProperties; p != nil {
		if len(p.ThingTypeDescription) > 2028 || !typeDescRE.MatchString(p.ThingTypeDescription) {
			return nil, errorf(InvalidRequest, "The thing type description is not valid.")
		}
		if len(p.SearchableAttributes) > 3 {
			return nil, errorf(InvalidRequest, "A thing type has at most 3 searchable attributes.")
		}
		for _, a := range p.SearchableAttributes {
			if !attrNameRE.MatchString(a) {
				return nil, errorf(InvalidRequest, "The searchable attribute %q is not an attribute name.", a)
			}
		}
		doc.Description, doc.Searchable = p.ThingTypeDescription, p.SearchableAttributes
	}
	id, err := newID(s.cfg.Rand)
	if err != nil {
		return nil, err
	}
	doc.ID = id
	arn := s.ThingTypeARN(account, in.ThingTypeName)
	if err := s.save(ctx, true, account, KindThingType, in.ThingTypeName, &doc, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Code: AlreadyExists, Message: "Thing type " + in.ThingTypeName + " already exists.", ResourceARN: arn}
		}
		return nil, err
	}
	return &CreateThingTypeOutput{ThingTypeName: in.ThingTypeName, ThingTypeArn: arn, ThingTypeID: id}, nil
}

// ThingTypeNameInput names a thing type.
type ThingTypeNameInput struct {
	ThingTypeName string `json:"-" path:"thingTypeName"`
}

// ThingTypeMetadata is a thing type's metadata.
type ThingTypeMetadata struct {
	Deprecated   bool   `json:"deprecated"`
	CreationDate *Epoch `json:"creationDate"`
}

// DescribeThingTypeOutput is DescribeThingType's output.
type DescribeThingTypeOutput struct {
	ThingTypeName       string               `json:"thingTypeName"`
	ThingTypeID         string               `json:"thingTypeId"`
	ThingTypeArn        string               `json:"thingTypeArn"`
	ThingTypeProperties *ThingTypeProperties `json:"thingTypeProperties"`
	ThingTypeMetadata   *ThingTypeMetadata   `json:"thingTypeMetadata"`
}

// DescribeThingType describes a thing type.
func (s *Service) DescribeThingType(ctx context.Context, account string, in *ThingTypeNameInput) (*DescribeThingTypeOutput, error) {
	if !thingNameRE.MatchString(in.ThingTypeName) {
		return nil, errorf(InvalidRequest, "The thing type name %q is not valid.", in.ThingTypeName)
	}
	var doc thingType
	o, err := s.load(ctx, account, KindThingType, in.ThingTypeName, &doc)
	if err != nil {
		return nil, notFound(err, "Thing type %s cannot be found.", in.ThingTypeName)
	}
	return &DescribeThingTypeOutput{ThingTypeName: in.ThingTypeName, ThingTypeID: doc.ID,
		ThingTypeArn:        s.ThingTypeARN(account, in.ThingTypeName),
		ThingTypeProperties: &ThingTypeProperties{ThingTypeDescription: doc.Description, SearchableAttributes: doc.Searchable},
		ThingTypeMetadata:   &ThingTypeMetadata{CreationDate: epoch(o.Created)}}, nil
}
