package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/iam/managed"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// managedSeeder loads the built-in AWS managed policies on every start
// (idempotently), so a new Brevet version's additions appear on restart.
func managedSeeder() func(ctx context.Context, st store.Store, now time.Time) error {
	return managed.Seed
}

// errorMappers map the domain errors of the services to wire errors.
func errorMappers() []awsquery.ErrorMapper {
	return []awsquery.ErrorMapper{sts.WireError, iamservice.WireError, iamservice.ProviderWireError}
}

// registerServices puts the STS and IAM actions on the dispatcher.
func registerServices(ctx context.Context, d *awsquery.Dispatcher, a *app, cfg *config.Config, log *slog.Logger) error {
	fed, fedCfg, err := newServerFederation(ctx, a.st, a.master, cfg, log) // serve_federation.go
	if err != nil {
		return err
	}
	stsSvc, err := sts.New(sts.Config{Store: a.st, TokenKeys: a.tokens, Authz: a.authz, Secrets: a.master, Rand: rand.Reader, Region: cfg.Regions[0],
		Federation: fedCfg})
	if err != nil {
		return err
	}
	fed.sts, a.fed = stsSvc, fed
	sts.Register(d, stsSvc)
	iamSvc, err := iamservice.New(iamservice.Config{Store: a.st, MasterKey: a.master, Rand: rand.Reader, Logger: log})
	if err != nil {
		return err
	}
	iamservice.Register(d, iamSvc)
	return nil
}
