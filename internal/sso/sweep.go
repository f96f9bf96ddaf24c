package sso

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/brevet-dev/brevet/internal/store"
)

// sweepPage is how many objects Sweep reads at a time.
const sweepPage = 500

// expiring is the part of every SSO object Sweep reads: its end.
type expiring struct {
	Expires int64 `json:"e"`
}

// Sweep deletes the device authorizations, authorization codes and
// sessions that have ended (node housekeeping). It stops at ctx's end;
// what it left is swept next time.
func (s *Service) Sweep(ctx context.Context, now time.Time) error {
	var errs []error
	for _, kind := range []string{KindDevice, KindCode, KindSession} {
		errs = append(errs, s.sweepKind(ctx, kind, now))
	}
	return errors.Join(errs...)
}

func (s *Service) sweepKind(ctx context.Context, kind string, now time.Time) error {
	after := ""
	for {
		page, err := s.cfg.Objects.List(ctx, s.cfg.InstanceAccount, kind, after, sweepPage)
		if err != nil {
			return err
		}
		for _, o := range page {
			var e expiring
			if json.Unmarshal(o.Body, &e) == nil && now.Unix() < e.Expires {
				continue
			}
			if err := s.cfg.Objects.Delete(ctx, o.Account, o.Kind, o.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if len(page) < sweepPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}
