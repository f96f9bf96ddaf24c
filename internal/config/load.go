package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// LoadArgs says where Load finds settings besides the defaults.
type LoadArgs struct {
	// File is the config file to read. When "", the --config flag and
	// then BREVET_CONFIG name it; when none of them does, no file is read.
	File string

	// Env is the environment as KEY=VALUE strings, as os.Environ returns
	// it. Only BREVET_* variables are looked at; an empty value counts as
	// unset.
	Env []string

	// Flags are the parsed command-line flags, bound with BindFlags. Only
	// flags given on the command line count, so a flag's default never
	// hides a file or environment setting. May be nil.
	Flags *pflag.FlagSet
}

// value is one setting's text as given, and where it was given.
type value struct {
	set  bool
	str  string
	list []string // kindList only
	from origin
}

// loader collects the layers of settings, the lowest first, each one
// replacing what the layers below set.
type loader struct {
	vals [numSettings]value
	errs []error
	// s3Backends is the file's gateway.s3.backends, which no other layer
	// gives (gateway.go).
	s3Backends []fileS3Backend
	// extraCerts is the file's tls.extra_certificates (tlsextra.go).
	extraCerts []fileCertPair
	filePath   string
	lines      map[string]int
	// authzServices is the file's authz_api.services, kept as YAML
	// (authzapi.go).
	authzServices *yaml.Node
	// ssoIdPs is the file's sso.identity_providers, which no other layer
	// gives (sso.go).
	ssoIdPs []fileSSOIdP
}

// Load builds the runtime Config from defaults, the config file, the
// environment and the flags, in increasing precedence, and validates it.
// The error, when not nil, joins one *Error per problem found.
func Load(args LoadArgs) (*Config, error) {
	var l loader
	l.defaults()
	env := envMap(args.Env)

	path := args.File
	if path == "" {
		if f := changedFlag(args.Flags, FlagConfigFile); f != nil {
			path = f.Value.String()
		} else {
			path = env[EnvConfigFile]
		}
	}
	if path != "" {
		if err := l.file(path); err != nil {
			return nil, err
		}
	}
	ignored := l.env(env)
	l.flags(args.Flags)
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	cfg, errs := convert(&l.vals)
	cfg.Gateway, errs = l.convertGateway(cfg, errs)
	errs = l.authzServicesInline(cfg, errs)                       // authzapi.go
	cfg.IoT, errs = convertIoT(&l.vals, cfg, errs)                // iot.go
	cfg.SSO, errs = l.convertSSO(errs)                            // sso.go
	cfg.Console, errs = convertConsole(&l.vals, errs)             // console.go
	cfg.IdentityPools, errs = convertIdentityPools(&l.vals, errs) // identitypools.go
	// tls.extra_certificates: tlsextra.go
	cfg.TLS.ExtraCertificates, errs = l.convertExtraCertificates(cfg, errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cfg.File = path
	cfg.IgnoredEnv = ignored
	return cfg, nil
}

// put records one setting's value from one layer. The master key and the
// master key file are two forms of one setting: the higher layer's form
// replaces the lower one's, and giving both in one layer is an error.
func (l *loader) put(s settingID, v value) {
	v.set = true
	if other, ok := masterKeyPair(s); ok && l.vals[other].set {
		if l.vals[other].from.layer == v.from.layer {
			l.errs = append(l.errs, newError(s, v.from, fmt.Sprintf(
				"%s is set as well; give the master key one way only", settingLabel(other, v.from.layer))))
		}
		l.vals[other] = value{}
	}
	l.vals[s] = v
}

func masterKeyPair(s settingID) (settingID, bool) {
	switch s {
	case sMasterKey:
		return sMasterKeyFile, true
	case sMasterKeyFile:
		return sMasterKey, true
	}
	return 0, false
}

// settingLabel names a setting the way the given layer spells it.
func settingLabel(s settingID, l layer) string {
	switch l {
	case layerEnv:
		return settings[s].env
	case layerFlag:
		return "--" + settings[s].flag
	}
	return s.name()
}

func (l *loader) defaults() {
	for s := range numSettings {
		if d := settings[s].def; d != "" {
			v := value{str: d, from: origin{layer: layerDefault}}
			if settings[s].kind == kindList {
				v.list = splitList(d)
			}
			l.put(s, v)
		}
	}
}

func (l *loader) file(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w (check --config / %s)", err, EnvConfigFile)
	}
	fc, lines, err := parseFile(path, data)
	if err != nil {
		return err
	}
	l.filePath, l.lines = path, lines
	set := func(s settingID, p *string) {
		if p != nil {
			l.put(s, value{str: *p, from: origin{layer: layerFile, name: path, line: lines[settings[s].key]}})
		}
	}
	set(sDataDir, fc.DataDir)
	set(sListen, fc.Listen)
	if fc.TLS != nil {
		set(sTLSCert, fc.TLS.Cert)
		set(sTLSKey, fc.TLS.Key)
		set(sTLSClientCA, fc.TLS.ClientCAFile)
		set(sTLSClientAuth, fc.TLS.ClientAuth)
		if fc.TLS.ExtraCertificates != nil {
			l.extraCerts = *fc.TLS.ExtraCertificates
		}
	}
	if fc.CORS != nil && fc.CORS.AllowedOrigins != nil {
		l.put(sCORSOrigins, value{list: *fc.CORS.AllowedOrigins, from: origin{layer: layerFile, name: path, line: lines["cors.allowed_origins"]}})
	}
	if fc.InsecureHTTP != nil {
		b := fmt.Sprint(*fc.InsecureHTTP)
		set(sInsecureHTTP, &b)
	}
	set(sAccountID, fc.AccountID)
	if fc.Regions != nil {
		l.put(sRegions, value{list: *fc.Regions, from: origin{layer: layerFile, name: path, line: lines["regions"]}})
	}
	set(sMasterKeyFile, fc.MasterKeyFile)
	set(sStore, fc.Store)
	if fc.Log != nil {
		set(sLogLevel, fc.Log.Level)
		set(sLogFormat, fc.Log.Format)
	}
	set(sMaxRequestBody, fc.MaxRequestBody)
	set(sShutdownGrace, fc.ShutdownGrace)
	set(sDebugListen, fc.DebugListen)
	set(sMetricsListen, fc.MetricsListen)
	set(sMetricsTokenFile, fc.MetricsToken)
	if m := fc.MFA; m != nil {
		set(sMFAMaxFailures, m.MaxFailures)
		set(sMFALockout, m.Lockout)
		set(sMFAMaxLockout, m.MaxLockout)
	}
	if a := fc.Audit; a != nil {
		set(sAuditMaxFieldSize, a.MaxFieldSize)
		set(sAuditMaxFailedFieldSize, a.MaxFailedFieldSize)
		set(sAuditAggregateAfter, a.AggregateAfter)
		set(sAuditAggregateWindow, a.AggregateWindow)
		set(sAuditDiskFreeWarning, a.DiskFreeWarning)
		if a.DataEvents != nil {
			j, err := json.Marshal(*a.DataEvents) // the environment's and the flag's form
			if err != nil {
				return fmt.Errorf("config file %s: audit.data_events: %w", path, err)
			}
			js := string(j)
			set(sAuditDataEvents, &js)
		}
		if r := a.Retention; r != nil {
			set(sAuditRetentionMaxAge, r.MaxAge)
			set(sAuditRetentionMaxSize, r.MaxSize)
			set(sAuditRetentionArchiveDir, r.ArchiveDir)
			if r.Delete != nil {
				b := fmt.Sprint(*r.Delete)
				set(sAuditRetentionDelete, &b)
			}
		}
	}
	if lim := fc.Limits; lim != nil {
		set(sLimitFailuresPerSource, lim.FailuresPerSource)
		set(sLimitFailuresPerKey, lim.FailuresPerKey)
		set(sLimitRequestsPerCaller, lim.RequestsPerCaller)
		set(sLimitTrackedKeys, lim.TrackedKeys)
		set(sLimitMaxConnections, lim.MaxConnections)
		set(sLimitMaxInFlight, lim.MaxInFlight)
		set(sLimitMaxConnectionsPerSource, lim.MaxConnectionsPerSource)
		set(sLimitMaxInFlightPerSource, lim.MaxInFlightPerSource)
		set(sLimitBodyMemory, lim.BodyMemory)
	}
	l.fileGateway(fc.Gateway, set)                  // gateway.go
	fileIoTSettings(fc.IoT, set)                    // iot.go
	l.fileSSO(fc.SSO, set)                          // sso.go
	fileConsoleSettings(fc.Console, set)            // console.go
	fileIdentityPoolSettings(fc.IdentityPools, set) // identitypools.go
	if a := fc.AuthzAPI; a != nil {
		set(sAuthzAPIRouteMap, a.RouteMap)
		set(sAuthzAPIGRPCListen, a.GRPCListen)
		if a.Services.Kind != 0 {
			l.authzServices = &a.Services
		}
	}
	if f := fc.Federation; f != nil {
		set(sIssuerURL, f.IssuerURL)
		if f.SAMLSignInURL != nil {
			l.put(sSAMLSignInURL, value{list: *f.SAMLSignInURL, from: origin{layer: layerFile, name: path, line: lines["federation.saml_sign_in_url"]}})
		}
		if f.OIDCJWKS != nil {
			l.put(sOIDCJWKS, value{list: *f.OIDCJWKS, from: origin{layer: layerFile, name: path, line: lines["federation.oidc_jwks"]}})
		}
	}
	return nil
}

