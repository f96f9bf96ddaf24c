package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/brevet-dev/brevet/internal/store"
)

// unavailable marks an error that says the database could not be reached
// (connection refused or reset, a timed-out query, a failure pgx knows is
// safe to retry) as store.ErrUnavailable, so that callers tell "the store
// is down" from "the request is wrong" without knowing pgx.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || !unreachable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// IsUnavailable reports whether err says the database could not be
// reached: store.ErrUnavailable, or a connection, network or timeout error
// of a path that returned it unmarked (the reads that go straight to the
// pool).
func IsUnavailable(err error) bool {
	return err != nil && (errors.Is(err, store.ErrUnavailable) || unreachable(err))
}

func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err)
}
