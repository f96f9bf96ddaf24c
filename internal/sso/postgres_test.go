package sso

import (
	"context"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/store/postgres"
	"github.com/brevet-dev/brevet/internal/store/postgres/pgtest"
)

// TestPostgres runs the session tests that depend on the store's
// compare-and-swap and single-use deletes on PostgreSQL (skipped without
// BREVET_TEST_POSTGRES_DSN, failed under CI without it).
func TestPostgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.DSN(t), postgres.Options{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st)
	c := e.register(t)
	first := e.signIn(t, c)
	second, err := e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(refreshGrace)
	_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = first.RefreshToken })
	wantCode(t, "old refresh token after the grace", err, InvalidGrant)
	_, err = e.token(c, GrantRefreshToken, func(in *CreateTokenInput) { in.RefreshToken = second.RefreshToken })
	wantCode(t, "after reuse the session is gone", err, InvalidGrant)

	// A device code redeemed twice at once gives tokens once.
	d := e.device(t, c)
	if err := e.s.ApproveDevice(context.Background(), d.UserCode, ann, e.now); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			_, err := e.token(c, GrantDeviceCode, func(in *CreateTokenInput) { in.DeviceCode = d.DeviceCode })
			errs <- err
		}()
	}
	wins := 0
	for range cap(errs) {
		if <-errs == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("device code redeemed %d times, want 1", wins)
	}
}
