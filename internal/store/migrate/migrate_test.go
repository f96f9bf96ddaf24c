package migrate_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/migrate"
	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
	"github.com/brevet-dev/brevet/internal/store/sqlite"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// t0 has microseconds, the stores' precision.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

func clock() time.Time { return t0 }

var purposes = []string{"session-token", "authz-message"}

func openSQLite(t *testing.T, dir string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "brevet.db"), Now: clock})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgresDSN opens a store in a fresh schema and returns the DSN that
// reaches it, for reading its tables directly.
func openPostgresDSN(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(context.Background(), dsn, postgres.Options{Now: clock})
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// seed fills s with at least one of everything (TestRoundTrip checks that
// every copied table has rows), including what is easy to lose in a copy:
// deleted policy versions (gaps in the ids), a default that is not the
// newest, tags, last-used data, an assigned MFA device with its step, AWS
// managed policies attached across accounts, OIDC and SAML providers with
// every field.
func seed(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const acct, other = "111122223333", "444455556666"
	must(s.Accounts().Create(ctx, iam.Account{ID: iam.AWSAccount, Created: at(0)}))
	must(s.Accounts().Create(ctx, iam.Account{ID: acct, Alias: "main", Created: at(time.Second)}))
	must(s.Accounts().Create(ctx, iam.Account{ID: other, Created: at(2 * time.Second)}))

	aws := iam.ManagedPolicy{Account: iam.AWSAccount, ID: "ANPAAWSREADONLYXXXXXX", Name: "ReadOnlyAccess", Path: "/",
		Description: "read only", Created: at(0)}
	must(s.Policies().Create(ctx, aws, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*:Get*","Resource":"*"}]}`))
	pol := iam.ManagedPolicy{Account: acct, ID: "ANPAMAINPOLICYXXXXXXX", Name: "Deploy", Path: "/ci/", Description: "deploys",
		Created: at(time.Minute), Tags: []iam.Tag{{Key: "team", Value: "core"}, {Key: "cost", Value: "42"}}}
	must(s.Policies().Create(ctx, pol, doc("s3:*")))
	for i, a := range []string{"ec2:*", "lambda:*", "sqs:*", "sns:*"} {
		_, err := s.Policies().CreateVersion(ctx, pol.ARN(), doc(a), at(time.Duration(i+2)*time.Minute), i == 3)
		must(err)
	}
	must(s.Policies().SetDefaultVersion(ctx, pol.ARN(), "v3", at(time.Hour)))
	must(s.Policies().DeleteVersion(ctx, pol.ARN(), "v1"))
	must(s.Policies().DeleteVersion(ctx, pol.ARN(), "v4"))
	boundary := iam.ManagedPolicy{Account: acct, ID: "ANPABOUNDARYXXXXXXXXX", Name: "Boundary", Path: "/", Created: at(2 * time.Minute)}
	must(s.Policies().Create(ctx, boundary, doc("*")))

	alice := iam.User{Account: acct, ID: "AIDAALICEXXXXXXXXXXXX", Name: "Alice", Path: "/people/", Created: at(3 * time.Minute),
		PasswordLastUsed: at(4 * time.Hour), PermissionsBoundary: boundary.ARN(), Tags: []iam.Tag{{Key: "dept", Value: "eng"}}}
	bob := iam.User{Account: acct, ID: "AIDABOBXXXXXXXXXXXXXX", Name: "bob", Path: "/", Created: at(4 * time.Minute)}
	carol := iam.User{Account: other, ID: "AIDACAROLXXXXXXXXXXXX", Name: "carol", Path: "/", Created: at(5 * time.Minute)}
	for _, u := range []iam.User{alice, bob, carol} {
		must(s.Users().Create(ctx, u))
	}
	ua := iam.Owner{Kind: iam.PrincipalUser, Account: acct, Name: "Alice"}
	must(s.InlinePolicies().Put(ctx, ua, iam.InlinePolicy{Name: "self", Document: doc("iam:GetUser")}))
	must(s.InlinePolicies().Put(ctx, ua, iam.InlinePolicy{Name: "Other", Document: doc("iam:ListUsers")}))
	must(s.Attachments().Attach(ctx, ua, pol.ARN()))
	must(s.Attachments().Attach(ctx, ua, aws.ARN()))
	must(s.Attachments().Attach(ctx, iam.Owner{Kind: iam.PrincipalUser, Account: other, Name: "carol"}, aws.ARN()))

	must(s.AccessKeys().Create(ctx, iam.AccessKey{Account: acct, UserName: "Alice", ID: "AKIAALICE00000000001", Status: iam.AccessKeyActive,
		Created: at(6 * time.Minute), SecretCiphertext: []byte("sealed-secret-1"),
		LastUsed: iam.AccessKeyLastUsed{Date: at(5 * time.Hour), Service: "sts", Region: "eu-west-1"}}))
	must(s.AccessKeys().Create(ctx, iam.AccessKey{Account: acct, UserName: "Alice", ID: "AKIAALICE00000000002", Status: iam.AccessKeyInactive,
		Created: at(7 * time.Minute), SecretCiphertext: []byte{0, 1, 2, 255}}))

	devs := iam.Group{Account: acct, ID: "AGPADEVSXXXXXXXXXXXXX", Name: "Devs", Path: "/teams/", Created: at(8 * time.Minute)}
	must(s.Groups().Create(ctx, devs))
	must(s.Groups().Create(ctx, iam.Group{Account: acct, ID: "AGPAEMPTYXXXXXXXXXXXX", Name: "empty", Path: "/", Created: at(9 * time.Minute)}))
	must(s.Groups().AddUser(ctx, acct, "Devs", "Alice"))
	must(s.Groups().AddUser(ctx, acct, "Devs", "bob"))
	gd := iam.Owner{Kind: iam.PrincipalGroup, Account: acct, Name: "Devs"}
	must(s.InlinePolicies().Put(ctx, gd, iam.InlinePolicy{Name: "g", Document: doc("ec2:Describe*")}))
	must(s.Attachments().Attach(ctx, gd, pol.ARN()))

	role := iam.Role{Account: acct, ID: "AROACIXXXXXXXXXXXXXXX", Name: "ci", Path: "/svc/", Created: at(10 * time.Minute),
		TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"` + bob.ARN() + `"},"Action":"sts:AssumeRole"}]}`,
		// The trust policy's principal is bound to bob's unique id: the copy
		// must carry the binding, or a new bob would be trusted.
		TrustBindings: []iam.PrincipalBinding{{ARN: bob.ARN(), ID: bob.ID}},
		Description:   "CI runners", MaxSessionDuration: 7200, PermissionsBoundary: boundary.ARN(),
		Tags: []iam.Tag{{Key: "env", Value: "prod"}}, LastUsed: iam.RoleLastUsed{Date: at(6 * time.Hour), Region: "us-east-1"}}
	must(s.Roles().Create(ctx, role))
	ro := iam.Owner{Kind: iam.PrincipalRole, Account: acct, Name: "ci"}
	must(s.InlinePolicies().Put(ctx, ro, iam.InlinePolicy{Name: "r", Document: doc("s3:GetObject")}))
	must(s.Attachments().Attach(ctx, ro, aws.ARN()))

	mfa := func(name string) iam.VirtualMFADevice {
		return iam.VirtualMFADevice{Account: acct, SerialNumber: "arn:aws:iam::" + acct + ":mfa/" + name, Path: "/", Name: name,
			SeedCiphertext: []byte("sealed-seed-" + name), Created: at(11 * time.Minute), Tags: []iam.Tag{{Key: "k", Value: name}}}
	}
	must(s.MFADevices().Create(ctx, mfa("alice-phone")))
	must(s.MFADevices().Create(ctx, mfa("spare")))
	must(s.MFADevices().Assign(ctx, mfa("alice-phone").SerialNumber, "Alice", at(12*time.Minute), 59000000))
	must(s.MFADevices().AdvanceStep(ctx, mfa("alice-phone").SerialNumber, 59000007))

	must(s.Providers().Create(ctx, iam.Provider{Kind: iam.ProviderOIDC, Account: acct, Name: "token.actions.example.com/ci",
		URL: "https://token.actions.example.com/ci", ClientIDs: []string{"sts.amazonaws.com", "ci"},
		Thumbprints: []string{"0123456789abcdef0123456789abcdef01234567"}, Tags: []iam.Tag{{Key: "team", Value: "ci"}},
		Created: at(13 * time.Minute), Updated: at(14 * time.Minute)}))
	must(s.Providers().Create(ctx, iam.Provider{Kind: iam.ProviderSAML, Account: acct, Name: "corp", Metadata: "<EntityDescriptor/>",
		UUID: "5b8d1a36-c6b1-4b8f-9f5e-0d2a4c7e9b10", ValidUntil: at(100 * 365 * 24 * time.Hour),
		Created: at(15 * time.Minute), Updated: at(15 * time.Minute)}))
	must(s.Providers().Create(ctx, iam.Provider{Kind: iam.ProviderOIDC, Account: other, Name: "idp.example.org",
		URL: "https://idp.example.org", ClientIDs: []string{"app"}, Created: at(16 * time.Minute), Updated: at(16 * time.Minute)}))

	// A bucket policy bound to bob's unique id, and one saved unbound: the
	// copy keeps bindings (and their absence) as they are.
	must(s.BucketPolicies().Put(ctx, store.BucketPolicy{Account: acct, Bucket: "logs",
		Document: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob.ARN() + `"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"}]}`,
		Bindings: []iam.PrincipalBinding{{ARN: bob.ARN(), ID: bob.ID}}, Updated: at(17 * time.Minute)}))
	must(s.BucketPolicies().Put(ctx, store.BucketPolicy{Account: acct, Bucket: "data",
		Document: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}]}`,
		Updated:  at(18 * time.Minute)}))

	// Two service objects of different kinds (a Roles Anywhere trust
	// anchor, an IoT role alias): bodies and both times carried as they are.
	must(s.Objects().Create(ctx, store.Object{Account: acct, Kind: "rolesanywhere.trust-anchor", ID: "7c0e3f5a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
		Body: []byte(`{"name":"corp-ca","enabled":true}`), Created: at(19 * time.Minute), Updated: at(20 * time.Minute)}))
	must(s.Objects().Create(ctx, store.Object{Account: acct, Kind: "iot.role-alias", ID: "sensors",
		Body: []byte(`{"roleArn":"` + role.ARN() + `"}`), Created: at(21 * time.Minute), Updated: at(21 * time.Minute)}))

	// Two instance profiles, one holding the role with tags, one empty
	// under a path.
	must(s.InstanceProfiles().Create(ctx, iam.InstanceProfile{Account: acct, Name: "Web", Path: "/", ID: "AIPAWEB00000000000001",
		Roles: []string{role.Name}, Tags: []iam.Tag{{Key: "tier", Value: "front"}}, Created: at(22 * time.Minute)}))
	must(s.InstanceProfiles().Create(ctx, iam.InstanceProfile{Account: acct, Name: "spare", Path: "/hosts/", ID: "AIPASPARE000000000001",
		Created: at(23 * time.Minute)}))

	// A login profile (the hash as stored, reset pending) and a password
	// policy with every field set.
	must(s.LoginProfiles().Create(ctx, iam.LoginProfile{Account: acct, UserName: bob.Name,
		PasswordHash:  "$argon2id$v=19$m=65536,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		ResetRequired: true, Created: at(24 * time.Minute), PasswordChanged: at(25 * time.Minute)}))
	must(s.PasswordPolicies().Put(ctx, iam.PasswordPolicy{Account: acct, MinimumLength: 12, RequireSymbols: true,
		RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true,
		AllowUsersToChangePassword: true, MaxPasswordAge: 90, PasswordReusePrevention: 5, HardExpiry: true}))

	must(s.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: "session-token", ID: "ring", Ciphertext: []byte("sealed-ring"), Created: at(0)}))
	must(s.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: "authz-message", ID: "key", Ciphertext: []byte("sealed-key"), Created: at(time.Second)}))

	must(s.Sessions().Record(ctx, store.SessionRecord{AccessKeyID: "ASIACISESSION0000001", SessionID: "s-1", Account: acct,
		PrincipalARN: role.ARN(), SessionARN: "arn:aws:sts::" + acct + ":assumed-role/ci/run-7", Kind: "AssumeRole",
		SessionName: "run-7", SourceIP: "192.0.2.7", ParentAccessKeyID: "AKIAALICE00000000001", RootAccessKeyID: "AKIAALICE00000000001",
		Issued: at(7 * time.Hour), Expires: at(8 * time.Hour)}))
	_, err := s.Revocations().Add(ctx, store.Revocation{Kind: store.RevokeKey, Account: acct, Target: "ASIACISESSION0000001",
		ExpiresAt: at(8 * time.Hour), Created: at(7*time.Hour + time.Minute), CreatedBy: "arn:aws:iam::" + acct + ":user/Alice"})
	must(err)
}

