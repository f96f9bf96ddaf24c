package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// managedSeeder returns what loads the AWS managed policies on start, or
// nil while this build has none.
func managedSeeder() func(ctx context.Context, st store.Store, now time.Time) error { return nil }

// errorMappers map the domain errors of the services to wire errors.
func errorMappers() []awsquery.ErrorMapper { return []awsquery.ErrorMapper{sts.WireError} }

// registerServices puts the STS and IAM actions on the dispatcher.
func registerServices(_ context.Context, d *awsquery.Dispatcher, a *app, cfg *config.Config, _ *slog.Logger) error {
	svc, err := sts.New(sts.Config{Store: a.st, TokenKeys: a.tokens, Authz: a.authz, Secrets: a.master, Rand: rand.Reader, Region: cfg.Regions[0]})
	if err != nil {
		return err
	}
	sts.Register(d, svc)
	return nil
}
