package rolesanywhere

import (
	"context"
	"regexp"
	"slices"
	"time"

	fx509 "github.com/brevet-dev/brevet/internal/federation/x509"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// profileDoc is a profile as stored.
type profileDoc struct {
	Name                      string             `json:"name"`
	RequireInstanceProperties bool               `json:"requireInstanceProperties,omitempty"`
	Enabled                   bool               `json:"enabled"`
	CreatedBy                 string             `json:"createdBy,omitempty"`
	SessionPolicy             string             `json:"sessionPolicy,omitempty"`
	RoleArns                  []string           `json:"roleArns"`
	ManagedPolicyArns         []string           `json:"managedPolicyArns,omitempty"`
	DurationSeconds           int32              `json:"durationSeconds"`
	AcceptRoleSessionName     bool               `json:"acceptRoleSessionName,omitempty"`
	AttributeMappings         []AttributeMapping `json:"attributeMappings"`
	Tags                      []Tag              `json:"tags,omitempty"`
}

// DefaultAttributeMappings are a new profile's mappings, as AWS makes
// them: every supported RDN of the subject and of the issuer, and the
// first DNS name, URI and directory name of the subject alternative
// names.
func DefaultAttributeMappings() []AttributeMapping {
	return []AttributeMapping{
		{CertificateField: FieldSubject, MappingRules: []MappingRule{{Specifier: "*"}}},
		{CertificateField: FieldIssuer, MappingRules: []MappingRule{{Specifier: "*"}}},
		{CertificateField: FieldSAN, MappingRules: []MappingRule{{Specifier: "DNS"}, {Specifier: "URI"}, {Specifier: "Name/*"}}},
	}
}

var (
	roleARNPattern   = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam(:.*){2}(:role.*)$`)
	policyARNPattern = regexp.MustCompile(`^arn:aws(-[^:]+)?:iam::(aws|[0-9]{12}):policy/.+$`)
)

func checkRoleArns(arns []string) error {
	if len(arns) > 250 {
		return invalid("Value at 'roleArns' failed to satisfy constraint: Member must have length less than or equal to 250")
	}
	for _, a := range arns {
		if len(a) > 1011 || !roleARNPattern.MatchString(a) {
			return invalid("Invalid role ARN: %s", truncate(a, 200))
		}
	}
	return nil
}

func checkPolicyArns(arns []string) error {
	if len(arns) > 50 {
		return invalid("Value at 'managedPolicyArns' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	for _, a := range arns {
		if len(a) > 200 || !policyARNPattern.MatchString(a) {
			return invalid("Invalid managed policy ARN: %s", truncate(a, 200))
		}
	}
	return nil
}

func checkSessionPolicy(p *string) error {
	if p == nil {
		return nil
	}
	if len(*p) < 1 || len(*p) > 100000 {
		return invalid("Value at 'sessionPolicy' failed to satisfy constraint: Member must have length between 1 and 100000")
	}
	if err := policy.CheckSessionPolicySize([]byte(*p)); err != nil {
		return invalid("The session policy is larger than a session policy may be")
	}
	if _, err := policy.ParseAndValidate([]byte(*p), policy.TypeSession); err != nil {
		return invalid("The session policy is not a valid policy document: %s", truncate(err.Error(), 300))
	}
	return nil
}

// checkProfileMembers validates the members CreateProfile and
// UpdateProfile share (each may be absent).
func checkProfileMembers(roleArns, policyArns []string, sessionPolicy *string, duration *int32) error {
	if err := checkRoleArns(roleArns); err != nil {
		return err
	}
	if err := checkPolicyArns(policyArns); err != nil {
		return err
	}
	if err := checkSessionPolicy(sessionPolicy); err != nil {
		return err
	}
	return checkDuration(duration)
}

func checkDuration(d *int32) error {
	if d != nil && (*d < MinDuration || *d > MaxDuration) {
		return invalid("Value at 'durationSeconds' failed to satisfy constraint: Member must be between %d and %d", MinDuration, MaxDuration)
	}
	return nil
}

// checkMapping validates one attribute mapping.
func checkMapping(field string, rules []MappingRule) error {
	switch field {
	case FieldSubject, FieldIssuer, FieldSAN:
	default:
		return invalid("Value at 'certificateField' failed to satisfy constraint: Member must satisfy enum value set: [x509Subject, x509Issuer, x509SAN]")
	}
	if len(rules) > 50 {
		return invalid("Too many mapping rules")
	}
	for _, r := range rules {
		if len(r.Specifier) > 60 {
			return invalid("Value at 'mappingRules.member.specifier' failed to satisfy constraint: Member must have length less than or equal to 60")
		}
		if !fx509.ValidSpecifier(field, r.Specifier) {
			return invalid("Invalid specifier %q for %s", truncate(r.Specifier, 60), field)
		}
	}
	return nil
}

func (s *Service) profileDetail(account string, o *store.Object, d *profileDoc) ProfileDetail {
	return ProfileDetail{
		ProfileID: o.ID, ProfileArn: s.ARN(account, KindProfile, o.ID), Name: d.Name,
		RequireInstanceProperties: d.RequireInstanceProperties, Enabled: d.Enabled, CreatedBy: d.CreatedBy,
		SessionPolicy: d.SessionPolicy, RoleArns: nonNil(d.RoleArns), ManagedPolicyArns: nonNil(d.ManagedPolicyArns),
		CreatedAt: o.Created.UTC(), UpdatedAt: o.Updated.UTC(), DurationSeconds: d.DurationSeconds,
		AcceptRoleSessionName: d.AcceptRoleSessionName, AttributeMappings: nonNil(d.AttributeMappings),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// CreateProfile creates a profile in account; createdBy is the caller's
// ARN.
func (s *Service) CreateProfile(ctx context.Context, account, createdBy string, in *CreateProfileInput, now time.Time) (*ProfileDetailResponse, error) {
	if err := checkName(in.Name, true); err != nil {
		return nil, err
	}
	if in.RoleArns == nil {
		return nil, invalid("roleArns is required")
	}
	if err := checkProfileMembers(in.RoleArns, in.ManagedPolicyArns, in.SessionPolicy, in.DurationSeconds); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.Tags) > MaxTags {
		return nil, &TooManyTagsError{}
	}
	d := &profileDoc{
		Name: *in.Name, RequireInstanceProperties: deref(in.RequireInstanceProperties), Enabled: deref(in.Enabled),
		CreatedBy: createdBy, SessionPolicy: deref(in.SessionPolicy), RoleArns: in.RoleArns, ManagedPolicyArns: in.ManagedPolicyArns,
		DurationSeconds: DefaultDuration, AcceptRoleSessionName: deref(in.AcceptRoleSessionName),
		AttributeMappings: DefaultAttributeMappings(), Tags: in.Tags,
	}
	if in.DurationSeconds != nil {
		d.DurationSeconds = *in.DurationSeconds
	}
	o, err := s.create(ctx, account, KindProfile, d, now)
	if err != nil {
		return nil, err
	}
	return &ProfileDetailResponse{Profile: s.profileDetail(account, &o, d)}, nil
}

// profileResponse renders a profile of account as the actions answer.
func (s *Service) profileResponse(account string) func(*store.Object, *profileDoc) *ProfileDetailResponse {
	return func(o *store.Object, d *profileDoc) *ProfileDetailResponse {
		return &ProfileDetailResponse{Profile: s.profileDetail(account, o, d)}
	}
}

// GetProfile returns a profile.
func (s *Service) GetProfile(ctx context.Context, account string, in *ProfileIDInput) (*ProfileDetailResponse, error) {
	return getDoc(ctx, s, account, KindProfile, in.ProfileID, s.profileResponse(account))
}

// updateProfile applies fn to a profile and stores it.
func (s *Service) updateProfile(ctx context.Context, account, id string, now time.Time, fn func(*profileDoc) error) (*ProfileDetailResponse, error) {
	return updateDoc(ctx, s, account, KindProfile, id, now, fn, s.profileResponse(account))
}

// UpdateProfile changes the members of a profile that the input names.
func (s *Service) UpdateProfile(ctx context.Context, account string, in *UpdateProfileInput, now time.Time) (*ProfileDetailResponse, error) {
	if err := checkName(in.Name, false); err != nil {
		return nil, err
	}
	if err := checkProfileMembers(in.RoleArns, in.ManagedPolicyArns, in.SessionPolicy, in.DurationSeconds); err != nil {
		return nil, err
	}
	return s.updateProfile(ctx, account, in.ProfileID, now, func(d *profileDoc) error {
		if in.Name != nil {
			d.Name = *in.Name
		}
		if in.SessionPolicy != nil {
			d.SessionPolicy = *in.SessionPolicy
		}
		if in.RoleArns != nil {
			d.RoleArns = in.RoleArns
		}
		if in.ManagedPolicyArns != nil {
			d.ManagedPolicyArns = in.ManagedPolicyArns
		}
		if in.DurationSeconds != nil {
			d.DurationSeconds = *in.DurationSeconds
		}
		if in.AcceptRoleSessionName != nil {
			d.AcceptRoleSessionName = *in.AcceptRoleSessionName
		}
		return nil
	})
}

// SetProfileEnabled enables or disables a profile.
func (s *Service) SetProfileEnabled(ctx context.Context, account string, in *ProfileIDInput, enabled bool, now time.Time) (*ProfileDetailResponse, error) {
	return s.updateProfile(ctx, account, in.ProfileID, now, func(d *profileDoc) error {
		d.Enabled = enabled
		return nil
	})
}

// PutAttributeMapping adds mapping rules to a certificate field of a
// profile's mappings (rules already there are kept once).
func (s *Service) PutAttributeMapping(ctx context.Context, account string, in *PutAttributeMappingInput, now time.Time) (*ProfileDetailResponse, error) {
	if in.MappingRules == nil {
		return nil, invalid("mappingRules is required")
	}
	if err := checkMapping(in.CertificateField, in.MappingRules); err != nil {
		return nil, err
	}
	return s.updateProfile(ctx, account, in.ProfileID, now, func(d *profileDoc) error {
		for i := range d.AttributeMappings {
			m := &d.AttributeMappings[i]
			if m.CertificateField != in.CertificateField {
				continue
			}
			for _, r := range in.MappingRules {
				if !slices.Contains(m.MappingRules, r) {
					m.MappingRules = append(m.MappingRules, r)
				}
			}
			return nil
		}
		d.AttributeMappings = append(d.AttributeMappings, AttributeMapping{CertificateField: in.CertificateField, MappingRules: in.MappingRules})
		return nil
	})
}

// DeleteAttributeMapping removes the named specifiers from a certificate
// field's mapping rules, or the whole field's mapping when none are
// named.
func (s *Service) DeleteAttributeMapping(ctx context.Context, account string, in *DeleteAttributeMappingInput, now time.Time) (*ProfileDetailResponse, error) {
	if err := checkMapping(in.CertificateField, nil); err != nil {
		return nil, err
	}
	return s.updateProfile(ctx, account, in.ProfileID, now, func(d *profileDoc) error {
		out := d.AttributeMappings[:0]
		for _, m := range d.AttributeMappings {
			if m.CertificateField == in.CertificateField {
				if len(in.Specifiers) == 0 {
					continue
				}
				m.MappingRules = slices.DeleteFunc(m.MappingRules, func(r MappingRule) bool { return slices.Contains(in.Specifiers, r.Specifier) })
			}
			out = append(out, m)
		}
		d.AttributeMappings = out
		return nil
	})
}

// DeleteProfile deletes a profile and returns it as it was.
func (s *Service) DeleteProfile(ctx context.Context, account string, in *ProfileIDInput) (*ProfileDetailResponse, error) {
	return deleteDoc(ctx, s, account, KindProfile, in.ProfileID, s.profileResponse(account))
}

// ListProfiles lists the account's profiles, a page at a time.
func (s *Service) ListProfiles(ctx context.Context, account string, in *ListInput) (*ListProfilesOutput, error) {
	l, next, err := listDocs(ctx, s, account, KindProfile, in, func(o *store.Object, d *profileDoc) ProfileDetail {
		return s.profileDetail(account, o, d)
	})
	if err != nil {
		return nil, err
	}
	return &ListProfilesOutput{NextToken: next, Profiles: l}, nil
}
