package config

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// convert turns the merged settings into a runtime Config, checking each
// one. It reports every problem, not just the first.
func convert(v *[numSettings]value) (*Config, []error) {
	c := &Config{}
	var errs []error
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }

	c.DataDir = strings.TrimSpace(v[sDataDir].str)
	if c.DataDir == "" {
		fail(sDataDir, "is empty; give the directory for Brevet's state, for example "+DefaultDataDir)
	} else {
		c.DataDir = filepath.Clean(c.DataDir)
	}

	loopback, msg := checkListen(v[sListen].str)
	if msg != "" {
		fail(sListen, msg)
	}
	c.Listen = v[sListen].str

	c.TLS = TLS{CertFile: v[sTLSCert].str, KeyFile: v[sTLSKey].str}
	switch {
	case c.TLS.CertFile != "" && c.TLS.KeyFile == "":
		fail(sTLSCert, "is set but tls.key is not; give both the certificate and its key (--tls-cert and --tls-key), or neither for plain HTTP")
	case c.TLS.CertFile == "" && c.TLS.KeyFile != "":
		fail(sTLSKey, "is set but tls.cert is not; give both the certificate and its key (--tls-cert and --tls-key), or neither for plain HTTP")
	}

	var err error
	if c.InsecureHTTP, err = strconv.ParseBool(v[sInsecureHTTP].str); err != nil {
		fail(sInsecureHTTP, fmt.Sprintf("%q is not a boolean; use true or false", v[sInsecureHTTP].str))
	}
	switch {
	case c.InsecureHTTP && (c.TLS.CertFile != "" || c.TLS.KeyFile != ""):
		fail(sInsecureHTTP, "is set together with TLS; drop insecure_http (--insecure-http) when serving HTTPS")
	case msg == "" && !loopback && c.TLS.CertFile == "" && c.TLS.KeyFile == "" && !c.InsecureHTTP:
		fail(sListen, fmt.Sprintf("%q is not a loopback address and no TLS certificate is configured: "+
			"give --tls-cert and --tls-key to serve HTTPS, listen on 127.0.0.1, or, only behind a proxy "+
			"that terminates TLS, pass --insecure-http", c.Listen))
	}

	if c.DebugListen = strings.TrimSpace(v[sDebugListen].str); c.DebugListen != "" {
		switch loopback, msg := checkListen(c.DebugListen); {
		case msg != "":
			fail(sDebugListen, msg)
		case !loopback:
			fail(sDebugListen, fmt.Sprintf("%q is not a loopback address: the profiler exposes the server's memory, "+
				"so it listens on loopback only, for example 127.0.0.1:6060", c.DebugListen))
		}
	}

	c.Metrics, errs = convertMetrics(v, c, errs)
	c.MFA, errs = convertMFA(v, errs)
	c.TLS.ClientCAFile, c.TLS.ClientAuth, errs = convertClientAuth(v, c, errs)
	c.CORS, errs = convertCORS(v, errs)
	c.Audit, errs = convertAudit(v, errs)
	c.Limits, errs = convertLimits(v, errs)
	c.AuthzAPI, errs = convertAuthzAPI(v, c, errs)

	c.AccountID = strings.TrimSpace(v[sAccountID].str)
	if c.AccountID != "" && !accountIDRE.MatchString(c.AccountID) {
		fail(sAccountID, fmt.Sprintf("%q is not an account id; give exactly 12 digits, or leave it unset to pick a random one on first start", c.AccountID))
	}

	c.Regions = v[sRegions].list
	if m := checkRegions(c.Regions); m != "" {
		fail(sRegions, m)
	}

	c.MasterKey, err = masterKey(v)
	if err != nil {
		errs = append(errs, err)
	}

	c.Store, msg = parseStore(v[sStore].str, c.DataDir)
	if msg != "" {
		fail(sStore, msg)
	}

	if c.Log.Level, msg = parseLevel(v[sLogLevel].str); msg != "" {
		fail(sLogLevel, msg)
	}
	switch f := LogFormat(strings.ToLower(v[sLogFormat].str)); f {
	case LogJSON, LogText:
		c.Log.Format = f
	default:
		fail(sLogFormat, fmt.Sprintf("%q is not a log format; use json or text", v[sLogFormat].str))
	}

	if c.MaxRequestBody, msg = parseSize(v[sMaxRequestBody].str); msg != "" {
		fail(sMaxRequestBody, msg)
	}

	if c.ShutdownGrace, err = time.ParseDuration(v[sShutdownGrace].str); err != nil || c.ShutdownGrace < 0 {
		fail(sShutdownGrace, fmt.Sprintf("%q is not a duration; use a Go duration such as 25s or 1m, or 0 to stop at once", v[sShutdownGrace].str))
	}

	c.Federation.IssuerURL = strings.TrimSpace(v[sIssuerURL].str)
	if u := c.Federation.IssuerURL; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" || pu.RawQuery != "" || pu.Fragment != "" || strings.HasSuffix(u, "/") {
			fail(sIssuerURL, fmt.Sprintf("%q is not an issuer URL; give an https URL without query, fragment or trailing slash, such as https://sts.example.com", u))
		}
	}
	c.Federation.SAMLSignInURLs = v[sSAMLSignInURL].list
	if len(c.Federation.SAMLSignInURLs) == 0 {
		fail(sSAMLSignInURL, "is empty; give at least one URL, for example "+DefaultSAMLSignInURL)
	}
	for _, e := range v[sOIDCJWKS].list {
		issuer, file, ok := strings.Cut(e, "=")
		if !ok || !strings.HasPrefix(issuer, "https://") || file == "" {
			fail(sOIDCJWKS, fmt.Sprintf("%q is not ISSUER_URL=JWKS_FILE; for example https://idp.internal=/etc/brevet/idp-jwks.json", e))
			continue
		}
		if c.Federation.OIDCJWKS == nil {
			c.Federation.OIDCJWKS = map[string]string{}
		}
		c.Federation.OIDCJWKS[strings.TrimSuffix(issuer, "/")] = file
	}
	return c, errs
}

