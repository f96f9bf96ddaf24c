package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
)

// testKey is a recognisable master key; tests check it never leaks.
var testKey = bytes.Repeat([]byte{0xA5}, MasterKeySize)

var testKeyB64 = base64.StdEncoding.EncodeToString(testKey)

// keyEnv is the environment every valid case needs.
var keyEnv = "BREVET_MASTER_KEY=" + testKeyB64

// writeFile writes content to name in a fresh temp dir and returns the path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// load runs Load with a file body (written to brevet.yaml when not empty),
// an environment and command-line arguments.
func load(t *testing.T, file string, env []string, args ...string) (*Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse flags %q: %v", args, err)
	}
	la := LoadArgs{Env: env, Flags: fs}
	if file != "" {
		la.File = writeFile(t, "brevet.yaml", file)
	}
	return Load(la)
}

// defaultConfig is what Load returns with only the master key given.
func defaultConfig() Config {
	return Config{
		DataDir:        "brevet-data",
		Listen:         "127.0.0.1:8787",
		TLS:            TLS{ClientAuth: ClientAuthNone},
		Regions:        []string{"us-east-1"},
		MasterKey:      MasterKey{key: (*[32]byte)(testKey), source: "BREVET_MASTER_KEY"},
		Store:          Store{Driver: StoreSQLite, Path: filepath.Join("brevet-data", "brevet.db")},
		Log:            Log{Level: slog.LevelInfo, Format: LogJSON},
		MaxRequestBody: 1 << 20,
		ShutdownGrace:  25 * time.Second,
		Federation:     Federation{SAMLSignInURLs: []string{DefaultSAMLSignInURL}},
		MFA:            MFA{MaxFailures: DefaultMFAMaxFailures, Lockout: DefaultMFALockout, MaxLockout: DefaultMFAMaxLockout},
		Audit: Audit{MaxFieldBytes: 256 << 10, MaxFailedFieldBytes: 8 << 10, AggregateAfter: 5, AggregateWindow: time.Minute,
			DiskFreeWarning: DiskWatermark{Percent: 10}},
		Limits: Limits{
			FailuresPerSource: Rate{PerSecond: 10, Burst: 20}, FailuresPerKey: Rate{PerSecond: 10, Burst: 20},
			RequestsPerCaller: Rate{PerSecond: 100, Burst: 200}, TrackedKeys: 65536,
			MaxConnections: 4096, MaxInFlight: 1024, MaxConnectionsPerSource: 256, MaxInFlightPerSource: 64, BodyMemory: 64 << 20,
		},
		SSO:           SSO{SessionDuration: 8 * time.Hour, AccessTokenDuration: time.Hour, RoleSessionDuration: time.Hour, IAMUsers: true},
		Console:       Console{SessionDuration: time.Hour},
		IdentityPools: IdentityPools{GuestRate: Rate{PerSecond: 1, Burst: 20}, TokenIssuer: DefaultPoolTokenIssuer},
	}
}

var cmpConfig = cmp.Options{
	cmp.Comparer(func(a, b MasterKey) bool {
		return bytes.Equal(a.Bytes(), b.Bytes()) && a.source == b.source && a.file == b.file
	}),
	// File is a temp path; the tests that care check it directly.
	cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".File" }, cmp.Ignore()),
}

