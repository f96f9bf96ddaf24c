package bootstrap_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/bootstrap"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
)

var now = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "brevet.db"), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// seedAdmin stands in for the managed-policy seed: it stores
// AdministratorAccess under the AWS pseudo-account.
func seedAdmin(ctx context.Context, st store.Store, now time.Time) error {
	if _, err := st.Policies().Get(ctx, bootstrap.AdminPolicyARN); err == nil {
		return nil
	}
	if err := st.Accounts().Create(ctx, iam.Account{ID: iam.AWSAccount, Created: now}); err != nil {
		return err
	}
	return st.Policies().Create(ctx, iam.ManagedPolicy{Account: iam.AWSAccount, ID: "ANPAIWMBCKSKIEE64ZLYK", Name: "AdministratorAccess",
		Path: "/", Created: now, Updated: now}, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
}

func TestFirstStartAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master, err := masterkey.Generate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, dir)
	cfg := bootstrap.Config{Store: st, Master: master, AccountID: "111122223333", DataDir: dir, SeedManaged: seedAdmin, Now: now}
	first, err := bootstrap.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !first.FirstStart || first.AccountID != "111122223333" || first.AdminKeyID == "" {
		t.Fatalf("first start: got %+v", first)
	}
	fi, err := os.Stat(first.CredentialsPath)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("credentials file mode: got %v, want 0600", got)
	}
	data, _ := os.ReadFile(first.CredentialsPath)
	if !bytes.Contains(data, []byte("[default]\naws_access_key_id = "+first.AdminKeyID+"\naws_secret_access_key = ")) {
		t.Errorf("credentials file:\n%s", data)
	}
	attached, err := st.Attachments().List(ctx, iam.Owner{Kind: iam.PrincipalUser, Account: first.AccountID, Name: "admin"})
	if err != nil || len(attached) != 1 || attached[0].ARN != bootstrap.AdminPolicyARN {
		t.Errorf("admin attachments: got %v, %v", attached, err)
	}
	// A role saved before trust binding existed (as an older Brevet left
	// it: no bindings) names admin in its trust policy.
	adminARN := iam.UserARN(first.AccountID, "/", bootstrap.AdminUser)
	if err := st.Roles().Create(ctx, iam.Role{Account: first.AccountID, ID: "AROAOLDROLE0000000001", Name: "old", Path: "/", Created: now,
		TrustPolicy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + adminARN + `"},"Action":"sts:AssumeRole"}]}`,
		MaxSessionDuration: 3600}); err != nil {
		t.Fatal(err)
	}
	admin, err := st.Users().Get(ctx, first.AccountID, bootstrap.AdminUser)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	// A restart, with another account id configured: nothing changes,
	// except that the old role's trust policy is bound.
	st = open(t, dir)
	defer st.Close()
	cfg.Store, cfg.AccountID = st, "999999999999"
	second, err := bootstrap.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if second.FirstStart || second.AccountID != first.AccountID || second.AdminKeyID != "" {
		t.Errorf("restart: got %+v", second)
	}
	if got, want := second.Tokens.ActiveKeyID(), first.Tokens.ActiveKeyID(); got != want {
		t.Errorf("token key after restart: got %s, want %s", got, want)
	}
	if !bytes.Equal(second.MessageKey, first.MessageKey) || len(first.MessageKey) != 32 {
		t.Errorf("message key changed across restarts")
	}
	again, _ := os.ReadFile(first.CredentialsPath)
	if !bytes.Equal(again, data) {
		t.Errorf("credentials file rewritten on restart")
	}
	keys, err := st.AccessKeys().ListForUser(ctx, first.AccountID, "admin")
	if err != nil || len(keys) != 1 {
		t.Errorf("admin keys after restart: got %d, %v; want 1", len(keys), err)
	}
	old, err := st.Roles().Get(ctx, first.AccountID, "old")
	if err != nil {
		t.Fatal(err)
	}
	if want := []iam.PrincipalBinding{{ARN: adminARN, ID: admin.ID}}; len(old.TrustBindings) != 1 || old.TrustBindings[0] != want[0] {
		t.Errorf("trust bindings of a role saved before binding, after a start: got %v, want %v", old.TrustBindings, want)
	}
}

