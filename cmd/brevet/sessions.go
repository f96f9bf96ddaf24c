package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/loadgen"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// sessionsClient calls Brevet's own actions on a running server, signed
// with SigV4 like any AWS request (service "sts", which the server's
// verifier accepts for Brevet's actions).
type sessionsClient struct {
	endpoint, region, credFile, profile string
	json                                bool
}

func (c *sessionsClient) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.endpoint, "endpoint", "", "the server's URL (default: $AWS_ENDPOINT_URL)")
	f.StringVar(&c.region, "region", "", "signing region (default: $AWS_REGION, else us-east-1)")
	f.StringVar(&c.credFile, "credentials", "", "AWS shared credentials file, e.g. DATA_DIR/admin-credentials "+
		"(default: $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY, else $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)")
	f.StringVar(&c.profile, "profile", "", "profile in the credentials file (default: $AWS_PROFILE, default, or the only one)")
	f.BoolVar(&c.json, "json", false, "print JSON instead of a table")
}

// newSessionsCmd is `brevet sessions`: list and revoke temporary
// credentials through the API (brevet:ListSessions, brevet:RevokeSessions).
func newSessionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions",
		Short: "List and revoke temporary credentials on a running server",
		Long: `List the sessions recorded when temporary credentials were issued, and revoke
them, through the server's API. The calls are signed with SigV4, authorized by
IAM policy (brevet:ListSessions, brevet:RevokeSessions) and audited. A
revocation takes effect on every node of a cluster within a second.`,
	}
	cmd.AddCommand(newSessionsListCmd(), newSessionsRevokeCmd())
	return cmd
}

func newSessionsListCmd() *cobra.Command {
	var c sessionsClient
	var principal string
	var active bool
	var max int
	cmd := &cobra.Command{
		Use:   "list [--principal ARN] [--active]",
		Short: "List issued sessions: who holds what, issued when, expiring when, from where",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			params := url.Values{}
			if principal != "" {
				params.Set("PrincipalArn", principal)
			}
			if active {
				params.Set("ActiveOnly", "true")
			}
			if max > 0 {
				params.Set("MaxItems", fmt.Sprint(max))
			}
			var out struct {
				Sessions []sessionXML `xml:"ListSessionsResult>Sessions>member"`
			}
			if err := c.call(cmd.Context(), "ListSessions", params, &out); err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), out.Sessions)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ACCESS KEY ID\tKIND\tSESSION ARN\tISSUED\tEXPIRES\tSOURCE IP\tPARENT KEY")
			for _, s := range out.Sessions {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.AccessKeyID, s.Kind, s.SessionARN,
					s.Issued, s.Expiration, s.SourceIP, s.ParentAccessKeyID)
			}
			return w.Flush()
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVar(&principal, "principal", "", "only sessions of this role, user or session ARN")
	cmd.Flags().BoolVar(&active, "active", false, "only sessions that have not expired")
	cmd.Flags().IntVar(&max, "max-items", 0, "at most this many (1-1000)")
	return cmd
}

