package sso

import (
	"context"
	"crypto/rand"
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
	_, err = e.token(c, GrantDeviceCode, poll)
	wantCode(t, "second poll at once (the CLI's)", err, AuthorizationPending)
	e.now = e.now.Add(time.Second)
	_, err = e.token(c, GrantDeviceCode, poll)
	wantCode(t, "third poll after 1s", err, SlowDown)
	e.now = e.now.Add(PollInterval)
	_, err = e.token(c, GrantDeviceCode, poll)
	wantCode(t, "poll after the interval", err, AuthorizationPending)
	for range 3 {
		e.now = e.now.Add(PollInterval)
		_, err = e.token(c, GrantDeviceCode, poll)
		wantCode(t, "polls at the interval", err, AuthorizationPending)
	}

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

// TestDeviceRejects: an expired device code, a device code of another
// client, a denied authorization, a tampered device code, and the
// sign-in page's view of codes that are unknown, expired or decided.
func TestDeviceRejects(t *testing.T) {
	ctx := context.Background()
	t.Run("expired", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		d := e.device(t, c)
		e.now = e.now.Add(DeviceCodeLifetime)
		if err := e.s.ApproveDevice(ctx, d.UserCode, ann, e.now); !errors.Is(err, ErrNoDevice) {
			t.Errorf("approving an expired authorization: %v", err)
		}
		_, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
		wantCode(t, "expired device code", err, ExpiredToken)
	})
	t.Run("approved too late", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		d := e.device(t, c)
		if err := e.s.ApproveDevice(ctx, d.UserCode, ann, e.now); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(DeviceCodeLifetime + time.Second)
		_, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
		wantCode(t, "approved, redeemed after expiry", err, ExpiredToken)
	})
	t.Run("another client", func(t *testing.T) {
		e := newEnv(t)
		c, other := e.register(t), e.register(t)
		d := e.device(t, c)
		if err := e.s.ApproveDevice(ctx, d.UserCode, ann, e.now); err != nil {
			t.Fatal(err)
		}
		_, err := e.token(other, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
		wantCode(t, "device code of another client", err, InvalidGrant)
		if _, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode }); err != nil {
			t.Errorf("its own client afterwards: %v", err)
		}
	})
	t.Run("denied", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		d := e.device(t, c)
		if err := e.s.DenyDevice(ctx, d.UserCode, e.now); err != nil {
			t.Fatal(err)
		}
		if err := e.s.ApproveDevice(ctx, d.UserCode, ann, e.now); !errors.Is(err, ErrNoDevice) {
			t.Errorf("approving a denied authorization: %v", err)
		}
		_, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
		wantCode(t, "denied", err, AccessDenied)
		_, err = e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
		wantCode(t, "denied, polled again", err, InvalidGrant)
	})
	t.Run("tampered", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		d := e.device(t, c)
		b := []byte(d.DeviceCode)
		b[len(b)/2] ^= 1
		_, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = string(b) })
		wantCode(t, "tampered device code", err, InvalidGrant)
	})
	t.Run("page view", func(t *testing.T) {
		e := newEnv(t)
		c := e.register(t)
		d := e.device(t, c)
		for _, code := range []string{"", "BCDF", "BCDFGHJKL", "AEIOUAEI", "BCDF--GHJK", "<script>", strings.Repeat("B", 1000)} {
			if _, err := e.s.Device(ctx, code, e.now); !errors.Is(err, ErrNoDevice) {
				t.Errorf("Device(%q) = %v, want ErrNoDevice", code, err)
			}
		}
		if _, err := e.s.Device(ctx, " "+strings.ToLower(d.UserCode)+" ", e.now); err != nil {
			t.Errorf("typed in lower case with spaces: %v", err)
		}
		if _, err := e.s.Device(ctx, d.UserCode, e.now.Add(DeviceCodeLifetime)); !errors.Is(err, ErrNoDevice) {
			t.Errorf("expired: %v", err)
		}
		if err := e.s.DenyDevice(ctx, d.UserCode, e.now); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Device(ctx, d.UserCode, e.now); !errors.Is(err, ErrNoDevice) {
			t.Errorf("decided: %v", err)
		}
	})
}

// TestUserCode: codes use the alphabet only, uniformly enough that every
// letter turns up, and normalize as people type them.
func TestUserCode(t *testing.T) {
	seen := map[rune]bool{}
	for range 200 {
		code, err := newUserCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != userCodeLen {
			t.Fatalf("code %q", code)
		}
		for _, r := range code {
			if !strings.ContainsRune(userCodeAlphabet, r) {
				t.Fatalf("code %q has %q", code, r)
			}
			seen[r] = true
		}
	}
	if len(seen) != len(userCodeAlphabet) {
		t.Errorf("saw %d of %d letters", len(seen), len(userCodeAlphabet))
	}
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"BCDF-GHJK", "BCDFGHJK", true},
		{"bcdfghjk", "BCDFGHJK", true},
		{" bcdf-ghjk\t", "BCDFGHJK", true},
		{"BCDF-GHJ", "", false},
		{"BCDF-GH-JK", "", false},
		{"BCDF-GHJA", "", false},
		{"ＢCDFGHJK", "", false},
	} {
		got, ok := NormalizeUserCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeUserCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestSweep deletes what has ended and keeps the rest.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	c := e.register(t)
	e.device(t, c)
	e.signIn(t, c)
	e.now = e.now.Add(DefaultSessionDuration - time.Minute)
	young := e.signIn(t, c)
	e.device(t, c)
	e.now = e.now.Add(2 * time.Minute)
	if err := e.s.Sweep(ctx, e.now); err != nil {
		t.Fatal(err)
	}
	count := func(kind string) int {
		objs, err := e.st.Objects().List(ctx, testAccount, kind, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(objs)
	}
	if got := count(KindDevice); got != 1 {
		t.Errorf("devices left: %d, want 1 (the young one)", got)
	}
	if got := count(KindSession); got != 1 {
		t.Errorf("sessions left: %d, want 1", got)
	}
	if _, err := e.s.Authenticate(ctx, young.AccessToken, e.now); err != nil {
		t.Errorf("young session: %v", err)
	}
}