func doc(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

// snapshotOpts compares Snapshots: a revocation's ID is the destination's
// to assign.
var snapshotOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(store.Revocation{}, "ID")}

func read(t *testing.T, s store.Store) *migrate.Snapshot {
	t.Helper()
	snap, err := migrate.Read(t.Context(), s, purposes)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return snap
}

// TestRoundTrip copies SQLite → PostgreSQL → SQLite and compares every
// entity, field by field, at each step.
func TestRoundTrip(t *testing.T) {
	srcDir, backDir := t.TempDir(), t.TempDir()
	srcPath, backPath := filepath.Join(srcDir, "brevet.db"), filepath.Join(backDir, "brevet.db")
	src := openSQLite(t, srcDir)
	seed(t, src)
	pg, pgDSN := openPostgresDSN(t)
	back := openSQLite(t, backDir)

	want := read(t, src)
	opts := migrate.Options{KeyPurposes: purposes}
	c1, err := migrate.Copy(t.Context(), src, pg, opts)
	if err != nil {
		t.Fatalf("sqlite → postgres: %v", err)
	}
	c2, err := migrate.Copy(t.Context(), pg, back, opts)
	if err != nil {
		t.Fatalf("postgres → sqlite: %v", err)
	}
	wantCounts := migrate.Counts{Accounts: 3, Users: 3, Groups: 2, Memberships: 2, Roles: 1, Policies: 3, PolicyVersions: 5,
		InlinePolicies: 4, Attachments: 5, AccessKeys: 2, MFADevices: 2, Providers: 3, KeyMaterial: 2, Sessions: 1, Revocations: 1,
		BucketPolicies: 2, Objects: 2, InstanceProfiles: 2, LoginProfiles: 1, PasswordPolicies: 1}
	for _, c := range []migrate.Counts{c1, c2} {
		if d := cmp.Diff(wantCounts, c); d != "" {
			t.Errorf("counts (-want +got):\n%s", d)
		}
	}
	for _, tc := range []struct {
		name string
		s    store.Store
	}{{"postgres", pg}, {"sqlite again", back}} {
		if d := cmp.Diff(want, read(t, tc.s), snapshotOpts); d != "" {
			t.Errorf("%s differs from the source (-want +got):\n%s", tc.name, d)
		}
	}
	// Every table of both schemas is either copied (and then the seed
	// filled it and each copy holds as many rows) or listed as not.
	wantRows := sqliteRows(t, srcPath)
	for name, rows := range wantRows {
		if rows == 0 {
			t.Errorf("table %s: the seed left it empty, so the round trip proves nothing for it", name)
		}
	}
	for _, tc := range []struct {
		name string
		rows map[string]int
	}{{"postgres", postgresRows(t, pgDSN)}, {"sqlite again", sqliteRows(t, backPath)}} {
		if d := cmp.Diff(wantRows, tc.rows); d != "" {
			t.Errorf("%s: rows per copied table differ from the source (-want +got):\n%s", tc.name, d)
		}
	}
	// What the Snapshot cannot see directly: the next version id continues
	// after the highest one kept, and the read model agrees.
	arn := iam.PolicyARN("111122223333", "/ci/", "Deploy")
	v, err := back.Policies().CreateVersion(t.Context(), arn, doc("x:*"), t0, false)
	if err != nil || v.VersionID != "v6" {
		t.Errorf("next version after the copy: got %q, %v; want v6", v.VersionID, err)
	}
	for _, s := range []store.Store{src, pg} {
		snap, err := s.Principals().LoadUser(t.Context(), "111122223333", "alice")
		if err != nil || len(snap.Policies) != 6 || snap.Boundary == nil || len(snap.Groups) != 1 {
			t.Errorf("LoadUser: %d policies, boundary %v, groups %v, err %v", len(snap.Policies), snap.Boundary != nil, snap.Groups, err)
		}
	}
}

