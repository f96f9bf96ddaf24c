package rolesanywhere

import "time"

// The shapes below are botocore's rolesanywhere 2018-05-10 model: member
// names are the JSON names on the wire, optional members are pointers or
// omitted when empty, and the inputs carry their path and query members
// with the restjson codec's tags.

// Source types of a trust anchor (TrustAnchorType).
const (
	SourceCertificateBundle    = "CERTIFICATE_BUNDLE"
	SourceACMPCA               = "AWS_ACM_PCA"
	SourceSelfSignedRepository = "SELF_SIGNED_REPOSITORY"
)

// Certificate fields of an attribute mapping (CertificateField).
const (
	FieldSubject = "x509Subject"
	FieldIssuer  = "x509Issuer"
	FieldSAN     = "x509SAN"
)

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Source is a trust anchor's type and certificate data.
type Source struct {
	SourceType string      `json:"sourceType,omitempty"`
	SourceData *SourceData `json:"sourceData,omitempty"`
}

// SourceData is a Source's data: a PEM bundle (CERTIFICATE_BUNDLE) or an
// ACM PCA ARN (refused).
type SourceData struct {
	X509CertificateData string `json:"x509CertificateData,omitempty"`
	AcmPcaArn           string `json:"acmPcaArn,omitempty"`
}

// NotificationSetting is a trust anchor notification setting as given.
type NotificationSetting struct {
	Enabled   *bool  `json:"enabled"`
	Event     string `json:"event"`
	Threshold *int32 `json:"threshold,omitempty"`
	Channel   string `json:"channel,omitempty"`
}

// NotificationSettingDetail is a notification setting as kept.
type NotificationSettingDetail struct {
	Enabled      bool   `json:"enabled"`
	Event        string `json:"event"`
	Threshold    int32  `json:"threshold,omitempty"`
	Channel      string `json:"channel,omitempty"`
	ConfiguredBy string `json:"configuredBy,omitempty"`
}

// NotificationSettingKey names a notification setting to reset.
type NotificationSettingKey struct {
	Event   string `json:"event"`
	Channel string `json:"channel,omitempty"`
}

// TrustAnchorDetail is a trust anchor.
type TrustAnchorDetail struct {
	TrustAnchorID        string                      `json:"trustAnchorId"`
	TrustAnchorArn       string                      `json:"trustAnchorArn"`
	Name                 string                      `json:"name"`
	Source               Source                      `json:"source"`
	Enabled              bool                        `json:"enabled"`
	CreatedAt            time.Time                   `json:"createdAt"`
	UpdatedAt            time.Time                   `json:"updatedAt"`
	NotificationSettings []NotificationSettingDetail `json:"notificationSettings"`
}

// TrustAnchorDetailResponse is the output of the trust anchor actions.
type TrustAnchorDetailResponse struct {
	TrustAnchor TrustAnchorDetail `json:"trustAnchor"`
}

// MappingRule is one specifier of an attribute mapping ("CN", "*",
// "DNS", "Name/*").
type MappingRule struct {
	Specifier string `json:"specifier"`
}

// AttributeMapping says which parts of a certificate field become
// session tags.
type AttributeMapping struct {
	CertificateField string        `json:"certificateField"`
	MappingRules     []MappingRule `json:"mappingRules"`
}

// ProfileDetail is a profile.
type ProfileDetail struct {
	ProfileID                 string             `json:"profileId"`
	ProfileArn                string             `json:"profileArn"`
	Name                      string             `json:"name"`
	RequireInstanceProperties bool               `json:"requireInstanceProperties"`
	Enabled                   bool               `json:"enabled"`
	CreatedBy                 string             `json:"createdBy,omitempty"`
	SessionPolicy             string             `json:"sessionPolicy,omitempty"`
	RoleArns                  []string           `json:"roleArns"`
	ManagedPolicyArns         []string           `json:"managedPolicyArns"`
	CreatedAt                 time.Time          `json:"createdAt"`
	UpdatedAt                 time.Time          `json:"updatedAt"`
	DurationSeconds           int32              `json:"durationSeconds"`
	AcceptRoleSessionName     bool               `json:"acceptRoleSessionName"`
	AttributeMappings         []AttributeMapping `json:"attributeMappings"`
}

// ProfileDetailResponse is the output of the profile actions.
type ProfileDetailResponse struct {
	Profile ProfileDetail `json:"profile"`
}

