package migrate_test

import (
	"context"
	"database/sql"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
)

// copiedTables names every table whose rows a copy carries, and the
// Snapshot field that holds them (so TestRoundTrip compares them field by
// field as well as counting them). notCopiedTables names the tables a
// copy leaves behind, and why. A table of either schema in neither list
// fails TestRoundTrip: a new table must be copied, or say here why not.
var copiedTables = map[string]string{
	"accounts":           "Accounts",
	"policies":           "Account.Policies",
	"policy_versions":    "Policy.Versions",
	"users":              "Account.Users",
	"access_keys":        "User.AccessKeys",
	"iam_groups":         "Account.Groups",
	"group_members":      "Group.Members",
	"roles":              "Account.Roles",
	"user_policies":      "User.Inline",
	"group_policies":     "Group.Inline",
	"role_policies":      "Role.Inline",
	"user_attachments":   "User.Attached",
	"group_attachments":  "Group.Attached",
	"role_attachments":   "Role.Attached",
	"mfa_devices":        "Account.MFADevices",
	"identity_providers": "Account.Providers",
	"bucket_policies":    "Account.BucketPolicies",
	"objects":            "Account.Objects",
	"instance_profiles":  "Account.InstanceProfiles",
	"login_profiles":     "User.LoginProfile",
	"password_policies":  "Account.PasswordPolicy",
	"key_material":       "KeyMaterial",
	"sessions":           "Sessions",
	"revocations":        "Revocations",
}

var notCopiedTables = map[string]string{
	"changes":           "the change feed: the destination writes its own as the copy creates each entity, and nothing reads the source's positions there",
	"schema_migrations": "each store records the migrations it applied to its own schema when it opens",
	"sqlite_sequence":   "SQLite's own AUTOINCREMENT counters, which the copy's inserts advance",
	"mfa_attempts": "failed MFA attempts and lockouts, forgotten within minutes anyway: a copy starts every " +
		"count afresh (docs/postgres.md)",
	"saml_assertions": "redeemed SAML assertions, kept only until their NotOnOrAfter (minutes): a copy forgets " +
		"those still valid while it runs (docs/postgres.md)",
	"session_index_position": "how far this data directory's audit trail is indexed: the issuance records themselves are copied, " +
		"and the index skips records it has, so a fresh position only makes it read the local trail once more",
	"audit_events": "the audit event index (the console's explorer, LookupEvents): built from the audit trail by the node " +
		"that reads it (caught up at start from a file trail, backfilled from a PostgreSQL trail), so a copy would hold " +
		"events the destination's trail does not",
	"audit_event_index_position": "how far the audit event index has read this data directory's trail: a fresh position " +
		"makes the destination index the trail once more",
}

// sqliteRows counts the rows of each copied table of the SQLite database
// at path, and fails t for a table listed nowhere or a listed one missing.
func sqliteRows(t *testing.T, path string) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	return countRows(t, "sqlite", names, func(ctx context.Context, q string) (n int, err error) {
		return n, db.QueryRowContext(ctx, q).Scan(&n)
	})
}

// postgresRows is sqliteRows for the PostgreSQL schema dsn reaches.
func postgresRows(t *testing.T, dsn string) map[string]int {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	rows, err := c.Query(t.Context(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return countRows(t, "postgres", names, func(ctx context.Context, q string) (n int, err error) {
		return n, c.QueryRow(ctx, q).Scan(&n)
	})
}

func countRows(t *testing.T, backend string, tables []string, count func(context.Context, string) (int, error)) map[string]int {
	t.Helper()
	sort.Strings(tables)
	got := make(map[string]int)
	for _, name := range tables {
		if _, ok := notCopiedTables[name]; ok {
			continue
		}
		if _, ok := copiedTables[name]; !ok {
			t.Errorf("%s table %s is neither copied nor listed in notCopiedTables with a reason", backend, name)
			continue
		}
		n, err := count(t.Context(), `SELECT count(*) FROM "`+name+`"`)
		if err != nil {
			t.Fatalf("%s: counting %s: %v", backend, name, err)
		}
		got[name] = n
	}
	for name := range copiedTables {
		if _, ok := got[name]; !ok {
			t.Errorf("%s has no table %s, which copiedTables lists", backend, name)
		}
	}
	return got
}