func newSessionsRevokeCmd() *cobra.Command {
	var c sessionsClient
	var keyID, principal, before string
	cmd := &cobra.Command{
		Use:   "revoke --access-key-id ID | --principal ARN [--issued-before TIME]",
		Short: "Revoke a credential and everything derived from it, or a principal's sessions issued before a time",
		Long: `Revoke temporary credentials on every node.

  --access-key-id ASIA...   that session and every session made from it (role chaining)
  --access-key-id AKIA...   every session made from that long-term key, at any depth
  --principal ARN           every session of the role or user (or the one session
                            ARN) issued before --issued-before (RFC 3339; default now)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			params := url.Values{}
			if keyID != "" {
				params.Set("AccessKeyId", keyID)
			}
			if principal != "" {
				params.Set("PrincipalArn", principal)
			}
			if before != "" {
				t, err := time.Parse(time.RFC3339, before)
				if err != nil {
					return fmt.Errorf("--issued-before: %w", err)
				}
				params.Set("IssuedBefore", t.UTC().Format(time.RFC3339Nano))
			}
			if (keyID == "") == (principal == "") {
				return errors.New("give exactly one of --access-key-id and --principal")
			}
			var out struct {
				Revocations []revocationXML `xml:"RevokeSessionsResult>Revocations>member"`
				Count       int             `xml:"RevokeSessionsResult>RevokedCount"`
			}
			if err := c.call(cmd.Context(), "RevokeSessions", params, &out); err != nil {
				return err
			}
			if c.json {
				return printJSON(cmd.OutOrStdout(), out.Revocations)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "KIND\tTARGET\tISSUED BEFORE\tENTRY EXPIRES")
			for _, r := range out.Revocations {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Kind, r.Target, r.NotBefore, r.ExpiresAt)
			}
			return w.Flush()
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVar(&keyID, "access-key-id", "", "the access key to revoke (ASIA... or AKIA...)")
	cmd.Flags().StringVar(&principal, "principal", "", "the role, user or session ARN whose sessions to revoke")
	cmd.Flags().StringVar(&before, "issued-before", "", "with --principal: revoke sessions issued before this time (RFC 3339; default now)")
	return cmd
}

type sessionXML struct {
	AccessKeyID       string `xml:"AccessKeyId" json:"AccessKeyId"`
	PrincipalARN      string `xml:"PrincipalArn" json:"PrincipalArn"`
	SessionARN        string `xml:"SessionArn" json:"SessionArn"`
	Kind              string `xml:"Kind" json:"Kind"`
	SessionName       string `xml:"SessionName" json:"SessionName,omitempty"`
	SourceIP          string `xml:"SourceIp" json:"SourceIp"`
	ParentAccessKeyID string `xml:"ParentAccessKeyId" json:"ParentAccessKeyId,omitempty"`
	RootAccessKeyID   string `xml:"RootAccessKeyId" json:"RootAccessKeyId,omitempty"`
	Issued            string `xml:"Issued" json:"Issued"`
	Expiration        string `xml:"Expiration" json:"Expiration"`
}

type revocationXML struct {
	Kind      string `xml:"Kind" json:"Kind"`
	Target    string `xml:"Target" json:"Target"`
	NotBefore string `xml:"NotBefore" json:"NotBefore,omitempty"`
	ExpiresAt string `xml:"ExpiresAt" json:"ExpiresAt"`
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// credentials finds what to sign with: --credentials, the environment's
// keys, or the shared credentials file.
func (c *sessionsClient) credentials() (sigv4.Credentials, error) {
	file, profile := c.credFile, c.profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if file == "" {
		if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}, nil
		}
		file = os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	}
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return sigv4.Credentials{}, errors.New("no credentials: give --credentials or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
		}
		file = filepath.Join(home, ".aws", "credentials")
	}
	f, err := os.Open(file)
	if err != nil {
		return sigv4.Credentials{}, fmt.Errorf("credentials: %w", err)
	}
	defer f.Close()
	return loadgen.ParseSharedCredentials(f, profile)
}

// call sends one signed Brevet action and decodes its XML result into out.
func (c *sessionsClient) call(ctx context.Context, action string, params url.Values, out any) error {
	endpoint := c.endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		return errors.New("no server: give --endpoint or set AWS_ENDPOINT_URL")
	}
	region := c.region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	creds, err := c.credentials()
	if err != nil {
		return err
	}
	params.Set("Action", action)
	params.Set("Version", brevetapi.Version)
	body := []byte(params.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	s := sigv4.Signer{Credentials: creds}
	if err := s.SignHTTP(req, body, sigv4.SignOptions{Region: region, Service: "sts", Time: time.Now()}); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		if xml.Unmarshal(raw, &e) == nil && e.Code != "" {
			return fmt.Errorf("%s: %s: %s", action, e.Code, e.Message)
		}
		return fmt.Errorf("%s: HTTP %d: %s", action, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	return xml.Unmarshal(raw, out)
}
