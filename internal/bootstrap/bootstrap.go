package bootstrap

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/iam/trust"
	"github.com/brevet-dev/brevet/internal/store"
)

// Names of what the first start creates.
const (
	// AdminUser is the IAM user whose key the first start hands out.
	AdminUser = "admin"
	// AdminPolicyARN is the AWS managed policy attached to it.
	AdminPolicyARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	// CredentialsFile is the name of the admin key file in the data
	// directory.
	CredentialsFile = "admin-credentials"
	// Profile is the profile the credentials file defines. It is the
	// default profile so that pointing AWS_SHARED_CREDENTIALS_FILE at the
	// file is all a client needs: no AWS_PROFILE, and no risk of picking
	// up a real AWS profile of the same name from ~/.aws.
	Profile = "default"
)

// Key-material records in the store.
const (
	// TokenRingPurpose/TokenRingID hold the session-token key ring
	// (credential.TokenKeyRing.Marshal: each key sealed under the master
	// key).
	TokenRingPurpose = "session-token"
	TokenRingID      = "ring"
	// MessageKeyPurpose/MessageKeyID hold the key that seals encoded
	// authorization messages, sealed under the master key with
	// MessageKeySealPurpose.
	MessageKeyPurpose     = "authz-message"
	MessageKeyID          = "key"
	MessageKeySealPurpose = "authz-message-key"
	// OIDCKeysPurpose/OIDCKeysID hold Brevet's OIDC issuer signing keys
	// (federation/issuer.MarshalKeys), sealed under the master key with
	// OIDCKeysSealPurpose.
	OIDCKeysPurpose     = "oidc-issuer"
	OIDCKeysID          = "keys"
	OIDCKeysSealPurpose = "oidc-issuer-keys"
)

// sealedRecords are the key records sealed directly under the master key
// (one Seal of the whole record), which Rewrap moves to the active key.
var sealedRecords = []struct{ purpose, id, seal string }{
	{MessageKeyPurpose, MessageKeyID, MessageKeySealPurpose},
	{OIDCKeysPurpose, OIDCKeysID, OIDCKeysSealPurpose},
}

// Config says what to bootstrap.
type Config struct {
	Store  store.Store
	Master *masterkey.Keyring
	// AccountID is the account to create on the first start; "" picks a
	// random one. Ignored once the store has an account.
	AccountID string
	// DataDir receives the admin credentials file.
	DataDir string
	// SeedManaged, when set, loads the AWS managed policies into the
	// store (idempotently). Without it AdministratorAccess is attached
	// only if it is already there.
	SeedManaged func(ctx context.Context, st store.Store, now time.Time) error
	Now         time.Time
	// Rand is the source of ids and secrets; crypto/rand when nil.
	Rand   io.Reader
	Logger *slog.Logger
}

// Result is what the server needs from the store's prepared state.
type Result struct {
	AccountID string
	// FirstStart reports that this call created the account.
	FirstStart bool
	// AdminKeyID is the admin access key id when this call created it
	// (its secret is only in CredentialsPath); "" otherwise.
	AdminKeyID      string
	CredentialsPath string
	Tokens          *credential.TokenKeyRing
	// MessageKey seals authorization messages (32 bytes).
	MessageKey []byte
}

