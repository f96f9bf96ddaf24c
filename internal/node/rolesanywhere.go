package node

import (
	"context"
	"crypto/rand"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/rolesanywhere"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/sts"
)

// newRolesAnywhere builds IAM Roles Anywhere on the store's objects, with
// STS for its sessions, and registers its actions on the REST-JSON codec.
func (n *Node) newRolesAnywhere(stsSvc *sts.Service) error {
	ra, err := rolesanywhere.New(rolesanywhere.Config{
		Objects: n.st.Objects(), Region: n.cfg.Regions[0], Regions: n.cfg.Regions, Rand: rand.Reader, Sessions: stsSvc,
	})
	if err != nil {
		return err
	}
	rolesanywhere.Register(n.rest, ra)
	n.ra = ra
	return nil
}

// applyRolesAnywhere drops what Roles Anywhere cached of the objects that
// changed (trust anchors, CRLs, profiles), on every node.
func (n *Node) applyRolesAnywhere(changes []store.Change) {
	if n.ra != nil {
		n.ra.Apply(changes)
	}
}

// certAuthenticator sends Roles Anywhere's CreateSession and Brevet's
// host actions (GetHostCredentials, WaitHostChange), signed with a
// certificate's key (SigV4-X509) rather than an access key, to the
// service's certificate authenticator, and every other request to next.
type certAuthenticator struct {
	next request.Authenticator
	n    *Node
}

func (c certAuthenticator) Authenticate(ctx context.Context, req *request.AuthnRequest) (request.Principal, error) {
	op := req.Operation
	if op != nil && op.Service == "rolesanywhere" && op.Name == "CreateSession" && c.n.ra != nil {
		p, err := c.n.ra.Authenticate(ctx, req.HTTP, req.Body, req.Now)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if op != nil && op.Service == "brevet" && (op.Name == "GetHostCredentials" || op.Name == "WaitHostChange") && c.n.hosts != nil {
		p, err := c.n.hosts.Authenticate(ctx, req.HTTP, req.Body, req.Now) // hosts.go
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return c.next.Authenticate(ctx, req)
}
