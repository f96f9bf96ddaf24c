package iot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// Tag is a resource tag as the IoT API passes it (accepted, not kept).
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value,omitempty"`
}

// parsePEM reads exactly one certificate from a PEM string.
func parsePEM(s, what string) (*x509.Certificate, error) {
	if len(s) > maxPEM {
		return nil, errorf(CertificateValidation, "The %s is too large.", what)
	}
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errorf(CertificateValidation, "The %s is not a PEM-encoded X.509 certificate.", what)
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errorf(CertificateValidation, "The %s must hold exactly one certificate.", what)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, errorf(CertificateValidation, "The %s could not be parsed: %s", what, err.Error())
	}
	return c, nil
}

// CertificateID is a certificate's id: the hex SHA-256 of its DER, as
// AWS IoT computes it.
func CertificateID(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// normalizeID accepts an id as the model does ("0x" prefix, either case).
func normalizeID(id string) (string, error) {
	id = strings.ToLower(strings.TrimPrefix(id, "0x"))
	if !certIDRE.MatchString(id) {
		return "", errorf(InvalidRequest, "The certificate id is not valid.")
	}
	return id, nil
}

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// RegisterCACertificateInput is RegisterCACertificate's input.
type RegisterCACertificateInput struct {
	CACertificate           string `json:"caCertificate"`
	VerificationCertificate string `json:"verificationCertificate,omitempty"`
	SetAsActive             bool   `json:"-" query:"setAsActive"`
	AllowAutoRegistration   bool   `json:"-" query:"allowAutoRegistration"`
	RegistrationConfig      any    `json:"registrationConfig,omitempty"`
	Tags                    []Tag  `json:"tags,omitempty"`
	CertificateMode         string `json:"certificateMode,omitempty"`
}

// RegisterCertificateOutput is the output of the registration actions.
type RegisterCertificateOutput struct {
	CertificateArn string `json:"certificateArn"`
	CertificateID  string `json:"certificateId"`
}

// RegisterCACertificate registers a CA certificate in account. A
// verification certificate, when given, must be signed by the CA's key
// (proof that the registrant holds it); Brevet has no registration codes,
// so its subject is not checked. Auto-registration is refused: Brevet
// registers device certificates only through RegisterCertificate.
func (s *Service) RegisterCACertificate(ctx context.Context, account string, in *RegisterCACertificateInput, now time.Time) (*RegisterCertificateOutput, error) {
	if in.AllowAutoRegistration || in.RegistrationConfig != nil {
		return nil, errorf(InvalidRequest, "Brevet does not register device certificates automatically; register each one with RegisterCertificate.")
	}
	if in.CertificateMode != "" && in.CertificateMode != "DEFAULT" && in.CertificateMode != "SNI_ONLY" {
		return nil, errorf(InvalidRequest, "The certificate mode %q is not valid.", in.CertificateMode)
	}
	ca, err := parsePEM(in.CACertificate, "CA certificate")
	if err != nil {
		return nil, err
	}
	if !ca.IsCA || !ca.BasicConstraintsValid {
		return nil, errorf(CertificateValidation, "The certificate is not a CA certificate.")
	}
	if in.VerificationCertificate != "" {
		v, err := parsePEM(in.VerificationCertificate, "verification certificate")
		if err != nil {
			return nil, err
		}
		if v.CheckSignatureFrom(ca) != nil {
			return nil, errorf(CertificateValidation, "The verification certificate is not signed by the CA certificate.")
		}
	}
	id := CertificateID(ca.Raw)
	arn := s.CACertificateARN(account, id)
	doc := caCertificate{PEM: pemOf(ca), Status: StatusInactive, NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, Version: 1}
	if in.SetAsActive {
		doc.Status = StatusActive
	}
	if err := s.save(ctx, true, account, KindCACertificate, id, &doc, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Code: AlreadyExists, Message: "The CA certificate is already registered.", ResourceID: id, ResourceARN: arn}
		}
		return nil, err
	}
	return &RegisterCertificateOutput{CertificateArn: arn, CertificateID: id}, nil
}

// CertificateIDInput names a CA certificate (path caCertificateId).
type CACertificateIDInput struct {
	CertificateID string `json:"-" path:"caCertificateId"`
}

// CertificateValidity is a certificate's validity period.
type CertificateValidity struct {
	NotBefore *Epoch `json:"notBefore,omitempty"`
	NotAfter  *Epoch `json:"notAfter,omitempty"`
}