// convertMFA checks the MFA throttle's settings.
func convertMFA(v *[numSettings]value, errs []error) (MFA, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	var m MFA
	var err error
	if m.MaxFailures, err = strconv.Atoi(strings.TrimSpace(v[sMFAMaxFailures].str)); err != nil || m.MaxFailures < 1 || m.MaxFailures > 100 {
		fail(sMFAMaxFailures, fmt.Sprintf("%q is not a count from 1 to 100; the default is %d", v[sMFAMaxFailures].str, DefaultMFAMaxFailures))
	}
	dur := func(s settingID) time.Duration {
		d, err := time.ParseDuration(v[s].str)
		if err != nil || d <= 0 {
			fail(s, fmt.Sprintf("%q is not a positive duration; use a Go duration such as 1m or 15m", v[s].str))
		}
		return d
	}
	m.Lockout, m.MaxLockout = dur(sMFALockout), dur(sMFAMaxLockout)
	if m.Lockout > 0 && m.MaxLockout > 0 && m.MaxLockout < m.Lockout {
		fail(sMFAMaxLockout, fmt.Sprintf("%s is shorter than mfa.lockout (%s); give at least that", m.MaxLockout, m.Lockout))
	}
	return m, errs
}

// convertMetrics checks where /metrics is served. Its listener speaks
// what the API's speaks (the same TLS settings), so plain HTTP off
// loopback needs insecure_http there too: a bearer token must not cross
// the network in the clear.
func convertMetrics(v *[numSettings]value, c *Config, errs []error) (Metrics, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	m := Metrics{Listen: strings.TrimSpace(v[sMetricsListen].str), BearerTokenFile: strings.TrimSpace(v[sMetricsTokenFile].str)}
	if m.Listen != "" {
		if msg := checkSideListen(m.Listen, "metrics", "give another port, or leave metrics_listen unset to serve /metrics there", c); msg != "" {
			fail(sMetricsListen, msg)
		}
	}
	if m.BearerTokenFile != "" {
		if _, err := os.Stat(m.BearerTokenFile); err != nil {
			fail(sMetricsTokenFile, fmt.Sprintf("cannot read the metrics bearer token file: %v", err))
		}
	}
	return m, errs
}