// Run performs the first-start setup if needed and loads the key material.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Store == nil || cfg.Master == nil || cfg.DataDir == "" {
		return nil, errors.New("bootstrap: Store, Master and DataDir are required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now.IsZero() {
		return nil, errors.New("bootstrap: Now is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	res := &Result{CredentialsPath: filepath.Join(cfg.DataDir, CredentialsFile)}
	// The managed policies first: the first start attaches
	// AdministratorAccess to admin. Seeding is idempotent and safe to race.
	if cfg.SeedManaged != nil {
		if err := cfg.SeedManaged(ctx, cfg.Store, cfg.Now); err != nil {
			return nil, fmt.Errorf("bootstrap: seeding AWS managed policies: %w", err)
		}
	}
	var err error
	if err = firstStart(ctx, &cfg, res); err != nil {
		return nil, err
	}
	bindTrust(ctx, &cfg)
	if res.Tokens, err = LoadTokenRing(ctx, cfg.Store, cfg.Master, cfg.Rand, cfg.Now); err != nil {
		return nil, err
	}
	if res.MessageKey, err = messageKey(ctx, &cfg); err != nil {
		return nil, err
	}
	return res, nil
}

// bindTrust binds the trust policies of roles saved before Brevet bound
// them to unique ids (trust.BindUnbound). A failure is logged, not fatal:
// those roles then keep matching their principals by ARN, as before, and
// the next start tries again.
func bindTrust(ctx context.Context, cfg *Config) {
	n, err := trust.BindUnbound(ctx, cfg.Store)
	if n > 0 {
		cfg.Logger.InfoContext(ctx, "bound the trust policies of roles saved before trust binding", "roles", n)
	}
	if err != nil {
		cfg.Logger.WarnContext(ctx, "could not bind every trust policy saved before trust binding; those roles match their principals by ARN until it succeeds or they are saved again",
			"error", err)
	}
}

// firstStart finds or creates the account and the admin user in one
// transaction under the store's exclusive lock (store.Store.Exclusive), so
// that of several nodes starting at once on an empty store exactly one
// creates them and the others find its account. It fills in res's
// AccountID, FirstStart and AdminKeyID.
//
// The admin key is written to a temporary file inside the transaction and
// moved into place only after it commits, so a failure leaves neither a
// user whose key nobody has nor a file whose key does not exist; a node
// that finds the admin user writes no file.
func firstStart(ctx context.Context, cfg *Config, res *Result) error {
	var tmp string // the key file written by the last attempt
	discard := func() {
		if tmp != "" {
			os.Remove(tmp)
			tmp = ""
		}
	}
	defer discard()
	err := cfg.Store.Exclusive(ctx, func(r store.Repos) error {
		discard() // a retried attempt starts over
		var err error
		if res.AccountID, res.FirstStart, err = account(ctx, cfg, r); err != nil {
			return err
		}
		res.AdminKeyID, tmp, err = admin(ctx, cfg, r, res.AccountID, res.CredentialsPath)
		return err
	})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if res.FirstStart {
		cfg.Logger.InfoContext(ctx, "created account", "account_id", res.AccountID)
	}
	if tmp != "" {
		if err := os.Rename(tmp, res.CredentialsPath); err != nil {
			return fmt.Errorf("bootstrap: the admin user was created but its key could not be saved: %w", err)
		}
		tmp = ""
	}
	return nil
}

// account returns the installation's account, creating it when the store
// has none (the AWS managed policies' pseudo-account does not count).
func account(ctx context.Context, cfg *Config, r store.Repos) (string, bool, error) {
	accounts, err := r.Accounts().List(ctx)
	if err != nil {
		return "", false, fmt.Errorf("listing accounts: %w", err)
	}
	for _, a := range accounts {
		if a.ID != iam.AWSAccount {
			if cfg.AccountID != "" && cfg.AccountID != a.ID {
				cfg.Logger.WarnContext(ctx, "the configured account id is ignored: the store already has an account",
					"configured", cfg.AccountID, "account_id", a.ID)
			}
			return a.ID, false, nil
		}
	}
	id := cfg.AccountID
	if id == "" {
		n, err := rand.Int(cfg.Rand, big.NewInt(1e12))
		if err != nil {
			return "", false, err
		}
		id = fmt.Sprintf("%012d", n)
	}
	if err := r.Accounts().Create(ctx, iam.Account{ID: id, Created: cfg.Now}); err != nil {
		return "", false, fmt.Errorf("creating account %s: %w", id, err)
	}
	return id, true, nil
}

// admin creates the admin user, its policy attachment and its access key
// when the user does not exist, and writes the key to a temporary file
// beside path. It returns the key id and the temporary file, or "" and ""
// when the user exists.
func admin(ctx context.Context, cfg *Config, r store.Repos, accountID, path string) (keyID, tmp string, err error) {
	_, err = r.Users().Get(ctx, accountID, AdminUser)
	if err == nil {
		return "", "", nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", "", fmt.Errorf("reading the admin user: %w", err)
	}
	userID, err := iam.NewID(iam.PrefixUser, cfg.Rand)
	if err != nil {
		return "", "", err
	}
	keyID, err = credential.NewAccessKeyID(credential.PrefixAccessKey, accountID, cfg.Rand)
	if err != nil {
		return "", "", err
	}
	secret, err := credential.NewSecretAccessKey(cfg.Rand)
	if err != nil {
		return "", "", err
	}
	sealed, err := cfg.Master.Seal([]byte(secret.Reveal()), "access-key:"+keyID)
	if err != nil {
		return "", "", err
	}
	u := iam.User{Account: accountID, ID: userID, Name: AdminUser, Path: "/", Created: cfg.Now}
	if err := r.Users().Create(ctx, u); err != nil {
		return "", "", fmt.Errorf("creating user %s: %w", AdminUser, err)
	}
	// Only ErrNotFound means the policy is missing: any other error (on
	// PostgreSQL, a serialization failure that aborted the transaction)
	// must fail the attempt, so that it is retried.
	switch _, err := r.Policies().Get(ctx, AdminPolicyARN); {
	case err == nil:
		if err := r.Attachments().Attach(ctx, iam.Owner{Kind: iam.PrincipalUser, Account: accountID, Name: AdminUser}, AdminPolicyARN); err != nil {
			return "", "", fmt.Errorf("attaching %s: %w", AdminPolicyARN, err)
		}
	case errors.Is(err, store.ErrNotFound):
		cfg.Logger.WarnContext(ctx, "AdministratorAccess is not in the store; the admin user has no policy")
	default:
		return "", "", fmt.Errorf("reading %s: %w", AdminPolicyARN, err)
	}
	if err := r.AccessKeys().Create(ctx, iam.AccessKey{Account: accountID, UserName: AdminUser, ID: keyID,
		Status: iam.AccessKeyActive, Created: cfg.Now, SecretCiphertext: sealed}); err != nil {
		return "", "", fmt.Errorf("creating the admin access key: %w", err)
	}
	if tmp, err = writeTemp(path, credentialsFile(keyID, secret)); err != nil {
		return "", "", err
	}
	return keyID, tmp, nil
}

// credentialsFile is the admin key in the AWS shared credentials file
// format.
func credentialsFile(keyID string, secret credential.Secret) []byte {
	return []byte("# Brevet admin credentials, written once on first start. Keep this file secret.\n" +
		"[" + Profile + "]\n" +
		"aws_access_key_id = " + keyID + "\n" +
		"aws_secret_access_key = " + secret.Reveal() + "\n")
}

// writeTemp writes data with mode 0600 beside path and returns the
// temporary name. It refuses to run when path exists: the file is written
// once, never overwritten.
func writeTemp(path string, data []byte) (string, error) {
	defer clear(data)
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("%s exists but the admin user does not; move the file away to create a new admin", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+CredentialsFile+"-*")
	if err != nil {
		return "", err
	}
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("writing admin credentials: %w", err)
	}
	return f.Name(), nil
}
