package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// newHostsCmd is `brevet hosts`: join tokens for enrolling hosts, and the
// enrolled hosts, through the API (brevet:CreateJoinToken,
// brevet:ListHosts, brevet:DeregisterHost). It signs as `brevet sessions`
// does.
func newHostsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hosts",
		Short: "Enroll hosts (brevet agent) to instance profiles; list and deregister them",
		Long: `Hosts running brevet agent enroll once, with a single-use join token (or with
credentials they obtained otherwise), and then obtain their instance profile's
role credentials by signing with their own key. The calls are signed with SigV4,
authorized by IAM policy (brevet:CreateJoinToken on the instance profile,
brevet:ListHosts, brevet:DeregisterHost on arn:aws:ec2:REGION:ACCOUNT:instance/ID)
and audited; join tokens never enter the audit trail (only their SHA-256).`,
	}
	cmd.AddCommand(newHostsJoinTokenCmd(), newHostsListCmd(), newHostsDeregisterCmd())
	return cmd
}

func newHostsJoinTokenCmd() *cobra.Command {
	var c sessionsClient
	var profile string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "join-token --instance-profile NAME [--ttl 1h]",
		Short: "Make a single-use token that enrolls one host to an instance profile; prints the token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if profile == "" {
				return errors.New("give --instance-profile")
			}
			if ttl%time.Second != 0 || ttl < time.Minute || ttl > 24*time.Hour {
				return errors.New("--ttl must be whole seconds from 1m to 24h")
			}
			var out struct {
				Token      string `xml:"CreateJoinTokenResult>JoinToken" json:"JoinToken"`
				Expiration string `xml:"CreateJoinTokenResult>Expiration" json:"Expiration"`
				Profile    string `xml:"CreateJoinTokenResult>InstanceProfileArn" json:"InstanceProfileArn"`
			}
			params := url.Values{"InstanceProfileName": {profile}, "TtlSeconds": {strconv.Itoa(int(ttl / time.Second))}}
			if err := c.call(cmd.Context(), "CreateJoinToken", params, &out); err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintln(cmd.OutOrStdout(), out.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "single use, for %s, until %s\n", out.Profile, out.Expiration)
			return nil
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVar(&profile, "instance-profile", "", "the instance profile the host is bound to")
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "how long the token may be used (1m to 24h)")
	return cmd
}

type hostXML struct {
	HostID       string `xml:"HostId" json:"HostId"`
	Profile      string `xml:"InstanceProfileName" json:"InstanceProfileName"`
	Hostname     string `xml:"Hostname" json:"Hostname,omitempty"`
	Fingerprint  string `xml:"Fingerprint" json:"Fingerprint"`
	JoinTokenID  string `xml:"JoinTokenId" json:"JoinTokenId,omitempty"`
	EnrolledBy   string `xml:"EnrolledBy" json:"EnrolledBy,omitempty"`
	Created      string `xml:"Created" json:"Created"`
	NotAfter     string `xml:"NotAfter" json:"NotAfter"`
	Deregistered string `xml:"Deregistered" json:"Deregistered,omitempty"`
}

func newHostsListCmd() *cobra.Command {
	var c sessionsClient
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the enrolled hosts (deregistered ones too)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out struct {
				Hosts []hostXML `xml:"ListHostsResult>Hosts>member"`
			}
			if err := c.call(cmd.Context(), "ListHosts", url.Values{}, &out); err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), out.Hosts)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "HOST ID\tINSTANCE PROFILE\tHOSTNAME\tENROLLED\tSTATUS\tKEY SHA-256")
			for _, h := range out.Hosts {
				status := "active"
				if h.Deregistered != "" {
					status = "deregistered " + h.Deregistered
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", h.HostID, h.Profile, h.Hostname, h.Created, status, h.Fingerprint)
			}
			return w.Flush()
		},
	}
	c.flags(cmd)
	return cmd
}

var hostIDPattern = regexp.MustCompile(`^i-[0-9a-f]{17}$`)

func newHostsDeregisterCmd() *cobra.Command {
	var c sessionsClient
	cmd := &cobra.Command{
		Use:   "deregister HOST_ID",
		Short: "Deregister a host: it obtains no more credentials, and the sessions it holds are revoked",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !hostIDPattern.MatchString(args[0]) {
				return fmt.Errorf("%q is not a host id (i- and 17 hexadecimal digits)", args[0])
			}
			var out struct {
				HostID       string          `xml:"DeregisterHostResult>HostId" json:"HostId"`
				Deregistered string          `xml:"DeregisterHostResult>Deregistered" json:"Deregistered"`
				Revoked      []revocationXML `xml:"DeregisterHostResult>RevokedSessions>member" json:"RevokedSessions"`
			}
			if err := c.call(cmd.Context(), "DeregisterHost", url.Values{"HostId": {args[0]}}, &out); err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s deregistered at %s\n", out.HostID, out.Deregistered)
			for _, r := range out.Revoked {
				fmt.Fprintf(cmd.OutOrStdout(), "revoked the sessions of %s issued before %s\n", r.Target, r.NotBefore)
			}
			return nil
		},
	}
	c.flags(cmd)
	return cmd
}
