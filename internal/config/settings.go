package config

import "time"

// Defaults. They are the values a fresh `brevet serve` runs with, chosen so
// that running it with no configuration at all is safe: loopback only,
// embedded store, nothing exposed.
const (
	DefaultDataDir = "./brevet-data"
	DefaultListen  = "127.0.0.1:8787"
	DefaultRegion  = "us-east-1"

	// DefaultMaxRequestBody bounds the body of one API request. The
	// largest inputs the STS and IAM Query APIs define that Brevet serves
	// are an IAM policy document (131,072 characters in the service model)
	// and a SAML assertion (100,000 base64 characters); form-encoded, a
	// policy document of only non-ASCII or reserved characters can triple
	// (about 384 KiB), so 1 MiB admits every valid request with room to
	// spare while keeping what one connection can make the server buffer
	// small. (The model allows larger documents to CreateSAMLProvider and
	// UploadServerCertificate; raise this if you use them with big inputs.)
	DefaultMaxRequestBody int64 = 1 << 20

	// DefaultShutdownGrace is how long in-flight requests may run after a
	// shutdown signal. It is below the 30 s Kubernetes and most service
	// managers wait before they kill a process, so Brevet finishes its own
	// shutdown (and flushes its audit trail) before it is killed.
	DefaultShutdownGrace = 25 * time.Second

	// DefaultSAMLSignInURL is AWS's SAML sign-in endpoint, which IdPs set
	// up for AWS put in their assertions' Audience and Recipient.
	DefaultSAMLSignInURL = "https://signin.aws.amazon.com/saml"

	// The MFA throttle's defaults (docs/sts.md): 5 failed codes within 15
	// minutes lock a device and its user out for a minute, doubling for
	// each lockout in a row up to 15 minutes.
	DefaultMFAMaxFailures = 5
	DefaultMFALockout     = time.Minute
	DefaultMFAMaxLockout  = 15 * time.Minute
	// The default limits (docs/configuration.md, "Limits"). Rates are
	// RATE/UNIT:BURST. Failures are few for a working client (a typo in a
	// secret, a policy being written), so their budget is tight: 10 a
	// second after a burst of 20 makes guessing and flooding from one
	// address slow and cheap to refuse. The budget of authenticated work
	// is generous: 100 requests a second per access key id, bursts of
	// 200, is above what one SDK client sends refreshing credentials or
	// administering IAM. The capacity bounds keep a node's memory under
	// about 256 MiB whatever the number of clients (docs/benchmarks.md).
	DefaultFailuresPerSource = "10/s:20"
	DefaultFailuresPerKey    = "10/s:20"
	DefaultRequestsPerCaller = "100/s:200"
	DefaultTrackedKeys       = "65536"
	DefaultMaxConnections    = "4096"
	DefaultMaxInFlight       = "1024"
	// One source address may hold a sixteenth of the connections and of
	// the requests in flight, so that one client cannot take them all.
	DefaultMaxConnectionsPerSource = "256"
	DefaultMaxInFlightPerSource    = "64"
	DefaultBodyMemory              = "64MiB"

	// Single sign-on's lifetimes (docs/sso.md): a sign-in lasts a
	// working day, an access token an hour (the CLI refreshes it), a role
	// session an hour.
	DefaultSSOSessionDuration     = 8 * time.Hour
	DefaultSSOAccessTokenDuration = time.Hour
	DefaultSSORoleSessionDuration = time.Hour

	DefaultLogLevel  = "info"
	DefaultLogFormat = "json"

	// EnvPrefix starts every environment variable this package reads.
	EnvPrefix = "BREVET_"

	// EnvConfigFile and FlagConfigFile name the config file to read.
	EnvConfigFile  = "BREVET_CONFIG"
	FlagConfigFile = "config"
)

// settingID names one setting; it indexes the table below and the values of
// each layer.
type settingID int

