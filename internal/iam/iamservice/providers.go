package iamservice

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/federation/saml"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// ProviderActions are the identity-provider actions RegisterProviders
// serves; they are part of Actions.
var ProviderActions = []string{
	"CreateOpenIDConnectProvider",
	"GetOpenIDConnectProvider",
	"ListOpenIDConnectProviders",
	"UpdateOpenIDConnectProviderThumbprint",
	"AddClientIDToOpenIDConnectProvider",
	"RemoveClientIDFromOpenIDConnectProvider",
	"DeleteOpenIDConnectProvider",
	"CreateSAMLProvider",
	"GetSAMLProvider",
	"ListSAMLProviders",
	"UpdateSAMLProvider",
	"DeleteSAMLProvider",
	"TagOpenIDConnectProvider",
	"UntagOpenIDConnectProvider",
	"ListOpenIDConnectProviderTags",
	"TagSAMLProvider",
	"UntagSAMLProvider",
	"ListSAMLProviderTags",
}

// ProviderWireError maps the provider errors of package iam to AWS's wire
// errors. Give it to the dispatcher next to WireError.
func ProviderWireError(err error) *awsquery.Error {
	var nf *iam.ProviderNotFoundError
	if errors.As(err, &nf) {
		return &awsquery.Error{Code: awsquery.CodeNoSuchEntity, Message: nf.Error(), Cause: err}
	}
	var ae *iam.ProviderExistsError
	if errors.As(err, &ae) {
		return &awsquery.Error{Code: awsquery.CodeEntityAlreadyExists, Message: ae.Error(), Cause: err}
	}
	return nil
}

// RegisterProviders puts the identity-provider actions on the
// dispatcher. Each is authorized, as the Service Authorization Reference
// lists, on the provider's ARN (with aws:RequestTag/aws:TagKeys on
// create and aws:ResourceTag on an existing provider), and the two List
// actions on "*".
func RegisterProviders(d *awsquery.Dispatcher, s *Service) {
	add(d, iamapi.CreateOpenIDConnectProvider, request.Writes, func(_ context.Context, p *identity.Principal, in *iamapi.CreateOpenIDConnectProviderRequest) (request.Target, error) {
		return target(iam.OIDCProviderARN(p.Account, iam.OIDCProviderName(in.Url)), keys{}.requestTags(in.Tags))
	}, s.CreateOpenIDConnectProvider)
	add(d, iamapi.GetOpenIDConnectProvider, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetOpenIDConnectProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.OpenIDConnectProviderArn)
	}, s.GetOpenIDConnectProvider)
	add(d, iamapi.ListOpenIDConnectProviders, request.ReadOnly, func(context.Context, *identity.Principal, *iamapi.ListOpenIDConnectProvidersRequest) (request.Target, error) {
		return target("*", nil)
	}, s.ListOpenIDConnectProviders)
	add(d, iamapi.UpdateOpenIDConnectProviderThumbprint, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateOpenIDConnectProviderThumbprintRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.OpenIDConnectProviderArn)
	}, s.UpdateOpenIDConnectProviderThumbprint)
	add(d, iamapi.AddClientIDToOpenIDConnectProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.AddClientIDToOpenIDConnectProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.OpenIDConnectProviderArn)
	}, s.AddClientIDToOpenIDConnectProvider)
	add(d, iamapi.RemoveClientIDFromOpenIDConnectProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.RemoveClientIDFromOpenIDConnectProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.OpenIDConnectProviderArn)
	}, s.RemoveClientIDFromOpenIDConnectProvider)
	add(d, iamapi.DeleteOpenIDConnectProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteOpenIDConnectProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.OpenIDConnectProviderArn)
	}, s.DeleteOpenIDConnectProvider)
	add(d, iamapi.CreateSAMLProvider, request.Writes, func(_ context.Context, p *identity.Principal, in *iamapi.CreateSAMLProviderRequest) (request.Target, error) {
		return target(iam.SAMLProviderARN(p.Account, in.Name), keys{}.requestTags(in.Tags))
	}, s.CreateSAMLProvider)
	add(d, iamapi.GetSAMLProvider, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetSAMLProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.SAMLProviderArn)
	}, s.GetSAMLProvider)
	add(d, iamapi.ListSAMLProviders, request.ReadOnly, func(context.Context, *identity.Principal, *iamapi.ListSAMLProvidersRequest) (request.Target, error) {
		return target("*", nil)
	}, s.ListSAMLProviders)
	add(d, iamapi.UpdateSAMLProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateSAMLProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.SAMLProviderArn)
	}, s.UpdateSAMLProvider)
	add(d, iamapi.DeleteSAMLProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteSAMLProviderRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.SAMLProviderArn)
	}, s.DeleteSAMLProvider)
	registerProviderTags(d, s)
}

