package iot

import (
	"context"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// CreateRoleAliasInput is CreateRoleAlias's input.
type CreateRoleAliasInput struct {
	RoleAlias                 string `json:"-" path:"roleAlias"`
	RoleArn                   string `json:"roleArn"`
	CredentialDurationSeconds *int   `json:"credentialDurationSeconds,omitempty"`
	Tags                      []Tag  `json:"tags,omitempty"`
}

// RoleAliasOutput is CreateRoleAlias's and UpdateRoleAlias's output.
type RoleAliasOutput struct {
	RoleAlias    string `json:"roleAlias"`
	RoleAliasArn string `json:"roleAliasArn"`
}

func checkAlias(name string) error {
	if !aliasRE.MatchString(name) {
		return errorf(InvalidRequest, "The role alias %q is not valid: 1 to 128 letters, digits, '_', '=', ',', '@' or '-'.", name)
	}
	return nil
}

func checkDuration(d *int) error {
	if d != nil && (*d < MinCredentialDuration || *d > MaxCredentialDuration) {
		return errorf(InvalidRequest, "credentialDurationSeconds must be between %d and %d.", MinCredentialDuration, MaxCredentialDuration)
	}
	return nil
}

// checkRoleARN accepts a role of the alias's own account: a role cannot
// be passed to a service across accounts.
func checkRoleARN(account, arn string) error {
	m := roleARNRE.FindStringSubmatch(arn)
	if m == nil {
		return errorf(InvalidRequest, "The role ARN %q is not the ARN of an IAM role.", arn)
	}
	if m[1] != account {
		return errorf(InvalidRequest, "The role %q is not in this account; a role alias names a role of its own account.", arn)
	}
	return nil
}

// CreateRoleAlias creates a role alias: the name devices ask credentials
// for, pointing at a role and a credential duration (default an hour).
func (s *Service) CreateRoleAlias(ctx context.Context, account string, in *CreateRoleAliasInput, now time.Time) (*RoleAliasOutput, error) {
	if err := checkAlias(in.RoleAlias); err != nil {
		return nil, err
	}
	if err := checkRoleARN(account, in.RoleArn); err != nil {
		return nil, err
	}
	if err := checkDuration(in.CredentialDurationSeconds); err != nil {
		return nil, err
	}
	doc := roleAlias{RoleARN: in.RoleArn, Duration: DefaultCredentialDuration}
	if in.CredentialDurationSeconds != nil {
		doc.Duration = *in.CredentialDurationSeconds
	}
	arn := s.RoleAliasARN(account, in.RoleAlias)
	if err := s.save(ctx, true, account, KindRoleAlias, in.RoleAlias, &doc, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Code: AlreadyExists, Message: "Role alias " + in.RoleAlias + " already exists.", ResourceID: in.RoleAlias, ResourceARN: arn}
		}
		return nil, err
	}
	return &RoleAliasOutput{RoleAlias: in.RoleAlias, RoleAliasArn: arn}, nil
}

// RoleAliasInput names a role alias.
type RoleAliasInput struct {
	RoleAlias string `json:"-" path:"roleAlias"`
}

// RoleAliasDescription describes a role alias.
type RoleAliasDescription struct {
	RoleAlias                 string `json:"roleAlias"`
	RoleAliasArn              string `json:"roleAliasArn"`
	RoleArn                   string `json:"roleArn"`
	Owner                     string `json:"owner"`
	CredentialDurationSeconds int    `json:"credentialDurationSeconds"`
	CreationDate              *Epoch `json:"creationDate"`
	LastModifiedDate          *Epoch `json:"lastModifiedDate"`
}

// DescribeRoleAliasOutput is DescribeRoleAlias's output.
type DescribeRoleAliasOutput struct {
	RoleAliasDescription *RoleAliasDescription `json:"roleAliasDescription"`
}

// DescribeRoleAlias describes a role alias.
func (s *Service) DescribeRoleAlias(ctx context.Context, account string, in *RoleAliasInput) (*DescribeRoleAliasOutput, error) {
	if err := checkAlias(in.RoleAlias); err != nil {
		return nil, err
	}
	var doc roleAlias
	o, err := s.load(ctx, account, KindRoleAlias, in.RoleAlias, &doc)
	if err != nil {
		return nil, notFound(err, "Role alias %s does not exist.", in.RoleAlias)
	}
	return &DescribeRoleAliasOutput{RoleAliasDescription: &RoleAliasDescription{
		RoleAlias: in.RoleAlias, RoleAliasArn: s.RoleAliasARN(account, in.RoleAlias), RoleArn: doc.RoleARN, Owner: account,
		CredentialDurationSeconds: doc.Duration, CreationDate: epoch(o.Created), LastModifiedDate: epoch(o.Updated),
	}}, nil
}

