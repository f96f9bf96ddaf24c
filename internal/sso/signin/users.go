package signin

import (
	"context"
	"errors"
	"slices"

	"github.com/brevet-dev/brevet/internal/sso"
	"github.com/brevet-dev/brevet/internal/store"
)

// StoreUsers resolves IAM users from the store, for the pages (Users)
// and for package sso's re-check of a session's user at each refresh
// (sso.UserChecker's Check).
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
	id := sso.Identity{Source: sso.SourceIAM, Account: account, UserID: usr.ID, UserName: usr.Name}
	for _, g := range groups {
		id.Groups = append(id.Groups, g.ID)
	}
	slices.Sort(id.Groups)
	return id, usr.ARN(), nil
}

// Check re-reads an IAM identity (sso.UserChecker): ok=false when the
// user is gone, was re-created under another id, or has no login profile
// any more. The fresh identity has the user's groups of now and keeps
// the sign-in's MFA. Identities of providers are not Brevet's to check:
// they come back as they are.
func (u StoreUsers) Check(ctx context.Context, id sso.Identity) (sso.Identity, bool, error) {
	if id.Source != sso.SourceIAM {
		return id, true, nil
	}
	fresh, _, err := u.Identity(ctx, id.Account, id.UserName)
	if errors.Is(err, store.ErrNotFound) {
		return sso.Identity{}, false, nil
	}
	if err != nil {
		return sso.Identity{}, false, err
	}
	if fresh.UserID != id.UserID {
		return sso.Identity{}, false, nil
	}
	if _, err := u.Repos.LoginProfiles().Get(ctx, id.Account, id.UserName); errors.Is(err, store.ErrNotFound) {
		return sso.Identity{}, false, nil
	} else if err != nil {
		return sso.Identity{}, false, err
	}
	fresh.MFA = id.MFA
	return fresh, true, nil
}