// registerProviderTags puts the six provider tag actions on the
// dispatcher, authorized on the provider's ARN as TagRole is on the
// role's: aws:RequestTag and aws:TagKeys for the tags asked for, the
// provider's tags as aws:ResourceTag.
func registerProviderTags(d *awsquery.Dispatcher, s *Service) {
	add(d, iamapi.TagOpenIDConnectProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.TagOpenIDConnectProviderRequest) (request.Target, error) {
		return s.onProviderKeys(ctx, p, in.OpenIDConnectProviderArn, keys{}.requestTags(in.Tags))
	}, s.TagOpenIDConnectProvider)
	add(d, iamapi.UntagOpenIDConnectProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagOpenIDConnectProviderRequest) (request.Target, error) {
		return s.onProviderKeys(ctx, p, in.OpenIDConnectProviderArn, keys{}.tagKeys(in.TagKeys))
	}, s.UntagOpenIDConnectProvider)
	add(d, iamapi.ListOpenIDConnectProviderTags, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListOpenIDConnectProviderTagsRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.OpenIDConnectProviderArn)
	}, s.ListOpenIDConnectProviderTags)
	add(d, iamapi.TagSAMLProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.TagSAMLProviderRequest) (request.Target, error) {
		return s.onProviderKeys(ctx, p, in.SAMLProviderArn, keys{}.requestTags(in.Tags))
	}, s.TagSAMLProvider)
	add(d, iamapi.UntagSAMLProvider, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UntagSAMLProviderRequest) (request.Target, error) {
		return s.onProviderKeys(ctx, p, in.SAMLProviderArn, keys{}.tagKeys(in.TagKeys))
	}, s.UntagSAMLProvider)
	add(d, iamapi.ListSAMLProviderTags, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.ListSAMLProviderTagsRequest) (request.Target, error) {
		return s.onProvider(ctx, p, in.SAMLProviderArn)
	}, s.ListSAMLProviderTags)
}

// onProvider is the target of an action on an existing provider: its
// ARN, with its tags as aws:ResourceTag. A provider that does not exist
// (or an ARN that is not one) is authorized on the ARN as given, and so is
// another account's: its tags stay out of the caller's evaluation, where a
// condition on them would reveal them (the action answers NoSuchEntity).
func (s *Service) onProvider(ctx context.Context, p *identity.Principal, arn string) (request.Target, error) {
	return s.onProviderKeys(ctx, p, arn, keys{})
}

// onProviderKeys is onProvider with the request's own condition keys.
func (s *Service) onProviderKeys(ctx context.Context, p *identity.Principal, arn string, k keys) (request.Target, error) {
	pr, err := s.st.Providers().Get(ctx, arn)
	if err != nil || pr.Account != p.Account {
		return target(arn, k)
	}
	return target(arn, k.resourceTags(pr.Tags, false))
}

// getProvider reads a provider of kind in the caller's account: another
// account's provider is as absent as a missing one.
func (s *Service) getProvider(ctx context.Context, p *identity.Principal, kind iam.ProviderKind, arn string) (iam.Provider, error) {
	k, account, _, err := iam.ParseProviderARN(arn)
	if err != nil {
		return iam.Provider{}, err
	}
	if k != kind || account != p.Account {
		return iam.Provider{}, &iam.ProviderNotFoundError{Kind: kind, ARN: arn}
	}
	pr, err := s.st.Providers().Get(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return iam.Provider{}, &iam.ProviderNotFoundError{Kind: kind, ARN: arn}
	}
	return pr, err
}

