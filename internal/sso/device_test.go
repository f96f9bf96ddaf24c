package sso

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDeviceFlow: pending until approved, polling faster than the
// interval slows down, the approved code gives tokens once, and the
// access token authenticates as the person.
func TestDeviceFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.register(t)
	d := e.device(t, c)
	if !strings.HasPrefix(d.VerificationURI, testURL+"/sso/device") || !strings.Contains(d.VerificationURIComplete, "user_code="+d.UserCode) {
		t.Errorf("verification URIs = %q, %q", d.VerificationURI, d.VerificationURIComplete)
	}
	if d.ExpiresIn != 600 || d.Interval != 5 || len(d.UserCode) != 9 || d.UserCode[4] != '-' {
		t.Errorf("device = %+v", d)
	}
	poll := func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode }
	_, err := e.token(c, GrantDeviceCode, poll)
	wantCode(t, "first poll", err, AuthorizationPending)
	e.now = e.now.Add(time.Second)
	_, err = e.token(c, GrantDeviceCode, poll)
	wantCode(t, "poll after 1s", err, SlowDown)
	e.now = e.now.Add(PollInterval)
	_, err = e.token(c, GrantDeviceCode, poll)
	wantCode(t, "poll after the interval", err, AuthorizationPending)

	dev, err := e.s.Device(ctx, strings.ToLower(strings.ReplaceAll(d.UserCode, "-", "")), e.now)
	if err != nil || dev.UserCode != d.UserCode || dev.ClientName != "botocore-client-test" {
		t.Fatalf("Device = %+v, %v", dev, err)
	}
	if err := e.s.ApproveDevice(ctx, d.UserCode, ann, e.now); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ApproveDevice(ctx, d.UserCode, ann, e.now); !errors.Is(err, ErrNoDevice) {
		t.Errorf("second approval: %v, want ErrNoDevice", err)
	}
	e.now = e.now.Add(PollInterval)
	out, err := e.token(c, GrantDeviceCode, poll)
	if err != nil {
		t.Fatal(err)
	}
	if out.TokenType != "Bearer" || out.ExpiresIn != 3600 || out.AccessToken == "" || out.RefreshToken == "" {
		t.Errorf("tokens = %+v", out)
	}
	_, err = e.token(c, GrantDeviceCode, poll)
	wantCode(t, "device code used twice", err, InvalidGrant)

	tok, err := e.s.Authenticate(ctx, out.AccessToken, e.now)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Identity.UserID != ann.UserID || tok.SessionExpires.Sub(e.now) != DefaultSessionDuration {
		t.Errorf("token = %+v", tok)
	}
}
