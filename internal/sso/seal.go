package sso

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/brevet-dev/brevet/internal/credential"
)

// The master keyring purposes of the sealed things: a ciphertext sealed
// for one never opens as another.
const (
	purposeClientID     = "sso/client-id/v1"
	purposeClientSecret = "sso/client-secret/v1"
	purposeDeviceCode   = "sso/device-code/v1"
	purposeAuthCode     = "sso/authorization-code/v1"
	purposeAccessToken  = "sso/access-token/v1"
	purposeRefreshToken = "sso/refresh-token/v1"
)

// maxSealedLen bounds a sealed value as received, before it is decoded:
// client ids carry a registration (a name and a few redirect URIs),
// everything else is far shorter.
const maxSealedLen = 4096

// errMalformed is any sealed value that does not open: wrong encoding,
// too long, forged, sealed for another purpose or under an unknown key.
var errMalformed = errors.New("sso: sealed value does not open")

// seal encodes v as JSON, seals it for purpose and returns it as
// unpadded base64url, the form clients see.
func (s *Service) seal(purpose string, v any) (string, error) {
	sealed, err := credential.SealJSON(s.cfg.Sealer, purpose, v)
	if err != nil {
		return "", fmt.Errorf("sso: sealing %s: %w", purpose, err)
	}
	return sealed, nil
}

// open reverses seal into v. Every failure is errMalformed: which step
// failed is of no use to a client and is not a secret worth logging.
func (s *Service) open(purpose, sealed string, v any) error {
	if credential.OpenJSON(s.cfg.Opener, purpose, sealed, maxSealedLen, v) != nil {
		return errMalformed
	}
	return nil
}

// randomHex returns n random bytes from r in hex.
func randomHex(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("sso: randomness: %w", err)
	}
	return hex.EncodeToString(b), nil
}
