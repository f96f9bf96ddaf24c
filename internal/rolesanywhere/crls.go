package rolesanywhere

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// crlDoc is a CRL as stored. CrlData is the DER of the list.
type crlDoc struct {
	Name           string `json:"name"`
	Enabled        bool   `json:"enabled"`
	CrlData        []byte `json:"crlData"`
	TrustAnchorArn string `json:"trustAnchorArn"`
	Tags           []Tag  `json:"tags,omitempty"`
}

// maxCRL bounds crlData (the model's 300,000 bytes).
const maxCRL = 300000

// ParseCRL parses crlData as ImportCrl takes it: DER, or one PEM "X509
// CRL" block. It returns the list and its DER.
func ParseCRL(data []byte) (*x509.RevocationList, []byte, error) {
	if len(data) < 1 || len(data) > maxCRL {
		return nil, nil, invalid("Value at 'crlData' failed to satisfy constraint: Member must have length between 1 and %d", maxCRL)
	}
	der := data
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		b, _ := pem.Decode(bytes.TrimSpace(data))
		if b == nil || b.Type != "X509 CRL" {
			return nil, nil, invalid("crlData is PEM but not one X509 CRL block")
		}
		der = b.Bytes
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, nil, invalid("crlData is not a certificate revocation list")
	}
	return crl, der, nil
}

// checkCRLIssuer requires the CRL to be signed by a certificate of the
// anchor's bundle, so that a CRL cannot be attached to an anchor whose
// CA did not issue it.
func checkCRLIssuer(crl *x509.RevocationList, anchor *anchorDoc) error {
	if anchor.Source.SourceData == nil {
		return invalid("The trust anchor has no certificate data")
	}
	certs, err := ParseBundle(anchor.Source.SourceData.X509CertificateData)
	if err != nil {
		return err
	}
	for _, c := range certs {
		if crl.CheckSignatureFrom(c) == nil {
			return nil
		}
	}
	return invalid("The CRL is not signed by a certificate of the trust anchor")
}

func (s *Service) crlDetail(account string, o *store.Object, d *crlDoc) CrlDetail {
	return CrlDetail{
		CrlID: o.ID, CrlArn: s.ARN(account, KindCRL, o.ID), Name: d.Name, Enabled: d.Enabled, CrlData: d.CrlData,
		TrustAnchorArn: d.TrustAnchorArn, CreatedAt: o.Created.UTC(), UpdatedAt: o.Updated.UTC(),
	}
}

// anchorOf reads the trust anchor a CRL names.
func (s *Service) anchorOf(ctx context.Context, account, arn string) (*anchorDoc, error) {
	a, err := s.ownARN(account, arn, KindTrustAnchor)
	if err == nil {
		var d anchorDoc
		if _, err = s.get(ctx, account, KindTrustAnchor, a.ID, &d); err == nil {
			return &d, nil
		}
	}
	if _, ok := errors.AsType[*NotFoundError](err); ok {
		return nil, invalid("The trust anchor %s does not exist", truncate(arn, 200))
	}
	return nil, err
}

// ImportCrl imports a CRL for a trust anchor of account.
func (s *Service) ImportCrl(ctx context.Context, account string, in *ImportCrlInput, now time.Time) (*CrlDetailResponse, error) {
	if err := checkName(in.Name, true); err != nil {
		return nil, err
	}
	if in.TrustAnchorArn == nil || in.CrlData == nil {
		return nil, invalid("crlData and trustAnchorArn are required")
	}
	crl, der, err := ParseCRL(in.CrlData)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.Tags) > MaxTags {
		return nil, &TooManyTagsError{}
	}
	anchor, err := s.anchorOf(ctx, account, *in.TrustAnchorArn)
	if err != nil {
		return nil, err
	}
	if err := checkCRLIssuer(crl, anchor); err != nil {
		return nil, err
	}
	d := &crlDoc{Name: *in.Name, Enabled: deref(in.Enabled), CrlData: der, TrustAnchorArn: *in.TrustAnchorArn, Tags: in.Tags}
	o, err := s.create(ctx, account, KindCRL, d, now)
	if err != nil {
		return nil, err
	}
	return &CrlDetailResponse{Crl: s.crlDetail(account, &o, d)}, nil
}

// crlResponse renders a CRL of account as the actions answer.
func (s *Service) crlResponse(account string) func(*store.Object, *crlDoc) *CrlDetailResponse {
	return func(o *store.Object, d *crlDoc) *CrlDetailResponse {
		return &CrlDetailResponse{Crl: s.crlDetail(account, o, d)}
	}
}

// GetCrl returns a CRL.
func (s *Service) GetCrl(ctx context.Context, account string, in *CrlIDInput) (*CrlDetailResponse, error) {
	return getDoc(ctx, s, account, KindCRL, in.CrlID, s.crlResponse(account))
}

// updateCRL applies fn to a CRL and stores it.
func (s *Service) updateCRL(ctx context.Context, account, id string, now time.Time, fn func(*crlDoc) error) (*CrlDetailResponse, error) {
	return updateDoc(ctx, s, account, KindCRL, id, now, fn, s.crlResponse(account))
}

// UpdateCrl renames a CRL or replaces its list.
func (s *Service) UpdateCrl(ctx context.Context, account string, in *UpdateCrlInput, now time.Time) (*CrlDetailResponse, error) {
	if err := checkName(in.Name, false); err != nil {
		return nil, err
	}
	var crl *x509.RevocationList
	var der []byte
	if in.CrlData != nil {
		var err error
		if crl, der, err = ParseCRL(in.CrlData); err != nil {
			return nil, err
		}
	}
	return s.updateCRL(ctx, account, in.CrlID, now, func(d *crlDoc) error {
		if crl != nil {
			anchor, err := s.anchorOf(ctx, account, d.TrustAnchorArn)
			if err != nil {
				return err
			}
			if err := checkCRLIssuer(crl, anchor); err != nil {
				return err
			}
			d.CrlData = der
		}
		if in.Name != nil {
			d.Name = *in.Name
		}
		return nil
	})
}

// SetCrlEnabled enables or disables a CRL.
func (s *Service) SetCrlEnabled(ctx context.Context, account string, in *CrlIDInput, enabled bool, now time.Time) (*CrlDetailResponse, error) {
	return s.updateCRL(ctx, account, in.CrlID, now, func(d *crlDoc) error {
		d.Enabled = enabled
		return nil
	})
}

// DeleteCrl deletes a CRL and returns it as it was.
func (s *Service) DeleteCrl(ctx context.Context, account string, in *CrlIDInput) (*CrlDetailResponse, error) {
	return deleteDoc(ctx, s, account, KindCRL, in.CrlID, s.crlResponse(account))
}

// ListCrls lists the account's CRLs, a page at a time.
func (s *Service) ListCrls(ctx context.Context, account string, in *ListInput) (*ListCrlsOutput, error) {
	l, next, err := listDocs(ctx, s, account, KindCRL, in, func(o *store.Object, d *crlDoc) CrlDetail {
		return s.crlDetail(account, o, d)
	})
	if err != nil {
		return nil, err
	}
	return &ListCrlsOutput{NextToken: next, Crls: l}, nil
}