// CrlDetail is a certificate revocation list.
type CrlDetail struct {
	CrlID          string    `json:"crlId"`
	CrlArn         string    `json:"crlArn"`
	Name           string    `json:"name"`
	Enabled        bool      `json:"enabled"`
	CrlData        []byte    `json:"crlData"`
	TrustAnchorArn string    `json:"trustAnchorArn"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// CrlDetailResponse is the output of the CRL actions.
type CrlDetailResponse struct {
	Crl CrlDetail `json:"crl"`
}

// CreateTrustAnchorInput is CreateTrustAnchor's input.
type CreateTrustAnchorInput struct {
	Name                 *string               `json:"name,omitempty"`
	Source               *Source               `json:"source,omitempty"`
	Enabled              *bool                 `json:"enabled,omitempty"`
	Tags                 []Tag                 `json:"tags,omitempty"`
	NotificationSettings []NotificationSetting `json:"notificationSettings,omitempty"`
}

// TrustAnchorIDInput names one trust anchor (ScalarTrustAnchorRequest).
type TrustAnchorIDInput struct {
	TrustAnchorID string `json:"-" path:"trustAnchorId"`
}

// UpdateTrustAnchorInput is UpdateTrustAnchor's input.
type UpdateTrustAnchorInput struct {
	TrustAnchorID string  `json:"-" path:"trustAnchorId"`
	Name          *string `json:"name,omitempty"`
	Source        *Source `json:"source,omitempty"`
}

// PutNotificationSettingsInput is PutNotificationSettings' input.
type PutNotificationSettingsInput struct {
	TrustAnchorID        string                `json:"trustAnchorId"`
	NotificationSettings []NotificationSetting `json:"notificationSettings,omitempty"`
}

// ResetNotificationSettingsInput is ResetNotificationSettings' input.
type ResetNotificationSettingsInput struct {
	TrustAnchorID           string                   `json:"trustAnchorId"`
	NotificationSettingKeys []NotificationSettingKey `json:"notificationSettingKeys,omitempty"`
}

// CreateProfileInput is CreateProfile's input.
type CreateProfileInput struct {
	Name                      *string  `json:"name,omitempty"`
	RequireInstanceProperties *bool    `json:"requireInstanceProperties,omitempty"`
	SessionPolicy             *string  `json:"sessionPolicy,omitempty"`
	RoleArns                  []string `json:"roleArns,omitempty"`
	ManagedPolicyArns         []string `json:"managedPolicyArns,omitempty"`
	DurationSeconds           *int32   `json:"durationSeconds,omitempty"`
	Enabled                   *bool    `json:"enabled,omitempty"`
	Tags                      []Tag    `json:"tags,omitempty"`
	AcceptRoleSessionName     *bool    `json:"acceptRoleSessionName,omitempty"`
}

// ProfileIDInput names one profile (ScalarProfileRequest).
type ProfileIDInput struct {
	ProfileID string `json:"-" path:"profileId"`
}

// UpdateProfileInput is UpdateProfile's input.
type UpdateProfileInput struct {
	ProfileID             string   `json:"-" path:"profileId"`
	Name                  *string  `json:"name,omitempty"`
	SessionPolicy         *string  `json:"sessionPolicy,omitempty"`
	RoleArns              []string `json:"roleArns,omitempty"`
	ManagedPolicyArns     []string `json:"managedPolicyArns,omitempty"`
	DurationSeconds       *int32   `json:"durationSeconds,omitempty"`
	AcceptRoleSessionName *bool    `json:"acceptRoleSessionName,omitempty"`
}

// PutAttributeMappingInput is PutAttributeMapping's input.
type PutAttributeMappingInput struct {
	ProfileID        string        `json:"-" path:"profileId"`
	CertificateField string        `json:"certificateField"`
	MappingRules     []MappingRule `json:"mappingRules,omitempty"`
}

// DeleteAttributeMappingInput is DeleteAttributeMapping's input. The
// specifiers are a repeated query parameter, which the codec does not
// bind: the handler reads them (Specifiers).
type DeleteAttributeMappingInput struct {
	ProfileID        string   `json:"-" path:"profileId"`
	CertificateField string   `json:"-" query:"certificateField"`
	Specifiers       []string `json:"-"`
}

// ImportCrlInput is ImportCrl's input.
type ImportCrlInput struct {
	Name           *string `json:"name,omitempty"`
	CrlData        []byte  `json:"crlData,omitempty"`
	Enabled        *bool   `json:"enabled,omitempty"`
	Tags           []Tag   `json:"tags,omitempty"`
	TrustAnchorArn *string `json:"trustAnchorArn,omitempty"`
}

// CrlIDInput names one CRL (ScalarCrlRequest).
type CrlIDInput struct {
	CrlID string `json:"-" path:"crlId"`
}

// UpdateCrlInput is UpdateCrl's input.
type UpdateCrlInput struct {
	CrlID   string  `json:"-" path:"crlId"`
	Name    *string `json:"name,omitempty"`
	CrlData []byte  `json:"crlData,omitempty"`
}

// ListInput is the input of the List actions.
type ListInput struct {
	NextToken *string `json:"-" query:"nextToken"`
	PageSize  *int32  `json:"-" query:"pageSize"`
}

// ListTrustAnchorsOutput is ListTrustAnchors' output.
type ListTrustAnchorsOutput struct {
	NextToken    string              `json:"nextToken,omitempty"`
	TrustAnchors []TrustAnchorDetail `json:"trustAnchors"`
}

// ListProfilesOutput is ListProfiles' output.
type ListProfilesOutput struct {
	NextToken string          `json:"nextToken,omitempty"`
	Profiles  []ProfileDetail `json:"profiles"`
}

// ListCrlsOutput is ListCrls' output.
type ListCrlsOutput struct {
	NextToken string      `json:"nextToken,omitempty"`
	Crls      []CrlDetail `json:"crls"`
}

// TagResourceInput is TagResource's input.
type TagResourceInput struct {
	ResourceArn *string `json:"resourceArn,omitempty"`
	Tags        []Tag   `json:"tags,omitempty"`
}

// UntagResourceInput is UntagResource's input.
type UntagResourceInput struct {
	ResourceArn *string  `json:"resourceArn,omitempty"`
	TagKeys     []string `json:"tagKeys,omitempty"`
}

// ListTagsForResourceInput is ListTagsForResource's input.
type ListTagsForResourceInput struct {
	ResourceArn string `json:"-" query:"resourceArn"`
}

// ListTagsForResourceOutput is ListTagsForResource's output.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"tags"`
}

// Empty is the output of the actions that return nothing.
type Empty struct{}