// convertClientAuth checks the client certificate settings: they need
// TLS, and a mode other than none needs the CA file. The CA file alone
// means require.
func convertClientAuth(v *[numSettings]value, c *Config, errs []error) (string, ClientAuth, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	file := strings.TrimSpace(v[sTLSClientCA].str)
	mode := ClientAuth(strings.ToLower(strings.TrimSpace(v[sTLSClientAuth].str)))
	switch mode {
	case "":
		mode = ClientAuthNone
		if file != "" {
			mode = ClientAuthRequire
		}
	case ClientAuthNone, ClientAuthVerifyIfGiven, ClientAuthRequire:
	default:
		fail(sTLSClientAuth, fmt.Sprintf("%q is not a client certificate mode; use none, verify-if-given or require", v[sTLSClientAuth].str))
		return "", ClientAuthNone, errs
	}
	switch {
	case mode == ClientAuthNone && file != "" && v[sTLSClientAuth].str != "":
		fail(sTLSClientAuth, "is none but tls.client_ca_file is set; drop one of them")
	case mode != ClientAuthNone && file == "":
		fail(sTLSClientAuth, fmt.Sprintf("is %s but tls.client_ca_file is not set; give the PEM file of the CAs that issue client certificates (--tls-client-ca-file)", mode))
	case file != "" && !c.TLS.Enabled():
		fail(sTLSClientCA, "is set but TLS is not; client certificates need --tls-cert and --tls-key")
	case file != "":
		if _, err := os.Stat(file); err != nil {
			fail(sTLSClientCA, fmt.Sprintf("cannot read the client CA file: %v", err))
		}
	}
	return file, mode, errs
}

// convertCORS checks the allowed origins: each is "*" or an origin as a
// browser sends it, scheme://host[:port] without a path.
func convertCORS(v *[numSettings]value, errs []error) (CORS, []error) {
	var c CORS
	for _, o := range v[sCORSOrigins].list {
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				errs = append(errs, newError(sCORSOrigins, v[sCORSOrigins].from,
					fmt.Sprintf("%q is not an origin; give scheme://host[:port] without a path or trailing slash, such as https://app.example.com, or *", o)))
				continue
			}
		}
		c.AllowedOrigins = append(c.AllowedOrigins, strings.ToLower(o))
	}
	return c, errs
}

var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	// regionRE matches AWS region names: a partition-ish prefix, one or
	// more words, and a number (us-east-1, us-gov-west-1, eusc-de-east-1).
	regionRE = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)
)

// checkListen validates a host:port and says whether it is loopback only.
// An empty host means every interface, so it is not loopback; a host name
// other than localhost may resolve anywhere, so it is not either.
func checkListen(addr string) (loopback bool, msg string) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Sprintf("%q is not host:port (%v); for example %s, or [::1]:8787", addr, errNoAddr(err), DefaultListen)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (port != "0" && n == 0) {
		return false, fmt.Sprintf("%q has no valid port; give a number from 0 to 65535", addr)
	}
	if strings.EqualFold(host, "localhost") {
		return true, ""
	}
	if host == "" {
		return false, ""
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.IsLoopback(), ""
	}
	return false, ""
}

// errNoAddr drops the address that net repeats inside its error text.
// checkSideListen checks the address of a listener beside the API's (the
// metrics, the authorization API's gRPC, the S3 gateway), which serves
// with the API's TLS settings: a valid host:port, not the API's own
// address (samePort says what to do instead), and not off loopback in the
// clear. It returns "" when addr is fine.
func checkSideListen(addr, what, samePort string, c *Config) string {
	loopback, msg := checkListen(addr)
	switch {
	case msg != "":
		return msg
	case addr == c.Listen && !strings.HasSuffix(addr, ":0"):
		return fmt.Sprintf("%q is the API's address (listen); %s", addr, samePort)
	case !loopback && !c.TLS.Enabled() && !c.InsecureHTTP:
		return fmt.Sprintf("%q is not a loopback address and no TLS certificate is configured: "+
			"the %s listener uses the API's TLS settings; give --tls-cert and --tls-key, listen on 127.0.0.1, "+
			"or, only behind a proxy that terminates TLS, pass --insecure-http", addr, what)
	}
	return ""
}

