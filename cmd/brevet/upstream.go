package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// newUpstreamCmd is `brevet upstream`: the credential broker's upstream
// accounts and brokered roles (docs/broker.md), and the upstream
// GetSessionToken and GetFederationToken, through the API. It signs as
// `brevet sessions` does.
func newUpstreamCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "upstream",
		Short: "Broker real AWS accounts: register upstream accounts and roles, obtain upstream credentials",
		Long: `Brevet brokers upstream AWS accounts (docs/broker.md): callers ask Brevet's STS
for an upstream role (AssumeRole with the upstream role's ARN), Brevet authorizes
them with its own policies and assumes the role upstream, and they get the
upstream's credentials. An upstream account trusts Brevet through its OIDC
issuer (--mode oidc, no secret) or through an access key Brevet keeps sealed and
rotates (--mode key; the secret is read from a file or stdin, never a flag, and
no command shows it again).

The calls are signed with SigV4, authorized by IAM policy (brevet:ACTION on
arn:aws:brevet::ACCOUNT:upstream/ID, or on the upstream role's ARN) and audited.`,
	}
	role := &cobra.Command{
		Use:   "role",
		Short: "Register the upstream roles Brevet brokers, with who in Brevet may obtain them",
	}
	role.AddCommand(newBrokeredRoleEditCmd(true), newBrokeredRoleEditCmd(false), newBrokeredRoleListCmd(), newBrokeredRoleRemoveCmd())
	cmd.AddCommand(newUpstreamEditCmd(true), newUpstreamEditCmd(false), newUpstreamListCmd(), newUpstreamShowCmd(),
		newUpstreamRotateCmd(), newUpstreamRemoveCmd(), role, newUpstreamSessionTokenCmd(), newUpstreamFederationTokenCmd())
	return cmd
}

// upstreamClient is sessionsClient with -o table|json.
type upstreamClient struct {
	sessionsClient
	output string
}

func (c *upstreamClient) flags(cmd *cobra.Command) {
	c.sessionsClient.flags(cmd)
	cmd.Flags().StringVarP(&c.output, "output", "o", "table", "output format: table or json")
}

// editFlags is flags for add and update, where --region is the upstream's
// region: the signing region is --signing-region.
func (c *upstreamClient) editFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.endpoint, "endpoint", "", "the server's URL (default: $AWS_ENDPOINT_URL_STS, else $AWS_ENDPOINT_URL or the profile's endpoint_url)")
	f.StringVar(&c.region, "signing-region", "", "signing region (default: $AWS_REGION or the profile's, else us-east-1)")
	f.StringVar(&c.credFile, "credentials", "", "AWS shared credentials file, e.g. DATA_DIR/admin-credentials (default: the AWS SDKs' chain)")
	f.StringVar(&c.profile, "profile", "", "profile to use (default: $AWS_PROFILE, else default)")
	f.BoolVar(&c.json, "json", false, "print JSON instead of a table")
	f.StringVarP(&c.output, "output", "o", "table", "output format: table or json")
}

// asJSON reports whether to print JSON (-o json or --json).
func (c *upstreamClient) asJSON() (bool, error) {
	switch c.output {
	case "json":
		return true, nil
	case "table", "":
		return c.json, nil
	}
	return false, fmt.Errorf("--output %q: want table or json", c.output)
}

// upstreamXML is the API's UpstreamAccount element: never a secret.
type upstreamXML struct {
	ID                 string `xml:"UpstreamAccountId" json:"UpstreamAccountId"`
	Arn                string `xml:"Arn" json:"Arn"`
	Mode               string `xml:"Mode" json:"Mode"`
	StsEndpoint        string `xml:"StsEndpoint" json:"StsEndpoint,omitempty"`
	IamEndpoint        string `xml:"IamEndpoint" json:"IamEndpoint,omitempty"`
	Region             string `xml:"Region" json:"Region,omitempty"`
	Audience           string `xml:"Audience" json:"Audience,omitempty"`
	HasCaBundle        bool   `xml:"HasCaBundle" json:"HasCaBundle"`
	AccessKeyID        string `xml:"AccessKeyId" json:"AccessKeyId,omitempty"`
	UserName           string `xml:"UserName" json:"UserName,omitempty"`
	KeyCreated         string `xml:"KeyCreated" json:"KeyCreated,omitempty"`
	RotateEveryDays    int    `xml:"RotateEveryDays" json:"RotateEveryDays"`
	LastRotated        string `xml:"LastRotated" json:"LastRotated,omitempty"`
	LastRotationFailed string `xml:"LastRotationFailed" json:"LastRotationFailed,omitempty"`
	LastRotationError  string `xml:"LastRotationError" json:"LastRotationError,omitempty"`
	Rate               int    `xml:"Rate" json:"Rate,omitempty"`
	Burst              int    `xml:"Burst" json:"Burst,omitempty"`
	CacheCredentials   bool   `xml:"CacheCredentials" json:"CacheCredentials"`
	Description        string `xml:"Description" json:"Description,omitempty"`
	Created            string `xml:"Created" json:"Created"`
	CreatedBy          string `xml:"CreatedBy" json:"CreatedBy,omitempty"`
}