// CACertificateDescription describes a CA certificate.
type CACertificateDescription struct {
	CertificateArn         string               `json:"certificateArn"`
	CertificateID          string               `json:"certificateId"`
	Status                 string               `json:"status"`
	CertificatePem         string               `json:"certificatePem"`
	OwnedBy                string               `json:"ownedBy"`
	CreationDate           *Epoch               `json:"creationDate"`
	AutoRegistrationStatus string               `json:"autoRegistrationStatus"`
	LastModifiedDate       *Epoch               `json:"lastModifiedDate"`
	CustomerVersion        int                  `json:"customerVersion"`
	Validity               *CertificateValidity `json:"validity"`
	CertificateMode        string               `json:"certificateMode"`
}

// DescribeCACertificateOutput is DescribeCACertificate's output.
type DescribeCACertificateOutput struct {
	CertificateDescription *CACertificateDescription `json:"certificateDescription"`
}

// DescribeCACertificate describes one CA certificate of account.
func (s *Service) DescribeCACertificate(ctx context.Context, account string, in *CACertificateIDInput) (*DescribeCACertificateOutput, error) {
	id, err := normalizeID(in.CertificateID)
	if err != nil {
		return nil, err
	}
	var doc caCertificate
	o, err := s.load(ctx, account, KindCACertificate, id, &doc)
	if err != nil {
		return nil, notFound(err, "The CA certificate %s does not exist.", id)
	}
	return &DescribeCACertificateOutput{CertificateDescription: &CACertificateDescription{
		CertificateArn: s.CACertificateARN(account, id), CertificateID: id, Status: doc.Status,
		CertificatePem: doc.PEM, OwnedBy: account, CreationDate: epoch(o.Created), LastModifiedDate: epoch(o.Updated),
		AutoRegistrationStatus: "DISABLE", CustomerVersion: doc.Version, CertificateMode: "DEFAULT",
		Validity: &CertificateValidity{NotBefore: epoch(doc.NotBefore), NotAfter: epoch(doc.NotAfter)},
	}}, nil
}

// ListInput is the paging of the List actions that page with markers.
type ListInput struct {
	PageSize       int    `json:"-" query:"pageSize"`
	Marker         string `json:"-" query:"marker"`
	AscendingOrder bool   `json:"-" query:"isAscendingOrder"`
}

// CertificateSummary is one certificate in a list.
type CertificateSummary struct {
	CertificateArn  string `json:"certificateArn"`
	CertificateID   string `json:"certificateId"`
	Status          string `json:"status"`
	CertificateMode string `json:"certificateMode,omitempty"`
	CreationDate    *Epoch `json:"creationDate"`
}

// ListCertificatesOutput is the output of ListCACertificates and
// ListCertificates.
type ListCertificatesOutput struct {
	Certificates []CertificateSummary `json:"certificates"`
	NextMarker   string               `json:"nextMarker,omitempty"`
}

