package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// userCodeAlphabet is the user code's letters: consonants only, so that
// no code spells a word and none is mistaken for a digit.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCodeLen is the number of letters, shown as XXXX-XXXX.
const userCodeLen = 8

// Statuses of a device authorization.
const (
	devicePending  = "pending"
	deviceApproved = "approved"
	deviceDenied   = "denied"
)

// deviceDoc is a device authorization, stored as a KindDevice object
// under its user code (without the dash).
type deviceDoc struct {
	// Nonce is also sealed into the device code, so an old device code
	// never redeems a later authorization that drew the same user code.
	Nonce      string    `json:"n"`
	Client     string    `json:"c"`
	ClientName string    `json:"cn"`
	Scopes     []string  `json:"s"`
	Expires    int64     `json:"e"`
	Status     string    `json:"st"`
	Identity   *Identity `json:"id,omitempty"`
}

// deviceCode is sealed into the device code the client polls with.
type deviceCode struct {
	UserCode string `json:"u"`
	Nonce    string `json:"n"`
	Client   string `json:"c"`
	Expires  int64  `json:"e"`
}

// Device is a pending device authorization, as the sign-in page shows it.
type Device struct {
	// UserCode is shown XXXX-XXXX.
	UserCode   string
	ClientName string
	Expires    time.Time
}

// StartDeviceAuthorization starts the device grant for an authenticated
// client and a configured start URL.
func (s *Service) StartDeviceAuthorization(ctx context.Context, in *StartDeviceAuthorizationInput, source string, now time.Time) (*StartDeviceAuthorizationOutput, error) {
	if err := s.limitSource(source, now); err != nil {
		return nil, err
	}
	c, err := s.authClient(in.ClientID, in.ClientSecret, now)
	if err != nil {
		return nil, err
	}
	if !c.grants(GrantDeviceCode) {
		return nil, oauthErr(UnauthorizedClient, "The client is not registered for the device code grant", "")
	}
	base := s.URL()
	if in.StartURL == "" || base == "" || !s.startURL(in.StartURL) {
		return nil, oauthErr(InvalidRequest, "Invalid start URL", "not a configured start URL")
	}
	doc := deviceDoc{Client: c.Key, ClientName: c.Name, Scopes: c.Scopes, Expires: now.Add(DeviceCodeLifetime).Unix(), Status: devicePending}
	if doc.Nonce, err = randomHex(s.cfg.Rand, 16); err != nil {
		return nil, err
	}
	code, err := s.createDevice(ctx, &doc, now)
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(purposeDeviceCode, deviceCode{UserCode: code, Nonce: doc.Nonce, Client: c.Key, Expires: doc.Expires})
	if err != nil {
		return nil, err
	}
	shown := showUserCode(code)
	return &StartDeviceAuthorizationOutput{
		DeviceCode: sealed, UserCode: shown,
		VerificationURI:         base + "/sso/device",
		VerificationURIComplete: base + "/sso/device?user_code=" + url.QueryEscape(shown),
		ExpiresIn:               int32(DeviceCodeLifetime / time.Second), Interval: int32(PollInterval / time.Second),
	}, nil
}

// createDevice stores doc under a fresh user code, drawing again when the
// code is taken.
func (s *Service) createDevice(ctx context.Context, doc *deviceDoc, now time.Time) (string, error) {
	body, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	for range 5 {
		code, err := newUserCode(s.cfg.Rand)
		if err != nil {
			return "", err
		}
		o := store.Object{Account: s.cfg.InstanceAccount, Kind: KindDevice, ID: code, Body: body, Created: now, Updated: now}
		switch err := s.cfg.Objects.Create(ctx, o); {
		case err == nil:
			return code, nil
		case !errors.Is(err, store.ErrConflict):
			return "", err
		}
	}
	return "", errors.New("sso: no free user code after 5 draws")
}

