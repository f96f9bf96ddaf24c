package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"
)

// runCLI runs the brevet command line in process and returns its output
// and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

// adminConfig is an SDK configuration for the server at url with the
// admin key the server wrote into dataDir on its first start.
func adminConfig(t *testing.T, url, dataDir string) aws.Config {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(t.Context(),
		awsconfig.WithRegion("us-east-1"),
		awsconfig.WithSharedConfigFiles([]string{}),
		awsconfig.WithSharedCredentialsFiles([]string{filepath.Join(dataDir, "admin-credentials")}),
		awsconfig.WithSharedConfigProfile("default"),
		awsconfig.WithBaseEndpoint(url))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func userNames(t *testing.T, c *iam.Client) []string {
	t.Helper()
	var names []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			names = append(names, *u.UserName)
		}
	}
	return names
}

// TestBackupRestoreWhileServing backs a serving data directory up while a
// client creates users through the API, restores it into a new directory,
// serves that, and checks that the restored server holds a prefix of the
// users, the same keys and roles, accepts the admin's key, and that its
// audit trail verifies.
func TestBackupRestoreWhileServing(t *testing.T) {
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	url, _, stop := serveInProcess(t, data)
	client := iam.NewFromConfig(adminConfig(t, url, data))

	ctx, stopWriting := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var writeErr error
	var created atomic.Int32
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u-%05d", i))})
			if err != nil && ctx.Err() == nil {
				writeErr = err
				created.Store(-1)
				return
			}
			created.Add(1)
		}
	}()
	for n := created.Load(); n >= 0 && n < 5; n = created.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	backupDir := filepath.Join(dir, "backup")
	out, err := runCLI(t, "backup", "--data-dir", data, "--out", backupDir, "--include-master-key")
	stopWriting()
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	if !strings.Contains(out, "WARNING: this backup holds the master key") {
		t.Errorf("backup output lacks the master key warning:\n%s", out)
	}
	// The original goes on; the restore refuses its data directory.
	if out, err := runCLI(t, "restore", "--from", backupDir, "--data-dir", data); err == nil || !strings.Contains(err.Error(), "a server is running on") {
		t.Errorf("restore onto the running server's directory: %v\n%s", err, out)
	}
	origUsers := userNames(t, client)
	origKeys, err := client.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(dir, "restored")
	if out, err := runCLI(t, "restore", "--from", backupDir, "--data-dir", restored); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "restore", "--from", backupDir, "--data-dir", restored); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second restore into the same directory: %v\n%s", err, out)
	}
	// The admin key file is not part of a backup: the same key, from the
	// original's file, must work on the restored server.
	url2, _, _ := serveInProcess(t, restored)
	cfg2 := adminConfig(t, url2, data)
	client2 := iam.NewFromConfig(cfg2)
	got := userNames(t, client2)
	if len(got) < 5 || len(got) > len(origUsers) {
		t.Fatalf("restored %d users, want at least 5 and at most the original's %d", len(got), len(origUsers))
	}
	if diff := cmp.Diff(origUsers[:len(got)], got); diff != "" {
		t.Errorf("restored users are not a prefix of the original's (-want +got):\n%s", diff)
	}
	keys2, err := client2.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*origKeys.AccessKeyMetadata[0].AccessKeyId, *keys2.AccessKeyMetadata[0].AccessKeyId); diff != "" {
		t.Errorf("admin's access key differs:\n%s", diff)
	}
	if _, err := sts.NewFromConfig(cfg2).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("the admin key on the restored server: %v", err)
	}
	if out, err := runCLI(t, "audit", "verify", "--data-dir", restored); err != nil || !strings.HasPrefix(out, "OK:") {
		t.Errorf("audit verify of the restored trail: %v\n%s", err, out)
	}
}

func TestBackupWithoutMasterKeySaysSo(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	_, _, stop := serveInProcess(t, data)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	backupDir := filepath.Join(t.TempDir(), "b")
	out, err := runCLI(t, "backup", "--data-dir", data, "--out", backupDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "does NOT hold the master key") {
		t.Errorf("output lacks the note on the master key:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(backupDir, "master.key")); err == nil {
		t.Error("master.key copied without --include-master-key")
	}
	restored := filepath.Join(t.TempDir(), "r")
	out, err = runCLI(t, "restore", "--from", backupDir, "--data-dir", restored)
	if err != nil || !strings.Contains(out, "the backup holds no master key") {
		t.Errorf("restore: %v\n%s", err, out)
	}
}

func TestBackupPostgresSaysWhatToDo(t *testing.T) {
	out, err := runCLI(t, "backup", "--store", "postgres://brevet@127.0.0.1:1/brevet", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "master key") {
		t.Errorf("backup of a PostgreSQL store: %v\n%s", err, out)
	}
}