// brokeredRoleXML is the API's BrokeredRole element.
type brokeredRoleXML struct {
	RoleArn            string `xml:"RoleArn" json:"RoleArn"`
	UpstreamAccountID  string `xml:"UpstreamAccountId" json:"UpstreamAccountId"`
	TrustPolicy        string `xml:"AssumeRolePolicyDocument" json:"AssumeRolePolicyDocument"`
	MaxSessionDuration int    `xml:"MaxSessionDuration" json:"MaxSessionDuration"`
	SessionPolicy      string `xml:"SessionPolicy" json:"SessionPolicy,omitempty"`
	ExternalID         string `xml:"ExternalId" json:"ExternalId,omitempty"`
	Description        string `xml:"Description" json:"Description,omitempty"`
	Created            string `xml:"Created" json:"Created"`
	CreatedBy          string `xml:"CreatedBy" json:"CreatedBy,omitempty"`
}

// decodeTrustPolicy undoes the URL encoding the API gives a trust
// policy (as IAM's GetRole does); one that does not decode stays as is.
func (r *brokeredRoleXML) decodeTrustPolicy() {
	if doc, err := url.QueryUnescape(r.TrustPolicy); err == nil {
		r.TrustPolicy = doc
	}
}

// upstreamFlags are add's and update's flags.
type upstreamFlags struct {
	mode, stsEndpoint, iamEndpoint, region, audience, caBundle string
	keyID, secretFile, userName, description                   string
	rotateDays, rate, burst                                    int
	cache                                                      bool
}

func (u *upstreamFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&u.mode, "mode", "", "how the upstream trusts Brevet: oidc (its IAM OIDC provider for Brevet's issuer; no secret) or key (an access key)")
	f.StringVar(&u.stsEndpoint, "sts-endpoint", "", "the upstream's STS endpoint (https; http only on a loopback address); default AWS's for --region")
	f.StringVar(&u.iamEndpoint, "iam-endpoint", "", "the upstream's IAM endpoint, for key rotation")
	f.StringVar(&u.region, "region", "", "the upstream's region (its requests are signed for it)")
	f.StringVar(&u.audience, "audience", "", "OIDC mode: the token's audience, the upstream provider's client id (default sts.amazonaws.com)")
	f.StringVar(&u.caBundle, "ca-bundle", "", "PEM file of CA certificates to trust for the upstream's endpoints")
	f.StringVar(&u.keyID, "access-key-id", "", "key mode: the upstream access key id (AKIA...)")
	f.StringVar(&u.secretFile, "secret-access-key-file", "", "key mode: file holding the secret access key, or - for stdin")
	f.StringVar(&u.userName, "user-name", "", "key mode: the upstream IAM user owning the key (for rotation)")
	f.IntVar(&u.rotateDays, "rotate-every-days", 0, "key mode: rotate the key every N days (0: only on demand)")
	f.IntVar(&u.rate, "rate", 0, "calls per second to this upstream, per node")
	f.IntVar(&u.burst, "burst", 0, "burst of calls above --rate")
	f.BoolVar(&u.cache, "cache", false, "reuse a caller's still-valid upstream credentials for an identical request")
	f.StringVar(&u.description, "description", "", "a description")
}