// updateProvider applies fn to the provider in one transaction and
// stamps Updated, which invalidates verifiers built from the old
// configuration.
func (s *Service) updateProvider(ctx context.Context, p *identity.Principal, kind iam.ProviderKind, arn string, now time.Time, fn func(*iam.Provider) error) error {
	if _, err := s.getProvider(ctx, p, kind, arn); err != nil {
		return err
	}
	return s.st.Tx(ctx, func(r store.Repos) error {
		pr, err := r.Providers().Get(ctx, arn)
		if errors.Is(err, store.ErrNotFound) {
			return &iam.ProviderNotFoundError{Kind: kind, ARN: arn}
		}
		if err != nil {
			return err
		}
		if err := fn(&pr); err != nil {
			return err
		}
		pr.Updated = now
		return r.Providers().Update(ctx, pr)
	})
}

func checkProviderTags(tags []iamapi.Tag) error {
	if err := iam.ValidateTags("tags", fromTags(tags)); err != nil {
		return err
	}
	return iam.CheckTagCount(fromTags(tags), iam.MaxProviderTags)
}

// CreateOpenIDConnectProvider registers an OIDC provider. As AWS today,
// the thumbprint list is optional: Brevet verifies the provider's TLS
// against its trusted roots and uses thumbprints only as a fallback.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.CreateOpenIDConnectProviderRequest, now time.Time) (*iamapi.CreateOpenIDConnectProviderResponse, error) {
	if err := iam.ValidateOIDCURL(in.Url); err != nil {
		return nil, err
	}
	if err := iam.ValidateClientIDs(in.ClientIDList); err != nil {
		return nil, err
	}
	if err := iam.ValidateThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	if err := checkProviderTags(in.Tags); err != nil {
		return nil, err
	}
	pr := iam.Provider{Kind: iam.ProviderOIDC, Account: p.Account, Name: iam.OIDCProviderName(in.Url),
		URL: strings.TrimSuffix(in.Url, "/"), ClientIDs: dedupe(in.ClientIDList), Thumbprints: lowerAll(in.ThumbprintList),
		Tags: fromTags(in.Tags), Created: now, Updated: now}
	if err := s.st.Providers().Create(ctx, pr); err != nil {
		return nil, conflictAs(err, &iam.ProviderExistsError{Kind: iam.ProviderOIDC, URL: in.Url})
	}
	return &iamapi.CreateOpenIDConnectProviderResponse{OpenIDConnectProviderArn: pr.ARN(), Tags: sortedTags(pr.Tags)}, nil
}

// GetOpenIDConnectProvider describes an OIDC provider.
func (s *Service) GetOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.GetOpenIDConnectProviderRequest, _ time.Time) (*iamapi.GetOpenIDConnectProviderResponse, error) {
	pr, err := s.getProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetOpenIDConnectProviderResponse{Url: pr.Name, ClientIDList: nonNil(pr.ClientIDs),
		ThumbprintList: nonNil(pr.Thumbprints), CreateDate: utc(pr.Created), Tags: orEmpty(sortedTags(pr.Tags))}, nil
}

// ListOpenIDConnectProviders lists the account's OIDC providers' ARNs.
func (s *Service) ListOpenIDConnectProviders(ctx context.Context, p *identity.Principal, _ *iamapi.ListOpenIDConnectProvidersRequest, _ time.Time) (*iamapi.ListOpenIDConnectProvidersResponse, error) {
	prs, err := s.st.Providers().List(ctx, p.Account, iam.ProviderOIDC)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListOpenIDConnectProvidersResponse{OpenIDConnectProviderList: []iamapi.OpenIDConnectProviderListEntry{}}
	for _, pr := range prs {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, iamapi.OpenIDConnectProviderListEntry{Arn: pr.ARN()})
	}
	return out, nil
}