const (
	sDataDir settingID = iota
	sListen
	sTLSCert
	sTLSKey
	sInsecureHTTP
	sAccountID
	sRegions
	sMasterKey
	sMasterKeyFile
	sStore
	sLogLevel
	sLogFormat
	sMaxRequestBody
	sShutdownGrace
	sIssuerURL
	sSAMLSignInURL
	sOIDCJWKS
	sDebugListen
	sMetricsListen
	sMetricsTokenFile
	sMFAMaxFailures
	sMFALockout
	sMFAMaxLockout
	sTLSClientCA
	sTLSClientAuth
	sCORSOrigins
	sAuditMaxFieldSize
	sAuditMaxFailedFieldSize
	sAuditAggregateAfter
	sAuditAggregateWindow
	sAuditRetentionMaxAge
	sAuditRetentionMaxSize
	sAuditRetentionArchiveDir
	sAuditRetentionDelete
	sAuditDiskFreeWarning
	sAuditDataEvents
	sLimitFailuresPerSource
	sLimitFailuresPerKey
	sLimitRequestsPerCaller
	sLimitTrackedKeys
	sLimitMaxConnections
	sLimitMaxInFlight
	sLimitMaxConnectionsPerSource
	sLimitMaxInFlightPerSource
	sLimitBodyMemory
	sS3Listen
	sS3Domains
	sS3Backend
	sS3BackendRegion
	sS3BackendAccessKeyID
	sS3BackendSecret
	sS3BackendSecretFile
	sAuthzAPIRouteMap
	sAuthzAPIGRPCListen
	sIoTCredentialsListen
	sIoTCredentialsCert
	sIoTCredentialsKey
	sIoTCredentialsEndpoint
	sSSOURL
	sSSOStartURLs
	sSSOSessionDuration
	sSSOAccessTokenDuration
	sSSORoleSessionDuration
	sSSOIAMUsers
	sConsoleServiceReference
	sConsoleSessionDuration
	sIdentityPoolsGuestRate
	sIdentityPoolsTokenIssuer
	numSettings
)

// kind is the shape a setting's value has in the file and on the command
// line.
type kind int

const (
	kindString kind = iota
	kindBool
	kindList
	kindDuration
)

// setting describes where one setting can be given. An empty key, env or
// flag means the setting cannot be given that way.
type setting struct {
	key   string // file key, dotted for nested keys
	env   string
	flag  string
	kind  kind
	def   string // default as text, shown in flag help
	usage string
}

