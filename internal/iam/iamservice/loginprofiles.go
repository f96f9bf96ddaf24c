package iamservice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
)

// LoginProfileActions lists the login-profile and password-policy actions
// Register serves.
var LoginProfileActions = []string{
	"CreateLoginProfile",
	"GetLoginProfile",
	"UpdateLoginProfile",
	"DeleteLoginProfile",
	"ChangePassword",
	"UpdateAccountPasswordPolicy",
	"GetAccountPasswordPolicy",
	"DeleteAccountPasswordPolicy",
}

// RegisterLoginProfiles puts the login-profile and password-policy actions
// on the dispatcher. Each login-profile action is authorized on the user's
// ARN; ChangePassword on the caller's own user ARN; the policy actions on
// "*", as AWS.
func RegisterLoginProfiles(d *awsquery.Dispatcher, s *Service) {
	add(d, iamapi.CreateLoginProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.CreateLoginProfileRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.CreateLoginProfile)
	add(d, iamapi.GetLoginProfile, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *iamapi.GetLoginProfileRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.GetLoginProfile)
	add(d, iamapi.UpdateLoginProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateLoginProfileRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.UpdateLoginProfile)
	add(d, iamapi.DeleteLoginProfile, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.DeleteLoginProfileRequest) (request.Target, error) {
		return s.onUser(ctx, p, in.UserName, nil)
	}, s.DeleteLoginProfile)
	add(d, iamapi.ChangePassword, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.ChangePasswordRequest) (request.Target, error) {
		return s.onUser(ctx, p, "", nil)
	}, s.ChangePassword)
	add(d, iamapi.UpdateAccountPasswordPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAccountPasswordPolicyRequest) (request.Target, error) {
		return target("*", nil)
	}, s.UpdateAccountPasswordPolicy)
	add(d, iamapi.GetAccountPasswordPolicy, request.ReadOnly, func(ctx context.Context, p *identity.Principal, in *awsquery.Empty) (request.Target, error) {
		return target("*", nil)
	}, s.GetAccountPasswordPolicy)
	add(d, iamapi.DeleteAccountPasswordPolicy, request.Writes, func(ctx context.Context, p *identity.Principal, in *awsquery.Empty) (request.Target, error) {
		return target("*", nil)
	}, s.DeleteAccountPasswordPolicy)
}

// invalidUserTypeError: ChangePassword by a caller that is not an IAM
// user, or with a wrong old password (AWS: InvalidUserType). cause is
// request.ErrWrongSecret for the wrong password: a guess, which spends the
// source's failure budget.
type invalidUserTypeError struct {
	message string
	cause   error
}

func (e invalidUserTypeError) Error() string { return e.message }

func (e invalidUserTypeError) Unwrap() error { return e.cause }

var (
	errNotAUser    = invalidUserTypeError{message: "Only IAM users can change their own password."}
	errOldPassword = invalidUserTypeError{message: "The old password is incorrect.", cause: request.ErrWrongSecret}
)

// passwordChangingError: the password changed while ChangePassword was
// checking the old one (AWS: EntityTemporarilyUnmodifiable; a retry
// with the new current password succeeds).
type passwordChangingError struct{}

func (passwordChangingError) Error() string {
	return "The password was changed by another request; try again with the current password."
}

var errPasswordChanging = passwordChangingError{}

// requiredPassword: Password is optional in AWS's model (for root-user
// management) but Brevet has no root user to fall back on.
func requiredPassword(field, pw string) error {
	if pw == "" {
		return &iam.ValidationError{Field: field, Value: "null", Constraint: "Member must not be null"}
	}
	return nil
}

// passwordPolicy returns the account's policy and whether it set one
// (false: iam.DefaultPasswordPolicy).
func passwordPolicy(ctx context.Context, r store.Repos, account string) (iam.PasswordPolicy, bool, error) {
	pp, err := r.PasswordPolicies().Get(ctx, account)
	switch {
	case err == nil:
		return pp, true, nil
	case errors.Is(err, store.ErrNotFound):
		return iam.DefaultPasswordPolicy, false, nil
	}
	return iam.PasswordPolicy{}, false, err
}

// checkedHash checks pw against the account's password policy and hashes
// it.
func (s *Service) checkedHash(ctx context.Context, account, pw string) (string, error) {
	pp, custom, err := passwordPolicy(ctx, s.st, account)
	if err != nil {
		return "", err
	}
	if err := pp.CheckPassword(pw, custom); err != nil {
		return "", err
	}
	return s.pw.Hash(ctx, pw)
}

func toLoginProfile(lp iam.LoginProfile) iamapi.LoginProfile {
	return iamapi.LoginProfile{UserName: lp.UserName, CreateDate: utc(lp.Created), PasswordResetRequired: ptr(lp.ResetRequired)}
}

