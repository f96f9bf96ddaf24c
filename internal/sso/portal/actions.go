package portal

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// The model's page size bounds (MaxResultType); AWS's default page.
const (
	maxResults     = 100
	defaultResults = 20
)

// ListAccountsInput is ListAccounts' input (the access token is read by
// Authenticate, never bound here, so it never reaches the audit record).
type ListAccountsInput struct {
	NextToken  *string `json:"-" query:"next_token"`
	MaxResults *int32  `json:"-" query:"max_result"`
}

// AccountInfo is one account of ListAccounts.
type AccountInfo struct {
	AccountID    string `json:"accountId"`
	AccountName  string `json:"accountName"`
	EmailAddress string `json:"emailAddress,omitempty"`
}

// ListAccountsOutput is ListAccounts' output.
type ListAccountsOutput struct {
	NextToken   *string       `json:"nextToken,omitempty"`
	AccountList []AccountInfo `json:"accountList"`
}

// ListAccountRolesInput is ListAccountRoles' input.
type ListAccountRolesInput struct {
	AccountID  *string `json:"-" query:"account_id"`
	NextToken  *string `json:"-" query:"next_token"`
	MaxResults *int32  `json:"-" query:"max_result"`
}

// RoleInfo is one role of ListAccountRoles.
type RoleInfo struct {
	RoleName  string `json:"roleName"`
	AccountID string `json:"accountId"`
}

// ListAccountRolesOutput is ListAccountRoles' output.
type ListAccountRolesOutput struct {
	NextToken *string    `json:"nextToken,omitempty"`
	RoleList  []RoleInfo `json:"roleList"`
}

// GetRoleCredentialsInput is GetRoleCredentials' input.
type GetRoleCredentialsInput struct {
	RoleName  *string `json:"-" query:"role_name"`
	AccountID *string `json:"-" query:"account_id"`
}

// RoleCredentials are a role session's credentials; Expiration is in
// milliseconds since the epoch, as the model's ExpirationTimestampType.
type RoleCredentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      int64  `json:"expiration"`
}

// GetRoleCredentialsOutput is GetRoleCredentials' output.
type GetRoleCredentialsOutput struct {
	RoleCredentials RoleCredentials `json:"roleCredentials"`
}

// LogoutInput is Logout's (empty) input.
type LogoutInput struct{}

// ListAccounts lists the accounts of p's assignments, by id, with their
// alias as name (the id when they have none).
func (s *Service) ListAccounts(ctx context.Context, p *Person, in *ListAccountsInput) (*ListAccountsOutput, error) {
	limit, after, err := page(in.MaxResults, in.NextToken, "a", accountID)
	if err != nil {
		return nil, err
	}
	grants, err := s.cfg.Assignments.Grants(ctx, p.Token.Identity.PrincipalKeys())
	if err != nil {
		return nil, err
	}
	out := &ListAccountsOutput{AccountList: []AccountInfo{}}
	last := ""
	for _, g := range grants { // sorted by account
		if g.Account == last || g.Account <= after {
			continue
		}
		last = g.Account
		if len(out.AccountList) == limit {
			out.NextToken = nextToken("a", out.AccountList[limit-1].AccountID)
			break
		}
		a, err := s.cfg.Accounts.Get(ctx, g.Account)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		name := a.Alias
		if name == "" {
			name = a.ID
		}
		out.AccountList = append(out.AccountList, AccountInfo{AccountID: a.ID, AccountName: name})
	}
	return out, nil
}

// accountID is an account id's pattern.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// roleName is IAM's role name pattern, for next tokens.
var roleName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// ListAccountRoles lists exactly the roles of the account assigned to p.
func (s *Service) ListAccountRoles(ctx context.Context, p *Person, in *ListAccountRolesInput) (*ListAccountRolesOutput, error) {
	account, err := requiredAccount(in.AccountID)
	if err != nil {
		return nil, err
	}
	limit, after, err := page(in.MaxResults, in.NextToken, "r", roleName)
	if err != nil {
		return nil, err
	}
	grants, err := s.cfg.Assignments.Grants(ctx, p.Token.Identity.PrincipalKeys())
	if err != nil {
		return nil, err
	}
	out := &ListAccountRolesOutput{RoleList: []RoleInfo{}}
	for _, g := range grants { // sorted by account, then role
		if g.Account == account {
			p.account = account // the event goes to the account that assigned them
		}
		if g.Account != account || g.RoleName <= after {
			continue
		}
		if len(out.RoleList) == limit {
			out.NextToken = nextToken("r", out.RoleList[limit-1].RoleName)
			break
		}
		out.RoleList = append(out.RoleList, RoleInfo{RoleName: g.RoleName, AccountID: g.Account})
	}
	return out, nil
}

