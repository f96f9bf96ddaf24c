// Package authztest builds IAM worlds (accounts, users, groups, roles,
// policies) directly in a real store, for the tests and benchmarks of authz,
// sts and the server. It writes through the store's repositories, as the
// IAM service would, without its validation: tests state exactly what
// exists.
package authztest

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/store"
)

// World writes entities into a store at a fixed time.
type World struct {
	Store store.Store
	Now   time.Time
}

func (w *World) ctx() context.Context { return context.Background() }

func uniqueID(p credential.Prefix, account string) (string, error) {
	if account == iam.AWSAccount {
		account = "000000000000"
	}
	return credential.NewUniqueID(p, account, rand.Reader)
}

// Account creates an account.
func (w *World) Account(id string) error {
	return w.Store.Accounts().Create(w.ctx(), iam.Account{ID: id, Created: w.Now})
}

// User creates a user at path "/".
func (w *World) User(account, name string, tags ...iam.Tag) (iam.User, error) {
	id, err := uniqueID(credential.PrefixUser, account)
	if err != nil {
		return iam.User{}, err
	}
	u := iam.User{Account: account, ID: id, Name: name, Path: "/", Created: w.Now, Tags: tags}
	return u, w.Store.Users().Create(w.ctx(), u)
}

// Group creates a group and adds the users to it.
func (w *World) Group(account, name string, users ...string) error {
	id, err := uniqueID(credential.PrefixGroup, account)
	if err != nil {
		return err
	}
	if err := w.Store.Groups().Create(w.ctx(), iam.Group{Account: account, ID: id, Name: name, Path: "/", Created: w.Now}); err != nil {
		return err
	}
	for _, u := range users {
		if err := w.Store.Groups().AddUser(w.ctx(), account, name, u); err != nil {
			return err
		}
	}
	return nil
}

// Role creates a role at path "/" with a trust policy; maxSession 0 means
// 3600 seconds.
func (w *World) Role(account, name, trust string, maxSession int, tags ...iam.Tag) (iam.Role, error) {
	id, err := uniqueID(credential.PrefixRole, account)
	if err != nil {
		return iam.Role{}, err
	}
	if maxSession == 0 {
		maxSession = 3600
	}
	r := iam.Role{Account: account, ID: id, Name: name, Path: "/", Created: w.Now, TrustPolicy: trust, MaxSessionDuration: maxSession, Tags: tags}
	return r, w.Store.Roles().Create(w.ctx(), r)
}

// BindTrust binds a role's trust policy to the unique ids of the
// principals it names now, as the IAM service does when it saves one
// (package trust). Roles made by Role are not bound: their principals
// match by ARN, as those of roles saved before binding existed.
func (w *World) BindTrust(account, name string) error {
	r, err := w.Store.Roles().Get(w.ctx(), account, name)
	if err != nil {
		return err
	}
	doc, err := policy.Parse([]byte(r.TrustPolicy))
	if err != nil {
		return err
	}
	if r.TrustBindings, err = trust.Bind(w.ctx(), w.Store, doc, trust.Options{}); err != nil {
		return err
	}
	return w.Store.Roles().Update(w.ctx(), r)
}

// Inline puts an inline policy on a user, group or role.
func (w *World) Inline(owner iam.Owner, name, doc string) error {
	return w.Store.InlinePolicies().Put(w.ctx(), owner, iam.InlinePolicy{Name: name, Document: doc})
}

// Managed creates a customer managed policy and returns its ARN.
func (w *World) Managed(account, name, doc string) (string, error) {
	id, err := uniqueID(credential.PrefixManagedPolicy, account)
	if err != nil {
		return "", err
	}
	p := iam.ManagedPolicy{Account: account, ID: id, Name: name, Path: "/", Created: w.Now, Updated: w.Now}
	return p.ARN(), w.Store.Policies().Create(w.ctx(), p, doc)
}

// Attach attaches a managed policy.
func (w *World) Attach(owner iam.Owner, arn string) error {
	return w.Store.Attachments().Attach(w.ctx(), owner, arn)
}

// SetUserBoundary sets a user's permissions boundary.
func (w *World) SetUserBoundary(account, name, arn string) error {
	u, err := w.Store.Users().Get(w.ctx(), account, name)
	if err != nil {
		return err
	}
	u.PermissionsBoundary = arn
	return w.Store.Users().Update(w.ctx(), u)
}

// UserOwner, GroupOwner and RoleOwner name policy owners.
func UserOwner(account, name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalUser, Account: account, Name: name}
}

// GroupOwner names a group.
func GroupOwner(account, name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalGroup, Account: account, Name: name}
}

// RoleOwner names a role.
func RoleOwner(account, name string) iam.Owner {
	return iam.Owner{Kind: iam.PrincipalRole, Account: account, Name: name}
}

// Allow returns an identity policy allowing actions on resource.
func Allow(resource string, actions ...string) string {
	return statement("Allow", resource, actions)
}

// Deny returns an identity policy denying actions on resource.
func Deny(resource string, actions ...string) string {
	return statement("Deny", resource, actions)
}

func statement(effect, resource string, actions []string) string {
	a := ""
	for i, x := range actions {
		if i > 0 {
			a += ","
		}
		a += `"` + x + `"`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Action":[` + a + `],"Resource":"` + resource + `"}]}`
}

// Trust returns a trust policy letting the AWS principals assume the role.
func Trust(principals ...string) string {
	p := ""
	for i, x := range principals {
		if i > 0 {
			p += ","
		}
		p += `"` + x + `"`
	}
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + p + `]},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
}
