package iamservice

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/store"
)

// aliasNotFoundError: DeleteAccountAlias with an alias the account does not
// have (AWS: NoSuchEntity).
type aliasNotFoundError struct{ alias string }

func (e aliasNotFoundError) Error() string {
	return "The account alias " + e.alias + " cannot be found."
}

// CreateAccountAlias sets the account's alias (an account has at most one;
// a new one replaces it). Aliases are unique across the installation.
func (s *Service) CreateAccountAlias(ctx context.Context, p *identity.Principal, in *iamapi.CreateAccountAliasRequest, _ time.Time) (*awsquery.Empty, error) {
	if err := iam.ValidateAccountAlias(in.AccountAlias); err != nil {
		return nil, err
	}
	err := s.st.Tx(ctx, func(r store.Repos) error {
		if _, err := r.Accounts().Get(ctx, p.Account); err != nil {
			return notFoundAs(err, iam.KindAccount, p.Account)
		}
		err := r.Accounts().SetAlias(ctx, p.Account, in.AccountAlias)
		return conflictAs(err, &iam.AlreadyExistsError{Kind: iam.KindAccount, Name: in.AccountAlias})
	})
	return &awsquery.Empty{}, err
}

// DeleteAccountAlias removes the account's alias.
func (s *Service) DeleteAccountAlias(ctx context.Context, p *identity.Principal, in *iamapi.DeleteAccountAliasRequest, _ time.Time) (*awsquery.Empty, error) {
	err := s.st.Tx(ctx, func(r store.Repos) error {
		a, err := r.Accounts().Get(ctx, p.Account)
		if err != nil {
			return notFoundAs(err, iam.KindAccount, p.Account)
		}
		if a.Alias != in.AccountAlias {
			return aliasNotFoundError{in.AccountAlias}
		}
		return r.Accounts().SetAlias(ctx, p.Account, "")
	})
	return &awsquery.Empty{}, err
}

// ListAccountAliases lists the account's alias (zero or one).
func (s *Service) ListAccountAliases(ctx context.Context, p *identity.Principal, _ *iamapi.ListAccountAliasesRequest, _ time.Time) (*iamapi.ListAccountAliasesResponse, error) {
	a, err := s.st.Accounts().Get(ctx, p.Account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	out := &iamapi.ListAccountAliasesResponse{AccountAliases: []string{}, IsTruncated: ptr(false)}
	if a.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, a.Alias)
	}
	return out, nil
}