func TestLoadPrecedence(t *testing.T) {
	tokenFile := writeFile(t, "metrics.token", "token\n")
	tests := []struct {
		name string
		file string
		env  []string
		args []string
		want func(c *Config)
	}{
		{name: "defaults", want: func(c *Config) {}},
		{
			name: "file over defaults",
			file: "listen: 127.0.0.1:9000\nregions: [eu-west-1, us-east-1]\nlog:\n  level: debug\n  format: text\n" +
				"max_request_body: 2MiB\nshutdown_grace: 5s\naccount_id: \"123456789012\"\ndata_dir: /var/lib/brevet\n",
			want: func(c *Config) {
				c.Listen = "127.0.0.1:9000"
				c.Regions = []string{"eu-west-1", "us-east-1"}
				c.Log = Log{Level: slog.LevelDebug, Format: LogText}
				c.MaxRequestBody = 2 << 20
				c.ShutdownGrace = 5 * time.Second
				c.AccountID = "123456789012"
				c.DataDir = "/var/lib/brevet"
				c.Store.Path = "/var/lib/brevet/brevet.db"
			},
		},
		{
			name: "env over file",
			file: "listen: 127.0.0.1:9000\nregions: [eu-west-1]\n",
			env:  []string{"BREVET_LISTEN=127.0.0.1:9001", "BREVET_REGION=ap-south-1, ap-east-1"},
			want: func(c *Config) {
				c.Listen = "127.0.0.1:9001"
				c.Regions = []string{"ap-south-1", "ap-east-1"}
			},
		},
		{
			name: "flags over env",
			file: "listen: 127.0.0.1:9000\n",
			env:  []string{"BREVET_LISTEN=127.0.0.1:9001", "BREVET_REGION=eu-west-1", "BREVET_SHUTDOWN_GRACE=1s"},
			args: []string{"--listen=127.0.0.1:9002", "--region=us-west-2,us-west-1", "--region", "eu-north-1", "--shutdown-grace=3s"},
			want: func(c *Config) {
				c.Listen = "127.0.0.1:9002"
				c.Regions = []string{"us-west-2", "us-west-1", "eu-north-1"}
				c.ShutdownGrace = 3 * time.Second
			},
		},
		{
			name: "a flag left at its default does not hide env",
			env:  []string{"BREVET_LISTEN=127.0.0.1:9001"},
			args: []string{"--log-level=warn"},
			want: func(c *Config) {
				c.Listen = "127.0.0.1:9001"
				c.Log.Level = slog.LevelWarn
			},
		},
		{
			name: "empty env var counts as unset",
			file: "listen: 127.0.0.1:9000\n",
			env:  []string{"BREVET_LISTEN="},
			want: func(c *Config) { c.Listen = "127.0.0.1:9000" },
		},
		{
			name: "insecure http from env, then TLS from flags is refused below; here plain on all interfaces",
			env:  []string{"BREVET_INSECURE_HTTP=1", "BREVET_LISTEN=0.0.0.0:8787"},
			want: func(c *Config) {
				c.InsecureHTTP = true
				c.Listen = "0.0.0.0:8787"
			},
		},
		{
			name: "tls from file, listen from flag",
			file: "tls:\n  cert: /etc/brevet/tls.crt\n  key: /etc/brevet/tls.key\n",
			args: []string{"--listen", ":8443"},
			want: func(c *Config) {
				c.TLS = TLS{CertFile: "/etc/brevet/tls.crt", KeyFile: "/etc/brevet/tls.key", ClientAuth: ClientAuthNone}
				c.Listen = ":8443"
			},
		},
		{
			name: "store DSNs",
			env:  []string{"BREVET_STORE=postgres://brevet:hunter2@db:5432/brevet?sslmode=verify-full"},
			want: func(c *Config) {
				c.Store = Store{Driver: StorePostgres, DSN: "postgres://brevet:hunter2@db:5432/brevet?sslmode=verify-full"}
			},
		},
		{
			name: "federation from file and env",
			file: "federation:\n  issuer_url: https://sts.example.com\n  oidc_jwks: [\"https://idp.internal/=/etc/jwks.json\"]\n",
			env:  []string{"BREVET_SAML_SIGN_IN_URL=https://brevet.example.com/saml,https://signin.aws.amazon.com/saml"},
			want: func(c *Config) {
				c.Federation = Federation{IssuerURL: "https://sts.example.com",
					SAMLSignInURLs: []string{"https://brevet.example.com/saml", "https://signin.aws.amazon.com/saml"},
					OIDCJWKS:       map[string]string{"https://idp.internal": "/etc/jwks.json"}}
			},
		},
		{
			name: "metrics from file, env and flags",
			file: "metrics_listen: 127.0.0.1:9090\nmetrics_bearer_token_file: " + tokenFile + "\n",
			env:  []string{"BREVET_METRICS_LISTEN=127.0.0.1:9091"},
			args: []string{"--metrics-listen=[::1]:9092"},
			want: func(c *Config) { c.Metrics = Metrics{Listen: "[::1]:9092", BearerTokenFile: tokenFile} },
		},
		{
			name: "mfa from file, env and flags",
			file: "mfa:\n  max_failures: 3\n  lockout: 30s\n  max_lockout: 1h\n",
			env:  []string{"BREVET_MFA_LOCKOUT=2s"},
			args: []string{"--mfa-max-failures=10"},
			want: func(c *Config) { c.MFA = MFA{MaxFailures: 10, Lockout: 2 * time.Second, MaxLockout: time.Hour} },
		},
		{
			name: "metrics token file from env",
			env:  []string{"BREVET_METRICS_BEARER_TOKEN_FILE=" + tokenFile},
			want: func(c *Config) { c.Metrics.BearerTokenFile = tokenFile },
		},
		{
			name: "client certificates from file, mode defaults to require",
			file: "tls:\n  cert: c.pem\n  key: k.pem\n  client_ca_file: " + tokenFile + "\n",
			want: func(c *Config) {
				c.TLS = TLS{CertFile: "c.pem", KeyFile: "k.pem", ClientCAFile: tokenFile, ClientAuth: ClientAuthRequire}
			},
		},
		{
			name: "client certificates from env and flags",
			env:  []string{"BREVET_TLS_CLIENT_CA_FILE=" + tokenFile, "BREVET_TLS_CLIENT_AUTH=require"},
			args: []string{"--tls-cert=c.pem", "--tls-key=k.pem", "--tls-client-auth=Verify-If-Given"},
			want: func(c *Config) {
				c.TLS = TLS{CertFile: "c.pem", KeyFile: "k.pem", ClientCAFile: tokenFile, ClientAuth: ClientAuthVerifyIfGiven}
			},
		},
		{
			name: "cors origins from file",
			file: "cors:\n  allowed_origins: [https://App.example.com, 'http://localhost:3000']\n",
			want: func(c *Config) { c.CORS.AllowedOrigins = []string{"https://app.example.com", "http://localhost:3000"} },
		},
		{
			name: "cors origins from env outrank the file",
			file: "cors:\n  allowed_origins: [https://app.example.com]\n",
			env:  []string{"BREVET_CORS_ALLOWED_ORIGINS=*"},
			want: func(c *Config) { c.CORS.AllowedOrigins = []string{"*"} },
		},
		{
			name: "audit from file, env and flags",
			file: "audit:\n  max_field_size: 128KiB\n  aggregate_after: 10\n  retention:\n    max_age: 2160h\n    delete: true\n  disk_free_warning: 5GiB\n",
			env:  []string{"BREVET_AUDIT_MAX_FAILED_FIELD_SIZE=4096", "BREVET_AUDIT_RETENTION_MAX_SIZE=50GiB"},
			args: []string{"--audit-aggregate-window=30s", "--audit-aggregate-after=0"},
			want: func(c *Config) {
				c.Audit = Audit{MaxFieldBytes: 128 << 10, MaxFailedFieldBytes: 4096, AggregateAfter: 0, AggregateWindow: 30 * time.Second,
					Retention:       Retention{MaxAge: 2160 * time.Hour, MaxBytes: 50 << 30, Delete: true},
					DiskFreeWarning: DiskWatermark{Bytes: 5 << 30}}
			},
		},
		{
			name: "audit retention archives",
			env:  []string{"BREVET_AUDIT_RETENTION_MAX_AGE=720h", "BREVET_AUDIT_RETENTION_ARCHIVE_DIR=/var/lib/brevet-archive", "BREVET_AUDIT_DISK_FREE_WARNING=0"},
			want: func(c *Config) {
				c.Audit.Retention = Retention{MaxAge: 720 * time.Hour, ArchiveDir: "/var/lib/brevet-archive"}
				c.Audit.DiskFreeWarning = DiskWatermark{}
			},
		},
		{
			name: "sqlite absolute path from flag",
			env:  []string{"BREVET_STORE=postgres://db/brevet"},
			args: []string{"--store=sqlite:///var/lib/brevet/x.db"},
			want: func(c *Config) { c.Store = Store{Driver: StoreSQLite, Path: "/var/lib/brevet/x.db"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(t, tt.file, append([]string{keyEnv}, tt.env...), tt.args...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := defaultConfig()
			tt.want(&want)
			if diff := cmp.Diff(&want, got, cmpConfig); diff != "" {
				t.Errorf("Load mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadConfigFileLocation(t *testing.T) {
	fromEnv := writeFile(t, "env.yaml", "listen: 127.0.0.1:1111\n")
	fromFlag := writeFile(t, "flag.yaml", "listen: 127.0.0.1:2222\n")
	tests := []struct {
		name       string
		args       []string
		env        []string
		wantFile   string
		wantListen string
	}{
		{"none", nil, nil, "", DefaultListen},
		{"env", nil, []string{"BREVET_CONFIG=" + fromEnv}, fromEnv, "127.0.0.1:1111"},
		{"flag over env", []string{"--config", fromFlag}, []string{"BREVET_CONFIG=" + fromEnv}, fromFlag, "127.0.0.1:2222"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(t, "", append([]string{keyEnv}, tt.env...), tt.args...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.File != tt.wantFile || got.Listen != tt.wantListen {
				t.Errorf("File, Listen = %q, %q; want %q, %q", got.File, got.Listen, tt.wantFile, tt.wantListen)
			}
		})
	}
}

func TestLoadIgnoredEnv(t *testing.T) {
	got, err := load(t, "", []string{keyEnv, "BREVET_LISTN=127.0.0.1:1", "BREVET_TEST_POSTGRES_DSN=postgres://x", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"BREVET_LISTN", "BREVET_TEST_POSTGRES_DSN"}
	if diff := cmp.Diff(want, got.IgnoredEnv); diff != "" {
		t.Errorf("IgnoredEnv (-want +got):\n%s", diff)
	}
}

func TestLoadMasterKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.json")
	if err := os.WriteFile(keyFile, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		file       string
		env        []string
		args       []string
		wantKey    bool   // the key itself was given (env or flag value)
		wantFile   string // the key file recorded
		wantSource string
		wantErr    string // substring; "" means success
	}{
		{name: "env", env: []string{keyEnv}, wantKey: true, wantSource: "BREVET_MASTER_KEY"},
		{name: "env unpadded", env: []string{"BREVET_MASTER_KEY=" + strings.TrimRight(testKeyB64, "=")}, wantKey: true, wantSource: "BREVET_MASTER_KEY"},
		{name: "file from flag", args: []string{"--master-key-file", keyFile}, wantFile: keyFile, wantSource: "file " + keyFile},
		{name: "file from env", env: []string{"BREVET_MASTER_KEY_FILE=" + keyFile}, wantFile: keyFile, wantSource: "file " + keyFile},
		{name: "file setting loses to env key", file: "master_key_file: " + keyFile + "\n", env: []string{keyEnv}, wantKey: true, wantSource: "BREVET_MASTER_KEY"},
		{name: "flag file wins over env key", env: []string{"BREVET_MASTER_KEY=bad"}, args: []string{"--master-key-file=" + keyFile}, wantFile: keyFile, wantSource: "file " + keyFile},
		{name: "both in env", env: []string{keyEnv, "BREVET_MASTER_KEY_FILE=" + keyFile}, wantErr: "give the master key one way only"},
		{name: "not configured: data directory", wantSource: ""},
		{name: "not base64", env: []string{"BREVET_MASTER_KEY=this is not base64 but a secret!!"}, wantErr: "BREVET_MASTER_KEY: the master key must be 32 bytes"},
		{name: "missing file", args: []string{"--master-key-file=" + filepath.Join(dir, "nope")}, wantErr: "--master-key-file: master_key_file: cannot read the master key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(t, tt.file, tt.env, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v; want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "not base64 but") || strings.Contains(err.Error(), testKeyB64) {
					t.Errorf("error leaks key material: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			mk := got.MasterKey
			if gotKey := mk.Bytes() != nil; gotKey != tt.wantKey || (gotKey && !bytes.Equal(mk.Bytes(), testKey)) {
				t.Errorf("MasterKey.Bytes() = %x; want key given: %v", mk.Bytes(), tt.wantKey)
			}
			if mk.File() != tt.wantFile || mk.Source() != tt.wantSource || mk.Configured() != (tt.wantSource != "") {
				t.Errorf("MasterKey file %q source %q configured %v; want file %q source %q", mk.File(), mk.Source(), mk.Configured(), tt.wantFile, tt.wantSource)
			}
		})
	}
}

func TestMasterKeyLoadGeneratesInDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg, err := load(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, src, err := cfg.MasterKey.Load(dir)
	if err != nil || kr == nil {
		t.Fatalf("MasterKey.Load = %v, %v", kr, err)
	}
	if src != masterkey.SourceGenerated {
		t.Errorf("first Load source = %v; want generated", src)
	}
	if _, src, err = cfg.MasterKey.Load(dir); err != nil || src != masterkey.SourceDataDir {
		t.Errorf("second Load source = %v, %v; want the data directory's key", src, err)
	}
	envCfg, err := load(t, "", []string{keyEnv})
	if err != nil {
		t.Fatal(err)
	}
	if _, src, err := envCfg.MasterKey.Load(dir); err != nil || src != masterkey.SourceEnv {
		t.Errorf("env Load source = %v, %v; want env", src, err)
	}
}

func TestLoadStrictFile(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // substrings of the error
	}{
		{"unknown key", "listen: 127.0.0.1:1\nlistn: 127.0.0.1:2\n",
			[]string{"brevet.yaml:2: listn: unknown key \"listn\"", `did you mean "listen"?`}},
		{"flag spelling", "data-dir: /x\n", []string{`brevet.yaml:1: data-dir: unknown key "data-dir"; did you mean "data_dir"?`}},
		{"unknown nested key", "tls:\n  cert: a\n  crt: b\n", []string{"brevet.yaml:3: tls.crt: unknown key", "Known keys here: cert, client_auth, client_ca_file, extra_certificates, key"}},
		{"every unknown key reported", "a: 1\nb: 2\n", []string{"brevet.yaml:1: a:", "brevet.yaml:2: b:"}},
		{"list for a string", "listen: [a, b]\n", []string{"brevet.yaml:1: listen: must be a single value"}},
		{"quoted bool", "insecure_http: \"true\"\n", []string{"brevet.yaml:1: insecure_http: must be true or false"}},
		{"yes is not a bool", "insecure_http: yes\n", []string{"insecure_http: must be true or false"}},
		{"scalar for a list", "regions: us-east-1\n", []string{"brevet.yaml:1: regions: must be a list"}},
		{"scalar for a mapping", "log: debug\n", []string{"brevet.yaml:1: log: must be a mapping of keys (format, level)"}},
		{"null value", "listen:\n", []string{"brevet.yaml:1: listen: has no value"}},
		{"duplicate key", "listen: a:1\nlisten: b:2\n", []string{"brevet.yaml:2: listen: is already set on line 1"}},
		{"two documents", "listen: a:1\n---\nlisten: b:2\n", []string{"more than one YAML document"}},
		{"not a mapping", "- listen\n", []string{"must be a mapping of settings"}},
		{"bad yaml", "listen: [\n", []string{"is not valid YAML"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, []string{keyEnv})
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load error =\n%v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadEmptyFile(t *testing.T) {
	for _, body := range []string{"\n", "# only a comment\n"} {
		got, err := load(t, body, []string{keyEnv})
		if err != nil {
			t.Fatalf("Load(%q): %v", body, err)
		}
		if got.Listen != DefaultListen {
			t.Errorf("Load(%q).Listen = %q; want %q", body, got.Listen, DefaultListen)
		}
	}
}

func TestLoadValidation(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		args []string
		want string // substring of the error; "" means valid
	}{
		{name: "plain http on all interfaces", args: []string{"--listen=0.0.0.0:8787"},
			want: `--listen: listen: "0.0.0.0:8787" is not a loopback address and no TLS certificate is configured: give --tls-cert and --tls-key`},
		{name: "plain http, empty host", env: []string{"BREVET_LISTEN=:8787"}, want: "BREVET_LISTEN: listen: \":8787\" is not a loopback address"},
		{name: "plain http on a host name", file: "listen: brevet.example.com:80\n", want: "brevet.yaml:1: listen: \"brevet.example.com:80\" is not a loopback"},
		{name: "plain http on all interfaces, insecure", args: []string{"--listen=0.0.0.0:8787", "--insecure-http"}},
		{name: "plain http on ipv6 loopback", args: []string{"--listen=[::1]:8787"}},
		{name: "plain http on localhost", args: []string{"--listen=localhost:0"}},
		{name: "plain http on 127.0.0.2", args: []string{"--listen=127.0.0.2:80"}},
		{name: "https on all interfaces", args: []string{"--listen=:443", "--tls-cert=c.pem", "--tls-key=k.pem"}},
		{name: "insecure with tls", args: []string{"--insecure-http", "--tls-cert=c.pem", "--tls-key=k.pem"}, want: "--insecure-http: insecure_http: is set together with TLS"},
		{name: "cert without key", args: []string{"--tls-cert=c.pem"}, want: "--tls-cert: tls.cert: is set but tls.key is not"},
		{name: "key without cert", file: "tls:\n  key: k.pem\n", want: "brevet.yaml:2: tls.key: is set but tls.cert is not"},
		{name: "no port", args: []string{"--listen=127.0.0.1"}, want: `listen: "127.0.0.1" is not host:port (missing port in address)`},
		{name: "bad port", args: []string{"--listen=127.0.0.1:99999"}, want: "has no valid port"},
		{name: "named port", args: []string{"--listen=127.0.0.1:http"}, want: "has no valid port"},
		{name: "short account id", args: []string{"--account-id=12345"}, want: `--account-id: account_id: "12345" is not an account id; give exactly 12 digits`},
		{name: "letters in account id", env: []string{"BREVET_ACCOUNT_ID=12345678901a"}, want: "BREVET_ACCOUNT_ID: account_id:"},
		{name: "account id as yaml int", file: "account_id: 123456789012\n"},
		{name: "bad region", args: []string{"--region=us-east-1,US_EAST"}, want: `--region: regions: "US_EAST" is not a region name`},
		{name: "duplicate region", file: "regions: [us-east-1, us-east-1]\n", want: "brevet.yaml:1: regions: \"us-east-1\" is listed twice"},
		{name: "empty region list", file: "regions: []\n", want: "regions: is empty"},
		{name: "gov and iso regions", args: []string{"--region=us-gov-west-1,us-isob-east-1,cn-north-1"}},
		{name: "bad log level", env: []string{"BREVET_LOG_LEVEL=verbose"}, want: `BREVET_LOG_LEVEL: log.level: "verbose" is not a log level`},
		{name: "bad log format", file: "log:\n  format: xml\n", want: `brevet.yaml:2: log.format: "xml" is not a log format`},
		{name: "body size in bytes", args: []string{"--max-request-body=65536"}},
		{name: "pool tokens under the OIDC issuer", args: []string{"--issuer-url=https://sts.example.com", "--identity-pools-token-issuer=https://sts.example.com"},
			want: "identity_pools.token_issuer: \"https://sts.example.com\" is federation.issuer_url"},
		{name: "body too small", args: []string{"--max-request-body=10"}, want: "max_request_body: \"10\" is not a size from 1KiB to 1GiB"},
		{name: "body too big", args: []string{"--max-request-body=2GiB"}, want: "is not a size"},
		{name: "body not a number", env: []string{"BREVET_MAX_REQUEST_BODY=1MB"}, want: "is not a size"},
		{name: "negative grace", file: "shutdown_grace: -1s\n", want: "shutdown_grace: \"-1s\" is not a duration"},
		{name: "grace without unit", env: []string{"BREVET_SHUTDOWN_GRACE=30"}, want: "is not a duration"},
		{name: "bad bool in env", env: []string{"BREVET_INSECURE_HTTP=sure"}, want: `BREVET_INSECURE_HTTP: insecure_http: "sure" is not a boolean`},
		{name: "profiler on loopback", args: []string{"--debug-listen=127.0.0.1:6060"}},
		{name: "profiler from file", file: "debug_listen: '[::1]:6060'\n"},
		{name: "profiler on all interfaces", env: []string{"BREVET_DEBUG_LISTEN=:6060"},
			want: `BREVET_DEBUG_LISTEN: debug_listen: ":6060" is not a loopback address: the profiler exposes the server's memory`},
		{name: "profiler with tls still loopback only", args: []string{"--debug-listen=0.0.0.0:6060", "--tls-cert=c.pem", "--tls-key=k.pem"},
			want: `--debug-listen: debug_listen: "0.0.0.0:6060" is not a loopback address`},
		{name: "profiler without port", args: []string{"--debug-listen=127.0.0.1"}, want: `debug_listen: "127.0.0.1" is not host:port`},
		{name: "metrics on loopback", args: []string{"--metrics-listen=127.0.0.1:9090"}},
		{name: "mfa max failures zero", args: []string{"--mfa-max-failures=0"}, want: `mfa.max_failures: "0" is not a count from 1 to 100`},
		{name: "mfa max failures not a number", env: []string{"BREVET_MFA_MAX_FAILURES=five"}, want: `mfa.max_failures: "five" is not a count`},
		{name: "mfa lockout negative", args: []string{"--mfa-lockout=-1s"}, want: `mfa.lockout: "-1s" is not a positive duration`},
		{name: "mfa max lockout below lockout", args: []string{"--mfa-lockout=1h"}, want: `mfa.max_lockout: 15m0s is shorter than mfa.lockout (1h0m0s)`},
		{name: "metrics on all interfaces with tls", args: []string{"--metrics-listen=:9090", "--listen=:443", "--tls-cert=c.pem", "--tls-key=k.pem"}},
		{name: "metrics on all interfaces, insecure", args: []string{"--metrics-listen=0.0.0.0:9090", "--insecure-http"}},
		{name: "metrics on all interfaces without tls", env: []string{"BREVET_METRICS_LISTEN=0.0.0.0:9090"},
			want: `BREVET_METRICS_LISTEN: metrics_listen: "0.0.0.0:9090" is not a loopback address and no TLS certificate is configured`},
		{name: "metrics on the api's address", file: "listen: 127.0.0.1:8787\nmetrics_listen: 127.0.0.1:8787\n",
			want: `brevet.yaml:2: metrics_listen: "127.0.0.1:8787" is the API's address`},
		{name: "metrics without port", args: []string{"--metrics-listen=127.0.0.1"}, want: `metrics_listen: "127.0.0.1" is not host:port`},
		{name: "metrics token file missing", args: []string{"--metrics-bearer-token-file=/nonexistent/token"},
			want: "--metrics-bearer-token-file: metrics_bearer_token_file: cannot read the metrics bearer token file"},
		{name: "metrics key misspelt", file: "metrics_listn: 127.0.0.1:9090\n", want: `unknown key "metrics_listn"; did you mean "metrics_listen"?`},
		{name: "client auth without ca file", args: []string{"--tls-cert=c.pem", "--tls-key=k.pem", "--tls-client-auth=require"},
			want: "--tls-client-auth: tls.client_auth: is require but tls.client_ca_file is not set"},
		{name: "client auth none with ca file", args: []string{"--tls-cert=c.pem", "--tls-key=k.pem", "--tls-client-auth=none", "--tls-client-ca-file=c.pem"},
			want: "tls.client_auth: is none but tls.client_ca_file is set"},
		{name: "client auth unknown mode", env: []string{"BREVET_TLS_CLIENT_AUTH=optional"},
			want: `BREVET_TLS_CLIENT_AUTH: tls.client_auth: "optional" is not a client certificate mode`},
		{name: "client auth none, plain http", args: []string{"--tls-client-auth=none"}},
		{name: "client ca without tls", args: []string{"--tls-client-ca-file=/etc/hosts"},
			want: "--tls-client-ca-file: tls.client_ca_file: is set but TLS is not"},
		{name: "client ca file missing", args: []string{"--tls-cert=c.pem", "--tls-key=k.pem", "--tls-client-ca-file=/nonexistent/ca.pem"},
			want: "tls.client_ca_file: cannot read the client CA file"},
		{name: "cors origin with a path", args: []string{"--cors-allowed-origins=https://app.example.com/"},
			want: `--cors-allowed-origins: cors.allowed_origins: "https://app.example.com/" is not an origin`},
		{name: "cors origin without scheme", file: "cors:\n  allowed_origins: [app.example.com]\n",
			want: `brevet.yaml:2: cors.allowed_origins: "app.example.com" is not an origin`},
		{name: "cors key misspelt", file: "cors:\n  allowed_origin: [https://a.example]\n", want: `unknown key "allowed_origin"; did you mean "allowed_origins"?`},
		{name: "unknown store", args: []string{"--store=mysql://x"}, want: `unknown store kind "mysql"`},
		{name: "relative sqlite url", args: []string{"--store=sqlite://rel.db"}, want: "needs an absolute path"},
		{name: "empty data dir", args: []string{"--data-dir= "}, want: "data_dir: is empty"},
		{name: "several problems at once", args: []string{"--account-id=1", "--region=x"}, want: "account_id"},
		{name: "audit retention without an action", args: []string{"--audit-retention-max-size=1GiB"},
			want: "audit.retention.archive_dir: is not set, nor audit.retention.delete"},
		{name: "audit retention with both actions", args: []string{"--audit-retention-delete", "--audit-retention-archive-dir=/x"},
			want: "audit.retention.delete: is set together with audit.retention.archive_dir"},
		{name: "audit watermark", args: []string{"--audit-disk-free-warning=150%"}, want: "not a percentage"},
		{name: "audit field size", args: []string{"--audit-max-field-size=big"}, want: "audit.max_field_size"},
		{name: "audit aggregate after", args: []string{"--audit-aggregate-after=-1"}, want: "audit.aggregate_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, append([]string{keyEnv}, tt.env...), tt.args...)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Load: %v; want success", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error =\n%v\nwant it to contain %q", err, tt.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("Load error %T does not wrap *config.Error", err)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := load(t, "", []string{keyEnv}, "--account-id=1", "--region=x", "--log-format=xml")
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *Error
		if errors.As(e, &ce) {
			got = append(got, ce.Setting)
		}
	}
	want := []string{"account_id", "regions", "log.format"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings in error (-want +got):\n%s", diff)
	}
}

func TestSecretsRedacted(t *testing.T) {
	cfg, err := load(t, "", []string{keyEnv, "BREVET_STORE=postgres://brevet:hunter2@db/brevet?password=hunter3"})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "config", cfg, "key", cfg.MasterKey)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":      cfg.String(),
		"%v":          fmt.Sprintf("%v", cfg),
		"%+v value":   fmt.Sprintf("%+v", *cfg),
		"%#v value":   fmt.Sprintf("%#v", *cfg),
		"%x key":      fmt.Sprintf("%x", cfg.MasterKey),
		"%s key":      fmt.Sprintf("%s", cfg.MasterKey),
		"slog":        logged.String(),
		"json":        string(js),
		"store %v":    fmt.Sprint(cfg.Store),
		"error %v":    fmt.Errorf("wrapped: %v", cfg.MasterKey).Error(),
		"key %#v ptr": fmt.Sprintf("%#v", &cfg.MasterKey),
	}
	secrets := []string{testKeyB64, strings.Repeat("a5", 8), string(testKey[:8]), "hunter2", "hunter3", "165, 165"}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(strings.ToLower(out), strings.ToLower(s)) {
				t.Errorf("%s output contains secret %q:\n%s", name, s, out)
			}
		}
	}
	if !strings.Contains(cfg.String(), "master_key: [redacted, from BREVET_MASTER_KEY]") {
		t.Errorf("String() =\n%s\nwant a redacted master_key line", cfg.String())
	}
}

func TestBindFlagsDefaultsMatchTable(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	BindFlags(fs)
	for s := range numSettings {
		st := settings[s]
		if st.flag == "" {
			continue
		}
		f := fs.Lookup(st.flag)
		if f == nil {
			t.Errorf("flag --%s not bound", st.flag)
			continue
		}
		if !strings.Contains(f.Usage, st.env) {
			t.Errorf("--%s usage %q does not name %s", st.flag, f.Usage, st.env)
		}
	}
	// Every default in the table must load: parse them as flags would.
	if _, err := load(t, "", []string{keyEnv}, "--shutdown-grace="+settings[sShutdownGrace].def,
		"--max-request-body="+settings[sMaxRequestBody].def); err != nil {
		t.Errorf("defaults do not load: %v", err)
	}
}

func TestLoadLimits(t *testing.T) {
	tests := []struct {
		name       string
		file       string
		env, args  []string
		want       Limits
		wantErrors []string
	}{
		{
			name: "file",
			file: "limits:\n  failures_per_source: 600/m:50\n  failures_per_key: 0.5/s:5\n  requests_per_caller: off\n" +
				"  tracked_keys: 1000\n  max_connections: 100\n  max_in_flight: off\n  body_memory: 8MiB\n" +
				"  max_connections_per_source: 10\n  max_in_flight_per_source: off\n",
			want: Limits{FailuresPerSource: Rate{PerSecond: 10, Burst: 50}, FailuresPerKey: Rate{PerSecond: 0.5, Burst: 5},
				TrackedKeys: 1000, MaxConnections: 100, MaxConnectionsPerSource: 10, BodyMemory: 8 << 20},
		},
		{
			name: "env and flags, flags win",
			env: []string{"BREVET_LIMIT_REQUESTS_PER_CALLER=5/s:5", "BREVET_LIMIT_MAX_CONNECTIONS=off", "BREVET_LIMIT_BODY_MEMORY=off",
				"BREVET_LIMIT_MAX_CONNECTIONS_PER_SOURCE=off", "BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE=7"},
			args: []string{"--limit-requests-per-caller=7/s:9", "--limit-failures-per-source=off", "--limit-failures-per-key=1/h:1",
				"--limit-max-in-flight-per-source=off"},
			want: Limits{FailuresPerKey: Rate{PerSecond: 1.0 / 3600, Burst: 1}, RequestsPerCaller: Rate{PerSecond: 7, Burst: 9},
				TrackedKeys: 65536, MaxInFlight: 1024},
		},
		{
			name: "bad values",
			args: []string{"--limit-failures-per-source=10/s", "--limit-failures-per-key=10/d:3", "--limit-requests-per-caller=-1/s:3",
				"--limit-tracked-keys=off", "--limit-max-connections=0", "--limit-max-in-flight=many", "--limit-body-memory=1",
				"--limit-max-connections-per-source=-1", "--limit-max-in-flight-per-source=1e3"},
			wantErrors: []string{"limits.failures_per_source: \"10/s\" is not a rate", "limits.failures_per_key: \"10/d:3\" is not a rate",
				"limits.requests_per_caller: \"-1/s:3\" is not a rate", "limits.tracked_keys: \"off\" is not a count",
				"limits.max_connections: \"0\" is not a count", "limits.max_in_flight: \"many\" is not a count", "limits.body_memory: \"1\" is not a size",
				"limits.max_connections_per_source: \"-1\" is not a count", "limits.max_in_flight_per_source: \"1e3\" is not a count"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(t, tt.file, append([]string{keyEnv}, tt.env...), tt.args...)
			if len(tt.wantErrors) > 0 {
				if err == nil {
					t.Fatalf("Load succeeded; want errors %q", tt.wantErrors)
				}
				for _, w := range tt.wantErrors {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("Load error = %v; want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, got.Limits); diff != "" {
				t.Errorf("Limits mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// sectionCase is one case of a table test of a config section: a config
// file, environment and flags, and the section they make (want) or the
// error they are refused with (wantErr, a part of its text).
type sectionCase[T any] struct {
	name, file string
	env, args  []string
	want       T
	wantErr    string
}

// runSectionCases loads each case (with the master key's variable set)
// and compares the section get picks, named what in failures, or the
// error.
func runSectionCases[T any](t *testing.T, what string, tests []sectionCase[T], get func(*Config) T) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.file, append([]string{keyEnv}, tt.env...), tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, get(cfg)); d != "" {
				t.Errorf("%s (-want +got):\n%s", what, d)
			}
		})
	}
}
