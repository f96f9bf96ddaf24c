package config

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/masterkey"
)

// Config is the validated runtime configuration of `brevet serve`. Every
// field holds a checked value; the zero value is not a usable Config, get
// one from Load.
type Config struct {
	// File is the config file the settings were read from, "" for none.
	File string

	// DataDir holds Brevet's state; the embedded store lives here.
	DataDir string

	// Listen is the host:port to listen on, as given.
	Listen string

	// TLS holds the certificate and key files; both empty means plain
	// HTTP, which Load allows only on loopback or with InsecureHTTP.
	TLS TLS

	// InsecureHTTP allows plain HTTP on a non-loopback address, for use
	// behind a TLS-terminating proxy.
	InsecureHTTP bool

	// AccountID is the 12-digit account id to create on first start, or
	// "" to pick a random one. It is ignored once the store has an account.
	AccountID string

	// Regions are the regions Brevet answers for; Regions[0] is the
	// default. Never empty.
	Regions []string

	// MasterKey says where the key that encrypts secrets at rest comes from.
	MasterKey MasterKey

	// Store says which store backend to open and where.
	Store Store

	// Log says how to log.
	Log Log

	// MaxRequestBody is the largest request body accepted, in bytes.
	MaxRequestBody int64

	// ShutdownGrace is how long in-flight requests may run after shutdown
	// begins.
	ShutdownGrace time.Duration

	// Federation configures identity federation (docs/federation.md).
	Federation Federation

	// SSO configures single sign-on for the AWS CLI and SDKs (docs/sso.md).
	SSO SSO

	// Console configures the web console at /console/ (docs/console.md).
	Console Console
	// IdentityPools configures the identity pools (docs/identity-pools.md).
	IdentityPools IdentityPools

	// DebugListen is the loopback host:port of the profiling listener
	// (Go's net/http/pprof), "" for none. Load refuses any other address:
	// profiles show the server's memory, which holds decrypted secrets.
	DebugListen string

	// Metrics says where /metrics is served and what it requires.
	Metrics Metrics

	// MFA throttles guesses of MFA codes (docs/sts.md).
	MFA MFA
	// CORS says which browser origins may call the API.
	CORS CORS
	// Audit configures the audit trail's caps, aggregation, retention and
	// disk warning.
	Audit Audit
	// Limits bounds the rate of requests and what clients can make the
	// server hold.
	Limits Limits
	// AuthzAPI configures the authorization API for other services.
	AuthzAPI AuthzAPI

	// Gateway configures the services Brevet fronts (gateway.go).
	Gateway Gateway

	// IoT configures the IoT credentials provider (iot.go).
	IoT IoT

	// IgnoredEnv lists BREVET_* environment variables that are not
	// settings (a misspelling, or a variable meant for a test), so the
	// caller can warn about them. Names only, never values.
	IgnoredEnv []string
}

// Federation configures identity federation.
type Federation struct {
	// IssuerURL is the https URL Brevet's OIDC tokens name as iss and
	// under which it serves its discovery document; "" means the
	// server's own URL.
	IssuerURL string
	// SAMLSignInURLs are the Audience and Recipient values
	// AssumeRoleWithSAML accepts. Never empty.
	SAMLSignInURLs []string
	// OIDCJWKS maps an OIDC provider's issuer URL to a file holding its
	// JSON Web Key Set, for providers Brevet cannot reach.
	OIDCJWKS map[string]string
}

// MFA throttles guesses of MFA codes: MaxFailures failed codes for a
// device or a user within MaxLockout lock both out for Lockout, doubled
// for each further lockout in a row up to MaxLockout.
type MFA struct {
	MaxFailures int
	Lockout     time.Duration
	MaxLockout  time.Duration
}

// Metrics says where /metrics is served and what it requires.
type Metrics struct {
	// Listen is the host:port of a listener serving /metrics alone, with
	// the API's TLS settings; "" serves /metrics on the API's listener.
	Listen string
	// BearerTokenFile holds the token /metrics requires as
	// "Authorization: Bearer <token>"; "" requires none. Load checks that
	// it exists; the node reads it.
	BearerTokenFile string
}

