// Package bootstrap prepares a store for `brevet serve`: on the first start
// it creates the account, seeds the AWS managed policies, creates the
// `admin` user with AdministratorAccess and an access key, and writes that
// key once to DATA_DIR/admin-credentials; on every start it loads (or
// creates) the key material the server needs: the session-token key ring
// and the authorization-message key, both sealed under the master key in
// the store's KeyMaterial; and it keeps the OIDC issuer's signing keys
// there too (LoadIssuerKeys, RotateIssuerKeys), so that every node of a
// cluster signs with the same keys.
//
// Every step is idempotent: a restart finds what the first start made and
// changes nothing, so state survives restarts and a crash half-way through
// the first start is finished by the next. The account and the admin user
// are created in one transaction under the store's exclusive lock
// (store.Store.Exclusive), so nodes starting at once on one empty
// PostgreSQL database create one account and one admin key between them,
// and only the node that created the key writes the file. It owns the admin credentials
// file and the key-material records (their purposes and ids); it does not
// serve requests, and it never logs or returns a secret other than writing
// the admin key to its file.
package bootstrap