func errNoAddr(err error) string {
	if ae, ok := err.(*net.AddrError); ok {
		return ae.Err
	}
	return err.Error()
}

func checkRegions(regions []string) string {
	if len(regions) == 0 {
		return "is empty; give at least one region, for example " + DefaultRegion
	}
	seen := map[string]bool{}
	for _, r := range regions {
		if !regionRE.MatchString(r) {
			return fmt.Sprintf("%q is not a region name; use names such as us-east-1 or eu-west-1", r)
		}
		if seen[r] {
			return fmt.Sprintf("%q is listed twice; list each region once", r)
		}
		seen[r] = true
	}
	return ""
}

// masterKey reads the master key from whichever form won. Messages never
// include key material, only where it came from and its length.
func masterKey(v *[numSettings]value) (MasterKey, error) {
	switch {
	case v[sMasterKey].set:
		k, msg := decodeKey([]byte(v[sMasterKey].str))
		if msg != "" {
			return MasterKey{}, newError(sMasterKey, v[sMasterKey].from, msg)
		}
		return MasterKey{key: k, source: v[sMasterKey].from.String()}, nil
	case v[sMasterKeyFile].set:
		path := v[sMasterKeyFile].str
		if _, err := os.Stat(path); err != nil {
			return MasterKey{}, newError(sMasterKeyFile, v[sMasterKeyFile].from,
				fmt.Sprintf("cannot read the master key file: %v", err))
		}
		return MasterKey{file: path, source: "file " + path}, nil
	}
	// Not configured: the key lives in the data directory (generated on
	// first start by MasterKey.Load).
	return MasterKey{}, nil
}

// decodeKey accepts exactly 32 raw bytes, or their base64 (standard
// alphabet, with or without padding) with surrounding white space.
func decodeKey(data []byte) (*[MasterKeySize]byte, string) {
	var k [MasterKeySize]byte
	if len(data) == MasterKeySize {
		copy(k[:], data)
		return &k, ""
	}
	text := bytes.TrimSpace(data)
	enc := base64.StdEncoding
	if len(text)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	buf := make([]byte, enc.DecodedLen(len(text)))
	n, err := enc.Decode(buf, text)
	defer clear(buf)
	if err != nil || n != MasterKeySize {
		return nil, fmt.Sprintf("the master key must be 32 bytes, raw or in base64 (44 characters); "+
			"got %d characters that are not that. Generate one with: openssl rand -base64 32", len(text))
	}
	copy(k[:], buf)
	return &k, ""
}

// parseStore reads a store DSN. "" means SQLite in the data directory.
func parseStore(dsn, dataDir string) (Store, string) {
	switch {
	case dsn == "":
		return Store{Driver: StoreSQLite, Path: filepath.Join(dataDir, "brevet.db")}, ""
	case strings.HasPrefix(dsn, "sqlite:"):
		p := strings.TrimPrefix(dsn, "sqlite:")
		if rest, ok := strings.CutPrefix(p, "//"); ok {
			if !strings.HasPrefix(rest, "/") {
				return Store{}, "a sqlite URL with // needs an absolute path (sqlite:///var/lib/brevet/brevet.db); for a relative path write sqlite:PATH"
			}
			p = rest
		}
		if p == "" {
			return Store{}, "sqlite: needs a database file path, for example sqlite:./brevet-data/brevet.db"
		}
		return Store{Driver: StoreSQLite, Path: filepath.Clean(p)}, ""
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			// url's error repeats the DSN, password included: do not show it.
			return Store{}, "the postgres URL does not parse; check its quoting and escape special characters in the password (%XX)"
		}
		return Store{Driver: StorePostgres, DSN: dsn}, ""
	}
	scheme, _, _ := strings.Cut(dsn, ":")
	return Store{}, fmt.Sprintf("unknown store kind %q; use sqlite:PATH or postgres://user@host/db, or leave it unset for SQLite in the data directory", scheme)
}