func TestRandomAccountID(t *testing.T) {
	dir := t.TempDir()
	master, _ := masterkey.Generate(rand.Reader, now)
	st := open(t, dir)
	defer st.Close()
	res, err := bootstrap.Run(context.Background(), bootstrap.Config{Store: st, Master: master, DataDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := iam.ValidateAccountID(res.AccountID); err != nil {
		t.Errorf("random account id %q: %v", res.AccountID, err)
	}
}

func TestCredentialsFileIsNeverOverwritten(t *testing.T) {
	dir := t.TempDir()
	master, _ := masterkey.Generate(rand.Reader, now)
	st := open(t, dir)
	defer st.Close()
	path := filepath.Join(dir, bootstrap.CredentialsFile)
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := bootstrap.Run(context.Background(), bootstrap.Config{Store: st, Master: master, DataDir: dir, Now: now})
	if err == nil || !strings.Contains(err.Error(), "exists but the admin user does not") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if _, err := st.Users().Get(context.Background(), "", "admin"); err == nil {
		t.Errorf("admin created although its key could not be saved")
	}
}

func TestRotateTokenKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master, _ := masterkey.Generate(rand.Reader, now)
	st := open(t, dir)
	defer st.Close()
	res, err := bootstrap.Run(ctx, bootstrap.Config{Store: st, Master: master, DataDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := res.Tokens.Mint(credential.Claims{AccountID: res.AccountID, PrincipalType: credential.AssumedRole,
		PrincipalARN: "arn:aws:iam::" + res.AccountID + ":role/r", SessionARN: "arn:aws:sts::" + res.AccountID + ":assumed-role/r/s",
		SessionName: "s", IssuedAt: now, Expires: now.Add(time.Hour)}, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := bootstrap.RotateTokenKey(ctx, st, master, rand.Reader, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := bootstrap.ReloadTokenRing(ctx, st, master, res.Tokens); err != nil {
		t.Fatal(err)
	}
	if got := res.Tokens.ActiveKeyID(); got != id {
		t.Errorf("active key after rotation: got %s, want %s", got, id)
	}
	if _, err := res.Tokens.Open(tc.SessionToken, tc.AccessKeyID, now.Add(2*time.Minute)); err != nil {
		t.Errorf("a token sealed before rotation: %v", err)
	}
}

func TestRewrapMovesEverySecretToTheNewMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, _ := masterkey.Generate(rand.Reader, now)
	st := open(t, dir)
	defer st.Close()
	first, err := bootstrap.Run(ctx, bootstrap.Config{Store: st, Master: old, DataDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	serial := iam.MFASerial(first.AccountID, "/", "admin-device")
	seed, err := old.Seal([]byte("seed"), "mfa-seed:"+serial)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MFADevices().Create(ctx, iam.VirtualMFADevice{Account: first.AccountID, SerialNumber: serial, Path: "/",
		Name: "admin-device", SeedCiphertext: seed, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.MFADevices().Assign(ctx, serial, "admin", now, 42); err != nil {
		t.Fatal(err)
	}
	oidcKeys, err := old.Seal([]byte("issuer keys"), bootstrap.OIDCKeysSealPurpose)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: bootstrap.OIDCKeysPurpose, ID: bootstrap.OIDCKeysID, Ciphertext: oidcKeys, Created: now}); err != nil {
		t.Fatal(err)
	}
	rotated, err := old.Rotate(rand.Reader, now)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bootstrap.Rewrap(ctx, st, rotated)
	if err != nil {
		t.Fatal(err)
	}
	if rep.AccessKeys != 1 || rep.MFADevices != 1 || rep.KeyRecords != 3 {
		t.Errorf("rewrapped: got %+v, want 1 access key, 1 MFA device and 3 key records (token ring, message key, OIDC keys)", rep)
	}
	// The OIDC issuer keys open under the new key alone.
	rec, err := st.KeyMaterial().Get(ctx, bootstrap.OIDCKeysPurpose, bootstrap.OIDCKeysID)
	if err != nil {
		t.Fatal(err)
	}
	newOnly, err := rotated.Without(old.ActiveID())
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := newOnly.Open(rec.Ciphertext, bootstrap.OIDCKeysSealPurpose); err != nil || string(pt) != "issuer keys" {
		t.Errorf("OIDC keys after rewrap: %q, %v; want them sealed under the new master key", pt, err)
	}
	again, err := bootstrap.Rewrap(ctx, st, rotated)
	if err != nil || again.AccessKeys != 0 {
		t.Errorf("second rewrap: got %+v, %v; want no access key", again, err)
	}
	// Without the old key everything still opens.
	only, err := rotated.Without(old.ActiveID())
	if err != nil {
		t.Fatal(err)
	}
	second, err := bootstrap.Run(ctx, bootstrap.Config{Store: st, Master: only, DataDir: dir, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if second.Tokens.ActiveKeyID() != first.Tokens.ActiveKeyID() || !bytes.Equal(second.MessageKey, first.MessageKey) {
		t.Errorf("token ring or message key changed by the rewrap")
	}
	keys, err := st.AccessKeys().ListForUser(ctx, first.AccountID, "admin")
	if err != nil || len(keys) != 1 {
		t.Fatalf("admin keys: %v %v", keys, err)
	}
	if _, err := only.Open(keys[0].SecretCiphertext, "access-key:"+keys[0].ID); err != nil {
		t.Errorf("admin secret under the new key: %v", err)
	}
	d, err := st.MFADevices().Get(ctx, serial)
	if err != nil {
		t.Fatal(err)
	}
	if d.UserName != "admin" || d.LastStep != 42 {
		t.Errorf("MFA device after rewrap: assigned to %q, last step %d; want admin, 42", d.UserName, d.LastStep)
	}
	if _, err := only.Open(d.SeedCiphertext, "mfa-seed:"+serial); err != nil {
		t.Errorf("MFA seed under the new key: %v", err)
	}
}