// Limits are the rate budgets and capacity bounds of one node
// (docs/configuration.md, "Limits"). Every one is per node.
type Limits struct {
	// FailuresPerSource, FailuresPerKey and RequestsPerCaller are the
	// rate budgets; a zero Rate is off.
	FailuresPerSource, FailuresPerKey, RequestsPerCaller Rate
	// TrackedKeys is how many keys each rate budget remembers.
	TrackedKeys int
	// MaxConnections and MaxInFlight bound connections and requests at
	// once, and the PerSource ones those of one source address;
	// BodyMemory the bytes of request bodies held. Zero is no bound.
	MaxConnections, MaxInFlight                   int
	MaxConnectionsPerSource, MaxInFlightPerSource int
	BodyMemory                                    int64
}

// Rate is a token bucket's refill rate and size; the zero Rate is no
// limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// String is the rate as the settings write it (RATE/s:BURST, or off).
func (r Rate) String() string {
	if r.PerSecond <= 0 {
		return "off"
	}
	return strconv.FormatFloat(r.PerSecond, 'g', 4, 64) + "/s:" + strconv.Itoa(r.Burst)
}

// TLS names the files of the server certificate and says whether
// clients must present certificates.
type TLS struct {
	CertFile string
	KeyFile  string
	// ClientCAFile holds the CAs client certificates are verified
	// against; "" when client certificates are not asked for.
	ClientCAFile string
	// ClientAuth is ClientAuthNone exactly when ClientCAFile is "".
	ClientAuth ClientAuth
	// ExtraCertificates are served beside CertFile to clients that ask
	// for a name they cover (SNI), such as the AWS host names of single
	// sign-on (docs/sso.md). Set only with CertFile.
	ExtraCertificates []CertPair
}

// ClientAuth says whether the TLS listeners ask for client certificates.
type ClientAuth string

// The client certificate modes. Their names are tls.client_auth's values.
const (
	// ClientAuthNone asks for none (Go's tls.NoClientCert).
	ClientAuthNone ClientAuth = "none"
	// ClientAuthVerifyIfGiven verifies a certificate a client presents
	// and serves a client without one (tls.VerifyClientCertIfGiven).
	ClientAuthVerifyIfGiven ClientAuth = "verify-if-given"
	// ClientAuthRequire refuses a client without a certificate the CAs
	// verify (tls.RequireAndVerifyClientCert).
	ClientAuthRequire ClientAuth = "require"
)

// CORS says which browser origins may call the API and the OIDC
// discovery endpoints from another site.
type CORS struct {
	// AllowedOrigins are lower-cased scheme://host[:port] origins, or
	// "*" for any; empty means CORS is off.
	AllowedOrigins []string
}

// Enabled reports whether the server should speak HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// StoreDriver names a store backend.
type StoreDriver string

// The store backends a DSN can name.
const (
	StoreSQLite   StoreDriver = "sqlite"
	StorePostgres StoreDriver = "postgres"
)

// Store says which store to open.
type Store struct {
	Driver StoreDriver
	// Path is the SQLite database file (Driver == StoreSQLite).
	Path string
	// DSN is the PostgreSQL connection URL (Driver == StorePostgres). It
	// may hold a password: print Store, not DSN.
	DSN string
}

// String shows the store with any password redacted.
func (s Store) String() string {
	switch s.Driver {
	case StoreSQLite:
		return "sqlite:" + s.Path
	case StorePostgres:
		return redactDSN(s.DSN)
	}
	return string(s.Driver)
}

// Format redacts the DSN from every fmt verb, %#v included.
func (s Store) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// MarshalText redacts the DSN from encoders (JSON, YAML).
func (s Store) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue redacts the DSN from slog.
func (s Store) LogValue() slog.Value { return slog.StringValue(s.String()) }