// ListCACertificates lists the account's CA certificates by id.
func (s *Service) ListCACertificates(ctx context.Context, account string, in *ListInput) (*ListCertificatesOutput, error) {
	objs, next, err := s.page(ctx, account, KindCACertificate, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &ListCertificatesOutput{Certificates: []CertificateSummary{}, NextMarker: next}
	for _, o := range objs {
		var doc caCertificate
		if err := json.Unmarshal(o.Body, &doc); err != nil {
			return nil, err
		}
		out.Certificates = append(out.Certificates, CertificateSummary{
			CertificateArn: s.CACertificateARN(account, o.ID), CertificateID: o.ID, Status: doc.Status, CreationDate: epoch(o.Created)})
	}
	return out, nil
}

// UpdateCACertificateInput is UpdateCACertificate's input.
type UpdateCACertificateInput struct {
	CertificateID             string `json:"-" path:"caCertificateId"`
	NewStatus                 string `json:"-" query:"newStatus"`
	NewAutoRegistrationStatus string `json:"-" query:"newAutoRegistrationStatus"`
	RegistrationConfig        any    `json:"registrationConfig,omitempty"`
	RemoveAutoRegistration    bool   `json:"removeAutoRegistration,omitempty"`
}

// UpdateCACertificate changes a CA certificate's status; the device
// certificates it issued are refused while it is INACTIVE, from the next
// request on.
func (s *Service) UpdateCACertificate(ctx context.Context, account string, in *UpdateCACertificateInput, now time.Time) error {
	id, err := normalizeID(in.CertificateID)
	if err != nil {
		return err
	}
	if in.NewAutoRegistrationStatus == "ENABLE" || in.RegistrationConfig != nil {
		return errorf(InvalidRequest, "Brevet does not register device certificates automatically.")
	}
	if in.NewAutoRegistrationStatus != "" && in.NewAutoRegistrationStatus != "DISABLE" {
		return errorf(InvalidRequest, "The auto-registration status %q is not valid.", in.NewAutoRegistrationStatus)
	}
	if in.NewStatus != "" && in.NewStatus != StatusActive && in.NewStatus != StatusInactive {
		return errorf(InvalidRequest, "The CA certificate status %q is not valid: use ACTIVE or INACTIVE.", in.NewStatus)
	}
	var doc caCertificate
	if _, err := s.load(ctx, account, KindCACertificate, id, &doc); err != nil {
		return notFound(err, "The CA certificate %s does not exist.", id)
	}
	if in.NewStatus == "" || in.NewStatus == doc.Status {
		return nil
	}
	doc.Status = in.NewStatus
	doc.Version++
	return notFound(s.save(ctx, false, account, KindCACertificate, id, &doc, now), "The CA certificate %s does not exist.", id)
}

// DeleteCACertificate deletes an INACTIVE CA certificate.
func (s *Service) DeleteCACertificate(ctx context.Context, account string, in *CACertificateIDInput) error {
	id, err := normalizeID(in.CertificateID)
	if err != nil {
		return err
	}
	var doc caCertificate
	if _, err := s.load(ctx, account, KindCACertificate, id, &doc); err != nil {
		return notFound(err, "The CA certificate %s does not exist.", id)
	}
	if doc.Status != StatusInactive {
		return errorf(CertificateState, "The CA certificate is %s; set it INACTIVE before deleting it.", doc.Status)
	}
	return notFound(s.remove(ctx, account, KindCACertificate, id), "The CA certificate %s does not exist.", id)
}

// RegisterCertificateInput is RegisterCertificate's and
// RegisterCertificateWithoutCA's input.
type RegisterCertificateInput struct {
	CertificatePem   string `json:"certificatePem"`
	CACertificatePem string `json:"caCertificatePem,omitempty"`
	SetAsActive      *bool  `json:"-" query:"setAsActive"`
	Status           string `json:"status,omitempty"`
}

// RegisterCertificate registers a device certificate issued by a CA
// registered in account (caCertificatePem names it; without it, the
// account's CA certificates are searched for the issuer). Its status is
// ACTIVE with setAsActive, else the status given, else INACTIVE.
func (s *Service) RegisterCertificate(ctx context.Context, account string, in *RegisterCertificateInput, now time.Time) (*RegisterCertificateOutput, error) {
	leaf, status, err := s.checkRegistration(in)
	if err != nil {
		return nil, err
	}
	caID, err := s.issuerOf(ctx, account, leaf, in.CACertificatePem)
	if err != nil {
		return nil, err
	}
	return s.register(ctx, account, leaf, caID, status, now)
}

// RegisterCertificateWithoutCA registers a device certificate whose
// issuer is not registered (a self-signed one, or a public CA's).
func (s *Service) RegisterCertificateWithoutCA(ctx context.Context, account string, in *RegisterCertificateInput, now time.Time) (*RegisterCertificateOutput, error) {
	in.CACertificatePem, in.SetAsActive = "", nil
	leaf, status, err := s.checkRegistration(in)
	if err != nil {
		return nil, err
	}
	return s.register(ctx, account, leaf, "", status, now)
}

func (s *Service) checkRegistration(in *RegisterCertificateInput) (*x509.Certificate, string, error) {
	leaf, err := parsePEM(in.CertificatePem, "certificate")
	if err != nil {
		return nil, "", err
	}
	status := StatusInactive
	switch {
	case in.SetAsActive != nil && *in.SetAsActive:
		status = StatusActive
	case in.Status == "":
	case in.Status == StatusActive, in.Status == StatusInactive, in.Status == StatusRevoked,
		in.Status == StatusRegisterInactive, in.Status == StatusPendingActivation:
		status = in.Status
	default:
		return nil, "", errorf(InvalidRequest, "The status %q is not valid for a certificate being registered.", in.Status)
	}
	return leaf, status, nil
}

// issuerOf finds the registered CA of account that signed leaf: the one
// caPEM gives, or the first whose signature verifies.
func (s *Service) issuerOf(ctx context.Context, account string, leaf *x509.Certificate, caPEM string) (string, error) {
	if caPEM != "" {
		ca, err := parsePEM(caPEM, "CA certificate")
		if err != nil {
			return "", err
		}
		id := CertificateID(ca.Raw)
		if _, err := s.cfg.Store.Get(ctx, account, KindCACertificate, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", errorf(CertificateValidation, "The CA certificate is not registered; register it with RegisterCACertificate first.")
			}
			return "", err
		}
		if leaf.CheckSignatureFrom(ca) != nil {
			return "", errorf(CertificateValidation, "The certificate is not signed by the CA certificate.")
		}
		return id, nil
	}
	after := ""
	for {
		objs, err := s.cfg.Store.List(ctx, account, KindCACertificate, after, 100)
		if err != nil {
			return "", err
		}
		for _, o := range objs {
			var doc caCertificate
			if json.Unmarshal(o.Body, &doc) != nil {
				continue
			}
			ca, err := parsePEM(doc.PEM, "CA certificate")
			if err == nil && bytes.Equal(ca.RawSubject, leaf.RawIssuer) && leaf.CheckSignatureFrom(ca) == nil {
				return o.ID, nil
			}
		}
		if len(objs) < 100 {
			return "", errorf(CertificateValidation, "The certificate is not signed by a CA certificate registered in this account.")
		}
		after = objs[len(objs)-1].ID
	}
}