// GetRoleCredentials issues a session of the role to p, when it is
// assigned to them: as sso.amazonaws.com, named after the person, with
// their identity as source identity, for the configured duration capped
// at the role's maximum. The second result is the session, for the
// issuance record.
func (s *Service) GetRoleCredentials(ctx context.Context, p *Person, in *GetRoleCredentialsInput, facts authz.Facts) (*GetRoleCredentialsOutput, *sts.ServiceSession, error) {
	account, err := requiredAccount(in.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if in.RoleName == nil || *in.RoleName == "" {
		return nil, nil, &InvalidError{Message: "roleName is required"}
	}
	name := *in.RoleName
	ok, err := s.cfg.Assignments.Allowed(ctx, p.Token.Identity.PrincipalKeys(), account, name)
	if err != nil {
		return nil, nil, err
	}
	if !ok || !roleName.MatchString(name) {
		return nil, nil, &ForbiddenError{Reason: "role " + name + " of " + account + " is not assigned to " + p.ARN()}
	}
	p.account = account // the event goes to the account that assigned the role
	role, err := s.cfg.Roles.LoadRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, &ForbiddenError{Reason: "the assigned role " + name + " of " + account + " does not exist"}
	}
	if err != nil {
		return nil, nil, err
	}
	dur := min(s.cfg.RoleSessionDuration, time.Duration(role.MaxSessionDuration)*time.Second)
	who := SessionName(p.Token.Identity.UserName)
	ss, err := s.cfg.Issuer.ServiceSession(ctx, &sts.ServiceSessionInput{
		Service: Principal, RoleARN: role.ARN(), SessionName: who,
		SourceIdentity: who, Duration: dur.Truncate(time.Second), Facts: facts,
	})
	if err != nil {
		return nil, nil, issueError(err)
	}
	c := ss.Credentials
	return &GetRoleCredentialsOutput{RoleCredentials: RoleCredentials{
		AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expiration.UnixMilli(),
	}}, ss, nil
}

// issueError words STS's refusals: a trust policy that does not trust
// the portal is Forbidden, as an unassigned role is; a parameter STS
// refuses is the operator's configuration, not the client's request.
func issueError(err error) error {
	if e, ok := errors.AsType[*sts.AccessDeniedError](err); ok {
		return &ForbiddenError{Reason: "role trust: " + e.Message}
	}
	if e, ok := errors.AsType[*sts.ValidationError](err); ok {
		return &InvalidError{Message: e.Message}
	}
	return err
}

// SessionName makes a valid RoleSessionName (and SourceIdentity) of a
// person's name: characters outside [\w+=,.@-] become "-", at most 64,
// and "sso-" before a name shorter than 2.
func SessionName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if b.Len() == 64 {
			break
		}
		switch {
		case r < 0x80 && (r == '_' || r == '+' || r == '=' || r == ',' || r == '.' || r == '@' || r == '-' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() < 2 {
		return "sso-" + b.String()
	}
	return b.String()
}

// Logout ends the sign-in session of the bearer token (all its tokens),
// on every node.
func (s *Service) Logout(ctx context.Context, bearer string, now time.Time) error {
	err := s.cfg.Sessions.Logout(ctx, bearer, now)
	if errors.Is(err, sso.ErrUnauthorized) {
		return &UnauthorizedError{Reason: err.Error()}
	}
	return err
}

// requiredAccount reads a required account_id: 12 digits.
func requiredAccount(a *string) (string, error) {
	if a == nil || *a == "" {
		return "", &InvalidError{Message: "accountId is required"}
	}
	if !accountID.MatchString(*a) {
		return "", &InvalidError{Message: "accountId must be 12 digits"}
	}
	return *a, nil
}

// page reads max_result and next_token: the token is prefix ":" and the
// last item of the previous page, base64url, and must name a well-formed
// item (an account id, a role name).
func page(max *int32, token *string, prefix string, item *regexp.Regexp) (int, string, error) {
	limit := defaultResults
	if max != nil {
		if *max < 1 || *max > maxResults {
			return 0, "", &InvalidError{Message: "maxResults must be between 1 and 100"}
		}
		limit = int(*max)
	}
	if token == nil {
		return limit, "", nil
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(*token)
	rest, ok := strings.CutPrefix(string(raw), prefix+":")
	if err != nil || !ok || !item.MatchString(rest) {
		return 0, "", &InvalidError{Message: "Invalid next token"}
	}
	return limit, rest, nil
}

// nextToken is the next_token of a page whose last item is last (page
// reads it back).
func nextToken(prefix, last string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte(prefix + ":" + last))
	return &t
}
