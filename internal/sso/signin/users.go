package signin

import (
	"context"
	"errors"
	"slices"

	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/store"
)

// StoreUsers resolves IAM users from the store (Users).
type StoreUsers struct {
	Repos store.Repos
}

// AccountID finds the account by id, then by alias.
func (u StoreUsers) AccountID(ctx context.Context, idOrAlias string) (string, error) {
	if idOrAlias == "" || len(idOrAlias) > 64 {
		return "", ErrUnknownAccount
	}
	a, err := u.Repos.Accounts().Get(ctx, idOrAlias)
	if errors.Is(err, store.ErrNotFound) {
		a, err = u.Repos.Accounts().GetByAlias(ctx, idOrAlias)
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrUnknownAccount
	}
	if err != nil {
		return "", err
	}
	return a.ID, nil
}

// Identity returns the user's identity (unique id, name as stored, its
// groups' unique ids) and ARN.
func (u StoreUsers) Identity(ctx context.Context, account, userName string) (sso.Identity, string, error) {
	usr, err := u.Repos.Users().Get(ctx, account, userName)
	if err != nil {
		return sso.Identity{}, "", err
	}
	groups, err := u.Repos.Groups().ListForUser(ctx, account, usr.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return sso.Identity{}, "", err
	}
	id := sso.Identity{Source: sso.SourceIAM, Account: account, UserID: usr.ID, UserName: usr.Name, Path: usr.Path}
	for _, g := range groups {
		id.Groups = append(id.Groups, g.ID)
	}
	slices.Sort(id.Groups)
	return id, usr.ARN(), nil
}

// Exists looks the user up.
func (u StoreUsers) Exists(ctx context.Context, account, userName string) (bool, error) {
	_, err := u.Repos.Users().Get(ctx, account, userName)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// SelfServicePasswords reads the account's password policy (none set:
// users may not).
func (u StoreUsers) SelfServicePasswords(ctx context.Context, account string) (bool, error) {
	pp, err := u.Repos.PasswordPolicies().Get(ctx, account)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return pp.AllowUsersToChangePassword, err
}
