package node

import (
	"context"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/sso/portal"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// newAssignments builds single sign-on's assignments on the store and
// registers their Brevet actions (CreateAccountAssignment, ...) on the
// Query dispatcher.
func (n *Node) newAssignments(d *awsquery.Dispatcher) error {
	idps := make([]string, len(n.cfg.SSO.IdentityProviders))
	for i, p := range n.cfg.SSO.IdentityProviders {
		idps[i] = p.Name
	}
	a, err := assign.New(assign.Config{Store: n.st, IdPs: idps})
	if err != nil {
		return err
	}
	assign.Register(d, a)
	n.assign = a
	return nil
}

// newSSOPortal builds the SSO portal (ListAccounts, ListAccountRoles,
// GetRoleCredentials, Logout) on the sign-in sessions (n.sso), the
// assignments and STS, and registers it on the REST-JSON codec. It needs
// newAssignments and the SSO service first.
func (n *Node) newSSOPortal(stsSvc *sts.Service) error {
	if n.sso == nil || n.assign == nil {
		return nil
	}
	p, err := portal.New(portal.Config{
		Sessions: n.sso, Assignments: n.assign, Accounts: n.st.Accounts(), Roles: n.authz, Issuer: stsSvc,
		RoleSessionDuration: n.cfg.SSO.RoleSessionDuration,
	})
	if err != nil {
		return err
	}
	portal.Register(n.rest, p)
	n.portal = p
	return nil
}

// applySSOPortal marks the assignments that changed, on every node: the
// next portal request reads them again.
func (n *Node) applySSOPortal(changes []store.Change) {
	if n.assign != nil {
		n.assign.Apply(changes)
	}
}

// portalAuthenticator sends the SSO portal's requests, which carry a
// bearer token (x-amz-sso_bearer_token) instead of a signature, to the
// portal's Authenticate, whose principal (the person) the audit record
// names; every other request goes to next.
type portalAuthenticator struct {
	next request.Authenticator
	n    *Node
}

func (a portalAuthenticator) Authenticate(ctx context.Context, req *request.AuthnRequest) (request.Principal, error) {
	if a.n.portal == nil || !portal.Handles(req.Operation) {
		return a.next.Authenticate(ctx, req)
	}
	p, err := a.n.portal.Authenticate(ctx, req.HTTP, req.Now)
	if err != nil {
		return nil, err
	}
	return p, nil
}