// envMap keeps the BREVET_* variables with a value.
func envMap(environ []string) map[string]string {
	m := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && v != "" && strings.HasPrefix(k, EnvPrefix) {
			m[k] = v
		}
	}
	return m
}

// env applies the environment layer and returns the BREVET_* variables
// that are not settings.
func (l *loader) env(env map[string]string) []string {
	byName := map[string]settingID{}
	for s := range numSettings {
		if e := settings[s].env; e != "" {
			byName[e] = s
		}
	}
	// Apply in a fixed order so that errors come out the same every time.
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	var ignored []string
	for _, k := range names {
		s, ok := byName[k]
		if !ok {
			if k != EnvConfigFile {
				ignored = append(ignored, k)
			}
			continue
		}
		v := value{str: env[k], from: origin{layer: layerEnv, name: k}}
		if settings[s].kind == kindList {
			v.list = splitList(env[k])
		}
		l.put(s, v)
	}
	return ignored
}

func (l *loader) flags(fs *pflag.FlagSet) {
	for s := range numSettings {
		f := changedFlag(fs, settings[s].flag)
		if f == nil {
			continue
		}
		v := value{str: f.Value.String(), from: origin{layer: layerFlag, name: "--" + f.Name}}
		if settings[s].kind == kindList {
			list, err := fs.GetStringSlice(f.Name)
			if err != nil {
				l.errs = append(l.errs, newError(s, v.from, err.Error()))
				continue
			}
			v.list = splitList(strings.Join(list, ","))
		}
		l.put(s, v)
	}
}

// changedFlag returns the flag when it was given on the command line.
func changedFlag(fs *pflag.FlagSet, name string) *pflag.Flag {
	if fs == nil || name == "" {
		return nil
	}
	if f := fs.Lookup(name); f != nil && f.Changed {
		return f
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks around items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