// CreateLoginProfile gives a user a password.
func (s *Service) CreateLoginProfile(ctx context.Context, p *identity.Principal, in *iamapi.CreateLoginProfileRequest, now time.Time) (*iamapi.CreateLoginProfileResponse, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	if err := requiredPassword("password", in.Password); err != nil {
		return nil, err
	}
	u, err := getUser(ctx, s.st, p.Account, name)
	if err != nil {
		return nil, err
	}
	hash, err := s.checkedHash(ctx, p.Account, in.Password)
	if err != nil {
		return nil, err
	}
	lp := iam.LoginProfile{Account: p.Account, UserName: u.Name, PasswordHash: hash,
		ResetRequired: in.PasswordResetRequired != nil && *in.PasswordResetRequired, Created: now, PasswordChanged: now}
	if err := s.st.LoginProfiles().Create(ctx, lp); err != nil {
		return nil, conflictAs(notFoundAs(err, iam.KindUser, name), &iam.AlreadyExistsError{Kind: iam.KindLoginProfile, Name: u.Name})
	}
	return &iamapi.CreateLoginProfileResponse{LoginProfile: toLoginProfile(lp)}, nil
}

// getLoginProfile reads a user's profile: NoSuchEntity names the user if
// it does not exist, the profile if the user has none.
func getLoginProfile(ctx context.Context, r store.Repos, account, name string) (iam.LoginProfile, error) {
	u, err := getUser(ctx, r, account, name)
	if err != nil {
		return iam.LoginProfile{}, err
	}
	lp, err := r.LoginProfiles().Get(ctx, account, u.Name)
	return lp, notFoundAs(err, iam.KindLoginProfile, u.Name)
}

// GetLoginProfile returns when a user's password was created and whether
// it must be reset; never the password.
func (s *Service) GetLoginProfile(ctx context.Context, p *identity.Principal, in *iamapi.GetLoginProfileRequest, _ time.Time) (*iamapi.GetLoginProfileResponse, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	lp, err := getLoginProfile(ctx, s.st, p.Account, name)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetLoginProfileResponse{LoginProfile: toLoginProfile(lp)}, nil
}

// UpdateLoginProfile sets a user's password, or only its reset flag.
func (s *Service) UpdateLoginProfile(ctx context.Context, p *identity.Principal, in *iamapi.UpdateLoginProfileRequest, now time.Time) (*awsquery.Empty, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	if _, err := getLoginProfile(ctx, s.st, p.Account, name); err != nil {
		return nil, err
	}
	// Hash outside the transaction (it takes tens of milliseconds), then
	// change only what the request sets, on the profile as it is then.
	var hash string
	if in.Password != "" {
		if hash, err = s.checkedHash(ctx, p.Account, in.Password); err != nil {
			return nil, err
		}
	}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		lp, err := getLoginProfile(ctx, r, p.Account, name)
		if err != nil {
			return err
		}
		if hash != "" {
			lp.PasswordHash, lp.PasswordChanged = hash, now
		}
		if in.PasswordResetRequired != nil {
			lp.ResetRequired = *in.PasswordResetRequired
		}
		return r.LoginProfiles().Update(ctx, lp)
	})
	return &awsquery.Empty{}, err
}

// DeleteLoginProfile takes a user's password away.
func (s *Service) DeleteLoginProfile(ctx context.Context, p *identity.Principal, in *iamapi.DeleteLoginProfileRequest, _ time.Time) (*awsquery.Empty, error) {
	name, err := userNameOr(p, in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.st.Tx(ctx, func(r store.Repos) error {
		lp, err := getLoginProfile(ctx, r, p.Account, name)
		if err != nil {
			return err
		}
		return notFoundAs(r.LoginProfiles().Delete(ctx, p.Account, lp.UserName), iam.KindLoginProfile, lp.UserName)
	})
	return &awsquery.Empty{}, err
}

// ChangePassword changes the calling IAM user's own password, given the
// current one, and clears a pending reset.
func (s *Service) ChangePassword(ctx context.Context, p *identity.Principal, in *iamapi.ChangePasswordRequest, now time.Time) (*awsquery.Empty, error) {
	if p.Type != identity.IAMUser || p.UserName == "" {
		return nil, errNotAUser
	}
	if err := requiredPassword("oldPassword", in.OldPassword); err != nil {
		return nil, err
	}
	if err := requiredPassword("newPassword", in.NewPassword); err != nil {
		return nil, err
	}
	lp, err := getLoginProfile(ctx, s.st, p.Account, p.UserName)
	if err != nil {
		return nil, err
	}
	ok, err := s.pw.Verify(ctx, lp.PasswordHash, in.OldPassword)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errOldPassword
	}
	hash, err := s.checkedHash(ctx, p.Account, in.NewPassword)
	if err != nil {
		return nil, err
	}
	// The password verified must still be the current one: two changes
	// racing with the same old password do not both succeed.
	verified := lp.PasswordHash
	err = s.st.Tx(ctx, func(r store.Repos) error {
		lp, err := getLoginProfile(ctx, r, p.Account, p.UserName)
		if err != nil {
			return err
		}
		if lp.PasswordHash != verified {
			return errPasswordChanging
		}
		lp.PasswordHash, lp.PasswordChanged, lp.ResetRequired = hash, now, false
		return r.LoginProfiles().Update(ctx, lp)
	})
	return &awsquery.Empty{}, err
}