// newUserCode draws userCodeLen letters of userCodeAlphabet uniformly.
func newUserCode(r io.Reader) (string, error) {
	const n = len(userCodeAlphabet)
	const limit = 256 - 256%n // bytes at or above it would bias the draw
	out := make([]byte, 0, userCodeLen)
	buf := make([]byte, 16)
	for len(out) < userCodeLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("sso: randomness: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < userCodeLen {
				out = append(out, userCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out), nil
}

// showUserCode is a user code as people see it: XXXX-XXXX.
func showUserCode(code string) string { return code[:4] + "-" + code[4:] }

// NormalizeUserCode turns what a person typed into a user code: upper
// case, surrounding spaces and at most one dash dropped. ok=false for anything that
// cannot be a user code.
func NormalizeUserCode(typed string) (string, bool) {
	if len(typed) > 2*userCodeLen {
		return "", false
	}
	c := strings.ToUpper(strings.TrimSpace(typed))
	if strings.Count(c, "-") > 1 {
		return "", false
	}
	c = strings.ReplaceAll(c, "-", "")
	if len(c) != userCodeLen {
		return "", false
	}
	for i := range len(c) {
		if strings.IndexByte(userCodeAlphabet, c[i]) < 0 {
			return "", false
		}
	}
	return c, true
}

// loadDevice reads the device authorization of a typed user code.
func (s *Service) loadDevice(ctx context.Context, typed string) (code string, doc deviceDoc, o store.Object, err error) {
	code, ok := NormalizeUserCode(typed)
	if !ok {
		return "", doc, o, ErrNoDevice
	}
	o, err = s.cfg.Objects.Get(ctx, s.cfg.InstanceAccount, KindDevice, code)
	if errors.Is(err, store.ErrNotFound) {
		return "", doc, o, ErrNoDevice
	}
	if err != nil {
		return "", doc, o, err
	}
	if json.Unmarshal(o.Body, &doc) != nil {
		return "", doc, o, ErrNoDevice
	}
	return code, doc, o, nil
}

// pendingDevice is loadDevice for one still waiting for a decision.
func (s *Service) pendingDevice(ctx context.Context, typed string, now time.Time) (string, deviceDoc, store.Object, error) {
	code, doc, o, err := s.loadDevice(ctx, typed)
	if err != nil {
		return "", doc, o, err
	}
	if doc.Status != devicePending || now.Unix() >= doc.Expires {
		return "", doc, o, ErrNoDevice
	}
	return code, doc, o, nil
}

// Device returns the pending device authorization of a user code (as
// typed: case and dash do not matter); ErrNoDevice when there is none.
func (s *Service) Device(ctx context.Context, userCode string, now time.Time) (Device, error) {
	code, doc, _, err := s.pendingDevice(ctx, userCode, now)
	if err != nil {
		return Device{}, err
	}
	return Device{UserCode: showUserCode(code), ClientName: doc.ClientName, Expires: time.Unix(doc.Expires, 0).UTC()}, nil
}

// ApproveDevice approves the pending device authorization of userCode for
// the person id; the client's next poll gets its tokens. ErrNoDevice when
// there is none (or it was decided meanwhile).
func (s *Service) ApproveDevice(ctx context.Context, userCode string, id Identity, now time.Time) error {
	return s.decideDevice(ctx, userCode, deviceApproved, &id, now)
}

// DenyDevice refuses the pending device authorization of userCode; the
// client's next poll gets AccessDeniedException.
func (s *Service) DenyDevice(ctx context.Context, userCode string, now time.Time) error {
	return s.decideDevice(ctx, userCode, deviceDenied, nil, now)
}

// decideDevice moves a pending authorization to status, once: a swap
// from the pending body, so of two decisions racing only one counts.
func (s *Service) decideDevice(ctx context.Context, userCode, status string, id *Identity, now time.Time) error {
	_, doc, o, err := s.pendingDevice(ctx, userCode, now)
	if err != nil {
		return err
	}
	doc.Status, doc.Identity = status, id
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	old := o.Body
	o.Body, o.Updated = body, now
	err = s.cfg.Objects.UpdateIf(ctx, o, old)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return ErrNoDevice
	}
	return err
}

// deviceGrant redeems a device code: pending (or polled too fast),
// denied, expired, or approved, once.
func (s *Service) deviceGrant(ctx context.Context, c *client, in *CreateTokenInput, now time.Time) (*CreateTokenOutput, error) {
	if !c.grants(GrantDeviceCode) {
		return nil, oauthErr(UnauthorizedClient, "The client is not registered for the device code grant", "")
	}
	var dc deviceCode
	if err := s.open(purposeDeviceCode, in.DeviceCode, &dc); err != nil {
		return nil, oauthErr(InvalidGrant, "Invalid device code", "device code does not open")
	}
	if subtle.ConstantTimeCompare([]byte(dc.Client), []byte(c.Key)) != 1 {
		return nil, oauthErr(InvalidGrant, "Invalid device code", "device code of another client")
	}
	if now.Unix() >= dc.Expires {
		return nil, oauthErr(ExpiredToken, "The device code has expired", "")
	}
	_, doc, o, err := s.loadDevice(ctx, dc.UserCode)
	if errors.Is(err, ErrNoDevice) || (err == nil && doc.Nonce != dc.Nonce) {
		return nil, oauthErr(InvalidGrant, "Invalid device code", "device authorization redeemed or gone")
	}
	if err != nil {
		return nil, err
	}
	switch doc.Status {
	case devicePending:
		if s.tooFast(dc.Nonce, now) {
			return nil, oauthErr(SlowDown, "Polling too fast; slow down", "")
		}
		return nil, oauthErr(AuthorizationPending, "Authorization is pending", "")
	case deviceDenied:
		_ = s.cfg.Objects.Delete(ctx, o.Account, o.Kind, o.ID)
		return nil, oauthErr(AccessDenied, "The authorization was denied", "")
	case deviceApproved:
	default:
		return nil, oauthErr(InvalidGrant, "Invalid device code", "unknown status")
	}
	if doc.Identity == nil {
		return nil, oauthErr(InvalidGrant, "Invalid device code", "approved without identity")
	}
	// The Delete is the single use: of two redemptions racing, one
	// deletes and the other finds nothing.
	if err := s.cfg.Objects.Delete(ctx, o.Account, o.Kind, o.ID); errors.Is(err, store.ErrNotFound) {
		return nil, oauthErr(InvalidGrant, "Invalid device code", "device authorization redeemed meanwhile")
	} else if err != nil {
		return nil, err
	}
	return s.startSession(ctx, c, doc.Scopes, *doc.Identity, now)
}
