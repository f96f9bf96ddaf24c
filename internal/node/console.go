package node

import (
	"fmt"
	"net/http"
	"os"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/console"
	"github.com/brevet-dev/brevet/internal/policy/servicereference"
	"github.com/brevet-dev/brevet/internal/request"
)

// newConsole builds the web console (internal/console) on the Query
// dispatcher and the pipeline, the sign-in pages and STS's console
// sessions. It needs registerServices first.
func (n *Node) newConsole(d *awsquery.Dispatcher, p *request.Pipeline) error {
	if n.signin == nil {
		return nil
	}
	var ref *servicereference.Reference
	if dir := n.cfg.Console.ServiceReference; dir != "" {
		var err error
		if ref, err = servicereference.Load(os.DirFS(dir)); err != nil {
			return fmt.Errorf("console.service_reference: %w", err)
		}
	}
	c, err := console.New(console.Config{
		Dispatcher: d, Pipeline: p, SignIn: n.signin, Sessions: n.fed.sts, Revocations: &n.revoked,
		Sealer: n.master, Opener: n.master, Region: n.cfg.Regions[0], Logger: n.log,
		Reference: ref, Session: n.cfg.Console.SessionDuration,
		// Behind a TLS-terminating proxy the request arrives over plain
		// HTTP: the POSTs' Origin is sso.url's (setConsoleURL otherwise).
		URL: n.cfg.SSO.URL,
		// People who signed in with an identity provider work in a role
		// assigned to them, as the SSO portal issues it (for as long).
		Assignments: n.assign, Roles: n.authz, Issuer: n.fed.sts, RoleSession: n.cfg.SSO.RoleSessionDuration,
	})
	if err != nil {
		return err
	}
	n.console = c
	return nil
}

// setConsoleURL gives the console the server's own URL when the
// configuration names none (as setSigninURL does the sign-in pages).
func (n *Node) setConsoleURL() {
	if n.console != nil && n.cfg.SSO.URL == "" {
		if err := n.console.SetURL(n.url); err != nil {
			n.log.Error("console: no base URL", "err", err)
		}
	}
}

// signOutPath is the sign-in pages' sign-out (internal/sso/signin).
const signOutPath = "/sso/signout"

// withConsole sends the console's requests (/console/...) to it, ahead
// of the sign-in pages and the APIs, ends the console session with the
// sign-in pages' sign-out, and gives the console the API handler for the
// actions it calls that are not Query actions.
func (n *Node) withConsole(next http.Handler) http.Handler {
	if n.console == nil {
		return next
	}
	n.console.SetAPI(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if console.Handles(r) {
			n.console.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == signOutPath {
			n.console.EndSession(w, r)
		}
		next.ServeHTTP(w, r)
	})
}
