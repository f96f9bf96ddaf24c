package credential

import (
	"encoding/base64"
	"encoding/json"
	"errors"
)

// errNoSealedText: OpenJSON was given nothing, or more than its bound.
var errNoSealedText = errors.New("credential: no sealed value")

// SealJSON encodes v as JSON, seals it for purpose and returns the
// ciphertext as unpadded base64url: text a cookie, a form field or a
// URL carries as it is. The JSON plaintext is cleared once sealed.
func SealJSON(s Sealer, purpose string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	ct, err := s.Seal(b, purpose)
	clear(b)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ct), nil
}

// OpenJSON opens what SealJSON sealed for purpose into v. A sealed text
// that is empty or longer than maxLen is refused before it is decoded;
// the plaintext is cleared once decoded.
func OpenJSON(o Opener, purpose, sealed string, maxLen int, v any) error {
	if sealed == "" || len(sealed) > maxLen {
		return errNoSealedText
	}
	ct, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return err
	}
	b, err := o.Open(ct, purpose)
	if err != nil {
		return err
	}
	defer clear(b)
	return json.Unmarshal(b, v)
}