// GetAccountSummary counts the account's entities against its quotas:
// one read that counts (store.Accounts.Counts), whatever the size of the
// account.
func (s *Service) GetAccountSummary(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, _ time.Time) (*iamapi.GetAccountSummaryResponse, error) {
	n, err := s.st.Accounts().Counts(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	prefs, err := s.stsPreferences(ctx, p.Account)
	if err != nil {
		return nil, err
	}
	tokenVersion := int32(1)
	if prefs.GlobalEndpointTokenVersion == iamapi.GlobalEndpointTokenVersionV2Token {
		tokenVersion = 2
	}
	m := map[string]int32{
		iamapi.SummaryKeyTypeUsers:                         int32(n.Users),
		iamapi.SummaryKeyTypeUsersQuota:                    5000,
		iamapi.SummaryKeyTypeGroups:                        int32(n.Groups),
		iamapi.SummaryKeyTypeGroupsQuota:                   300,
		iamapi.SummaryKeyTypeRoles:                         int32(n.Roles),
		iamapi.SummaryKeyTypeRolesQuota:                    1000,
		iamapi.SummaryKeyTypeInstanceProfiles:              int32(n.InstanceProfiles),
		iamapi.SummaryKeyTypeInstanceProfilesQuota:         1000,
		iamapi.SummaryKeyTypePolicies:                      int32(n.Policies),
		iamapi.SummaryKeyTypePoliciesQuota:                 1500,
		iamapi.SummaryKeyTypePolicyVersionsInUse:           int32(n.PolicyVersions),
		iamapi.SummaryKeyTypePolicyVersionsInUseQuota:      10000,
		iamapi.SummaryKeyTypeVersionsPerPolicyQuota:        iam.MaxPolicyVersions,
		iamapi.SummaryKeyTypePolicySizeQuota:               iam.MaxManagedPolicyLen,
		iamapi.SummaryKeyTypeUserPolicySizeQuota:           iam.MaxUserInlinePolicyLen,
		iamapi.SummaryKeyTypeGroupPolicySizeQuota:          iam.MaxGroupInlinePolicy,
		iamapi.SummaryKeyTypeRolePolicySizeQuota:           iam.MaxRoleInlinePolicyLen,
		iamapi.SummaryKeyTypeAssumeRolePolicySizeQuota:     iam.MaxTrustPolicyLen,
		iamapi.SummaryKeyTypeGroupsPerUserQuota:            iam.MaxGroupsPerUser,
		iamapi.SummaryKeyTypeAccessKeysPerUserQuota:        iam.MaxAccessKeysPerUser,
		iamapi.SummaryKeyTypeAttachedPoliciesPerUserQuota:  iam.MaxAttachedPolicies,
		iamapi.SummaryKeyTypeAttachedPoliciesPerGroupQuota: iam.MaxAttachedPolicies,
		iamapi.SummaryKeyTypeAttachedPoliciesPerRoleQuota:  iam.MaxAttachedPolicies,
		iamapi.SummaryKeyTypeMFADevices:                    int32(n.MFADevices),
		iamapi.SummaryKeyTypeMFADevicesInUse:               int32(n.MFADevicesInUse),
		iamapi.SummaryKeyTypeProviders:                     int32(n.Providers),
		iamapi.SummaryKeyTypeAccountMFAEnabled:             0,
		iamapi.SummaryKeyTypeAccountAccessKeysPresent:      0,
		// Brevet has no root user: no root password nor signing
		// certificates, and no server or signing certificates at all
		// (their actions are not served), under AWS's default quotas.
		iamapi.SummaryKeyTypeAccountPasswordPresent:            0,
		iamapi.SummaryKeyTypeAccountSigningCertificatesPresent: 0,
		iamapi.SummaryKeyTypeServerCertificates:                0,
		iamapi.SummaryKeyTypeServerCertificatesQuota:           20,
		iamapi.SummaryKeyTypeSigningCertificatesPerUserQuota:   2,
		iamapi.SummaryKeyTypeGlobalEndpointTokenVersion:        tokenVersion,
	}
	return &iamapi.GetAccountSummaryResponse{SummaryMap: m}, nil
}

// GetAccountAuthorizationDetails returns every user, group, role and
// managed policy of the account with their policies, the form `aws iam
// get-account-authorization-details` prints and `brevet import` reads. AWS
// managed policies are included when something in the account uses them.
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, p *identity.Principal, in *iamapi.GetAccountAuthorizationDetailsRequest, _ time.Time) (*iamapi.GetAccountAuthorizationDetailsResponse, error) {
	want := map[string]bool{}
	for _, f := range in.Filter {
		want[f] = true
	}
	all := len(want) == 0
	var items []authItem
	used := map[string]bool{}
	users, err := s.userDetails(ctx, p.Account, used)
	if err != nil {
		return nil, err
	}
	groups, err := s.groupDetails(ctx, p.Account, used)
	if err != nil {
		return nil, err
	}
	roles, err := s.roleDetails(ctx, p.Account, used)
	if err != nil {
		return nil, err
	}
	if all || want[iamapi.EntityTypeUser] {
		for i := range users {
			items = append(items, authItem{user: &users[i]})
		}
	}
	if all || want[iamapi.EntityTypeGroup] {
		for i := range groups {
			items = append(items, authItem{group: &groups[i]})
		}
	}
	if all || want[iamapi.EntityTypeRole] {
		for i := range roles {
			items = append(items, authItem{role: &roles[i]})
		}
	}
	if all || want[iamapi.EntityTypeLocalManagedPolicy] || want[iamapi.EntityTypeAWSManagedPolicy] {
		pols, err := s.policyDetails(ctx, p.Account, used, all || want[iamapi.EntityTypeLocalManagedPolicy], all || want[iamapi.EntityTypeAWSManagedPolicy])
		if err != nil {
			return nil, err
		}
		for i := range pols {
			items = append(items, authItem{policy: &pols[i]})
		}
	}
	pg, err := pageSlice(items, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &iamapi.GetAccountAuthorizationDetailsResponse{UserDetailList: []iamapi.UserDetail{}, GroupDetailList: []iamapi.GroupDetail{},
		RoleDetailList: []iamapi.RoleDetail{}, Policies: []iamapi.ManagedPolicyDetail{}, IsTruncated: pg.isTruncated(), Marker: pg.marker}
	for _, it := range pg.items {
		switch {
		case it.user != nil:
			out.UserDetailList = append(out.UserDetailList, *it.user)
		case it.group != nil:
			out.GroupDetailList = append(out.GroupDetailList, *it.group)
		case it.role != nil:
			out.RoleDetailList = append(out.RoleDetailList, *it.role)
		default:
			out.Policies = append(out.Policies, *it.policy)
		}
	}
	return out, nil
}

// authItem is one entry of the authorization details, so that one page
// can span the four lists.
type authItem struct {
	user   *iamapi.UserDetail
	group  *iamapi.GroupDetail
	role   *iamapi.RoleDetail
	policy *iamapi.ManagedPolicyDetail
}

func (s *Service) inlineDetails(ctx context.Context, o iam.Owner) ([]iamapi.PolicyDetail, error) {
	ps, err := s.st.InlinePolicies().List(ctx, o)
	if err != nil {
		return nil, err
	}
	out := make([]iamapi.PolicyDetail, 0, len(ps))
	for _, ip := range ps {
		out = append(out, iamapi.PolicyDetail{PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)})
	}
	return out, nil
}

