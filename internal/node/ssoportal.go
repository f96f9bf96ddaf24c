package node

import (
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/sso/assign"
	"github.com/brevet-dev/brevet/internal/store"
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

// applySSOPortal marks the assignments that changed, on every node: the
// next portal request reads them again.
func (n *Node) applySSOPortal(changes []store.Change) {
	if n.assign != nil {
		n.assign.Apply(changes)
	}
}