// UpdateOpenIDConnectProviderThumbprint replaces the thumbprint list.
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, p *identity.Principal, in *iamapi.UpdateOpenIDConnectProviderThumbprintRequest, now time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidateThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	err := s.updateProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn, now, func(pr *iam.Provider) error {
		pr.Thumbprints = lowerAll(in.ThumbprintList)
		return nil
	})
	return &awsquery.Empty{}, err
}

// AddClientIDToOpenIDConnectProvider adds a client id; adding one that is
// there already is a no-op, as on AWS.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.AddClientIDToOpenIDConnectProviderRequest, now time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidateClientID(in.ClientID); err != nil {
		return nil, err
	}
	err := s.updateProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn, now, func(pr *iam.Provider) error {
		if slices.Contains(pr.ClientIDs, in.ClientID) {
			return nil
		}
		if len(pr.ClientIDs) >= iam.MaxClientIDs {
			return &iam.LimitExceededError{Quota: "ClientIdsPerOpenIdConnectProvider", Limit: iam.MaxClientIDs}
		}
		pr.ClientIDs = append(pr.ClientIDs, in.ClientID)
		return nil
	})
	return &awsquery.Empty{}, err
}

// RemoveClientIDFromOpenIDConnectProvider removes a client id; removing
// one that is not there is a no-op, as on AWS.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.RemoveClientIDFromOpenIDConnectProviderRequest, now time.Time) (*awsquery.Empty, error) {
	err := s.updateProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn, now, func(pr *iam.Provider) error {
		pr.ClientIDs = slices.DeleteFunc(pr.ClientIDs, func(id string) bool { return id == in.ClientID })
		return nil
	})
	return &awsquery.Empty{}, err
}

// DeleteOpenIDConnectProvider deletes an OIDC provider. Roles that trust
// it keep their trust policies, which then match nobody.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.DeleteOpenIDConnectProviderRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.deleteProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn)
}

func (s *Service) deleteProvider(ctx context.Context, p *identity.Principal, kind iam.ProviderKind, arn string) (*awsquery.Empty, error) {
	if _, err := s.getProvider(ctx, p, kind, arn); err != nil {
		var nf *iam.ProviderNotFoundError
		if errors.As(err, &nf) {
			nf.Deleting = true
		}
		return nil, err
	}
	if err := s.st.Providers().Delete(ctx, arn); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &iam.ProviderNotFoundError{Kind: kind, ARN: arn, Deleting: true}
		}
		return nil, err
	}
	return &awsquery.Empty{}, nil
}

// checkMetadata parses a SAML metadata document as AssumeRoleWithSAML
// will, so that a provider that could never verify anything is refused
// when it is created.
func checkMetadata(doc string) error {
	if err := iam.ValidateSAMLMetadataLength(doc); err != nil {
		return err
	}
	if _, err := saml.ParseMetadata([]byte(doc)); err != nil {
		return &iam.InvalidInputError{Message: "Could not parse metadata"}
	}
	return nil
}

// CreateSAMLProvider registers a SAML provider from its IdP's metadata.
// Assertion encryption is not supported (Brevet refuses encrypted
// assertions), so its parameters are refused rather than ignored.
func (s *Service) CreateSAMLProvider(ctx context.Context, p *identity.Principal, in *iamapi.CreateSAMLProviderRequest, now time.Time) (*iamapi.CreateSAMLProviderResponse, error) {
	if err := iam.ValidateSAMLProviderName(in.Name); err != nil {
		return nil, err
	}
	if in.AssertionEncryptionMode == "Required" || in.AddPrivateKey != "" {
		return nil, &iam.InvalidInputError{Message: "Encrypted SAML assertions are not supported."}
	}
	if err := checkMetadata(in.SAMLMetadataDocument); err != nil {
		return nil, err
	}
	if err := checkProviderTags(in.Tags); err != nil {
		return nil, err
	}
	id, err := newSAMLProviderUUID(s.rand)
	if err != nil {
		return nil, err
	}
	pr := iam.Provider{Kind: iam.ProviderSAML, Account: p.Account, Name: in.Name, Metadata: in.SAMLMetadataDocument,
		UUID: id, ValidUntil: now.Add(iam.DefaultSAMLValidity), Tags: fromTags(in.Tags), Created: now, Updated: now}
	if err := s.st.Providers().Create(ctx, pr); err != nil {
		return nil, conflictAs(err, &iam.ProviderExistsError{Kind: iam.ProviderSAML, Name: in.Name})
	}
	return &iamapi.CreateSAMLProviderResponse{SAMLProviderArn: pr.ARN(), Tags: sortedTags(pr.Tags)}, nil
}