// params sets the flags given (create: every flag given; update: only the
// flags changed, so absent members stay unchanged).
func (u *upstreamFlags) params(cmd *cobra.Command, create bool, stdin io.Reader) (url.Values, error) {
	f := cmd.Flags()
	v := url.Values{}
	set := func(flag, param, val string) {
		if f.Changed(flag) {
			v.Set(param, val)
		}
	}
	if create && u.mode == "" {
		return nil, errors.New("give --mode oidc or --mode key")
	}
	if f.Changed("mode") {
		switch strings.ToLower(u.mode) {
		case "oidc", "key":
			v.Set("Mode", strings.ToUpper(u.mode))
		default:
			return nil, fmt.Errorf("--mode %q: want oidc or key", u.mode)
		}
	}
	set("sts-endpoint", "StsEndpoint", u.stsEndpoint)
	set("iam-endpoint", "IamEndpoint", u.iamEndpoint)
	set("region", "Region", u.region)
	set("audience", "Audience", u.audience)
	set("user-name", "UserName", u.userName)
	set("description", "Description", u.description)
	set("rotate-every-days", "RotateEveryDays", strconv.Itoa(u.rotateDays))
	set("rate", "Rate", strconv.Itoa(u.rate))
	set("burst", "Burst", strconv.Itoa(u.burst))
	set("cache", "CacheCredentials", strconv.FormatBool(u.cache))
	if u.caBundle != "" {
		b, err := os.ReadFile(u.caBundle)
		if err != nil {
			return nil, fmt.Errorf("--ca-bundle: %w", err)
		}
		v.Set("CaBundle", string(b))
	}
	if (u.keyID == "") != (u.secretFile == "") {
		return nil, errors.New("give --access-key-id and --secret-access-key-file together")
	}
	if u.keyID != "" {
		secret, err := readSecret(u.secretFile, stdin)
		if err != nil {
			return nil, err
		}
		v.Set("AccessKeyId", u.keyID)
		v.Set("SecretAccessKey", secret)
	}
	return v, nil
}

// readSecret reads a secret access key from path, or from stdin for "-":
// the first line, without surrounding space. Errors never quote it.
func readSecret(path string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 4096))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("--secret-access-key-file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	secret := strings.TrimSpace(line)
	if secret == "" {
		return "", errors.New("--secret-access-key-file: no secret access key in it")
	}
	return secret, nil
}

// newUpstreamEditCmd is `brevet upstream add` (create) or `brevet
// upstream update`.
func newUpstreamEditCmd(create bool) *cobra.Command {
	var c upstreamClient
	var u upstreamFlags
	use, short, action := "add ID --mode oidc|key", "Register an upstream AWS account", "CreateUpstreamAccount"
	if !create {
		use, short, action = "update ID", "Change an upstream account (the flags given; a new key replaces the old)", "UpdateUpstreamAccount"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := u.params(cmd, create, cmd.InOrStdin())
			if err != nil {
				return err
			}
			params.Set("UpstreamAccountId", args[0])
			return c.upstreamCall(cmd, action, params)
		},
	}
	c.editFlags(cmd)
	u.add(cmd)
	return cmd
}

// upstreamCall calls an action answering {UpstreamAccount} and prints it.
func (c *upstreamClient) upstreamCall(cmd *cobra.Command, action string, params url.Values) error {
	js, err := c.asJSON()
	if err != nil {
		return err
	}
	// The result element is named for the action (ACTIONResult).
	var res struct {
		Result struct {
			U upstreamXML `xml:"UpstreamAccount"`
		} `xml:",any"`
		Meta struct{} `xml:"ResponseMetadata"`
	}
	if err := c.call(cmd.Context(), action, params, &res); err != nil {
		return err
	}
	if js {
		return printJSON(cmd.OutOrStdout(), res.Result.U)
	}
	return printUpstream(cmd.OutOrStdout(), &res.Result.U)
}

