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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
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
	f.StringVar(&c.endpoint, "endpoint", "", "the server's URL (default: $AWS_ENDPOINT_URL_STS, else $AWS_ENDPOINT_URL or the profile's endpoint_url)")
	f.StringVar(&c.region, "region", "", "signing region (default: $AWS_REGION or the profile's, else us-east-1)")
	f.StringVar(&c.credFile, "credentials", "", "AWS shared credentials file, e.g. DATA_DIR/admin-credentials "+
		"(default: the AWS SDKs' chain: environment keys, $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, ~/.aws/config)")
	f.StringVar(&c.profile, "profile", "", "profile to use: static keys, role_arn, credential_process, SSO or web identity (default: $AWS_PROFILE, else default)")
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

// awsConfig resolves the region, endpoint and credentials the way the
// AWS SDKs and CLI do (aws-sdk-go-v2's LoadDefaultConfig): environment
// keys, shared credentials and config files with profiles (static keys,
// role_arn, credential_process, SSO, web identity), the web identity
// variables. --credentials and --profile name the file and profile; a
// file given on the command line is read even when the environment holds
// keys. Instance metadata is not asked: a Brevet server's credentials are
// never an EC2 instance's.
func (c *sessionsClient) awsConfig(ctx context.Context) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if c.credFile != "" {
		if _, err := os.Stat(c.credFile); err != nil {
			return aws.Config{}, fmt.Errorf("--credentials: %w", err)
		}
		opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{c.credFile}))
	}
	profile := c.profile
	if profile == "" && c.credFile != "" {
		// A profile set in code takes precedence over the environment's
		// keys, so the file given is the one used.
		if profile = os.Getenv("AWS_PROFILE"); profile == "" {
			profile = "default"
		}
	}
	if profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(profile))
	}
	if c.region != "" {
		opts = append(opts, awsconfig.WithRegion(c.region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	var missing awsconfig.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return aws.Config{}, fmt.Errorf("no profile %q in the AWS config or credentials files (%s, %s)",
			missing.Profile, strings.Join(awsconfig.DefaultSharedConfigFiles, ", "), strings.Join(awsconfig.DefaultSharedCredentialsFiles, ", "))
	}
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// endpoint is the server's URL: --endpoint, else AWS_ENDPOINT_URL_STS
// (Brevet's actions are signed for STS), else AWS_ENDPOINT_URL or the
// profile's endpoint_url.
func (c *sessionsClient) endpointURL(cfg aws.Config) (string, error) {
	for _, e := range []string{c.endpoint, os.Getenv("AWS_ENDPOINT_URL_STS")} {
		if e != "" {
			return e, nil
		}
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return *cfg.BaseEndpoint, nil
	}
	return "", errors.New("no endpoint: give --endpoint or set AWS_ENDPOINT_URL (for example http://127.0.0.1:8787)")
}

// credentials retrieves the credentials to sign with.
func credentials(ctx context.Context, cfg aws.Config) (sigv4.Credentials, error) {
	if cfg.Credentials == nil {
		return sigv4.Credentials{}, errNoCredentials(nil)
	}
	// The chain falls back on the instance's role when it finds nothing
	// else; that fallback is off (awsConfig), and its error says nothing
	// useful.
	if c, ok := cfg.Credentials.(*aws.CredentialsCache); ok && c.IsCredentialsProvider(&ec2rolecreds.Provider{}) {
		return sigv4.Credentials{}, errNoCredentials(nil)
	}
	v, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return sigv4.Credentials{}, errNoCredentials(err)
	}
	return sigv4.Credentials{AccessKeyID: v.AccessKeyID, SecretAccessKey: v.SecretAccessKey, SessionToken: v.SessionToken}, nil
}

func errNoCredentials(cause error) error {
	const help = "no credentials to sign with: give --credentials FILE (for example DATA_DIR/admin-credentials) " +
		"and --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	if cause == nil {
		return errors.New(help)
	}
	return fmt.Errorf("%s (%w)", help, cause)
}

// call sends one signed Brevet action and decodes its XML result into out.
func (c *sessionsClient) call(ctx context.Context, action string, params url.Values, out any) error {
	cfg, err := c.awsConfig(ctx)
	if err != nil {
		return err
	}
	endpoint, err := c.endpointURL(cfg)
	if err != nil {
		return err
	}
	creds, err := credentials(ctx, cfg)
	if err != nil {
		return err
	}
	params.Set("Action", action)
	params.Set("Version", brevetapi.Version)
	body := []byte(params.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	s := sigv4.Signer{Credentials: creds}
	if err := s.SignHTTP(req, body, sigv4.SignOptions{Region: cfg.Region, Service: "sts", Time: time.Now()}); err != nil {
		return fmt.Errorf("signing the request: %s", strings.TrimPrefix(err.Error(), "sigv4: "))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
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
