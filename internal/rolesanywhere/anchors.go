package rolesanywhere

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// anchorDoc is a trust anchor as stored.
type anchorDoc struct {
	Name          string                      `json:"name"`
	Source        Source                      `json:"source"`
	Enabled       bool                        `json:"enabled"`
	Tags          []Tag                       `json:"tags,omitempty"`
	Notifications []NotificationSettingDetail `json:"notifications,omitempty"`
}

// Notification events and their defaults (AWS: both enabled, 45 days
// ahead, on every channel, configured by the service).
const (
	eventCAExpiry    = "CA_CERTIFICATE_EXPIRY"
	eventLeafExpiry  = "END_ENTITY_CERTIFICATE_EXPIRY"
	channelAll       = "ALL"
	servicePrincipal = "rolesanywhere.amazonaws.com"
	defaultThreshold = 45
)

// maxBundleCerts bounds the certificates of one trust anchor bundle.
const maxBundleCerts = 20

func defaultNotifications() []NotificationSettingDetail {
	return []NotificationSettingDetail{
		{Enabled: true, Event: eventCAExpiry, Threshold: defaultThreshold, Channel: channelAll, ConfiguredBy: servicePrincipal},
		{Enabled: true, Event: eventLeafExpiry, Threshold: defaultThreshold, Channel: channelAll, ConfiguredBy: servicePrincipal},
	}
}

// ParseBundle parses and checks a CERTIFICATE_BUNDLE's PEM data: one or
// more CA certificates (basic constraints CA:TRUE), RSA keys of at least
// 2048 bits or ECDSA keys on P-256, P-384 or P-521 (or Ed25519), none
// signed with SHA-1 or MD5.
func ParseBundle(data string) ([]*x509.Certificate, error) {
	rest := []byte(data)
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, invalid("The certificate bundle holds a PEM block of type %q; only CERTIFICATE blocks are accepted", truncate(b.Type, 40))
		}
		if len(certs) == maxBundleCerts {
			return nil, invalid("The certificate bundle holds more than %d certificates", maxBundleCerts)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, invalid("The certificate bundle holds a certificate that cannot be parsed")
		}
		if err := checkCA(c); err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, invalid("The certificate bundle holds no PEM CERTIFICATE block")
	}
	return certs, nil
}

// checkCA refuses a certificate that cannot be a trust anchor.
func checkCA(c *x509.Certificate) error {
	name := truncate(c.Subject.String(), 200)
	if !c.BasicConstraintsValid || !c.IsCA {
		return invalid("The certificate %s is not a CA certificate (basic constraints CA:TRUE)", name)
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return invalid("The certificate %s has an RSA key of %d bits; at least 2048 are required", name, k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
		case 256, 384, 521:
		default:
			return invalid("The certificate %s has an ECDSA key on an unsupported curve", name)
		}
	case ed25519.PublicKey:
	default:
		return invalid("The certificate %s has an unsupported key type", name)
	}
	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return invalid("The certificate %s is signed with %s, which is refused", name, c.SignatureAlgorithm)
	}
	return nil
}

// checkSource validates a trust anchor's source: only certificate
// bundles; Brevet has no ACM Private CA to refer to.
func checkSource(src *Source) error {
	if src == nil {
		return invalid("source is required")
	}
	switch src.SourceType {
	case SourceCertificateBundle:
	case SourceACMPCA, SourceSelfSignedRepository:
		return invalid("Trust anchors of source type %s are not supported by Brevet; use %s with the CA certificates in x509CertificateData", src.SourceType, SourceCertificateBundle)
	case "":
		return invalid("source.sourceType is required")
	default:
		return invalid("Value at 'source.sourceType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACM_PCA, CERTIFICATE_BUNDLE, SELF_SIGNED_REPOSITORY]")
	}
	if src.SourceData == nil || src.SourceData.X509CertificateData == "" {
		return invalid("source.sourceData.x509CertificateData is required for %s", SourceCertificateBundle)
	}
	if src.SourceData.AcmPcaArn != "" {
		return invalid("source.sourceData takes only one of x509CertificateData and acmPcaArn")
	}
	if len(src.SourceData.X509CertificateData) > 16000 {
		return invalid("Value at 'source.sourceData.x509CertificateData' failed to satisfy constraint: Member must have length less than or equal to 16000")
	}
	_, err := ParseBundle(src.SourceData.X509CertificateData)
	return err
}

