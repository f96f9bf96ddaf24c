// Package managed is Brevet's built-in set of AWS managed policies
// (arn:aws:iam::aws:policy/...): a short, curated list under AWS's names so
// that configurations and tools that attach AdministratorAccess or
// ReadOnlyAccess work unchanged. The documents are written for Brevet: they
// express each policy's intent compactly with wildcards rather than copy
// AWS's long action lists, which change weekly. `brevet import` can replace
// or augment them with AWS's own documents.
//
// It owns the list and Seed, which stores it idempotently; it does not own
// the read-only rule for AWS managed policies (the IAM service enforces it).
package managed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
)

// Policy is one built-in AWS managed policy.
type Policy struct {
	Name        string
	Path        string
	Description string
	Document    string
}

// ARN returns the policy's arn:aws:iam::aws:policy/PATH/NAME.
func (p Policy) ARN() string { return iam.PolicyARN(iam.AWSAccount, p.Path, p.Name) }

// Policies returns the built-in set, in name order.
func Policies() []Policy { return append([]Policy(nil), builtin...) }

func doc(statements string) string {
	return `{"Version":"2012-10-17","Statement":[` + statements + `]}`
}

var builtin = []Policy{
	{
		Name: "AWSDenyAll", Path: "/",
		Description: "Denies every action; useful as a permissions boundary that switches an identity off.",
		Document:    doc(`{"Effect":"Deny","Action":"*","Resource":"*"}`),
	},
	{
		Name: "AdministratorAccess", Path: "/",
		Description: "Full access to every action on every resource.",
		Document:    doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
	},
	{
		Name: "AmazonS3FullAccess", Path: "/",
		Description: "Full access to Amazon S3 buckets and objects.",
		Document:    doc(`{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}`),
	},
	{
		Name: "AmazonS3ReadOnlyAccess", Path: "/",
		Description: "Read-only access to Amazon S3 buckets and objects.",
		Document:    doc(`{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}`),
	},
	{
		Name: "IAMFullAccess", Path: "/",
		Description: "Full access to IAM, and read access to the organization it may need.",
		Document: doc(`{"Effect":"Allow","Action":"iam:*","Resource":"*"},` +
			`{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"}`),
	},
	{
		Name: "IAMReadOnlyAccess", Path: "/",
		Description: "Read-only access to IAM: get, list, generate reports and simulate policies.",
		Document:    doc(`{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:Generate*","iam:Simulate*"],"Resource":"*"}`),
	},
	{
		Name: "IAMUserChangePassword", Path: "/",
		Description: "Lets an IAM user change its own password.",
		Document: doc(`{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"},` +
			`{"Effect":"Allow","Action":"iam:GetAccountPasswordPolicy","Resource":"*"}`),
	},
	{
		Name: "PowerUserAccess", Path: "/",
		Description: "Full access to everything except managing IAM users, groups and the organization; may still create service-linked roles.",
		Document: doc(`{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles",` +
			`"organizations:DescribeOrganization","account:GetAccountInformation","account:ListRegions"],"Resource":"*"}`),
	},
	{
		Name: "ReadOnlyAccess", Path: "/",
		Description: "Read-only access to every service: get, list and describe actions.",
		Document:    doc(`{"Effect":"Allow","Action":["*:Get*","*:List*","*:Describe*"],"Resource":"*"}`),
	},
	{
		Name: "ViewOnlyAccess", Path: "/job-function/",
		Description: "Lists and describes resources across services without reading their content.",
		Document:    doc(`{"Effect":"Allow","Action":["*:List*","*:Describe*"],"Resource":"*"}`),
	},
}

// Seed creates the pseudo-account iam.AWSAccount if needed and stores every
// built-in policy that is not there yet. Policies already present (seeded
// before, or imported) are left as they are, so Seed is idempotent and safe
// on every start.
func Seed(ctx context.Context, st store.Store, now time.Time) error {
	return st.Tx(ctx, func(r store.Repos) error {
		if _, err := r.Accounts().Get(ctx, iam.AWSAccount); errors.Is(err, store.ErrNotFound) {
			if err := r.Accounts().Create(ctx, iam.Account{ID: iam.AWSAccount, Created: now}); err != nil {
				return fmt.Errorf("managed: creating the aws account: %w", err)
			}
		} else if err != nil {
			return err
		}
		for _, p := range builtin {
			_, err := r.Policies().Get(ctx, p.ARN())
			if err == nil {
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			id, err := iam.NewID(iam.PrefixManagedPolicy, nil)
			if err != nil {
				return err
			}
			pol := iam.ManagedPolicy{Account: iam.AWSAccount, ID: id, Name: p.Name, Path: p.Path,
				Description: p.Description, Created: now, Updated: now}
			if err := r.Policies().Create(ctx, pol, p.Document); err != nil {
				return fmt.Errorf("managed: seeding %s: %w", p.Name, err)
			}
		}
		return nil
	})
}
