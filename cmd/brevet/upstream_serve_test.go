package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/mototest"
)

// startMoto runs a moto_server (STS and IAM, any key accepted) for the
// test on a free loopback port and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	m := new(mototest.Server)
	t.Cleanup(m.Stop)
	return m.URL(t)
}

// TestUpstreamCLI drives brevet upstream against a server whose upstream
// is moto_server (key mode): register the account and a role, list and
// show them (never the secret), assume the role through Brevet's STS with
// the SDK, print upstream credentials for credential_process, find the
// brokered events with audit search --upstream, see the metrics, and
// remove what was registered.
func TestUpstreamCLI(t *testing.T) {
	moto := startMoto(t)
	data := filepath.Join(t.TempDir(), "data")
	url, _, _ := serveInProcess(t, data)
	isolateAWS(t)
	const upstreamID = "999988887777"
	// The upstream's IAM user and its key, which Brevet holds sealed.
	motoIAM := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto),
		Credentials: awscreds.NewStaticCredentialsProvider("AKIAMOTOADMIN0000000", "moto-admin", "")})
	if _, err := motoIAM.CreateUser(t.Context(), &iam.CreateUserInput{UserName: aws.String("brevet")}); err != nil {
		t.Fatal(err)
	}
	key, err := motoIAM.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("brevet")})
	if err != nil {
		t.Fatal(err)
	}
	keyID, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := []string{"--endpoint", url, "--credentials", filepath.Join(data, "admin-credentials")}
	run := func(args ...string) (string, error) {
		t.Helper()
		out, err := runCLI(t, append(append([]string{"upstream"}, args...), auth...)...)
		if strings.Contains(out, secret) || (err != nil && strings.Contains(err.Error(), secret)) {
			t.Fatalf("upstream %v showed the secret key:\n%s", args, out)
		}
		return out, err
	}
	out, err := run("add", upstreamID, "--mode", "key", "--sts-endpoint", moto, "--iam-endpoint", moto, "--region", "us-east-1",
		"--access-key-id", keyID, "--secret-access-key-file", secretFile, "--user-name", "brevet", "--description", "moto")
	if err != nil || !strings.Contains(out, keyID) || !strings.Contains(out, "KEY") {
		t.Fatalf("add: %v\n%s", err, out)
	}
	if out, err := run("list"); err != nil || !strings.HasPrefix(out, "UPSTREAM ACCOUNT") || !strings.Contains(out, upstreamID) {
		t.Fatalf("list: %v\n%s", err, out)
	}
	out, err = run("show", upstreamID, "-o", "json")
	var shown upstreamXML
	if err != nil || json.Unmarshal([]byte(out), &shown) != nil || shown.AccessKeyID != keyID || shown.Mode != "KEY" {
		t.Fatalf("show -o json: %v\n%s", err, out)
	}
	if out, err := run("update", upstreamID, "--description", "moto, updated"); err != nil || !strings.Contains(out, "moto, updated") {
		t.Fatalf("update: %v\n%s", err, out)
	}

	roleARN := "arn:aws:iam::" + upstreamID + ":role/Deploy"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`
	if out, err := run("role", "add", roleARN, "--trust-policy", trust, "--max-session-duration", "7200"); err != nil || !strings.Contains(out, roleARN) {
		t.Fatalf("role add: %v\n%s", err, out)
	}
	if out, err := run("role", "list", "--upstream", upstreamID); err != nil || !strings.Contains(out, roleARN) || !strings.Contains(out, "7200") {
		t.Fatalf("role list: %v\n%s", err, out)
	}

	// Any SDK: AssumeRole of the upstream role at Brevet's STS.
	admin := adminConfig(t, url, data)
	got, err := sts.NewFromConfig(admin).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci")})
	if err != nil {
		t.Fatalf("brokered AssumeRole: %v", err)
	}
	if a := aws.ToString(got.AssumedRoleUser.Arn); !strings.HasSuffix(a, ":assumed-role/Deploy/ci") {
		t.Errorf("AssumedRoleUser = %s, want the upstream's session of Deploy", a)
	}
	if s := aws.ToString(got.SourceIdentity); s != "admin@111122223333" {
		t.Errorf("SourceIdentity = %q, want the one derived from the caller", s)
	}
	// The credentials are the upstream's: moto knows them.
	upstreamSTS := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto),
		Credentials: awscreds.NewStaticCredentialsProvider(aws.ToString(got.Credentials.AccessKeyId), aws.ToString(got.Credentials.SecretAccessKey), aws.ToString(got.Credentials.SessionToken))})
	if id, err := upstreamSTS.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil || !strings.Contains(aws.ToString(id.Arn), "assumed-role/Deploy/ci") {
		t.Errorf("GetCallerIdentity at the upstream: %v %v", id, err)
	}
	_, err = sts.NewFromConfig(admin).AssumeRole(t.Context(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + upstreamID + ":role/Nope"), RoleSessionName: aws.String("ci")})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("AssumeRole of an unregistered upstream role: %v, want AccessDenied", err)
	}

	issuedSecrets := []string{aws.ToString(got.Credentials.SecretAccessKey)}
	for _, args := range [][]string{{"session-token", upstreamID, "--duration", "2h"}, {"federation-token", upstreamID, "--name", "bob"}} {
		out, err := runCLI(t, append(append([]string{"upstream"}, args...), auth...)...)
		var cp credentialProcess
		if err != nil || json.Unmarshal([]byte(out), &cp) != nil || cp.Version != 1 || cp.AccessKeyID == "" || cp.SecretAccessKey == "" ||
			cp.SessionToken == "" || cp.Expiration == "" {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		issuedSecrets = append(issuedSecrets, cp.SecretAccessKey)
	}

	// The trail: three brokered events, with the upstream element.
	out, err = runCLI(t, "audit", "search", "--data-dir", data, "--upstream", "any", "-o", "json")
	if err != nil {
		t.Fatalf("audit search --upstream any: %v\n%s", err, out)
	}
	var actions []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e audit.Event
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.AdditionalEventData == nil || e.AdditionalEventData.Upstream == nil ||
			e.AdditionalEventData.IssuedCredential != nil {
			t.Fatalf("event %q (%v)", line, err)
		}
		u := e.AdditionalEventData.Upstream
		if u.AccountID != upstreamID || u.AccessKeyID == "" {
			t.Errorf("upstream element %+v", u)
		}
		actions = append(actions, u.Action)
	}
	if strings.Join(actions, ",") != "AssumeRole,GetSessionToken,GetFederationToken" {
		t.Errorf("brokered events' upstream actions = %v", actions)
	}
	trail, err := os.ReadFile(filepath.Join(data, "audit", "trail-00000000000000000001.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(issuedSecrets, secret) {
		if s == "" || strings.Contains(string(trail), s) {
			t.Errorf("the audit trail holds a secret key (%d characters)", len(s))
		}
	}

	metrics := func() string {
		t.Helper()
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	body := metrics()
	for _, want := range []string{
		`brevet_broker_upstream_calls_total{action="AssumeRole",outcome="ok",upstream_account="999988887777"} 1`,
		`brevet_credentials_issued_total{kind="BrokeredAssumeRole"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Rotation: a failure keeps the key and raises the alert gauge; a
	// success switches to a new key, deletes the old one upstream and
	// clears the gauge.
	const failing = `brevet_broker_key_rotation_failing{upstream_account="999988887777"} 1`
	if _, err := run("update", upstreamID, "--user-name", "nobody"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("rotate", upstreamID); err == nil {
		t.Error("rotate for an upstream user that does not exist succeeded")
	}
	out, err = run("show", upstreamID, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &shown) != nil || shown.AccessKeyID != keyID || shown.LastRotationFailed == "" {
		t.Errorf("after a failed rotation: %v\n%s", err, out)
	}
	if !strings.Contains(metrics(), failing) {
		t.Errorf("/metrics lacks %s after a failed rotation", failing)
	}
	if _, err := run("update", upstreamID, "--user-name", "brevet"); err != nil {
		t.Fatal(err)
	}
	out, err = run("rotate", upstreamID, "-o", "json")
	if err != nil || json.Unmarshal([]byte(out), &shown) != nil || shown.AccessKeyID == keyID || shown.AccessKeyID == "" || shown.LastRotated == "" {
		t.Fatalf("rotate: %v\n%s", err, out)
	}
	keys, err := motoIAM.ListAccessKeys(t.Context(), &iam.ListAccessKeysInput{UserName: aws.String("brevet")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != shown.AccessKeyID {
		t.Errorf("upstream keys after rotation: %+v %v, want only %s", keys, err, shown.AccessKeyID)
	}
	if strings.Contains(metrics(), failing) {
		t.Errorf("/metrics still has %s after a rotation succeeded", failing)
	}
	if _, err := runCLI(t, append([]string{"upstream", "session-token", upstreamID}, auth...)...); err != nil {
		t.Errorf("session-token with the rotated key: %v", err)
	}

	if _, err := run("remove", upstreamID); err == nil || !strings.Contains(err.Error(), "DeleteConflict") {
		t.Errorf("remove with a brokered role: %v, want DeleteConflict", err)
	}
	if out, err := run("role", "remove", roleARN); err != nil {
		t.Fatalf("role remove: %v\n%s", err, out)
	}
	if out, err := run("remove", upstreamID); err != nil || !strings.Contains(out, "removed upstream account "+upstreamID) {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	if out, err := run("list", "-o", "json"); err != nil || strings.TrimSpace(out) != "null" && strings.TrimSpace(out) != "[]" {
		t.Errorf("list after remove: %v\n%s", err, out)
	}
}