func TestRefusesNonEmptyDestination(t *testing.T) {
	src := openSQLite(t, t.TempDir())
	seed(t, src)
	dst := openSQLite(t, t.TempDir())
	if err := dst.Accounts().Create(t.Context(), iam.Account{ID: "999999999999", Created: t0}); err != nil {
		t.Fatal(err)
	}
	opts := migrate.Options{KeyPurposes: purposes}
	if _, err := migrate.Copy(t.Context(), src, dst, opts); !errors.Is(err, migrate.ErrNotEmpty) {
		t.Errorf("Copy into a non-empty store: got %v, want ErrNotEmpty", err)
	}
	// Forced, it copies beside what is there.
	opts.Force = true
	if _, err := migrate.Copy(t.Context(), src, dst, opts); err != nil {
		t.Fatalf("forced Copy: %v", err)
	}
	// Forced again, the same entities collide, and nothing is half done.
	before := read(t, dst)
	if _, err := migrate.Copy(t.Context(), src, dst, opts); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second forced Copy: got %v, want ErrConflict", err)
	}
	if d := cmp.Diff(before, read(t, dst), snapshotOpts); d != "" {
		t.Errorf("failed Copy changed the destination (-before +after):\n%s", d)
	}
}

func TestRefusesNonEmptyKeyMaterial(t *testing.T) {
	src := openSQLite(t, t.TempDir())
	dst := openSQLite(t, t.TempDir())
	if err := dst.KeyMaterial().Put(t.Context(), store.KeyRecord{Purpose: "session-token", ID: "ring", Ciphertext: []byte{1}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := migrate.Copy(t.Context(), src, dst, migrate.Options{KeyPurposes: purposes}); !errors.Is(err, migrate.ErrNotEmpty) {
		t.Errorf("Copy into a store with key material: got %v, want ErrNotEmpty", err)
	}
}
