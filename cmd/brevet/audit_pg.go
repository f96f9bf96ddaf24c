package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
)

// checkStoreFlag accepts only PostgreSQL URLs for --store: the file trail
// is named with --data-dir or --dir.
func checkStoreFlag(store string) error {
	if !strings.HasPrefix(store, "postgres://") && !strings.HasPrefix(store, "postgresql://") {
		return errors.New("--store: want a postgres:// URL (the file trail is read with --data-dir or --dir)")
	}
	return nil
}

// pgNodes returns the nodes to read: node alone, or every node.
func pgNodes(ctx context.Context, r *pgsink.Reader, node string) ([]pgsink.NodeInfo, error) {
	nodes, err := r.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	if node == "" {
		return nodes, nil
	}
	for _, n := range nodes {
		if n.ID == node {
			return []pgsink.NodeInfo{n}, nil
		}
	}
	return nil, fmt.Errorf("no node %q has written to this trail", node)
}

// verifyPostgres verifies every node's chain (or one node's) in the
// database, each with its registered key, or with pub when given (which
// needs --node: each node has its own key). It prints one line per node
// and returns exitCode(1) if any fails.
func verifyPostgres(ctx context.Context, out io.Writer, dsn, node string, pub ed25519.PublicKey) error {
	if len(pub) != 0 && node == "" {
		return errors.New("--public-key needs --node: every node signs with its own key")
	}
	r, err := pgsink.OpenReader(ctx, dsn)
	if err != nil {
		return err
	}
	defer r.Close()
	nodes, err := pgNodes(ctx, r, node)
	if err != nil {
		return err
	}
	failed := false
	for _, n := range nodes {
		key := n.PublicKey
		if len(pub) != 0 {
			key = pub
		}
		rep, err := r.Verify(ctx, n.ID, key)
		var inc *audit.Inconsistency
		switch {
		case errors.As(err, &inc):
			fmt.Fprintf(out, "FAIL: node %s: %v\n", n.ID, inc)
			failed = true
			continue
		case err != nil:
			return fmt.Errorf("node %s: %w", n.ID, err)
		}
		fmt.Fprintf(out, "OK: node %s: %d events (seq %d..%d) chain intact; signed digests: %d, covering seq up to %d (key %s)\n",
			n.ID, rep.Events, rep.FirstSeq, rep.LastSeq, rep.Digests, rep.DigestLastSeq, audit.KeyID(key))
		if rep.Uncovered > 0 {
			fmt.Fprintf(out, "note: node %s: the last %d events are not yet covered by a signed digest\n", n.ID, rep.Uncovered)
		}
	}
	if len(pub) == 0 && len(nodes) > 0 {
		fmt.Fprintln(out, "note: verified with the keys registered in the database; pass --node and --public-key for a check that does not trust it")
	}
	if failed {
		return exitCode(1)
	}
	return nil
}

// searchPostgres returns a search over the database's trail: one node's
// events, or every node's, node after node.
func searchPostgres(ctx context.Context, dsn, node string) (search func(audit.Filter, func(uint64, *audit.Event) error) error, closeFn func(), err error) {
	r, err := pgsink.OpenReader(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	nodes, err := pgNodes(ctx, r, node)
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	walk := func(fn func(uint64, *audit.Event) error) error {
		for _, n := range nodes {
			err := r.Walk(ctx, n.ID)(func(rec audit.Record, where string) error {
				e, err := audit.DecodeEvent(rec.Event)
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				return fn(rec.Seq, e)
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	return func(f audit.Filter, fn func(uint64, *audit.Event) error) error {
		return audit.SearchWalk(walk, f, fn)
	}, r.Close, nil
}
