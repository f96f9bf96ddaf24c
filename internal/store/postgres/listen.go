package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the LISTEN/NOTIFY channel every change is announced on, with
// its Seq as the payload. The channel is database-wide: stores in other
// schemas of the same database announce on it too, so a payload is a hint
// to read Changes().Since, never a change in itself.
const Channel = "brevet_changes"

// Listen calls fn with the Seq of every change committed to the database,
// from any node, as PostgreSQL delivers the notifications, until ctx is
// done; it then returns ctx's error. It holds one dedicated connection
// (outside the pool) that LISTENs on Channel. fn runs on Listen's
// goroutine, one call at a time, and should return quickly. Close does not
// stop Listen: cancel ctx.
//
// After every (re)connection, once LISTEN is in place, fn is also called
// with Changes().Latest(): notifications sent while no connection listened
// are lost, so a consumer that reads Since(its last seq) on every call
// misses nothing. A lost connection is re-established with exponential
// backoff (100ms doubling to 10s).
func (s *Store) Listen(ctx context.Context, fn func(seq int64)) error {
	backoff := 100 * time.Millisecond
	for {
		listened, _ := s.listenOnce(ctx, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if listened {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listenOnce connects, listens and delivers until the connection fails. It
// reports whether LISTEN was established.
func (s *Store) listenOnce(ctx context.Context, fn func(seq int64)) (bool, error) {
	c, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false, err
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, `LISTEN `+Channel); err != nil {
		return false, err
	}
	var latest int64
	if err := c.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM changes`).Scan(&latest); err != nil {
		return true, err
	}
	fn(latest)
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		seq, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			continue // not ours: anyone may NOTIFY on the channel
		}
		fn(seq)
	}
}
