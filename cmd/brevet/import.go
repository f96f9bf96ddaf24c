package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/importer"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

type importOptions struct {
	dataDir   string
	accountID string
	keyFile   string
	// awsManaged is --aws-managed-policies' file; storeURL is --store.
	awsManaged string
	storeURL   string
}

func newImportCmd() *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE | --aws-managed-policies FILE",
		Short: "Import IAM users, groups, roles and policies exported from AWS, or AWS managed policies",
		Long: `Import reads the JSON that "aws iam get-account-authorization-details" prints
(FILE, or - for standard input) and writes its users, groups, roles, inline
policies, attachments, permissions boundaries, tags and managed policies
(with every version, version ids kept) into the embedded store in --data-dir.
It works offline, with brevet serve stopped.

Entities get new unique ids in the target account, and customer managed
policy ARNs of the exported account are rewritten to it. AWS managed
policies in the file replace Brevet's built-in documents of the same name
or are added. Nothing is deleted: entities that exist already keep what
they have and gain what the file adds, so importing twice is harmless. The
whole file is imported in one transaction, or nothing is.

The installation has one account: --account-id names it on an empty data
directory and must match it otherwise. The usual order is to start brevet
serve once (it creates the account and the admin user's key), stop it, then
import: the admin user and its key are kept.

With --aws-managed-policies FILE it loads AWS managed policies alone, from
what "aws iam get-account-authorization-details --filter AWSManagedPolicy"
prints (or list-policies entries each carrying get-policy-version's
PolicyVersion; see docs/iam.md). Each policy is created, or updated in
place: AWS's PolicyId, dates and version ids are kept, new versions are
added and the file's default version becomes the default, so the users,
groups and roles it is attached to get the new permissions. Policies the
file does not name are left as they are. A bad ARN or document refuses the
whole file. --store postgres://... imports into a PostgreSQL store (running
nodes pick the change up); the SQLite store is imported with brevet serve
stopped.`,
		Example: `  aws iam get-account-authorization-details > details.json
  brevet import details.json --data-dir ./brevet-data

  aws iam get-account-authorization-details --filter AWSManagedPolicy > aws-managed-policies.json
  brevet import --aws-managed-policies aws-managed-policies.json --data-dir ./brevet-data`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.awsManaged != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.awsManaged != "" {
				return runImportAWSManaged(cmd.Context(), cmd.OutOrStdout(), cmd.InOrStdin(), o)
			}
			if o.storeURL != "" {
				return errors.New("--store is for --aws-managed-policies; an account export is imported into --data-dir")
			}
			return runImport(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cmd.InOrStdin(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", "./brevet-data", "Brevet's data directory (brevet.db and master.key)")
	f.StringVar(&o.accountID, "account-id", "", "12-digit account to import into (default: the data directory's account)")
	f.StringVar(&o.keyFile, "master-key-file", "", "master key file, as brevet serve's master_key_file (default: the data directory's)")
	f.StringVar(&o.awsManaged, "aws-managed-policies", "", "import AWS managed policies from FILE (- for standard input) instead of an account export")
	f.StringVar(&o.storeURL, "store", "", "with --aws-managed-policies: a PostgreSQL store (postgres://...) instead of --data-dir's SQLite")
	return cmd
}

func openImportInput(stdin io.Reader, file string) (io.Reader, func(), error) {
	if file == "-" {
		return stdin, func() {}, nil
	}
	fh, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	return fh, func() { fh.Close() }, nil
}

// runImportAWSManaged is brevet import --aws-managed-policies.
func runImportAWSManaged(ctx context.Context, out io.Writer, stdin io.Reader, o importOptions) error {
	in, done, err := openImportInput(stdin, o.awsManaged)
	if err != nil {
		return err
	}
	f, err := importer.ReadAWSManaged(in)
	done()
	if err != nil {
		return err
	}
	st, where, err := openAWSManagedStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := importer.ImportAWSManaged(ctx, st, f, time.Now().UTC(), nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "imported %d AWS managed policies into %s: %d added, %d updated, %d unchanged; "+
		"AWS managed policies not in the file were left as they are\n",
		len(f.Policies), where, sum.Added, sum.Updated, sum.Unchanged)
	return nil
}

// openAWSManagedStore opens --store's PostgreSQL, or the SQLite store in
// --data-dir, checked against the master key brevet serve will use, as
// an account import does.
func openAWSManagedStore(ctx context.Context, o importOptions) (store.Store, string, error) {
	if o.storeURL != "" {
		if !strings.HasPrefix(o.storeURL, "postgres://") && !strings.HasPrefix(o.storeURL, "postgresql://") {
			return nil, "", errors.New("--store: want a postgres:// URL (the SQLite store is named with --data-dir)")
		}
		st, err := postgres.Open(ctx, o.storeURL, postgres.Options{Now: time.Now})
		return st, describeStore(o.storeURL), err
	}
	st, dbPath, err := openImportSQLite(ctx, o)
	if err != nil {
		return nil, "", err // not a nil *sqlite.Store in a non-nil store.Store
	}
	return st, dbPath, nil
}

// openImportSQLite opens the SQLite store in --data-dir, creating the
// directory. The import writes no secrets, but a data directory it
// prepares must open under the master key brevet serve will use: it is
// resolved (or created) the same way first, so a misconfigured key fails
// here, before anything is written.
func openImportSQLite(ctx context.Context, o importOptions) (*sqlite.Store, string, error) {
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, "", err
	}
	if _, _, err := masterkey.Load(os.Getenv(masterkey.EnvVar), o.keyFile, o.dataDir); err != nil {
		return nil, "", err
	}
	dbPath := filepath.Join(o.dataDir, "brevet.db")
	st, err := sqlite.Open(ctx, sqlite.Config{Path: dbPath, Now: time.Now})
	return st, dbPath, err
}

