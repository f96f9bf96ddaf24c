package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/brevet-dev/brevet/internal/agent"
	"github.com/brevet-dev/brevet/internal/config"
)

func newAgentCmd() *cobra.Command {
	var (
		cfg                 agent.Config
		joinTokenFile       string
		certFile, keyFile   string
		chainFile           string
		workloads           []string
		logLevel, logFormat string
	)
	cmd := &cobra.Command{
		Use:   "agent --endpoint URL --state-dir DIR [enrollment] [--imds-listen ADDR] [--container-listen ADDR]",
		Short: "Serve a host's role credentials where the SDKs look (IMDSv2, the container endpoint)",
		Long: `brevet agent enrolls this host with Brevet once (a join token, a Roles Anywhere
certificate, or a web identity token file), keeps the key and enrollment in
--state-dir, and keeps the instance profile role's credentials fresh in memory.
It serves them through an IMDSv2 server (AWS_EC2_METADATA_SERVICE_ENDPOINT) and
the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI with
AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); see docs/agent.md.

--workload TOKEN_FILE[=ROLE_ARN] (repeatable) gives the holder of the token in
TOKEN_FILE (created, random, if missing) the credentials of ROLE_ARN, assumed
with the host role's credentials (the role must trust it), or of the host role.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := newLogger(config.Log{Level: level, Format: config.LogFormat(logFormat)}, os.Stderr)
			cfg.Log = log
			if joinTokenFile != "" {
				b, err := os.ReadFile(joinTokenFile)
				if err != nil {
					return fmt.Errorf("reading --join-token-file: %w", err)
				}
				cfg.Enroll.JoinToken = strings.TrimSpace(string(b))
			}
			if certFile != "" || keyFile != "" {
				key, leaf, chain, err := agent.LoadCertificate(certFile, chainFile, keyFile)
				if err != nil {
					return err
				}
				cfg.Enroll.Key, cfg.Enroll.Leaf, cfg.Enroll.Chain = key, leaf, chain
			}
			for _, w := range workloads {
				file, role, _ := strings.Cut(w, "=")
				cfg.Workloads = append(cfg.Workloads, agent.WorkloadConfig{TokenFile: file, RoleArn: role})
			}
			if cfg.Endpoint == "" || cfg.StateDir == "" {
				return fmt.Errorf("--endpoint and --state-dir are required")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := agent.New(ctx, cfg)
			if err != nil {
				return err
			}
			ls, err := a.Listen()
			if err != nil {
				return err
			}
			for name, ln := range map[string]net.Listener{"imds": ls.IMDS, "container": ls.Container, "metrics": ls.Metrics} {
				if ln != nil {
					log.Info("agent: listening", "endpoint", name, "addr", ln.Addr().String())
				}
			}
			return a.Run(ctx, ls)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Endpoint, "endpoint", "", "Brevet's URL")
	f.StringVar(&cfg.Region, "region", "us-east-1", "region to sign enrollment requests for (the server's)")
	f.StringVar(&cfg.StateDir, "state-dir", "", "directory for the host key, certificate and enrollment (0700)")
	f.StringVar(&cfg.Hostname, "hostname", "", "host name sent at enrollment (default: the system's)")
	f.StringVar(&cfg.Enroll.JoinToken, "join-token", "", "single-use join token (brevet hosts join-token)")
	f.StringVar(&joinTokenFile, "join-token-file", "", "file holding the join token")
	f.StringVar(&certFile, "certificate", "", "Roles Anywhere: certificate PEM (with chain)")
	f.StringVar(&chainFile, "intermediates", "", "Roles Anywhere: intermediate certificates PEM")
	f.StringVar(&keyFile, "private-key", "", "Roles Anywhere: private key PEM")
	f.StringVar(&cfg.Enroll.TrustAnchorArn, "trust-anchor-arn", "", "Roles Anywhere: trust anchor ARN")
	f.StringVar(&cfg.Enroll.ProfileArn, "profile-arn", "", "Roles Anywhere: profile ARN")
	f.StringVar(&cfg.Enroll.RoleArn, "role-arn", "", "Roles Anywhere or web identity: the role to enroll with")
	f.StringVar(&cfg.Enroll.WebIdentityTokenFile, "web-identity-token-file", "", "web identity (OIDC) token file")
	f.StringVar(&cfg.Enroll.InstanceProfile, "instance-profile", "", "instance profile to enroll into (certificate or web identity)")
	f.StringVar(&cfg.IMDSListen, "imds-listen", "127.0.0.1:8169", "IMDSv2 listen address (empty: off)")
	f.IntVar(&cfg.HopLimit, "imds-hop-limit", 1, "IP TTL of IMDS responses (0: the OS default; 2+ for containers behind a bridge)")
	f.StringVar(&cfg.ContainerListen, "container-listen", "", "container credentials endpoint listen address (empty: off)")
	f.StringArrayVar(&workloads, "workload", nil, "TOKEN_FILE[=ROLE_ARN]: a container-endpoint workload (repeatable)")
	f.StringVar(&cfg.MetricsListen, "metrics", "", "listen address of /metrics and /healthz (empty: off)")
	f.BoolVar(&cfg.Watch, "watch", true, "follow the host's state (WaitHostChange) to stop serving at once when its role is removed or it is deregistered")
	f.DurationVar(&cfg.Poll, "poll", 0, "also fetch credentials at least this often (0: only to refresh)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", "json", "json or text")
	return cmd
}

func newCredentialProcessCmd() *cobra.Command {
	var cfg agent.ProcessConfig
	cmd := &cobra.Command{
		Use:   "credential-process --agent-url URL [--authorization-token-file F]",
		Short: "Print the agent's credentials as credential_process JSON (cached until 5 minutes before expiry)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := agent.CredentialProcess(cmd.Context(), cfg, time.Now())
			if err != nil {
				return err
			}
			b, _ := json.Marshal(out)
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.AgentURL, "agent-url", "http://127.0.0.1:8169", "the agent's IMDS URL, or its container endpoint URL with --authorization-token-file")
	f.StringVar(&cfg.TokenFile, "authorization-token-file", "", "container endpoint authorization token file")
	f.StringVar(&cfg.CacheDir, "cache-dir", "", "cache directory (default: the user's cache dir/brevet/credential-process)")
	return cmd
}
