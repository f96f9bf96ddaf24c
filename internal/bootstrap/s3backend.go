package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
	"github.com/brevet-dev/brevet/internal/store"
)

// S3BackendPurpose is the key-material purpose of the S3 gateway's
// backend secrets; each record's id is the backend's name.
const S3BackendPurpose = "s3-backend"

// s3BackendSeal is the seal purpose of one backend's record, so that a
// record cannot be passed off as another backend's.
func s3BackendSeal(name string) string { return S3BackendPurpose + ":" + name }

// s3BackendRecord is what a backend's record seals.
type s3BackendRecord struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// ErrS3BackendSecret says a backend has no usable secret.
var ErrS3BackendSecret = errors.New("bootstrap: S3 backend secret")

// S3BackendSecret returns the secret of the S3 gateway's backend name,
// whose access key id is accessKeyID. A given secret is sealed under the
// master key into the store, replacing one sealed before for the backend
// (so a new secret rotates it), and returned; with none given, the secret
// an earlier start (or another node) sealed is opened and returned. The
// secret never leaves this function but as its result: errors name the
// backend and key id only.
func S3BackendSecret(ctx context.Context, st store.Store, master *masterkey.Keyring, name, accessKeyID, given string, now time.Time) (string, error) {
	if given != "" {
		data, err := json.Marshal(s3BackendRecord{AccessKeyID: accessKeyID, SecretAccessKey: given})
		if err != nil {
			return "", err
		}
		ct, err := master.Seal(data, s3BackendSeal(name))
		if err != nil {
			return "", err
		}
		err = st.Tx(ctx, func(r store.Repos) error {
			if err := r.KeyMaterial().Delete(ctx, S3BackendPurpose, name); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return r.KeyMaterial().Put(ctx, store.KeyRecord{Purpose: S3BackendPurpose, ID: name, Ciphertext: ct, Created: now})
		})
		if err != nil {
			return "", fmt.Errorf("sealing the secret of S3 backend %s: %w", name, err)
		}
		return given, nil
	}
	rec, err := st.KeyMaterial().Get(ctx, S3BackendPurpose, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("%w: backend %s has no secret: give it once (secret_access_key_file, or BREVET_S3_BACKEND_SECRET_ACCESS_KEY for the default backend) and it is sealed into the store", ErrS3BackendSecret, name)
	}
	if err != nil {
		return "", fmt.Errorf("reading the secret of S3 backend %s: %w", name, err)
	}
	data, err := master.Open(rec.Ciphertext, s3BackendSeal(name))
	if err != nil {
		return "", fmt.Errorf("opening the secret of S3 backend %s: %w", name, err)
	}
	var sealed s3BackendRecord
	if err := json.Unmarshal(data, &sealed); err != nil {
		return "", fmt.Errorf("%w: backend %s: the sealed record is malformed", ErrS3BackendSecret, name)
	}
	if sealed.AccessKeyID != accessKeyID {
		return "", fmt.Errorf("%w: backend %s: the sealed secret belongs to access key %s, not %s; give the secret of %s",
			ErrS3BackendSecret, name, sealed.AccessKeyID, accessKeyID, accessKeyID)
	}
	return sealed.SecretAccessKey, nil
}

// rewrapS3Backends moves every backend secret to the active master key.
func rewrapS3Backends(ctx context.Context, r store.Repos, master *masterkey.Keyring, rep *RewrapReport) error {
	recs, err := r.KeyMaterial().List(ctx, S3BackendPurpose)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		ct, changed, err := master.Rewrap(rec.Ciphertext, s3BackendSeal(rec.ID))
		if err != nil {
			return fmt.Errorf("S3 backend %s: %w", rec.ID, err)
		}
		if changed {
			if err := replaceRecord(ctx, r, rec, ct); err != nil {
				return err
			}
			rep.KeyRecords++
		}
	}
	return nil
}
