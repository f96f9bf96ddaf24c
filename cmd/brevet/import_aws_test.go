package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/brevet-dev/brevet/internal/vectortest"
)

func runImportCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"import"}, args...))
	err := root.Execute()
	return out.String(), err
}

// TestImportAWSManagedPoliciesCmd imports the moto corpus twice through
// `brevet import --aws-managed-policies`, into SQLite (--data-dir) and
// PostgreSQL (--store).
func TestImportAWSManagedPoliciesCmd(t *testing.T) {
	file, defaults := vectortest.MotoAWSManagedPolicies(t)
	n := len(defaults)
	path := filepath.Join(t.TempDir(), "aws-managed-policies.json")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BREVET_MASTER_KEY", "")
	for _, tc := range []struct {
		name  string
		where func(t *testing.T) []string
		open  func(t *testing.T, where []string) store.Store
	}{
		{"sqlite", func(t *testing.T) []string { return []string{"--data-dir", filepath.Join(t.TempDir(), "data")} },
			func(t *testing.T, where []string) store.Store {
				st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(where[1], "brevet.db"), Now: time.Now})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}},
		{"postgres", func(t *testing.T) []string { return []string{"--store", pgtest.DSN(t)} },
			func(t *testing.T, where []string) store.Store {
				st, err := postgres.Open(context.Background(), where[1], postgres.Options{Now: time.Now})
				if err != nil {
					t.Fatal(err)
				}
				return st
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			where := tc.where(t)
			out, err := runImportCmd(t, append([]string{"--aws-managed-policies", path}, where...)...)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("imported %d AWS managed policies into ", n); !strings.Contains(out, want) || !strings.Contains(out, fmt.Sprintf(": %d added, 0 updated, 0 unchanged;", n)) {
				t.Errorf("first import said %q, want %d added", out, n)
			}
			out, err = runImportCmd(t, append([]string{"--aws-managed-policies", path}, where...)...)
			if err != nil || !strings.Contains(out, fmt.Sprintf(": 0 added, 0 updated, %d unchanged;", n)) {
				t.Errorf("second import: %q, %v; want %d unchanged", out, err, n)
			}
			st := tc.open(t, where)
			defer st.Close()
			ctx := context.Background()
			got, err := st.Policies().List(ctx, iam.AWSAccount, store.ListOptions{})
			if err != nil || len(got) != n {
				t.Fatalf("stored AWS managed policies: %d (%v), want %d", len(got), err, n)
			}
			pol, err := st.Policies().Get(ctx, "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
			if err != nil || pol.DefaultVersion == "v1" || pol.Path != "/job-function/" {
				t.Errorf("ViewOnlyAccess: %+v, %v; want AWS's default version and path", pol, err)
			}
		})
	}
}

// TestImportAWSManagedPoliciesCmdRejects: a bad file fails the command and
// leaves the store without any of its policies.
func TestImportAWSManagedPoliciesCmdRejects(t *testing.T) {
	t.Setenv("BREVET_MASTER_KEY", "")
	good := `{"PolicyName":"Good","Arn":"arn:aws:iam::aws:policy/Good","Path":"/","DefaultVersionId":"v1",` +
		`"PolicyVersionList":[{"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]},"VersionId":"v1","IsDefaultVersion":true}]}`
	for _, tc := range []struct{ name, file, want string }{
		{"bad JSON", `{"Policies": [` + good, "reading the AWS managed policies"},
		{"a customer policy ARN", `{"Policies":[` + good + `,` + strings.ReplaceAll(good, "arn:aws:iam::aws:policy/Good", "arn:aws:iam::123456789012:policy/Good") + `]}`,
			`"arn:aws:iam::123456789012:policy/Good" is not an AWS managed policy ARN`},
		{"a document that does not parse", `{"Policies":[` + good + `,` + strings.ReplaceAll(strings.ReplaceAll(good, "Good", "Broken"), `"Allow"`, `"Allw"`) + `]}`,
			"policy arn:aws:iam::aws:policy/Broken: version v1: the document does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "in.json")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			data := filepath.Join(dir, "data")
			_, err := runImportCmd(t, "--aws-managed-policies", path, "--data-dir", data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(data, "brevet.db")); err != nil {
				return // refused before the store was opened
			}
			st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(data, "brevet.db"), Now: time.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Policies().Get(context.Background(), "arn:aws:iam::aws:policy/Good"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the file's good policy: got %v, want ErrNotFound (nothing imported)", err)
			}
		})
	}
	if _, err := runImportCmd(t, "--aws-managed-policies", "x.json", "extra.json"); err == nil {
		t.Error("--aws-managed-policies with a positional FILE: got no error")
	}
	if _, err := runImportCmd(t, "details.json", "--store", "postgres://h/db"); err == nil || !strings.Contains(err.Error(), "--store is for --aws-managed-policies") {
		t.Errorf("--store without --aws-managed-policies: got %v", err)
	}
}