// printUpstream prints one upstream account, a field a line.
func printUpstream(w io.Writer, u *upstreamXML) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range []struct{ k, v string }{
		{"Upstream account", u.ID}, {"ARN", u.Arn}, {"Mode", u.Mode}, {"STS endpoint", u.StsEndpoint},
		{"IAM endpoint", u.IamEndpoint}, {"Region", u.Region}, {"Audience", u.Audience},
		{"CA bundle", yesNo(u.HasCaBundle)}, {"Access key id", u.AccessKeyID}, {"User name", u.UserName},
		{"Key created", u.KeyCreated}, {"Rotate every (days)", zeroDash(u.RotateEveryDays)}, {"Last rotated", u.LastRotated},
		{"Last rotation failed", u.LastRotationFailed}, {"Last rotation error", u.LastRotationError},
		{"Rate", zeroDash(u.Rate)}, {"Burst", zeroDash(u.Burst)}, {"Cache credentials", yesNo(u.CacheCredentials)},
		{"Description", u.Description}, {"Created", u.Created}, {"Created by", u.CreatedBy},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", f.k, dash(f.v))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func zeroDash(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func newUpstreamListCmd() *cobra.Command {
	var c upstreamClient
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the caller account's upstream accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			js, err := c.asJSON()
			if err != nil {
				return err
			}
			var all []upstreamXML
			params := url.Values{}
			for range 10000 {
				var out struct {
					Us        []upstreamXML `xml:"ListUpstreamAccountsResult>UpstreamAccounts>member"`
					Truncated bool          `xml:"ListUpstreamAccountsResult>IsTruncated"`
					Marker    string        `xml:"ListUpstreamAccountsResult>Marker"`
				}
				if err := c.call(cmd.Context(), "ListUpstreamAccounts", params, &out); err != nil {
					return err
				}
				all = append(all, out.Us...)
				if !out.Truncated || out.Marker == "" {
					break
				}
				params.Set("Marker", out.Marker)
			}
			if js {
				return printJSON(cmd.OutOrStdout(), all)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "UPSTREAM ACCOUNT\tMODE\tSTS ENDPOINT\tACCESS KEY ID\tLAST ROTATED\tROTATION FAILED\tDESCRIPTION")
			for i := range all {
				u := &all[i]
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Mode, dash(u.StsEndpoint), dash(u.AccessKeyID),
					dash(u.LastRotated), dash(u.LastRotationFailed), dash(u.Description))
			}
			return w.Flush()
		},
	}
	c.flags(cmd)
	return cmd
}

// newUpstreamIDCmd is a command taking one upstream account id and
// calling action with it.
func newUpstreamIDCmd(use, short, action string, printsAccount bool) *cobra.Command {
	var c upstreamClient
	cmd := &cobra.Command{
		Use:   use + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			params := url.Values{"UpstreamAccountId": {args[0]}}
			if printsAccount {
				return c.upstreamCall(cmd, action, params)
			}
			if err := c.call(cmd.Context(), action, params, &struct{}{}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed upstream account %s\n", args[0])
			return nil
		},
	}
	c.flags(cmd)
	return cmd
}

func newUpstreamShowCmd() *cobra.Command {
	return newUpstreamIDCmd("show", "Show an upstream account (never its secret key)", "GetUpstreamAccount", true)
}

func newUpstreamRotateCmd() *cobra.Command {
	return newUpstreamIDCmd("rotate", "Rotate a key-mode upstream's access key now (create, verify, switch, delete the old)", "RotateUpstreamKey", true)
}

func newUpstreamRemoveCmd() *cobra.Command {
	return newUpstreamIDCmd("remove", "Remove an upstream account (refused while brokered roles of it exist)", "DeleteUpstreamAccount", false)
}

// roleFlags are role add's and update's flags.
type roleFlags struct {
	trust, sessionPolicy, externalID, description string
	maxSession                                    int
}

// params sets the flags given, as upstreamFlags.params does.
func (r *roleFlags) params(cmd *cobra.Command, create bool) (url.Values, error) {
	f := cmd.Flags()
	v := url.Values{}
	if create && r.trust == "" {
		return nil, errors.New("give --trust-policy")
	}
	if f.Changed("trust-policy") {
		doc, err := readDoc("--trust-policy", r.trust)
		if err != nil {
			return nil, err
		}
		v.Set("AssumeRolePolicyDocument", doc)
	}
	if f.Changed("session-policy") {
		doc := ""
		if r.sessionPolicy != "" {
			var err error
			if doc, err = readDoc("--session-policy", r.sessionPolicy); err != nil {
				return nil, err
			}
		}
		v.Set("SessionPolicy", doc)
	}
	if f.Changed("max-session-duration") {
		v.Set("MaxSessionDuration", strconv.Itoa(r.maxSession))
	}
	if f.Changed("external-id") {
		v.Set("ExternalId", r.externalID)
	}
	if f.Changed("description") {
		v.Set("Description", r.description)
	}
	return v, nil
}

// readDoc reads a policy given as file://PATH or inline JSON.
func readDoc(flag, s string) (string, error) {
	if path, ok := strings.CutPrefix(s, "file://"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flag, err)
		}
		return string(b), nil
	}
	return s, nil
}