// ListRoleAliasesOutput is ListRoleAliases's output.
type ListRoleAliasesOutput struct {
	RoleAliases []string `json:"roleAliases"`
	NextMarker  string   `json:"nextMarker,omitempty"`
}

// ListRoleAliases lists the account's role aliases by name.
func (s *Service) ListRoleAliases(ctx context.Context, account string, in *ListInput) (*ListRoleAliasesOutput, error) {
	objs, next, err := s.page(ctx, account, KindRoleAlias, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &ListRoleAliasesOutput{RoleAliases: []string{}, NextMarker: next}
	for _, o := range objs {
		out.RoleAliases = append(out.RoleAliases, o.ID)
	}
	return out, nil
}

// UpdateRoleAliasInput is UpdateRoleAlias's input.
type UpdateRoleAliasInput struct {
	RoleAlias                 string `json:"-" path:"roleAlias"`
	RoleArn                   string `json:"roleArn,omitempty"`
	CredentialDurationSeconds *int   `json:"credentialDurationSeconds,omitempty"`
}

// UpdateRoleAlias changes a role alias's role or duration.
func (s *Service) UpdateRoleAlias(ctx context.Context, account string, in *UpdateRoleAliasInput, now time.Time) (*RoleAliasOutput, error) {
	if err := checkAlias(in.RoleAlias); err != nil {
		return nil, err
	}
	if in.RoleArn != "" {
		if err := checkRoleARN(account, in.RoleArn); err != nil {
			return nil, err
		}
	}
	if err := checkDuration(in.CredentialDurationSeconds); err != nil {
		return nil, err
	}
	var doc roleAlias
	if _, err := s.load(ctx, account, KindRoleAlias, in.RoleAlias, &doc); err != nil {
		return nil, notFound(err, "Role alias %s does not exist.", in.RoleAlias)
	}
	if in.RoleArn != "" {
		doc.RoleARN = in.RoleArn
	}
	if in.CredentialDurationSeconds != nil {
		doc.Duration = *in.CredentialDurationSeconds
	}
	if err := s.save(ctx, false, account, KindRoleAlias, in.RoleAlias, &doc, now); err != nil {
		return nil, notFound(err, "Role alias %s does not exist.", in.RoleAlias)
	}
	return &RoleAliasOutput{RoleAlias: in.RoleAlias, RoleAliasArn: s.RoleAliasARN(account, in.RoleAlias)}, nil
}

// DeleteRoleAlias deletes a role alias.
func (s *Service) DeleteRoleAlias(ctx context.Context, account string, in *RoleAliasInput) error {
	if err := checkAlias(in.RoleAlias); err != nil {
		return err
	}
	return notFound(s.remove(ctx, account, KindRoleAlias, in.RoleAlias), "Role alias %s does not exist.", in.RoleAlias)
}

// DescribeEndpointInput is DescribeEndpoint's input.
type DescribeEndpointInput struct {
	EndpointType string `json:"-" query:"endpointType"`
}

// DescribeEndpointOutput is DescribeEndpoint's output.
type DescribeEndpointOutput struct {
	EndpointAddress string `json:"endpointAddress"`
}

// EndpointCredentialProvider is the endpoint type of the credentials
// provider, the only endpoint Brevet serves.
const EndpointCredentialProvider = "iot:CredentialProvider"

// DescribeEndpoint answers the credentials provider's address
// (host:port); Brevet serves no data, jobs or MQTT endpoint.
func (s *Service) DescribeEndpoint(_ context.Context, in *DescribeEndpointInput) (*DescribeEndpointOutput, error) {
	if in.EndpointType != EndpointCredentialProvider {
		return nil, errorf(InvalidRequest, "Brevet serves only the %s endpoint, not %q.", EndpointCredentialProvider, in.EndpointType)
	}
	addr := s.cfg.CredentialsEndpoint()
	if addr == "" {
		return nil, errorf(InvalidRequest, "The credentials provider is not enabled (iot.credentials.listen).")
	}
	return &DescribeEndpointOutput{EndpointAddress: addr}, nil
}
