package node

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/brevet-dev/brevet/internal/iam/iamservice"
	"github.com/brevet-dev/brevet/internal/sso/signin"
	"github.com/brevet-dev/brevet/internal/sts"
)

// newSignin builds the SSO sign-in pages (internal/sso/signin) on SSO
// OIDC, IAM's password check and change, STS's MFA check and the
// authorizer (may a user change a password that must be reset), auditing
// on the trail.
// The identity providers' client secrets are read from their files here,
// once.
func (n *Node) newSignin(iamSvc *iamservice.Service, stsSvc *sts.Service) error {
	c := n.cfg.SSO
	secrets := map[string]string{}
	for _, p := range c.IdentityProviders {
		if p.ClientSecretFile == "" {
			continue // a public client
		}
		b, err := os.ReadFile(p.ClientSecretFile)
		if err != nil {
			return fmt.Errorf("sso.identity_providers %s: client_secret_file: %w", p.Name, err)
		}
		s := strings.TrimSpace(string(b))
		clear(b)
		if s == "" {
			return fmt.Errorf("sso.identity_providers %s: client_secret_file %s is empty", p.Name, p.ClientSecretFile)
		}
		secrets[p.Name] = s
	}
	h, err := signin.New(signin.Config{
		Flows: n.sso, Passwords: iamSvc, MFA: stsSvc, Users: signin.StoreUsers{Repos: n.st}, IAMUsers: c.IAMUsers,
		Sealer: n.master, Opener: n.master, IdPs: c.IdentityProviders, Secrets: secrets, URL: c.URL,
		Auditor: n.auditor, Authorizer: n.authz, Logger: n.log,
	})
	if err != nil {
		return err
	}
	n.signin = h
	return nil
}

// setSigninURL gives the pages the server's own URL when the
// configuration names none.
func (n *Node) setSigninURL() {
	if n.signin != nil && n.cfg.SSO.URL == "" {
		if err := n.signin.SetURL(n.url); err != nil {
			n.log.Error("sign-in pages: no base URL", "err", err)
		}
	}
}

// withSignin sends the sign-in pages' requests (/start, /authorize,
// /sso/..., /favicon.ico: signin.Handles) to them, ahead of the REST-JSON and Query dispatch, and the
// rest to next.
func (n *Node) withSignin(next http.Handler) http.Handler {
	if n.signin == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if signin.Handles(r) {
			n.signin.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
