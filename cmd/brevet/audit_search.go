package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/spf13/cobra"
)

type auditSearchOptions struct {
	dir              auditDir
	from, to, output string
	store, node      string
	filter           audit.Filter
}

func newAuditSearchCmd() *cobra.Command {
	var o auditSearchOptions
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Find events in the trail",
		Long: `Search prints the events matching every filter given, oldest first, as a
table or (-o json) as one CloudTrail event per line. The trail is
DATA_DIR/audit, DATA_DIR being --data-dir (./brevet-data by default, as for
` + "`brevet serve`" + `); --dir names the audit directory itself.

--issued-by EVENT_ID follows a credential from its issuance to its use: it
takes the access key that event issued (AssumeRole, GetSessionToken,
GetFederationToken, AssumeRoleWith*) and prints every later event signed
with it, and with credentials issued in turn by those (role chaining): the
management events and the data events (every S3 object and authorized
request those credentials touched). --category Data or Management keeps one
kind.

--upstream ACCOUNT keeps the events of credentials the broker obtained from
that upstream account (any upstream account with --upstream any), whose
additionalEventData.upstream holds the upstream request id, session ARN and
source identity to join with the upstream's CloudTrail (docs/broker.md).
--source-identity X matches that upstream source identity, or the source
identity of the caller's own session.

With --store postgres://... it searches the trail a cluster keeps in
PostgreSQL: every node's events, node after node (or only --node's); SEQ is
then the event's place in its node's chain.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAuditSearch(cmd, &o)
		},
	}
	f := cmd.Flags()
	o.dir.register(cmd)
	f.StringVar(&o.from, "from", "", "events at or after this time (RFC 3339, date, or duration ago)")
	f.StringVar(&o.to, "to", "", "events before this time")
	f.StringVar(&o.filter.PrincipalARN, "principal", "", "caller ARN, or the role/user ARN behind a session")
	f.StringVar(&o.filter.AccessKeyID, "access-key", "", "access key id that signed the request or was issued by it")
	f.StringVar(&o.filter.IssuedBy, "issued-by", "", "event id of a credential issuance: everything done with those credentials")
	f.StringVar(&o.filter.EventName, "event-name", "", "action name, e.g. AssumeRole")
	f.StringVar(&o.filter.Category, "category", "", "event category: Management (Brevet's own APIs) or Data (requests Brevet authorized for the S3 gateway and the authorization API)")
	f.StringVar(&o.filter.ErrorCode, "error-code", "", "error code, e.g. AccessDenied")
	f.StringVar(&o.filter.SourceIP, "source-ip", "", "source IP address")
	f.StringVar(&o.filter.Upstream, "upstream", "", "brokered events of this upstream account id, or of any with 'any'")
	f.StringVar(&o.filter.SourceIdentity, "source-identity", "", "upstream session's source identity, or the caller session's")
	f.StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	f.StringVar(&o.store, "store", "", "search the trail in this PostgreSQL database (postgres://...) instead of DATA_DIR/audit's files")
	f.StringVar(&o.node, "node", "", "with --store: only this node's events")
	return cmd
}

func runAuditSearch(cmd *cobra.Command, o *auditSearchOptions) error {
	now := time.Now()
	var err error
	switch c := o.filter.Category; {
	case c == "", strings.EqualFold(c, audit.CategoryManagement), strings.EqualFold(c, audit.CategoryData):
	default:
		return fmt.Errorf("--category %q: want Management or Data", c)
	}
	if u := o.filter.Upstream; u != "" && u != audit.UpstreamAny && !isAccountID(u) {
		return fmt.Errorf("--upstream %q: want a 12-digit account id or %q", u, audit.UpstreamAny)
	}
	if o.filter.From, err = parseTime(o.from, now); err != nil {
		return err
	}
	if o.filter.To, err = parseTime(o.to, now); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	dir, err := o.dir.path(cmd)
	if err != nil {
		return err
	}
	search := func(f audit.Filter, fn func(uint64, *audit.Event) error) error { return audit.Search(dir, f, fn) }
	if o.store != "" {
		if err := checkStoreFlag(o.store); err != nil {
			return err
		}
		pgSearch, closeFn, err := searchPostgres(cmd.Context(), o.store, o.node)
		if err != nil {
			return err
		}
		defer closeFn()
		search = pgSearch
	}
	switch o.output {
	case "json":
		enc := json.NewEncoder(out)
		return search(o.filter, func(_ uint64, e *audit.Event) error { return enc.Encode(e) })
	case "table":
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tEVENT\tPRINCIPAL\tACCESS KEY\tSOURCE IP\tERROR\tEVENT ID")
		err := search(o.filter, func(seq uint64, e *audit.Event) error {
			_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", seq, e.EventTime, e.EventName,
				dash(e.UserIdentity.ARN), dash(e.UserIdentity.AccessKeyID), e.SourceIPAddress, dash(e.ErrorCode), e.EventID)
			return err
		})
		if ferr := tw.Flush(); err == nil {
			err = ferr
		}
		return err
	}
	return fmt.Errorf("--output %q: want table or json", o.output)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// isAccountID reports whether s is a 12-digit account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