// redactDSN hides the password in a connection URL, both in the userinfo
// and in a password query parameter (which libpq and pgx also accept).
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "[unparsable DSN redacted]"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// LogFormat is the encoding of log lines.
type LogFormat string

// The log formats.
const (
	LogJSON LogFormat = "json"
	LogText LogFormat = "text"
)

// Log says how the process logs.
type Log struct {
	Level  slog.Level
	Format LogFormat
}

// MasterKey says where the key that encrypts secrets at rest comes from: a
// 32-byte key given in BREVET_MASTER_KEY, a key file (the KMS-style JSON
// file of package masterkey), or neither, in which case Load generates or
// reads DATA_DIR/master.key. Config records the choice and validates what
// it can; package masterkey owns key files and keyrings, so the file is
// only checked for existence here and parsed by Load.
//
// Its formatting methods all redact the key, so printing a Config, logging
// it or wrapping it in an error never shows it; only Bytes does.
type MasterKey struct {
	key *[MasterKeySize]byte
	// file is the key file's path when the key comes from a file.
	file string
	// source says where the key came from (an environment variable or a
	// file path), for messages; never the key. "" when not configured.
	source string
}

// MasterKeySize is the length of the master key in bytes.
const MasterKeySize = 32

// Bytes returns a copy of the key given in the environment, or nil when the
// key comes from a file or the data directory.
func (k MasterKey) Bytes() []byte {
	if k.key == nil {
		return nil
	}
	b := make([]byte, MasterKeySize)
	copy(b, k.key[:])
	return b
}

// File is the configured key file, or "".
func (k MasterKey) File() string { return k.file }

// Configured reports whether a key or key file was given; when not, the
// key lives in the data directory.
func (k MasterKey) Configured() bool { return k.source != "" }

// Source says where the key was read from (for example
// "BREVET_MASTER_KEY" or "file /etc/brevet/master.key"), or "" when it
// was not configured.
func (k MasterKey) Source() string { return k.source }

// Load resolves the keyring: the configured key or key file, else
// DATA_DIR/master.key, generated on first start (the returned Source says
// so, so the caller can log it loudly).
func (k MasterKey) Load(dataDir string) (*masterkey.Keyring, masterkey.Source, error) {
	env := ""
	if k.key != nil {
		env = base64.StdEncoding.EncodeToString(k.key[:])
	}
	return masterkey.Load(env, k.file, dataDir)
}

// String redacts the key.
func (k MasterKey) String() string {
	switch {
	case k.source == "":
		return "[not set: DATA_DIR/master.key]"
	case k.key == nil:
		return k.source
	}
	return "[redacted, from " + k.source + "]"
}

// GoString redacts the key from %#v.
func (k MasterKey) GoString() string { return "config.MasterKey" + k.String() }