// applyNotifications sets the given settings over the current ones.
func applyNotifications(cur []NotificationSettingDetail, in []NotificationSetting) ([]NotificationSettingDetail, error) {
	if len(in) > 50 {
		return nil, invalid("Value at 'notificationSettings' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	out := append([]NotificationSettingDetail(nil), cur...)
	for _, n := range in {
		if n.Event != eventCAExpiry && n.Event != eventLeafExpiry {
			return nil, invalid("Value at 'notificationSettings.member.event' failed to satisfy constraint: Member must satisfy enum value set: [CA_CERTIFICATE_EXPIRY, END_ENTITY_CERTIFICATE_EXPIRY]")
		}
		if n.Enabled == nil {
			return nil, invalid("notificationSettings.member.enabled is required")
		}
		if n.Channel != "" && n.Channel != channelAll {
			return nil, invalid("Value at 'notificationSettings.member.channel' failed to satisfy constraint: Member must satisfy enum value set: [ALL]")
		}
		d := NotificationSettingDetail{Enabled: *n.Enabled, Event: n.Event, Threshold: defaultThreshold, Channel: channelAll, ConfiguredBy: servicePrincipal}
		if n.Threshold != nil {
			if *n.Threshold < 1 || *n.Threshold > 360 {
				return nil, invalid("Value at 'notificationSettings.member.threshold' failed to satisfy constraint: Member must be between 1 and 360")
			}
			d.Threshold = *n.Threshold
		}
		replaced := false
		for i := range out {
			if out[i].Event == d.Event {
				out[i], replaced = d, true
			}
		}
		if !replaced {
			out = append(out, d)
		}
	}
	return out, nil
}

func (s *Service) anchorDetail(account string, o *store.Object, d *anchorDoc) TrustAnchorDetail {
	n := d.Notifications
	if n == nil {
		n = []NotificationSettingDetail{}
	}
	return TrustAnchorDetail{
		TrustAnchorID: o.ID, TrustAnchorArn: s.ARN(account, KindTrustAnchor, o.ID), Name: d.Name, Source: d.Source,
		Enabled: d.Enabled, CreatedAt: o.Created.UTC(), UpdatedAt: o.Updated.UTC(), NotificationSettings: n,
	}
}

// CreateTrustAnchor creates a trust anchor in account.
func (s *Service) CreateTrustAnchor(ctx context.Context, account string, in *CreateTrustAnchorInput, now time.Time) (*TrustAnchorDetailResponse, error) {
	if err := checkName(in.Name, true); err != nil {
		return nil, err
	}
	if err := checkSource(in.Source); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.Tags) > MaxTags {
		return nil, &TooManyTagsError{}
	}
	notes, err := applyNotifications(defaultNotifications(), in.NotificationSettings)
	if err != nil {
		return nil, err
	}
	d := &anchorDoc{Name: *in.Name, Source: *in.Source, Enabled: deref(in.Enabled), Tags: in.Tags, Notifications: notes}
	o, err := s.create(ctx, account, KindTrustAnchor, d, now)
	if err != nil {
		return nil, err
	}
	return &TrustAnchorDetailResponse{TrustAnchor: s.anchorDetail(account, &o, d)}, nil
}

// anchorResponse renders a trust anchor of account as the actions answer.
func (s *Service) anchorResponse(account string) func(*store.Object, *anchorDoc) *TrustAnchorDetailResponse {
	return func(o *store.Object, d *anchorDoc) *TrustAnchorDetailResponse {
		return &TrustAnchorDetailResponse{TrustAnchor: s.anchorDetail(account, o, d)}
	}
}

// GetTrustAnchor returns a trust anchor.
func (s *Service) GetTrustAnchor(ctx context.Context, account string, in *TrustAnchorIDInput) (*TrustAnchorDetailResponse, error) {
	return getDoc(ctx, s, account, KindTrustAnchor, in.TrustAnchorID, s.anchorResponse(account))
}

// updateAnchor applies fn to a trust anchor and stores it.
func (s *Service) updateAnchor(ctx context.Context, account, id string, now time.Time, fn func(*anchorDoc) error) (*TrustAnchorDetailResponse, error) {
	return updateDoc(ctx, s, account, KindTrustAnchor, id, now, fn, s.anchorResponse(account))
}

// UpdateTrustAnchor renames a trust anchor or replaces its bundle.
func (s *Service) UpdateTrustAnchor(ctx context.Context, account string, in *UpdateTrustAnchorInput, now time.Time) (*TrustAnchorDetailResponse, error) {
	if err := checkName(in.Name, false); err != nil {
		return nil, err
	}
	if in.Source != nil {
		if err := checkSource(in.Source); err != nil {
			return nil, err
		}
	}
	return s.updateAnchor(ctx, account, in.TrustAnchorID, now, func(d *anchorDoc) error {
		if in.Name != nil {
			d.Name = *in.Name
		}
		if in.Source != nil {
			d.Source = *in.Source
		}
		return nil
	})
}

// SetTrustAnchorEnabled enables or disables a trust anchor.
func (s *Service) SetTrustAnchorEnabled(ctx context.Context, account string, in *TrustAnchorIDInput, enabled bool, now time.Time) (*TrustAnchorDetailResponse, error) {
	return s.updateAnchor(ctx, account, in.TrustAnchorID, now, func(d *anchorDoc) error {
		d.Enabled = enabled
		return nil
	})
}

// PutNotificationSettings sets a trust anchor's notification settings.
// Brevet keeps them (and returns them) but sends no notifications.
func (s *Service) PutNotificationSettings(ctx context.Context, account string, in *PutNotificationSettingsInput, now time.Time) (*TrustAnchorDetailResponse, error) {
	if in.NotificationSettings == nil {
		return nil, invalid("notificationSettings is required")
	}
	return s.updateAnchor(ctx, account, in.TrustAnchorID, now, func(d *anchorDoc) (err error) {
		d.Notifications, err = applyNotifications(d.Notifications, in.NotificationSettings)
		return err
	})
}

// ResetNotificationSettings puts the named notification settings back to
// their defaults.
func (s *Service) ResetNotificationSettings(ctx context.Context, account string, in *ResetNotificationSettingsInput, now time.Time) (*TrustAnchorDetailResponse, error) {
	if in.NotificationSettingKeys == nil {
		return nil, invalid("notificationSettingKeys is required")
	}
	return s.updateAnchor(ctx, account, in.TrustAnchorID, now, func(d *anchorDoc) error {
		for _, k := range in.NotificationSettingKeys {
			for _, def := range defaultNotifications() {
				if def.Event != k.Event {
					continue
				}
				for i := range d.Notifications {
					if d.Notifications[i].Event == k.Event {
						d.Notifications[i] = def
					}
				}
			}
		}
		return nil
	})
}

// DeleteTrustAnchor deletes a trust anchor and returns it as it was.
func (s *Service) DeleteTrustAnchor(ctx context.Context, account string, in *TrustAnchorIDInput) (*TrustAnchorDetailResponse, error) {
	return deleteDoc(ctx, s, account, KindTrustAnchor, in.TrustAnchorID, s.anchorResponse(account))
}

// ListTrustAnchors lists the account's trust anchors, a page at a time.
func (s *Service) ListTrustAnchors(ctx context.Context, account string, in *ListInput) (*ListTrustAnchorsOutput, error) {
	l, next, err := listDocs(ctx, s, account, KindTrustAnchor, in, func(o *store.Object, d *anchorDoc) TrustAnchorDetail {
		return s.anchorDetail(account, o, d)
	})
	if err != nil {
		return nil, err
	}
	return &ListTrustAnchorsOutput{NextToken: next, TrustAnchors: l}, nil
}
