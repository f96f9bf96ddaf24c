package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/spf13/cobra"
)

func newAuditVerifyCmd() *cobra.Command {
	var dir auditDir
	var from, keyFile, store, node string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the trail's hash chain and signed digests",
		Long: `Verify recomputes every event's hash and link across all event files,
rotated and compressed ones included, checks each signed digest with the
public key, and checks that the trail holds what each digest signed. It
reports the first inconsistency with its file and line: an edited, deleted,
inserted, reordered or truncated event, or a tampered or missing digest.

The trail is DATA_DIR/audit, DATA_DIR being --data-dir (./brevet-data by
default, as for ` + "`brevet serve`" + `); --dir names the audit directory itself.

Without --public-key the key is read from the trail's signing-key.pem;
pass the key exported earlier with ` + "`brevet audit export-key`" + ` for a check
that does not trust the machine holding the trail.

With --store postgres://... it verifies the trail a cluster keeps in
PostgreSQL: every node's chain (or only --node's), each with the key the node
registered, or with --public-key (which needs --node).

Exit status: 0 when the trail verifies, 1 otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var pub ed25519.PublicKey
			var err error
			if keyFile != "" {
				b, rerr := os.ReadFile(keyFile)
				if rerr != nil {
					return rerr
				}
				if pub, err = audit.ParsePublicKey(b); err != nil {
					return err
				}
			}
			path, err := dir.path(cmd)
			if err != nil {
				return err
			}
			if store != "" {
				if err := checkStoreFlag(store); err != nil {
					return err
				}
				return verifyPostgres(cmd.Context(), cmd.OutOrStdout(), store, node, pub)
			}
			if pub == nil {
				if pub, err = dirPublicKey(path); err != nil {
					return err
				}
			}
			t, err := parseTime(from, time.Now())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			rep, err := audit.Verify(path, audit.VerifyOptions{PublicKey: pub, From: t})
			var inc *audit.Inconsistency
			if errors.As(err, &inc) {
				fmt.Fprintf(out, "FAIL: %v\n", inc)
				return exitCode(1)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "OK: %d events (seq %d..%d) chain intact; signed digests: %d, covering seq up to %d (key %s)\n",
				rep.Events, rep.FirstSeq, rep.LastSeq, rep.Digests, rep.DigestLastSeq, audit.KeyID(pub))
			if rep.PrunedThrough > 0 {
				fmt.Fprintf(out, "note: verified from seq %d: events 1..%d were pruned by retention, as the event at %s records; the first kept event links to the hash it recorded\n",
					rep.PrunedThrough+1, rep.PrunedThrough, rep.PrunedBy)
			}
			if rep.TornTail {
				fmt.Fprintln(out, "note: the newest file ends in an unfinished record (an append in progress, or a crash the next start repairs)")
			}
			if rep.Uncovered > 0 {
				fmt.Fprintf(out, "note: the last %d events are not yet covered by a signed digest (one is signed every minute and at shutdown)\n", rep.Uncovered)
			}
			return nil
		},
	}
	f := cmd.Flags()
	dir.register(cmd)
	f.StringVar(&from, "from", "", "start at the event file holding this time (RFC 3339, date, or duration ago)")
	f.StringVar(&keyFile, "public-key", "", "PEM public key file, as brevet audit export-key writes it")
	f.StringVar(&store, "store", "", "verify the trail in this PostgreSQL database (postgres://...) instead of DATA_DIR/audit's files")
	f.StringVar(&node, "node", "", "with --store: only this node's chain")
	return cmd
}
