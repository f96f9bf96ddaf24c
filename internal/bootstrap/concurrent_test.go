package bootstrap_test

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

// TestConcurrentFirstStart starts four nodes at once on one empty store,
// each with its own store handle and data directory and no configured
// account id: between them they create exactly one account and one admin
// key, every node reports that account, and only the node that created the
// key has a credentials file.
func TestConcurrentFirstStart(t *testing.T) {
	tests := []struct {
		name string
		// opener returns a function that opens the test's one store
		// again, as another node would.
		opener func(t *testing.T) func(t *testing.T) store.Store
	}{
		{"sqlite", func(t *testing.T) func(t *testing.T) store.Store {
			path := filepath.Join(t.TempDir(), "brevet.db")
			return func(t *testing.T) store.Store {
				st, err := sqlite.Open(t.Context(), sqlite.Config{Path: path, Now: clock})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		}},
		{"postgres", func(t *testing.T) func(t *testing.T) store.Store {
			dsn := pgtest.DSN(t)
			return func(t *testing.T) store.Store {
				st, err := postgres.Open(t.Context(), dsn, postgres.Options{Now: clock, MaxConns: 2})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := tt.opener(t)
			master, err := masterkey.Generate(rand.Reader, now)
			if err != nil {
				t.Fatal(err)
			}
			const nodes = 4
			stores := make([]store.Store, nodes)
			for i := range stores {
				stores[i] = open(t)
				defer stores[i].Close()
			}
			results := make([]*bootstrap.Result, nodes)
			errs := make([]error, nodes)
			var wg sync.WaitGroup
			for i := range nodes {
				wg.Go(func() {
					results[i], errs[i] = bootstrap.Run(t.Context(), bootstrap.Config{Store: stores[i], Master: master,
						DataDir: t.TempDir(), SeedManaged: managed.Seed, Now: now})
				})
			}
			wg.Wait()
			var firsts, files int
			for i, res := range results {
				if errs[i] != nil {
					t.Fatalf("node %d: %v", i, errs[i])
				}
				if res.AccountID != results[0].AccountID {
					t.Errorf("node %d: got account %s, node 0 got %s", i, res.AccountID, results[0].AccountID)
				}
				_, err := os.Stat(res.CredentialsPath)
				switch {
				case err == nil:
					files++
				case !errors.Is(err, fs.ErrNotExist):
					t.Errorf("node %d: %v", i, err)
				}
				if res.FirstStart {
					firsts++
					if res.AdminKeyID == "" || err != nil {
						t.Errorf("node %d created the account: got key %q, file error %v; want a key and its file", i, res.AdminKeyID, err)
					}
				} else if res.AdminKeyID != "" || err == nil {
					t.Errorf("node %d found the account: got key %q, file error %v; want no key and no file", i, res.AdminKeyID, err)
				}
			}
			if firsts != 1 || files != 1 {
				t.Errorf("got %d first starts and %d credentials files, want 1 and 1", firsts, files)
			}
			accounts, err := stores[0].Accounts().List(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range accounts {
				if a.ID != iam.AWSAccount {
					ids = append(ids, a.ID)
				}
			}
			if len(ids) != 1 {
				t.Fatalf("accounts: got %v, want one", ids)
			}
			keys, err := stores[0].AccessKeys().ListForUser(t.Context(), ids[0], bootstrap.AdminUser)
			if err != nil || len(keys) != 1 {
				t.Errorf("admin keys: got %d, %v; want 1", len(keys), err)
			}
		})
	}
}

func clock() time.Time { return now }