func (s *Service) register(ctx context.Context, account string, leaf *x509.Certificate, caID, status string, now time.Time) (*RegisterCertificateOutput, error) {
	id := CertificateID(leaf.Raw)
	arn := s.CertificateARN(account, id)
	others, err := s.cfg.Store.Find(ctx, KindCertificate, id)
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.Account != account {
			return nil, errorf(CertificateConflict, "The certificate is registered in another account.")
		}
	}
	doc := certificate{PEM: pemOf(leaf), Status: status, CAID: caID, NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter, Version: 1}
	if err := s.save(ctx, true, account, KindCertificate, id, &doc, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Code: AlreadyExists, Message: "The certificate is already registered.", ResourceID: id, ResourceARN: arn}
		}
		return nil, err
	}
	return &RegisterCertificateOutput{CertificateArn: arn, CertificateID: id}, nil
}

// CertificateIDInput names a device certificate.
type CertificateIDInput struct {
	CertificateID string `json:"-" path:"certificateId"`
}

// CertificateDescription describes a device certificate.
type CertificateDescription struct {
	CertificateArn   string               `json:"certificateArn"`
	CertificateID    string               `json:"certificateId"`
	CACertificateID  string               `json:"caCertificateId,omitempty"`
	Status           string               `json:"status"`
	CertificatePem   string               `json:"certificatePem"`
	OwnedBy          string               `json:"ownedBy"`
	CreationDate     *Epoch               `json:"creationDate"`
	LastModifiedDate *Epoch               `json:"lastModifiedDate"`
	CustomerVersion  int                  `json:"customerVersion"`
	Validity         *CertificateValidity `json:"validity"`
	CertificateMode  string               `json:"certificateMode"`
}

// DescribeCertificateOutput is DescribeCertificate's output.
type DescribeCertificateOutput struct {
	CertificateDescription *CertificateDescription `json:"certificateDescription"`
}

// DescribeCertificate describes one device certificate of account.
func (s *Service) DescribeCertificate(ctx context.Context, account string, in *CertificateIDInput) (*DescribeCertificateOutput, error) {
	id, err := normalizeID(in.CertificateID)
	if err != nil {
		return nil, err
	}
	var doc certificate
	o, err := s.load(ctx, account, KindCertificate, id, &doc)
	if err != nil {
		return nil, notFound(err, "The certificate %s does not exist.", id)
	}
	return &DescribeCertificateOutput{CertificateDescription: &CertificateDescription{
		CertificateArn: s.CertificateARN(account, id), CertificateID: id, CACertificateID: doc.CAID,
		Status: doc.Status, CertificatePem: doc.PEM, OwnedBy: account,
		CreationDate: epoch(o.Created), LastModifiedDate: epoch(o.Updated), CustomerVersion: doc.Version,
		Validity: &CertificateValidity{NotBefore: epoch(doc.NotBefore), NotAfter: epoch(doc.NotAfter)}, CertificateMode: "DEFAULT",
	}}, nil
}

// ListCertificates lists the account's device certificates by id.
func (s *Service) ListCertificates(ctx context.Context, account string, in *ListInput) (*ListCertificatesOutput, error) {
	return s.listCertificates(ctx, account, in, "")
}

