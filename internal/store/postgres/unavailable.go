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
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}
