package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/audit"
)

// Every request reaches the hash-chained audit trail, which verifies after
// shutdown, and no secret the clients saw reaches the trail or the logs.
func TestAuditTrailAndLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := startBrevet(t)
	roleARN := sdkRole(t, b)
	admin := b.goAdmin(t)
	_, adminSecret := b.adminKey(t)
	secrets := []string{adminSecret}
	st, err := sts.NewFromConfig(admin).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	// GetSessionToken credentials may call AssumeRole (AWS allows it and
	// GetCallerIdentity only, among STS actions).
	ar, err := sts.NewFromConfig(fromSTS(b, st.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	ic := iam.NewFromConfig(admin)
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("audited")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*struct{ s, tok string }{
		{aws.ToString(st.Credentials.SecretAccessKey), aws.ToString(st.Credentials.SessionToken)},
		{aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken)},
		{aws.ToString(key.AccessKey.SecretAccessKey), ""},
	} {
		secrets = append(secrets, c.s, c.tok)
	}
	b.stop(t)

	dir := filepath.Join(b.DataDir, "audit")
	if err := audit.ScanForSecrets(dir, secrets); err != nil {
		t.Errorf("audit trail: %v", err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(b.logs.String(), s) {
			t.Errorf("the server log holds a secret (%.6s…)", s)
		}
	}
	signer, err := audit.LoadOrCreateKey(filepath.Join(dir, audit.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: signer.Public()})
	if err != nil {
		t.Fatalf("audit verify: %v", err)
	}
	// CreateRole, AttachRolePolicy, GetSessionToken, AssumeRole,
	// CreateUser, CreateAccessKey.
	if rep.Events < 6 || rep.Uncovered != 0 {
		t.Errorf("audit trail: %+v; want at least 6 events, all covered by a digest after shutdown", rep)
	}
}
