package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// deleteUser is how the IAM service deletes a user: the dependents check and
// the delete share one transaction, and store errors become domain errors.
func deleteUser(ctx context.Context, s store.Store, account, name string) error {
	return s.Tx(ctx, func(tx store.Repos) error {
		deps, err := tx.Users().Dependents(ctx, account, name)
		if errors.Is(err, store.ErrNotFound) {
			return &iam.NotFoundError{Kind: iam.KindUser, Name: name}
		}
		if err != nil {
			return err
		}
		if err := deps.Conflict(); err != nil {
			return err
		}
		return tx.Users().Delete(ctx, account, name)
	})
}

// createAccessKey enforces AccessKeysPerUser atomically.
func createAccessKey(ctx context.Context, s store.Store, k iam.AccessKey) error {
	return s.Tx(ctx, func(tx store.Repos) error {
		keys, err := tx.AccessKeys().ListForUser(ctx, k.Account, k.UserName)
		if errors.Is(err, store.ErrNotFound) {
			return &iam.NotFoundError{Kind: iam.KindUser, Name: k.UserName}
		}
		if err != nil {
			return err
		}
		if len(keys) >= iam.MaxAccessKeysPerUser {
			return &iam.LimitExceededError{Quota: iam.QuotaAccessKeysPerUser, Limit: iam.MaxAccessKeysPerUser}
		}
		return tx.AccessKeys().Create(ctx, k)
	})
}

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "brevet-example")
	defer os.RemoveAll(dir)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "brevet.db"), Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	const acct = "123456789012"
	_ = s.Accounts().Create(ctx, iam.Account{ID: acct, Created: now})
	id, _ := iam.NewID(iam.PrefixUser, nil)
	_ = s.Users().Create(ctx, iam.User{Account: acct, ID: id, Name: "alice", Path: "/", Created: now})
	for _, keyID := range []string{"AKIAEXAMPLE000000001", "AKIAEXAMPLE000000002", "AKIAEXAMPLE000000003"} {
		err := createAccessKey(ctx, s, iam.AccessKey{Account: acct, UserName: "alice", ID: keyID,
			Status: iam.AccessKeyActive, Created: now, SecretCiphertext: []byte("sealed")})
		fmt.Println(keyID, err)
	}
	fmt.Println(deleteUser(ctx, s, acct, "Alice"))
	fmt.Println(deleteUser(ctx, s, acct, "bob"))
	// Output:
	// AKIAEXAMPLE000000001 <nil>
	// AKIAEXAMPLE000000002 <nil>
	// AKIAEXAMPLE000000003 Cannot exceed quota for AccessKeysPerUser: 2
	// Cannot delete entity, must delete access keys first.
	// The user with name bob cannot be found.
}