// GetSAMLProvider returns a SAML provider's metadata.
func (s *Service) GetSAMLProvider(ctx context.Context, p *identity.Principal, in *iamapi.GetSAMLProviderRequest, _ time.Time) (*iamapi.GetSAMLProviderResponse, error) {
	pr, err := s.getProvider(ctx, p, iam.ProviderSAML, in.SAMLProviderArn)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetSAMLProviderResponse{SAMLProviderUUID: pr.UUID, SAMLMetadataDocument: pr.Metadata,
		CreateDate: utc(pr.Created), ValidUntil: utc(pr.ValidUntil), Tags: orEmpty(sortedTags(pr.Tags)),
		AssertionEncryptionMode: "Allowed", PrivateKeyList: []iamapi.SAMLPrivateKey{}}, nil
}

// ListSAMLProviders lists the account's SAML providers.
func (s *Service) ListSAMLProviders(ctx context.Context, p *identity.Principal, _ *iamapi.ListSAMLProvidersRequest, _ time.Time) (*iamapi.ListSAMLProvidersResponse, error) {
	prs, err := s.st.Providers().List(ctx, p.Account, iam.ProviderSAML)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListSAMLProvidersResponse{SAMLProviderList: []iamapi.SAMLProviderListEntry{}}
	for _, pr := range prs {
		out.SAMLProviderList = append(out.SAMLProviderList, iamapi.SAMLProviderListEntry{Arn: pr.ARN(),
			ValidUntil: utc(pr.ValidUntil), CreateDate: utc(pr.Created)})
	}
	return out, nil
}