// UpdateAccountPasswordPolicy sets the account's password policy; an
// omitted field takes AWS's default (not required, minimum length 8).
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, p *identity.Principal, in *iamapi.UpdateAccountPasswordPolicyRequest, _ time.Time) (*awsquery.Empty, error) {
	b := func(v *bool) bool { return v != nil && *v }
	n := func(v *int32, def int) int {
		if v == nil {
			return def
		}
		return int(*v)
	}
	pp := iam.PasswordPolicy{Account: p.Account, MinimumLength: n(in.MinimumPasswordLength, iam.OmittedMinimumPasswordLength),
		RequireSymbols: b(in.RequireSymbols), RequireNumbers: b(in.RequireNumbers),
		RequireUppercaseCharacters: b(in.RequireUppercaseCharacters), RequireLowercaseCharacters: b(in.RequireLowercaseCharacters),
		AllowUsersToChangePassword: b(in.AllowUsersToChangePassword), MaxPasswordAge: n(in.MaxPasswordAge, 0),
		PasswordReusePrevention: n(in.PasswordReusePrevention, 0), HardExpiry: b(in.HardExpiry)}
	if err := iam.ValidatePasswordPolicy(pp); err != nil {
		return nil, err
	}
	return &awsquery.Empty{}, s.st.PasswordPolicies().Put(ctx, pp)
}

// GetAccountPasswordPolicy returns the account's password policy;
// NoSuchEntity while it has set none, as AWS.
func (s *Service) GetAccountPasswordPolicy(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, _ time.Time) (*iamapi.GetAccountPasswordPolicyResponse, error) {
	pp, err := s.st.PasswordPolicies().Get(ctx, p.Account)
	if err != nil {
		return nil, notFoundAs(err, iam.KindPasswordPolicy, p.Account)
	}
	out := iamapi.PasswordPolicy{MinimumPasswordLength: ptr(int32(pp.MinimumLength)), RequireSymbols: ptr(pp.RequireSymbols),
		RequireNumbers: ptr(pp.RequireNumbers), RequireUppercaseCharacters: ptr(pp.RequireUppercaseCharacters),
		RequireLowercaseCharacters: ptr(pp.RequireLowercaseCharacters), AllowUsersToChangePassword: ptr(pp.AllowUsersToChangePassword),
		ExpirePasswords: ptr(pp.MaxPasswordAge > 0)}
	if pp.MaxPasswordAge > 0 {
		out.MaxPasswordAge = ptr(int32(pp.MaxPasswordAge))
		out.HardExpiry = ptr(pp.HardExpiry)
	}
	if pp.PasswordReusePrevention > 0 {
		out.PasswordReusePrevention = ptr(int32(pp.PasswordReusePrevention))
	}
	return &iamapi.GetAccountPasswordPolicyResponse{PasswordPolicy: out}, nil
}

// DeleteAccountPasswordPolicy removes the account's password policy (the
// default applies again).
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, p *identity.Principal, _ *awsquery.Empty, _ time.Time) (*awsquery.Empty, error) {
	// AWS words this one as an account policy, unlike GetAccountPasswordPolicy.
	return &awsquery.Empty{}, notFoundAs(s.st.PasswordPolicies().Delete(ctx, p.Account), iam.KindAccountPolicy, "PasswordPolicy")
}

// ErrBadPassword is VerifyPassword's one answer for a user that does not
// exist, has no password, or gave the wrong one: the sign-in page must
// not tell them apart.
var ErrBadPassword = errors.New("iamservice: wrong user name or password")

// SignIn is what a successful VerifyPassword tells the sign-in page.
type SignIn struct {
	UserName string // as stored
	// ResetRequired: the user must set a new password before going on
	// (UpdateLoginProfile's PasswordResetRequired, or an expired password
	// under the account's MaxPasswordAge).
	ResetRequired bool
	// Expired: the password is older than MaxPasswordAge; with HardExpiry
	// the user cannot sign in at all (ErrPasswordExpired).
	Expired bool
}

