package store

import (
	"context"

	"github.com/brevet-dev/brevet/internal/iam"
)

// LoginProfiles stores IAM users' passwords (hashes only). Every write
// records a ChangeLoginProfile keyed by the user's name, so a sign-in
// session cache learns at once that a password changed or went away.
type LoginProfiles interface {
	// Create adds p for user p.UserName. ErrNotFound if the user does not
	// exist; ErrConflict if it already has a login profile.
	Create(ctx context.Context, p iam.LoginProfile) error
	// Get returns the user's profile, with UserName as stored. ErrNotFound
	// if the user or its profile does not exist.
	Get(ctx context.Context, account, user string) (iam.LoginProfile, error)
	// Update rewrites the password hash, ResetRequired and PasswordChanged
	// (the creation date never changes). ErrNotFound if there is no profile.
	Update(ctx context.Context, p iam.LoginProfile) error
	// Delete removes the profile. ErrNotFound if there is none.
	Delete(ctx context.Context, account, user string) error
}

// PasswordPolicies stores each account's password policy, at most one.
// Every write records a ChangePasswordPolicy keyed by the account id.
type PasswordPolicies interface {
	// Put creates or replaces the policy of p.Account. ErrNotFound if the
	// account does not exist.
	Put(ctx context.Context, p iam.PasswordPolicy) error
	// Get returns the account's policy; ErrNotFound if it has set none.
	Get(ctx context.Context, account string) (iam.PasswordPolicy, error)
	// Delete removes it; ErrNotFound if there is none.
	Delete(ctx context.Context, account string) error
}