// newBrokeredRoleEditCmd is `brevet upstream role add` (create) or
// `brevet upstream role update`.
func newBrokeredRoleEditCmd(create bool) *cobra.Command {
	var c upstreamClient
	var r roleFlags
	use, short, action := "add ARN --trust-policy file://F|JSON", "Register an upstream role and who in Brevet may obtain it", "CreateBrokeredRole"
	if !create {
		use, short, action = "update ARN", "Change a brokered role (the flags given)", "UpdateBrokeredRole"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `.

--trust-policy is a trust policy, as an IAM role's AssumeRolePolicyDocument, naming
the Brevet principals that may obtain the role; their own identity policies must
allow sts:AssumeRole on the upstream role's ARN too. --max-session-duration is
the upstream role's maximum (900..43200 seconds, default 3600). --session-policy
is a ceiling: passed upstream when the caller passes no session policy; a
caller's session policy must be provably no wider.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := r.params(cmd, create)
			if err != nil {
				return err
			}
			params.Set("RoleArn", args[0])
			return c.roleCall(cmd, action, params)
		},
	}
	c.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&r.trust, "trust-policy", "", "the Brevet-side trust policy: file://PATH or JSON")
	f.IntVar(&r.maxSession, "max-session-duration", 0, "the upstream role's maximum session duration, in seconds (900..43200)")
	f.StringVar(&r.sessionPolicy, "session-policy", "", "a ceiling session policy: file://PATH or JSON ('' removes it)")
	f.StringVar(&r.externalID, "external-id", "", "the external id the upstream role's trust policy requires")
	f.StringVar(&r.description, "description", "", "a description")
	return cmd
}

// roleCall calls an action answering {BrokeredRole} and prints it.
func (c *upstreamClient) roleCall(cmd *cobra.Command, action string, params url.Values) error {
	js, err := c.asJSON()
	if err != nil {
		return err
	}
	var out struct {
		Result struct {
			R brokeredRoleXML `xml:"BrokeredRole"`
		} `xml:",any"`
		Meta struct{} `xml:"ResponseMetadata"`
	}
	if err := c.call(cmd.Context(), action, params, &out); err != nil {
		return err
	}
	r := &out.Result.R
	r.decodeTrustPolicy()
	if js {
		return printJSON(cmd.OutOrStdout(), r)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	for _, f := range []struct{ k, v string }{
		{"Role", r.RoleArn}, {"Upstream account", r.UpstreamAccountID}, {"Max session duration", zeroDash(r.MaxSessionDuration)},
		{"External id", r.ExternalID}, {"Description", r.Description}, {"Created", r.Created}, {"Created by", r.CreatedBy},
		{"Trust policy", r.TrustPolicy}, {"Session policy", r.SessionPolicy},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", f.k, dash(f.v))
	}
	return tw.Flush()
}

func newBrokeredRoleListCmd() *cobra.Command {
	var c upstreamClient
	var upstream string
	cmd := &cobra.Command{
		Use:   "list [--upstream ID]",
		Short: "List the caller account's brokered roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			js, err := c.asJSON()
			if err != nil {
				return err
			}
			params := url.Values{}
			if upstream != "" {
				params.Set("UpstreamAccountId", upstream)
			}
			var all []brokeredRoleXML
			for range 10000 {
				var out struct {
					Rs        []brokeredRoleXML `xml:"ListBrokeredRolesResult>BrokeredRoles>member"`
					Truncated bool              `xml:"ListBrokeredRolesResult>IsTruncated"`
					Marker    string            `xml:"ListBrokeredRolesResult>Marker"`
				}
				if err := c.call(cmd.Context(), "ListBrokeredRoles", params, &out); err != nil {
					return err
				}
				all = append(all, out.Rs...)
				if !out.Truncated || out.Marker == "" {
					break
				}
				params.Set("Marker", out.Marker)
			}
			for i := range all {
				all[i].decodeTrustPolicy()
			}
			if js {
				return printJSON(cmd.OutOrStdout(), all)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ROLE\tUPSTREAM ACCOUNT\tMAX SESSION\tCEILING\tCREATED\tDESCRIPTION")
			for i := range all {
				r := &all[i]
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", r.RoleArn, r.UpstreamAccountID, r.MaxSessionDuration,
					yesNo(r.SessionPolicy != ""), r.Created, dash(r.Description))
			}
			return w.Flush()
		},
	}
	c.flags(cmd)
	cmd.Flags().StringVar(&upstream, "upstream", "", "only the roles of this upstream account")
	return cmd
}

func newBrokeredRoleRemoveCmd() *cobra.Command {
	var c upstreamClient
	cmd := &cobra.Command{
		Use:   "remove ARN",
		Short: "Remove a brokered role: Brevet no longer brokers it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.call(cmd.Context(), "DeleteBrokeredRole", url.Values{"RoleArn": {args[0]}}, &struct{}{}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed brokered role %s\n", args[0])
			return nil
		},
	}
	c.flags(cmd)
	return cmd
}

// credentialProcess is the AWS SDKs' credential_process output.
type credentialProcess struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// credentialsXML is STS's Credentials element.
type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

func (c credentialsXML) process() credentialProcess {
	return credentialProcess{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
		SessionToken: c.SessionToken, Expiration: c.Expiration}
}

// durationParam sets DurationSeconds from d, when given.
func durationParam(v url.Values, d time.Duration) error {
	if d == 0 {
		return nil
	}
	if d%time.Second != 0 || d < 0 {
		return fmt.Errorf("--duration %v: want a whole number of seconds", d)
	}
	v.Set("DurationSeconds", strconv.FormatInt(int64(d/time.Second), 10))
	return nil
}

func newUpstreamSessionTokenCmd() *cobra.Command {
	var c sessionsClient
	var d time.Duration
	cmd := &cobra.Command{
		Use:   "session-token ID [--duration 2h]",
		Short: "Print an upstream GetSessionToken's credentials as credential_process JSON",
		Long: `Print credentials of the upstream account's IAM user (its GetSessionToken, key
mode only), as credential_process JSON: an AWS profile with

  credential_process = brevet upstream session-token ID

uses them. Authorized as brevet:GetUpstreamSessionToken on
arn:aws:brevet::ACCOUNT:upstream/ID (condition key sts:DurationSeconds).
--duration is 15m to 36h (default 12h, AWS's).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			params := url.Values{"UpstreamAccountId": {args[0]}}
			if err := durationParam(params, d); err != nil {
				return err
			}
			var out struct {
				C credentialsXML `xml:"GetUpstreamSessionTokenResult>Credentials"`
			}
			if err := c.call(cmd.Context(), "GetUpstreamSessionToken", params, &out); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), out.C.process())
		},
	}
	c.flags(cmd)
	cmd.Flags().DurationVar(&d, "duration", 0, "the session's lifetime (15m..36h; default 12h)")
	return cmd
}