// settings is the one table every layer, the flag bindings and the docs
// test read, so a setting cannot be added to one form and forgotten in
// another. The master key itself has no file key and no flag: a secret in
// a config file or in the process list leaks too easily; give it in the
// environment or in a file of its own.
var settings = [numSettings]setting{
	sDataDir: {key: "data_dir", env: "BREVET_DATA_DIR", flag: "data-dir", def: DefaultDataDir,
		usage: "directory for Brevet's state (the embedded store lives here)"},
	sListen: {key: "listen", env: "BREVET_LISTEN", flag: "listen", def: DefaultListen,
		usage: "address to listen on, host:port"},
	sTLSCert: {key: "tls.cert", env: "BREVET_TLS_CERT", flag: "tls-cert",
		usage: "PEM certificate (chain) file for HTTPS; requires --tls-key"},
	sTLSKey: {key: "tls.key", env: "BREVET_TLS_KEY", flag: "tls-key",
		usage: "PEM private key file for HTTPS; requires --tls-cert"},
	sInsecureHTTP: {key: "insecure_http", env: "BREVET_INSECURE_HTTP", flag: "insecure-http", kind: kindBool, def: "false",
		usage: "allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)"},
	sAccountID: {key: "account_id", env: "BREVET_ACCOUNT_ID", flag: "account-id",
		usage: "12-digit account id, used on first start only (default: random)"},
	sRegions: {key: "regions", env: "BREVET_REGION", flag: "region", kind: kindList, def: DefaultRegion,
		usage: "region(s) to serve, comma-separated; the first is the default"},
	sMasterKey: {env: "BREVET_MASTER_KEY",
		usage: "base64 of the 32-byte master key"},
	sMasterKeyFile: {key: "master_key_file", env: "BREVET_MASTER_KEY_FILE", flag: "master-key-file",
		usage: "file holding the 32-byte master key (raw, or base64 text)"},
	sStore: {key: "store", env: "BREVET_STORE", flag: "store",
		usage: "store DSN: sqlite:PATH or postgres://... (default: sqlite in the data dir)"},
	sLogLevel: {key: "log.level", env: "BREVET_LOG_LEVEL", flag: "log-level", def: DefaultLogLevel,
		usage: "log level: debug, info, warn or error"},
	sLogFormat: {key: "log.format", env: "BREVET_LOG_FORMAT", flag: "log-format", def: DefaultLogFormat,
		usage: "log format: json or text"},
	sMaxRequestBody: {key: "max_request_body", env: "BREVET_MAX_REQUEST_BODY", flag: "max-request-body", def: "1MiB",
		usage: "largest request body accepted, in bytes or with a KiB/MiB suffix"},
	sShutdownGrace: {key: "shutdown_grace", env: "BREVET_SHUTDOWN_GRACE", flag: "shutdown-grace", kind: kindDuration, def: DefaultShutdownGrace.String(),
		usage: "how long in-flight requests may finish after a shutdown signal"},
	sIssuerURL: {key: "federation.issuer_url", env: "BREVET_ISSUER_URL", flag: "issuer-url",
		usage: "https URL under which Brevet publishes its OIDC discovery document and keys (default: the server's own URL)"},
	sSAMLSignInURL: {key: "federation.saml_sign_in_url", env: "BREVET_SAML_SIGN_IN_URL", flag: "saml-sign-in-url", kind: kindList, def: DefaultSAMLSignInURL,
		usage: "SAML audience(s) and recipient(s) AssumeRoleWithSAML accepts, comma-separated"},
	sOIDCJWKS: {key: "federation.oidc_jwks", env: "BREVET_OIDC_JWKS", flag: "oidc-jwks", kind: kindList,
		usage: "inline key sets for OIDC providers Brevet cannot reach: ISSUER_URL=JWKS_FILE, comma-separated"},
	sDebugListen: {key: "debug_listen", env: "BREVET_DEBUG_LISTEN", flag: "debug-listen",
		usage: "loopback host:port serving Go's profiler at /debug/pprof/ (default: off)"},
	sMetricsListen: {key: "metrics_listen", env: "BREVET_METRICS_LISTEN", flag: "metrics-listen",
		usage: "host:port serving /metrics instead of the API's address (default: /metrics on the API's address)"},
	sMetricsTokenFile: {key: "metrics_bearer_token_file", env: "BREVET_METRICS_BEARER_TOKEN_FILE", flag: "metrics-bearer-token-file",
		usage: "file holding the bearer token /metrics requires (default: none required)"},
	sMFAMaxFailures: {key: "mfa.max_failures", env: "BREVET_MFA_MAX_FAILURES", flag: "mfa-max-failures", def: "5",
		usage: "failed MFA codes per device and per user, within mfa.max_lockout, that start a lockout"},
	sMFALockout: {key: "mfa.lockout", env: "BREVET_MFA_LOCKOUT", flag: "mfa-lockout", kind: kindDuration, def: DefaultMFALockout.String(),
		usage: "length of the first MFA lockout; each further one in a row doubles it"},
	sMFAMaxLockout: {key: "mfa.max_lockout", env: "BREVET_MFA_MAX_LOCKOUT", flag: "mfa-max-lockout", kind: kindDuration, def: DefaultMFAMaxLockout.String(),
		usage: "longest MFA lockout, and how long failed codes are remembered"},
	sTLSClientCA: {key: "tls.client_ca_file", env: "BREVET_TLS_CLIENT_CA_FILE", flag: "tls-client-ca-file",
		usage: "PEM file of the CAs that verify client certificates; with it, clients must present one (see --tls-client-auth)"},
	sTLSClientAuth: {key: "tls.client_auth", env: "BREVET_TLS_CLIENT_AUTH", flag: "tls-client-auth",
		usage: "client certificates: none, verify-if-given or require (default: require when tls.client_ca_file is set, else none)"},
	sCORSOrigins: {key: "cors.allowed_origins", env: "BREVET_CORS_ALLOWED_ORIGINS", flag: "cors-allowed-origins", kind: kindList,
		usage: "browser origins allowed to call the API cross-origin, comma-separated, such as https://app.example.com (default: none)"},
	sAuditMaxFieldSize: {key: "audit.max_field_size", env: "BREVET_AUDIT_MAX_FIELD_SIZE", flag: "audit-max-field-size", def: "256KiB",
		usage: "largest requestParameters or responseElements an audit event records in full for a request that succeeded (bytes, KiB/MiB suffix; 0: no cap)"},
	sAuditMaxFailedFieldSize: {key: "audit.max_failed_field_size", env: "BREVET_AUDIT_MAX_FAILED_FIELD_SIZE", flag: "audit-max-failed-field-size", def: "8KiB",
		usage: "the same for a request that failed (bytes, KiB/MiB suffix; 0: no cap)"},
	sAuditAggregateAfter: {key: "audit.aggregate_after", env: "BREVET_AUDIT_AGGREGATE_AFTER", flag: "audit-aggregate-after", def: "5",
		usage: "unauthenticated failures per source and error code recorded in full each window before the rest are counted into one aggregate event (0: record all)"},
	sAuditAggregateWindow: {key: "audit.aggregate_window", env: "BREVET_AUDIT_AGGREGATE_WINDOW", flag: "audit-aggregate-window", kind: kindDuration, def: "1m0s",
		usage: "how long unauthenticated failures are counted before their aggregate event is written"},
	sAuditRetentionMaxAge: {key: "audit.retention.max_age", env: "BREVET_AUDIT_RETENTION_MAX_AGE", flag: "audit-retention-max-age", kind: kindDuration, def: "0s",
		usage: "prune rotated audit files older than this, e.g. 2160h (0: never by age)"},
	sAuditRetentionMaxSize: {key: "audit.retention.max_size", env: "BREVET_AUDIT_RETENTION_MAX_SIZE", flag: "audit-retention-max-size", def: "0",
		usage: "prune the oldest rotated audit files while they total more than this (bytes, KiB/MiB/GiB/TiB suffix; 0: no bound)"},
	sAuditRetentionArchiveDir: {key: "audit.retention.archive_dir", env: "BREVET_AUDIT_RETENTION_ARCHIVE_DIR", flag: "audit-retention-archive-dir",
		usage: "directory pruned audit files are moved to (ship them from there)"},
	sAuditRetentionDelete: {key: "audit.retention.delete", env: "BREVET_AUDIT_RETENTION_DELETE", flag: "audit-retention-delete", kind: kindBool, def: "false",
		usage: "delete pruned audit files instead of archiving them"},
	sAuditDiskFreeWarning: {key: "audit.disk_free_warning", env: "BREVET_AUDIT_DISK_FREE_WARNING", flag: "audit-disk-free-warning", def: "10%",
		usage: "free space on the audit directory's file system under which /readyz warns and brevet_audit_disk_low is 1: a percentage or a size (0: off)"},
	sAuditDataEvents: {key: "audit.data_events", env: "BREVET_AUDIT_DATA_EVENTS", flag: "audit-data-events",
		usage: `data event selectors: which requests of the S3 gateway and the authorization API are recorded, in the environment and on the command line as JSON, e.g. [{"read_write_type":"WriteOnly","resources":["arn:aws:s3:::logs-bucket/"]}] ([]: none; refusals and failures are always recorded) (default: all)`},
	sLimitFailuresPerSource: {key: "limits.failures_per_source", env: "BREVET_LIMIT_FAILURES_PER_SOURCE", flag: "limit-failures-per-source", def: DefaultFailuresPerSource,
		usage: "failed requests allowed per source address, RATE/UNIT:BURST (10/s:20) or off; over it, Throttling before the signature is checked"},
	sLimitFailuresPerKey: {key: "limits.failures_per_key", env: "BREVET_LIMIT_FAILURES_PER_KEY", flag: "limit-failures-per-key", def: DefaultFailuresPerKey,
		usage: "failed authentications allowed per access key id presented, RATE/UNIT:BURST or off"},
	sLimitRequestsPerCaller: {key: "limits.requests_per_caller", env: "BREVET_LIMIT_REQUESTS_PER_CALLER", flag: "limit-requests-per-caller", def: DefaultRequestsPerCaller,
		usage: "authenticated requests allowed per access key id (per source address when unsigned), RATE/UNIT:BURST or off"},
	sLimitTrackedKeys: {key: "limits.tracked_keys", env: "BREVET_LIMIT_TRACKED_KEYS", flag: "limit-tracked-keys", def: DefaultTrackedKeys,
		usage: "source addresses and key ids each rate budget remembers at most (least recently seen are forgotten)"},
	sLimitMaxConnections: {key: "limits.max_connections", env: "BREVET_LIMIT_MAX_CONNECTIONS", flag: "limit-max-connections", def: DefaultMaxConnections,
		usage: "connections open at once on the API listener, or off; more are closed on accept"},
	sLimitMaxInFlight: {key: "limits.max_in_flight", env: "BREVET_LIMIT_MAX_IN_FLIGHT", flag: "limit-max-in-flight", def: DefaultMaxInFlight,
		usage: "API requests read or served at once, or off; more are answered 503 ServiceUnavailable"},
	sLimitMaxConnectionsPerSource: {key: "limits.max_connections_per_source", env: "BREVET_LIMIT_MAX_CONNECTIONS_PER_SOURCE", flag: "limit-max-connections-per-source", def: DefaultMaxConnectionsPerSource,
		usage: "connections open at once from one source address (an IPv6 address's /64), or off (behind a proxy that hides client addresses); more are closed on accept"},
	sLimitMaxInFlightPerSource: {key: "limits.max_in_flight_per_source", env: "BREVET_LIMIT_MAX_IN_FLIGHT_PER_SOURCE", flag: "limit-max-in-flight-per-source", def: DefaultMaxInFlightPerSource,
		usage: "API requests read or served at once from one source address (an IPv6 address's /64), or off (behind a proxy that hides client addresses); more are answered 503 ServiceUnavailable"},
	sLimitBodyMemory: {key: "limits.body_memory", env: "BREVET_LIMIT_BODY_MEMORY", flag: "limit-body-memory", def: DefaultBodyMemory,
		usage: "bytes of request bodies held in memory at once (KiB/MiB/GiB suffix), or off; past it, 503 ServiceUnavailable"},
	sS3Listen: {key: "gateway.s3.listen", env: "BREVET_S3_LISTEN", flag: "s3-listen",
		usage: "address of the S3 gateway's listener, host:port, served with the API's TLS settings (default: no gateway)"},
	sS3Domains: {key: "gateway.s3.domains", env: "BREVET_S3_DOMAINS", flag: "s3-domain", kind: kindList,
		usage: "base domains of virtual-hosted-style S3 addressing (BUCKET.s3.example.com), comma-separated; path-style always works"},
	// The default backend: environment and flags only. A file lists its
	// backends under gateway.s3.backends instead.
	sS3Backend: {env: "BREVET_S3_BACKEND", flag: "s3-backend",
		usage: "URL of the S3-compatible store behind the gateway (the backend named default, serving every bucket no listed backend serves)"},
	sS3BackendRegion: {env: "BREVET_S3_BACKEND_REGION", flag: "s3-backend-region",
		usage: "the default backend's region (default: the first of --region)"},
	sS3BackendAccessKeyID: {env: "BREVET_S3_BACKEND_ACCESS_KEY_ID", flag: "s3-backend-access-key-id",
		usage: "the default backend's own access key id"},
	sS3BackendSecret: {env: "BREVET_S3_BACKEND_SECRET_ACCESS_KEY",
		usage: "the default backend's secret access key; sealed into the store at start, so later starts and other nodes may omit it"},
	sS3BackendSecretFile: {env: "BREVET_S3_BACKEND_SECRET_ACCESS_KEY_FILE", flag: "s3-backend-secret-access-key-file",
		usage: "file holding the default backend's secret access key (instead of BREVET_S3_BACKEND_SECRET_ACCESS_KEY)"},
	sAuthzAPIRouteMap: {key: "authz_api.route_map", env: "BREVET_AUTHZ_API_ROUTE_MAP", flag: "authz-api-route-map",
		usage: "YAML file of the routes of the services behind the authorization API (docs/authorization-api.md); unset: the API is off"},
	sAuthzAPIGRPCListen: {key: "authz_api.grpc_listen", env: "BREVET_AUTHZ_API_GRPC_LISTEN", flag: "authz-api-grpc-listen",
		usage: "host:port of Envoy's gRPC ext_authz listener (with the API's TLS settings); unset: none"},
	sIoTCredentialsListen: {key: "iot.credentials.listen", env: "BREVET_IOT_CREDENTIALS_LISTEN", flag: "iot-credentials-listen",
		usage: "host:port of the IoT credentials provider's mutual-TLS listener (GET /role-aliases/ALIAS/credentials; docs/x509.md); unset: none"},
	sIoTCredentialsCert: {key: "iot.credentials.tls_cert_file", env: "BREVET_IOT_CREDENTIALS_TLS_CERT", flag: "iot-credentials-tls-cert",
		usage: "PEM certificate (chain) the IoT credentials provider serves (default: the API's tls.cert)"},
	sIoTCredentialsKey: {key: "iot.credentials.tls_key_file", env: "BREVET_IOT_CREDENTIALS_TLS_KEY", flag: "iot-credentials-tls-key",
		usage: "PEM private key of iot.credentials.tls_cert_file"},
	sIoTCredentialsEndpoint: {key: "iot.credentials.endpoint", env: "BREVET_IOT_CREDENTIALS_ENDPOINT", flag: "iot-credentials-endpoint",
		usage: "address (host or host:port) aws iot describe-endpoint --endpoint-type iot:CredentialProvider answers (default: the listener's bound address)"},
	// Single sign-on (sso.go). The identity providers are file only
	// (sso.identity_providers), as the S3 backends are.
	sSSOURL: {key: "sso.url", env: "BREVET_SSO_URL", flag: "sso-url",
		usage: "https base URL people's browsers reach the sign-in pages at (docs/sso.md) (default: the server's own URL)"},
	sSSOStartURLs: {key: "sso.start_urls", env: "BREVET_SSO_START_URLS", flag: "sso-start-url", kind: kindList,
		usage: "sso_start_url values clients may name, comma-separated (default: sso.url + /start)"},
	sSSOSessionDuration: {key: "sso.session_duration", env: "BREVET_SSO_SESSION_DURATION", flag: "sso-session-duration", kind: kindDuration, def: DefaultSSOSessionDuration.String(),
		usage: "how long a sign-in session (its refresh tokens) lasts, at most 168h"},
	sSSOAccessTokenDuration: {key: "sso.access_token_duration", env: "BREVET_SSO_ACCESS_TOKEN_DURATION", flag: "sso-access-token-duration", kind: kindDuration, def: DefaultSSOAccessTokenDuration.String(),
		usage: "life of an SSO access token, 5m to 1h"},
	sSSORoleSessionDuration: {key: "sso.role_session_duration", env: "BREVET_SSO_ROLE_SESSION_DURATION", flag: "sso-role-session-duration", kind: kindDuration, def: DefaultSSORoleSessionDuration.String(),
		usage: "length of the role sessions GetRoleCredentials issues, 15m to 12h, capped by the role's maximum"},
	sSSOIAMUsers: {key: "sso.iam_users", env: "BREVET_SSO_IAM_USERS", flag: "sso-iam-users", kind: kindBool, def: "true",
		usage: "let IAM users sign in with their password (and MFA) on the sign-in page"},
	// The web console (console.go).
	sConsoleServiceReference: {key: "console.service_reference", env: "BREVET_CONSOLE_SERVICE_REFERENCE", flag: "console-service-reference",
		usage: "folder of the AWS Service Authorization Reference (iam-data JSON layout) the console's policy generator offers actions from"},
	sConsoleSessionDuration: {key: "console.session_duration", env: "BREVET_CONSOLE_SESSION_DURATION", flag: "console-session-duration", kind: kindDuration, def: DefaultConsoleSessionDuration.String(),
		usage: "how long a console session lasts, 15m to 12h"},
	// Identity pools (identitypools.go).
	sIdentityPoolsGuestRate: {key: "identity_pools.guest_rate", env: "BREVET_IDENTITY_POOLS_GUEST_RATE", flag: "identity-pools-guest-rate", def: DefaultGuestRate,
		usage: "how fast guest identities may be created per identity pool and source address, RATE/UNIT:BURST or off"},
	sIdentityPoolsTokenIssuer: {key: "identity_pools.token_issuer", env: "BREVET_IDENTITY_POOLS_TOKEN_ISSUER", flag: "identity-pools-token-issuer", def: DefaultPoolTokenIssuer,
		usage: "iss of the OpenID tokens identity pools sign (GetOpenIdToken)"},
}

// name is how errors refer to a setting: by its file key, which is also
// what docs/configuration.md lists first.
func (s settingID) name() string {
	if k := settings[s].key; k != "" {
		return k
	}
	return settings[s].env
}
