package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
)

// TestSealPurposes: every sealed thing opens only as itself, any flipped
// byte breaks it, and nothing in it is readable without the key.
func TestSealPurposes(t *testing.T) {
	e := newEnv(t)
	c := e.register(t)
	d := e.device(t, c)
	tok := e.signIn(t, c)
	sealed := map[string]string{
		purposeClientID: c.ClientID, purposeClientSecret: c.ClientSecret, purposeDeviceCode: d.DeviceCode,
		purposeAccessToken: tok.AccessToken, purposeRefreshToken: tok.RefreshToken,
	}
	for purpose, value := range sealed {
		for other := range sealed {
			var v map[string]any
			err := e.s.open(other, value, &v)
			if (other == purpose) != (err == nil) {
				t.Errorf("%s opened as %s: %v", purpose, other, err)
			}
		}
		raw, _ := base64.RawURLEncoding.DecodeString(value)
		for i := range raw {
			b := append([]byte(nil), raw...)
			b[i] ^= 0x20
			var v map[string]any
			if err := e.s.open(purpose, base64.RawURLEncoding.EncodeToString(b), &v); !errors.Is(err, errMalformed) {
				t.Fatalf("%s with byte %d flipped: %v", purpose, i, err)
			}
		}
	}
}

// TestSealAcrossRotation: tokens sealed before a master key rotation
// still open after it; a keyring without their key refuses them.
func TestSealAcrossRotation(t *testing.T) {
	e := newEnv(t)
	c := e.register(t)
	tok := e.signIn(t, c)
	kr := e.s.cfg.Sealer.(*masterkey.Keyring)
	rotated, err := kr.Rotate(rand.Reader, e.now)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.s.cfg
	cfg.Sealer, cfg.Opener = rotated, rotated
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(context.Background(), tok.AccessToken, e.now); err != nil {
		t.Errorf("after rotation: %v", err)
	}
	stranger, err := masterkey.Generate(rand.Reader, e.now)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sealer, cfg.Opener = stranger, stranger
	s, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(context.Background(), tok.AccessToken, e.now); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("another master key: %v", err)
	}
}