func newUpstreamFederationTokenCmd() *cobra.Command {
	var c sessionsClient
	var d time.Duration
	var name, pol string
	var arns []string
	cmd := &cobra.Command{
		Use:   "federation-token ID --name N [--policy file://F] [--duration 2h]",
		Short: "Print an upstream GetFederationToken's credentials as credential_process JSON",
		Long: `Print credentials of a federated user of the upstream account (its
GetFederationToken, key mode only), as credential_process JSON. The session's
permissions are the upstream IAM user's, narrowed by --policy and --policy-arn.
Authorized as brevet:GetUpstreamFederationToken on
arn:aws:brevet::ACCOUNT:upstream/ID (condition key sts:DurationSeconds).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return errors.New("give --name")
			}
			params := url.Values{"UpstreamAccountId": {args[0]}, "Name": {name}}
			if pol != "" {
				doc, err := readDoc("--policy", pol)
				if err != nil {
					return err
				}
				params.Set("Policy", doc)
			}
			for i, a := range arns {
				params.Set(fmt.Sprintf("PolicyArns.member.%d.arn", i+1), a)
			}
			if err := durationParam(params, d); err != nil {
				return err
			}
			var out struct {
				C credentialsXML `xml:"GetUpstreamFederationTokenResult>Credentials"`
			}
			if err := c.call(cmd.Context(), "GetUpstreamFederationToken", params, &out); err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), out.C.process())
		},
	}
	c.flags(cmd)
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the federated user's name (2-32 characters of [\\w+=,.@-])")
	f.StringVar(&pol, "policy", "", "a session policy: file://PATH or JSON")
	f.StringArrayVar(&arns, "policy-arn", nil, "an upstream managed policy ARN to narrow the session (repeatable)")
	f.DurationVar(&d, "duration", 0, "the session's lifetime (15m..36h; default 12h)")
	return cmd
}