func runImport(ctx context.Context, out, errOut io.Writer, stdin io.Reader, file string, o importOptions) error {
	in, done, err := openImportInput(stdin, file)
	if err != nil {
		return err
	}
	details, err := importer.Read(in)
	done()
	if err != nil {
		return err
	}
	st, dbPath, err := openImportSQLite(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	account, fresh, err := importAccount(ctx, st, o.accountID)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := managed.Seed(ctx, st, now); err != nil {
		return err
	}
	sum, err := importer.Import(ctx, st, details, importer.Options{Account: account, Now: now})
	if err != nil {
		return err
	}
	if fresh && hasUser(details, bootstrap.AdminUser) {
		fmt.Fprintf(errOut, "warning: the file has a user named %q, so brevet serve's first start will not create its access key "+
			"and no one will hold a key; start brevet serve once before importing, or create a key with another tool\n", bootstrap.AdminUser)
	}
	fmt.Fprintf(out, "imported into account %s (%s): %d users, %d groups, %d roles, %d instance profiles, "+
		"%d customer managed policies, %d AWS managed policies\n",
		account, dbPath, sum.Users, sum.Groups, sum.Roles, sum.InstanceProfiles, sum.Policies, sum.AWSManagedPolicies)
	return nil
}

// importAccount is the account to import into: the store's one account,
// which --account-id must match when given, or --account-id on an empty
// store (fresh).
func importAccount(ctx context.Context, st store.Store, flag string) (account string, fresh bool, err error) {
	accounts, err := st.Accounts().List(ctx)
	if err != nil {
		return "", false, err
	}
	for _, a := range accounts {
		if a.ID == iam.AWSAccount {
			continue
		}
		if flag != "" && flag != a.ID {
			return "", false, fmt.Errorf("the data directory belongs to account %s, not %s; import into an empty data directory to use another account", a.ID, flag)
		}
		return a.ID, false, nil
	}
	if flag == "" {
		return "", false, errors.New("the data directory has no account yet: give --account-id (or start brevet serve once first)")
	}
	if err := iam.ValidateAccountID(flag); err != nil {
		return "", false, fmt.Errorf("--account-id: %w", err)
	}
	return flag, true, nil
}

func hasUser(f *importer.File, name string) bool {
	for _, u := range f.UserDetailList {
		if iam.NameKey(u.UserName) == iam.NameKey(name) {
			return true
		}
	}
	return false
}