// Format redacts the key from every fmt verb, %x and %s included.
func (k MasterKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// LogValue redacts the key from slog.
func (k MasterKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalText redacts the key from encoders (JSON, YAML).
func (k MasterKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// String shows the configuration in the config file's terms, one setting a
// line, secrets redacted. Empty optional settings are shown as "".
func (c Config) String() string {
	var b strings.Builder
	for _, a := range c.attrs() {
		fmt.Fprintf(&b, "%s: %s\n", a.Key, a.Value)
	}
	return b.String()
}

// LogValue shows the configuration to slog, secrets redacted.
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.attrs()...) }

func (c Config) attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("config_file", c.File),
		slog.String(settings[sDataDir].key, c.DataDir),
		slog.String(settings[sListen].key, c.Listen),
		slog.String(settings[sTLSCert].key, c.TLS.CertFile),
		slog.String(settings[sTLSKey].key, c.TLS.KeyFile),
		slog.Bool(settings[sInsecureHTTP].key, c.InsecureHTTP),
		slog.String(settings[sAccountID].key, c.AccountID),
		slog.String(settings[sRegions].key, strings.Join(c.Regions, ",")),
		slog.String("master_key", c.MasterKey.String()),
		slog.String(settings[sStore].key, c.Store.String()),
		slog.String(settings[sLogLevel].key, strings.ToLower(c.Log.Level.String())),
		slog.String(settings[sLogFormat].key, string(c.Log.Format)),
		slog.Int64(settings[sMaxRequestBody].key, c.MaxRequestBody),
		slog.String(settings[sShutdownGrace].key, c.ShutdownGrace.String()),
		slog.String(settings[sIssuerURL].key, c.Federation.IssuerURL),
		slog.String(settings[sSAMLSignInURL].key, strings.Join(c.Federation.SAMLSignInURLs, ",")),
		slog.Int("federation.oidc_jwks_count", len(c.Federation.OIDCJWKS)),
		slog.String(settings[sDebugListen].key, c.DebugListen),
		slog.String(settings[sMetricsListen].key, c.Metrics.Listen),
		slog.String(settings[sMetricsTokenFile].key, c.Metrics.BearerTokenFile),
		slog.Int(settings[sMFAMaxFailures].key, c.MFA.MaxFailures),
		slog.String(settings[sMFALockout].key, c.MFA.Lockout.String()),
		slog.String(settings[sMFAMaxLockout].key, c.MFA.MaxLockout.String()),
		slog.String(settings[sTLSClientCA].key, c.TLS.ClientCAFile),
		slog.String(settings[sTLSClientAuth].key, string(c.TLS.ClientAuth)),
		slog.String("tls.extra_certificates", c.TLS.extraCertFiles()),
		slog.String(settings[sCORSOrigins].key, strings.Join(c.CORS.AllowedOrigins, ",")),
		slog.String(settings[sLimitFailuresPerSource].key, c.Limits.FailuresPerSource.String()),
		slog.String(settings[sLimitFailuresPerKey].key, c.Limits.FailuresPerKey.String()),
		slog.String(settings[sLimitRequestsPerCaller].key, c.Limits.RequestsPerCaller.String()),
		slog.Int(settings[sLimitTrackedKeys].key, c.Limits.TrackedKeys),
		slog.Int(settings[sLimitMaxConnections].key, c.Limits.MaxConnections),
		slog.Int(settings[sLimitMaxInFlight].key, c.Limits.MaxInFlight),
		slog.Int(settings[sLimitMaxConnectionsPerSource].key, c.Limits.MaxConnectionsPerSource),
		slog.Int(settings[sLimitMaxInFlightPerSource].key, c.Limits.MaxInFlightPerSource),
		slog.Int64(settings[sLimitBodyMemory].key, c.Limits.BodyMemory),
		slog.String(settings[sS3Listen].key, c.Gateway.S3.Listen),
		slog.String(settings[sS3Domains].key, strings.Join(c.Gateway.S3.Domains, ",")),
		slog.String("gateway.s3.backends", c.Gateway.S3.backendNames()),
		slog.String(settings[sAuthzAPIRouteMap].key, c.AuthzAPI.RouteMap),
		slog.String(settings[sAuthzAPIGRPCListen].key, c.AuthzAPI.GRPCListen),
		slog.String(settings[sIoTCredentialsListen].key, c.IoT.Credentials.Listen),
		slog.String(settings[sIoTCredentialsCert].key, c.IoT.Credentials.CertFile),
		slog.String(settings[sSSOURL].key, c.SSO.URL),
		slog.String(settings[sSSOStartURLs].key, strings.Join(c.SSO.StartURLs, ",")),
		slog.String(settings[sSSOSessionDuration].key, c.SSO.SessionDuration.String()),
		slog.String(settings[sSSOAccessTokenDuration].key, c.SSO.AccessTokenDuration.String()),
		slog.String(settings[sSSORoleSessionDuration].key, c.SSO.RoleSessionDuration.String()),
		slog.Bool(settings[sSSOIAMUsers].key, c.SSO.IAMUsers),
		slog.String("sso.identity_providers", c.SSO.providerNames()),
		slog.String(settings[sConsoleServiceReference].key, c.Console.ServiceReference),
		slog.String(settings[sConsoleSessionDuration].key, c.Console.SessionDuration.String()),
	}
}