func (s *Service) attachedDetails(ctx context.Context, o iam.Owner, used map[string]bool) ([]iamapi.AttachedPolicy, error) {
	att, err := s.st.Attachments().List(ctx, o)
	if err != nil {
		return nil, err
	}
	out := make([]iamapi.AttachedPolicy, 0, len(att))
	for _, a := range att {
		used[a.ARN] = true
		out = append(out, iamapi.AttachedPolicy{PolicyName: a.Name, PolicyArn: a.ARN})
	}
	return out, nil
}

func (s *Service) userDetails(ctx context.Context, account string, used map[string]bool) ([]iamapi.UserDetail, error) {
	users, err := s.st.Users().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]iamapi.UserDetail, 0, len(users))
	for _, u := range users {
		o := iam.Owner{Kind: iam.PrincipalUser, Account: account, Name: u.Name}
		d := iamapi.UserDetail{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN(), CreateDate: utc(u.Created),
			PermissionsBoundary: toBoundary(u.PermissionsBoundary), Tags: orEmpty(toTags(u.Tags)), GroupList: []string{}}
		if u.PermissionsBoundary != "" {
			used[u.PermissionsBoundary] = true
		}
		if d.UserPolicyList, err = s.inlineDetails(ctx, o); err != nil {
			return nil, err
		}
		if len(d.UserPolicyList) == 0 {
			d.UserPolicyList = nil // IAM leaves a user's empty UserPolicyList out (a group's stays)
		}
		if d.AttachedManagedPolicies, err = s.attachedDetails(ctx, o, used); err != nil {
			return nil, err
		}
		groups, err := s.st.Groups().ListForUser(ctx, account, u.Name)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			d.GroupList = append(d.GroupList, g.Name)
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) groupDetails(ctx context.Context, account string, used map[string]bool) ([]iamapi.GroupDetail, error) {
	groups, err := s.st.Groups().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]iamapi.GroupDetail, 0, len(groups))
	for _, g := range groups {
		o := iam.Owner{Kind: iam.PrincipalGroup, Account: account, Name: g.Name}
		d := iamapi.GroupDetail{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN(), CreateDate: utc(g.Created)}
		if d.GroupPolicyList, err = s.inlineDetails(ctx, o); err != nil {
			return nil, err
		}
		if d.AttachedManagedPolicies, err = s.attachedDetails(ctx, o, used); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (s *Service) roleDetails(ctx context.Context, account string, used map[string]bool) ([]iamapi.RoleDetail, error) {
	roles, err := s.st.Roles().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := make([]iamapi.RoleDetail, 0, len(roles))
	sh := trust.NewShower(s.st)
	profiles, err := s.profilesByRole(ctx, account)
	if err != nil {
		return nil, err
	}
	psh := s.newProfileShower()
	for _, r := range roles {
		if err := showTrust(ctx, sh, &r); err != nil {
			return nil, err
		}
		ipl := make([]iamapi.InstanceProfile, 0, len(profiles[iam.NameKey(r.Name)]))
		for _, ip := range profiles[iam.NameKey(r.Name)] {
			x, err := psh.show(ctx, ip, false)
			if err != nil {
				return nil, err
			}
			ipl = append(ipl, x)
		}
		o := iam.Owner{Kind: iam.PrincipalRole, Account: account, Name: r.Name}
		d := iamapi.RoleDetail{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN(), CreateDate: utc(r.Created),
			AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy), InstanceProfileList: ipl,
			PermissionsBoundary: toBoundary(r.PermissionsBoundary), Tags: orEmpty(toTags(r.Tags)),
			RoleLastUsed: &iamapi.RoleLastUsed{LastUsedDate: utc(r.LastUsed.Date), Region: r.LastUsed.Region}}
		if r.PermissionsBoundary != "" {
			used[r.PermissionsBoundary] = true
		}
		if d.RolePolicyList, err = s.inlineDetails(ctx, o); err != nil {
			return nil, err
		}
		if d.AttachedManagedPolicies, err = s.attachedDetails(ctx, o, used); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// profilesByRole returns the account's instance profiles by the
// lower-cased name of the role each holds, in name order.
func (s *Service) profilesByRole(ctx context.Context, account string) (map[string][]iam.InstanceProfile, error) {
	all, err := s.st.InstanceProfiles().List(ctx, account, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string][]iam.InstanceProfile{}
	for _, p := range all {
		for _, r := range p.Roles {
			out[iam.NameKey(r)] = append(out[iam.NameKey(r)], p)
		}
	}
	return out, nil
}

func (s *Service) policyDetails(ctx context.Context, account string, used map[string]bool, local, aws bool) ([]iamapi.ManagedPolicyDetail, error) {
	var pols []iam.ManagedPolicy
	if local {
		l, err := s.st.Policies().List(ctx, account, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		pols = append(pols, l...)
	}
	if aws {
		l, err := s.st.Policies().List(ctx, iam.AWSAccount, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, pol := range l {
			if used[pol.ARN()] {
				pols = append(pols, pol)
			}
		}
	}
	out := make([]iamapi.ManagedPolicyDetail, 0, len(pols))
	for _, pol := range pols {
		vs, err := s.st.Policies().ListVersions(ctx, pol.ARN())
		if err != nil {
			return nil, err
		}
		d := iamapi.ManagedPolicyDetail{PolicyName: pol.Name, PolicyId: pol.ID, Arn: pol.ARN(), Path: pol.Path,
			DefaultVersionId: pol.DefaultVersion, AttachmentCount: ptr(int32(pol.AttachmentCount)),
			PermissionsBoundaryUsageCount: ptr(int32(pol.BoundaryUsageCount)), IsAttachable: ptr(true),
			CreateDate: utc(pol.Created), UpdateDate: utc(pol.Updated)}
		// No Description: AWS's details leave it out even for a policy
		// that has one (LocalStack's recording of AWS, filter_aws_managed_policy).
		for _, v := range vs {
			d.PolicyVersionList = append(d.PolicyVersionList, toVersion(v, true))
		}
		out = append(out, d)
	}
	return out, nil
}

// KindSTSPreferences is the store object (store.Objects) holding an
// account's security token service preferences, one per account.
const (
	KindSTSPreferences = "iam.sts-preferences"
	stsPreferencesID   = "current"
)

// stsPreferences is the body of the KindSTSPreferences object.
type stsPreferences struct {
	// GlobalEndpointTokenVersion is v1Token or v2Token.
	GlobalEndpointTokenVersion string `json:"globalEndpointTokenVersion"`
}

// stsPreferences reads the account's preferences: v1Token, AWS's
// default, when none were set.
func (s *Service) stsPreferences(ctx context.Context, account string) (stsPreferences, error) {
	out := stsPreferences{GlobalEndpointTokenVersion: iamapi.GlobalEndpointTokenVersionV1Token}
	o, err := s.st.Objects().Get(ctx, account, KindSTSPreferences, stsPreferencesID)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	return out, json.Unmarshal(o.Body, &out)
}

// SetSecurityTokenServicePreferences records which tokens the account's
// global STS endpoint issues. Brevet's tokens are the same in every
// region, so the preference changes only what GetAccountSummary reports
// as GlobalEndpointTokenVersion (1 or 2); the model's enum refuses any
// other value before this runs.
func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, p *identity.Principal, in *iamapi.SetSecurityTokenServicePreferencesRequest, now time.Time) (*awsquery.Empty, error) {
	body, err := json.Marshal(stsPreferences{GlobalEndpointTokenVersion: in.GlobalEndpointTokenVersion})
	if err != nil {
		return nil, err
	}
	o := store.Object{Account: p.Account, Kind: KindSTSPreferences, ID: stsPreferencesID, Body: body, Created: now, Updated: now}
	err = s.st.Objects().Create(ctx, o)
	if errors.Is(err, store.ErrConflict) {
		err = s.st.Objects().Update(ctx, o)
	}
	if err != nil {
		return nil, notFoundAs(err, iam.KindAccount, p.Account)
	}
	return &awsquery.Empty{}, nil
}