func parseLevel(s string) (slog.Level, string) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, ""
	case "info":
		return slog.LevelInfo, ""
	case "warn", "warning":
		return slog.LevelWarn, ""
	case "error":
		return slog.LevelError, ""
	}
	return 0, fmt.Sprintf("%q is not a log level; use debug, info, warn or error", s)
}

// Request body bounds: smaller than minBody cannot hold ordinary requests;
// larger than maxBody is memory one client can pin.
const (
	minBody = 1 << 10
	maxBody = 1 << 30
)

// parseSize reads a byte count, optionally with a KiB, MiB or GiB suffix.
func parseSize(s string) (int64, string) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > maxBody/mult || n*mult < minBody {
		return 0, fmt.Sprintf("%q is not a size from 1KiB to 1GiB; give bytes (1048576) or use a KiB/MiB/GiB suffix (1MiB)", s)
	}
	return n * mult, ""
}

// convertLimits reads the rate budgets and capacity bounds.
func convertLimits(v *[numSettings]value, errs []error) (Limits, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	var l Limits
	for _, r := range []struct {
		s   settingID
		dst *Rate
	}{{sLimitFailuresPerSource, &l.FailuresPerSource}, {sLimitFailuresPerKey, &l.FailuresPerKey}, {sLimitRequestsPerCaller, &l.RequestsPerCaller}} {
		var msg string
		if *r.dst, msg = parseRate(v[r.s].str); msg != "" {
			fail(r.s, msg)
		}
	}
	for _, c := range []struct {
		s   settingID
		dst *int
		max int
	}{{sLimitTrackedKeys, &l.TrackedKeys, 1 << 24}, {sLimitMaxConnections, &l.MaxConnections, 1 << 24}, {sLimitMaxInFlight, &l.MaxInFlight, 1 << 24},
		{sLimitMaxConnectionsPerSource, &l.MaxConnectionsPerSource, 1 << 24}, {sLimitMaxInFlightPerSource, &l.MaxInFlightPerSource, 1 << 24}} {
		text := strings.TrimSpace(v[c.s].str)
		if strings.EqualFold(text, "off") && c.s != sLimitTrackedKeys {
			continue
		}
		n, err := strconv.Atoi(text)
		if err != nil || n < 1 || n > c.max {
			off := ", or off"
			if c.s == sLimitTrackedKeys {
				off = ""
			}
			fail(c.s, fmt.Sprintf("%q is not a count; give a whole number from 1 to %d%s", v[c.s].str, c.max, off))
			continue
		}
		*c.dst = n
	}
	if text := strings.TrimSpace(v[sLimitBodyMemory].str); !strings.EqualFold(text, "off") {
		var msg string
		if l.BodyMemory, msg = parseSize(text); msg != "" {
			fail(sLimitBodyMemory, msg+", or off")
		}
	}
	return l, errs
}

// parseRate reads RATE/UNIT:BURST (10/s:20, 600/m:50, 0.5/s:5) or off.
func parseRate(s string) (Rate, string) {
	text := strings.TrimSpace(s)
	if strings.EqualFold(text, "off") {
		return Rate{}, ""
	}
	bad := fmt.Sprintf("%q is not a rate; write RATE/UNIT:BURST, for example 10/s:20 (10 a second, bursts of 20) or 600/m:50, or off", s)
	rateText, burstText, ok := strings.Cut(text, ":")
	num, unit, ok2 := strings.Cut(rateText, "/")
	if !ok || !ok2 {
		return Rate{}, bad
	}
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[unit]
	n, err := strconv.ParseFloat(num, 64)
	burst, err2 := strconv.Atoi(burstText)
	if per == 0 || err != nil || err2 != nil || !(n > 0) || n > 1e9 || burst < 1 || burst > 1<<24 {
		return Rate{}, bad
	}
	return Rate{PerSecond: n / per, Burst: burst}, ""
}