// ListCertificatesByCAInput is ListCertificatesByCA's input.
type ListCertificatesByCAInput struct {
	CACertificateID string `json:"-" path:"caCertificateId"`
	ListInput
}

// ListCertificatesByCA lists the account's device certificates a CA
// issued.
func (s *Service) ListCertificatesByCA(ctx context.Context, account string, in *ListCertificatesByCAInput) (*ListCertificatesOutput, error) {
	id, err := normalizeID(in.CACertificateID)
	if err != nil {
		return nil, err
	}
	return s.listCertificates(ctx, account, &in.ListInput, id)
}

func (s *Service) listCertificates(ctx context.Context, account string, in *ListInput, caID string) (*ListCertificatesOutput, error) {
	out := &ListCertificatesOutput{Certificates: []CertificateSummary{}}
	marker := in.Marker
	for pages := 1; ; pages++ {
		objs, next, err := s.page(ctx, account, KindCertificate, marker, in.PageSize)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			var doc certificate
			if err := json.Unmarshal(o.Body, &doc); err != nil {
				return nil, err
			}
			if caID != "" && doc.CAID != caID {
				continue
			}
			out.Certificates = append(out.Certificates, CertificateSummary{CertificateArn: s.CertificateARN(account, o.ID),
				CertificateID: o.ID, Status: doc.Status, CertificateMode: "DEFAULT", CreationDate: epoch(o.Created)})
		}
		out.NextMarker = next
		if next == "" || len(out.Certificates) > 0 || caID == "" || pages == maxScanPages {
			return out, nil
		}
		marker = next // a page with none of the CA's: read on rather than answer an empty page
	}
}

// UpdateCertificateInput is UpdateCertificate's input.
type UpdateCertificateInput struct {
	CertificateID string `json:"-" path:"certificateId"`
	NewStatus     string `json:"-" query:"newStatus"`
}

// UpdateCertificate changes a device certificate's status: ACTIVE,
// INACTIVE or REVOKED, effective for the next credentials request on
// every node. A REVOKED certificate stays revoked.
func (s *Service) UpdateCertificate(ctx context.Context, account string, in *UpdateCertificateInput, now time.Time) error {
	id, err := normalizeID(in.CertificateID)
	if err != nil {
		return err
	}
	switch in.NewStatus {
	case StatusActive, StatusInactive, StatusRevoked:
	case "":
		return errorf(InvalidRequest, "newStatus is required.")
	default:
		return errorf(InvalidRequest, "The status %q cannot be set: use ACTIVE, INACTIVE or REVOKED.", in.NewStatus)
	}
	var doc certificate
	if _, err := s.load(ctx, account, KindCertificate, id, &doc); err != nil {
		return notFound(err, "The certificate %s does not exist.", id)
	}
	if doc.Status == in.NewStatus {
		return nil
	}
	if doc.Status == StatusRevoked {
		return errorf(CertificateState, "The certificate is REVOKED; a revoked certificate cannot be set %s.", in.NewStatus)
	}
	doc.Status = in.NewStatus
	doc.Version++
	return notFound(s.save(ctx, false, account, KindCertificate, id, &doc, now), "The certificate %s does not exist.", id)
}

// DeleteCertificateInput is DeleteCertificate's input.
type DeleteCertificateInput struct {
	CertificateID string `json:"-" path:"certificateId"`
	ForceDelete   bool   `json:"-" query:"forceDelete"`
}

// DeleteCertificate deletes a device certificate that is not ACTIVE and
// has no thing attached.
func (s *Service) DeleteCertificate(ctx context.Context, account string, in *DeleteCertificateInput) error {
	id, err := normalizeID(in.CertificateID)
	if err != nil {
		return err
	}
	var doc certificate
	if _, err := s.load(ctx, account, KindCertificate, id, &doc); err != nil {
		return notFound(err, "The certificate %s does not exist.", id)
	}
	if doc.Status == StatusActive || doc.Status == StatusPendingTransfer {
		return errorf(CertificateState, "The certificate is %s; deactivate or revoke it before deleting it.", doc.Status)
	}
	if len(doc.Things) > 0 {
		return errorf(DeleteConflict, "The certificate is attached to %d thing(s); detach them first.", len(doc.Things))
	}
	return notFound(s.remove(ctx, account, KindCertificate, id), "The certificate %s does not exist.", id)
}

// hasThing reports whether name is attached to the certificate.
func (c *certificate) hasThing(name string) bool { return slices.Contains(c.Things, name) }