// ErrPasswordExpired: the password expired and the account's policy sets
// HardExpiry: only an administrator can set a new one.
var ErrPasswordExpired = errors.New("iamservice: password expired")

// VerifyPassword checks a user's password for the sign-in page. It costs
// one KDF verification whether or not the user exists or has a password,
// and returns ErrBadPassword for all three failures alike. A password the
// API could not have set (iam.PossiblePassword) is refused at once, before
// the store is read: its cost says nothing about the user.
func (s *Service) VerifyPassword(ctx context.Context, account, user, password string, now time.Time) (SignIn, error) {
	if !iam.PossiblePassword(password) {
		return SignIn{}, ErrBadPassword
	}
	lp, err := s.st.LoginProfiles().Get(ctx, account, user)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.pw.VerifyDummy(ctx, password); err != nil {
			return SignIn{}, err
		}
		return SignIn{}, ErrBadPassword
	}
	if err != nil {
		return SignIn{}, err
	}
	ok, err := s.pw.Verify(ctx, lp.PasswordHash, password)
	if err != nil {
		return SignIn{}, err
	}
	if !ok {
		return SignIn{}, ErrBadPassword
	}
	if s.pw.NeedsRehash(lp.PasswordHash) {
		s.rehash(ctx, lp, password)
	}
	pp, _, err := passwordPolicy(ctx, s.st, account)
	if err != nil {
		return SignIn{}, err
	}
	out := SignIn{UserName: lp.UserName, ResetRequired: lp.ResetRequired}
	if exp, ok := pp.Expires(lp.PasswordChanged); ok && !now.Before(exp) {
		if pp.HardExpiry {
			return SignIn{}, ErrPasswordExpired
		}
		out.Expired, out.ResetRequired = true, true
	}
	s.notePasswordUse(passwordUser{account, lp.UserName}, now)
	return out, nil
}

// passwordUser names a user whose password was used.
type passwordUser struct{ account, name string }

// notePasswordUse queues a user's password use for FlushPasswordUses, at
// most once a minute per user: the sign-in does not wait for a write.
func (s *Service) notePasswordUse(u passwordUser, now time.Time) {
	minute := now.Unix() / 60
	s.pwMu.Lock()
	defer s.pwMu.Unlock()
	if s.pwNoted[u] == minute {
		return
	}
	if s.pwPending == nil {
		s.pwPending, s.pwNoted = map[passwordUser]time.Time{}, map[passwordUser]int64{}
	}
	s.pwNoted[u] = minute
	s.pwMinute = max(s.pwMinute, minute)
	s.pwPending[u] = now.UTC().Truncate(time.Second)
}

// FlushPasswordUses records the queued password uses as the users'
// PasswordLastUsed (GetUser, ListUsers, the credential report), never
// moving one back. A user deleted meanwhile is skipped; other errors are
// returned after every use was tried, and those uses are queued again.
func (s *Service) FlushPasswordUses(ctx context.Context) error {
	s.pwMu.Lock()
	pending := s.pwPending
	s.pwPending = nil
	for u, m := range s.pwNoted { // kept to the latest minute's users
		if m < s.pwMinute {
			delete(s.pwNoted, u)
		}
	}
	s.pwMu.Unlock()
	var errs []error
	for u, at := range pending {
		err := s.st.Tx(ctx, func(r store.Repos) error {
			usr, err := r.Users().Get(ctx, u.account, u.name)
			if err != nil || !usr.PasswordLastUsed.Before(at) {
				return err
			}
			usr.PasswordLastUsed = at
			return r.Users().Update(ctx, usr)
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("iamservice: recording the password use of %s: %w", u.name, err))
			s.pwMu.Lock()
			if s.pwPending == nil {
				s.pwPending = map[passwordUser]time.Time{}
			}
			if at.After(s.pwPending[u]) {
				s.pwPending[u] = at
			}
			s.pwMu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// rehash stores password, just verified against lp, hashed again under the
// current parameters, unless it changed meanwhile: the sign-in's cost, and
// the dummy hash's for unknown users, then follow the parameters. A failure
// is logged, not returned: the sign-in succeeded and the old hash still
// verifies.
func (s *Service) rehash(ctx context.Context, lp iam.LoginProfile, password string) {
	hash, err := s.pw.Hash(ctx, password)
	if err == nil {
		err = s.st.Tx(ctx, func(r store.Repos) error {
			cur, err := r.LoginProfiles().Get(ctx, lp.Account, lp.UserName)
			if err != nil || cur.PasswordHash != lp.PasswordHash {
				return err
			}
			cur.PasswordHash = hash
			return r.LoginProfiles().Update(ctx, cur)
		})
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.WarnContext(ctx, "re-hashing a password under the current parameters failed",
			"account", lp.Account, "user", lp.UserName, "error", err)
	}
}
