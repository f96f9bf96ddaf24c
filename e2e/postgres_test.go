package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// Two nodes on one PostgreSQL store, sharing a master key, act as one
// service: a key created through one authenticates on the other, sessions
// issued by one are accepted by the other, and a key deleted through one
// stops working on the other within the change feed's polling interval.
func TestTwoNodesOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	material := make([]byte, 32)
	if _, err := rand.Read(material); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(material)), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startBrevet(t, "--store", dsn, "--master-key-file", keyFile)
	b := startBrevet(t, "--store", dsn, "--master-key-file", keyFile)
	if _, err := os.Stat(b.CredentialsFile()); err == nil {
		t.Errorf("the second node wrote admin credentials too")
	}
	id, secret := a.adminKey(t)
	ia := iam.NewFromConfig(a.goConfig(id, secret, ""))
	if _, err := ia.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	key, err := ia.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	onB := sts.NewFromConfig(b.goConfig(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), ""))
	if _, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("node B with a key made on node A: %v", err)
	}
	sess, err := sts.NewFromConfig(a.goConfig(id, secret, "")).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(fromSTS(b, sess.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("node B with a session from node A: %v", err)
	}
	if _, err := ia.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("shared"), AccessKeyId: key.AccessKey.AccessKeyId}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, err := onB.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidClientTokenId" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node B still accepts a key deleted on node A 5s later (last: %v)", err)
		}
	}
}