// UpdateSAMLProvider replaces a SAML provider's metadata (the IdP rotated
// its signing certificate).
func (s *Service) UpdateSAMLProvider(ctx context.Context, p *identity.Principal, in *iamapi.UpdateSAMLProviderRequest, now time.Time) (*iamapi.UpdateSAMLProviderResponse, error) {
	if in.AssertionEncryptionMode == "Required" || in.AddPrivateKey != "" {
		return nil, &iam.InvalidInputError{Message: "Encrypted SAML assertions are not supported."}
	}
	if in.SAMLMetadataDocument != "" {
		if err := checkMetadata(in.SAMLMetadataDocument); err != nil {
			return nil, err
		}
	}
	err := s.updateProvider(ctx, p, iam.ProviderSAML, in.SAMLProviderArn, now, func(pr *iam.Provider) error {
		if in.SAMLMetadataDocument != "" {
			pr.Metadata = in.SAMLMetadataDocument
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSAMLProviderResponse{SAMLProviderArn: in.SAMLProviderArn}, nil
}

// DeleteSAMLProvider deletes a SAML provider.
func (s *Service) DeleteSAMLProvider(ctx context.Context, p *identity.Principal, in *iamapi.DeleteSAMLProviderRequest, _ time.Time) (*awsquery.Empty, error) {
	return s.deleteProvider(ctx, p, iam.ProviderSAML, in.SAMLProviderArn)
}

// tagProvider adds or replaces tags on a provider of kind: at most
// iam.MaxProviderTags in all, each checked as on TagRole.
func (s *Service) tagProvider(ctx context.Context, p *identity.Principal, kind iam.ProviderKind, arn string, tags []iamapi.Tag, now time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidateTags("tags", fromTags(tags)); err != nil {
		return nil, err
	}
	err := s.updateProvider(ctx, p, kind, arn, now, func(pr *iam.Provider) (err error) {
		pr.Tags, err = iam.AddTags(pr.Tags, fromTags(tags), iam.MaxProviderTags)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &awsquery.Empty{}, nil
}

// untagProvider removes tags from a provider; keys it does not have are
// ignored, as on the other Untag actions.
func (s *Service) untagProvider(ctx context.Context, p *identity.Principal, kind iam.ProviderKind, arn string, tagKeys []string, now time.Time) (*awsquery.Empty, error) {
	err := s.updateProvider(ctx, p, kind, arn, now, func(pr *iam.Provider) error {
		pr.Tags = iam.RemoveTags(pr.Tags, tagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &awsquery.Empty{}, nil
}

// providerTags pages a provider's tags.
func (s *Service) providerTags(ctx context.Context, p *identity.Principal, kind iam.ProviderKind, arn, marker string, maxItems *int32) (page[iamapi.Tag], error) {
	pr, err := s.getProvider(ctx, p, kind, arn)
	if err != nil {
		return page[iamapi.Tag]{}, err
	}
	return tagPage(pr.Tags, marker, maxItems)
}

// TagOpenIDConnectProvider adds or replaces tags on an OIDC provider.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.TagOpenIDConnectProviderRequest, now time.Time) (*awsquery.Empty, error) {
	return s.tagProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn, in.Tags, now)
}

// UntagOpenIDConnectProvider removes tags from an OIDC provider.
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, p *identity.Principal, in *iamapi.UntagOpenIDConnectProviderRequest, now time.Time) (*awsquery.Empty, error) {
	return s.untagProvider(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn, in.TagKeys, now)
}

// ListOpenIDConnectProviderTags lists an OIDC provider's tags.
func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, p *identity.Principal, in *iamapi.ListOpenIDConnectProviderTagsRequest, _ time.Time) (*iamapi.ListOpenIDConnectProviderTagsResponse, error) {
	pg, err := s.providerTags(ctx, p, iam.ProviderOIDC, in.OpenIDConnectProviderArn, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListOpenIDConnectProviderTagsResponse{Tags: pg.items, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

// TagSAMLProvider adds or replaces tags on a SAML provider.
func (s *Service) TagSAMLProvider(ctx context.Context, p *identity.Principal, in *iamapi.TagSAMLProviderRequest, now time.Time) (*awsquery.Empty, error) {
	return s.tagProvider(ctx, p, iam.ProviderSAML, in.SAMLProviderArn, in.Tags, now)
}

// UntagSAMLProvider removes tags from a SAML provider.
func (s *Service) UntagSAMLProvider(ctx context.Context, p *identity.Principal, in *iamapi.UntagSAMLProviderRequest, now time.Time) (*awsquery.Empty, error) {
	return s.untagProvider(ctx, p, iam.ProviderSAML, in.SAMLProviderArn, in.TagKeys, now)
}

// ListSAMLProviderTags lists a SAML provider's tags.
func (s *Service) ListSAMLProviderTags(ctx context.Context, p *identity.Principal, in *iamapi.ListSAMLProviderTagsRequest, _ time.Time) (*iamapi.ListSAMLProviderTagsResponse, error) {
	pg, err := s.providerTags(ctx, p, iam.ProviderSAML, in.SAMLProviderArn, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListSAMLProviderTagsResponse{Tags: pg.items, IsTruncated: pg.isTruncated(), Marker: pg.marker}, nil
}

func dedupe(l []string) []string {
	var out []string
	for _, v := range l {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func lowerAll(l []string) []string {
	var out []string
	for _, v := range l {
		out = append(out, strings.ToLower(v))
	}
	return out
}

// newSAMLProviderUUID returns a SAML provider's SAMLProviderUUID as IAM
// forms one: "SAMLSP" and 16 more upper-case letters and digits (the
// model's privateKeyIdType is [A-Z0-9]+ of 22 to 64 characters; IAM's
// values begin with SAMLSP, hashicorp/terraform-provider-aws#45699).
func newSAMLProviderUUID(r io.Reader) (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	out := []byte("SAMLSP")
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out), nil
}
