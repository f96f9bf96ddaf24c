package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Gateway configures the services Brevet stands in front of.
type Gateway struct {
	// S3 is the S3 gateway (docs/gateway.md); its Listen is "" when it is
	// off.
	S3 S3Gateway
}

// S3Gateway configures the S3 gateway: its listener, how buckets are
// addressed, and the S3-compatible stores behind it.
type S3Gateway struct {
	// Listen is the gateway's host:port, "" for no gateway. It is served
	// with the API's TLS settings.
	Listen string
	// Domains are the base domains of virtual-hosted-style addressing.
	Domains []string
	// Backends are the stores behind the gateway, in the order a bucket
	// is matched against their Buckets: the file's gateway.s3.backends,
	// then the backend named "default" given by the environment or
	// flags.
	Backends []S3Backend
}

// Enabled reports whether the gateway is configured.
func (g S3Gateway) Enabled() bool { return g.Listen != "" }

// backendNames lists the backends as NAME=ENDPOINT, never their keys.
func (g S3Gateway) backendNames() string {
	var b strings.Builder
	for i, be := range g.Backends {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(be.Name + "=" + be.Endpoint)
	}
	return b.String()
}

// S3Backend is one S3-compatible store behind the gateway.
type S3Backend struct {
	// Name identifies the backend in logs and in the store, where its
	// secret is sealed.
	Name string
	// Endpoint is the store's http(s) URL.
	Endpoint string
	// Region is the region requests to it are signed for.
	Region string
	// AccessKeyID is the store's own access key id for Brevet.
	AccessKeyID string
	// SecretAccessKey is the key's secret when given in the environment;
	// SecretAccessKeyFile names a file holding it. Both empty: the secret
	// sealed in the store by an earlier start is used.
	SecretAccessKey Secret
	// SecretAccessKeyFile is read by the node at start.
	SecretAccessKeyFile string
	// Buckets are the bucket name patterns (path.Match syntax) the
	// backend serves; the first backend with a matching pattern serves a
	// bucket.
	Buckets []string
	// VirtualHosted addresses the store as BUCKET.host instead of
	// host/BUCKET.
	VirtualHosted bool
}

// Secret is a secret given in the configuration. It is never printed,
// logged or marshalled: every form shows [redacted].
type Secret string

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString redacts.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// Format redacts under every verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// LogValue redacts.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText redacts.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// DefaultS3BackendName names the backend the environment and flags give.
const DefaultS3BackendName = "default"

type fileGateway struct {
	S3 *fileS3Gateway `yaml:"s3"`
}

type fileS3Gateway struct {
	Listen   *string          `yaml:"listen"`
	Domains  *[]string        `yaml:"domains"`
	Backends *[]fileS3Backend `yaml:"backends"`
}

type fileS3Backend struct {
	Name                *string   `yaml:"name"`
	Endpoint            *string   `yaml:"endpoint"`
	Region              *string   `yaml:"region"`
	AccessKeyID         *string   `yaml:"access_key_id"`
	SecretAccessKeyFile *string   `yaml:"secret_access_key_file"`
	Buckets             *[]string `yaml:"buckets"`
	VirtualHosted       *bool     `yaml:"virtual_hosted"`
}

// fileGateway takes the file's gateway settings.
func (l *loader) fileGateway(g *fileGateway, set func(settingID, *string)) {
	if g == nil || g.S3 == nil {
		return
	}
	set(sS3Listen, g.S3.Listen)
	if g.S3.Domains != nil {
		l.put(sS3Domains, value{list: *g.S3.Domains, from: origin{layer: layerFile, name: l.filePath, line: l.lines["gateway.s3.domains"]}})
	}
	if g.S3.Backends != nil {
		l.s3Backends = *g.S3.Backends
	}
}

var backendNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// convertGateway checks the gateway's settings and builds its backends.
func (l *loader) convertGateway(c *Config, errs []error) (Gateway, []error) {
	v := &l.vals
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	g := S3Gateway{Listen: strings.TrimSpace(v[sS3Listen].str), Domains: v[sS3Domains].list}
	if g.Listen != "" {
		if msg := checkSideListen(g.Listen, "S3 gateway", "give the gateway a port of its own", c); msg != "" {
			fail(sS3Listen, msg)
		}
	}
	for _, d := range g.Domains {
		if strings.Trim(d, ".") != d || !strings.Contains(d, ".") && d != "localhost" {
			fail(sS3Domains, fmt.Sprintf("%q is not a domain name such as s3.example.com", d))
		}
	}
	seen := map[string]bool{}
	for i, fb := range l.s3Backends {
		b, msgs := l.fileBackend(i, fb, c)
		for _, m := range msgs {
			errs = append(errs, &Error{Setting: fmt.Sprintf("gateway.s3.backends[%d]", i), Source: l.at(fmt.Sprintf("gateway.s3.backends[%d].name", i)), Msg: m})
		}
		if seen[b.Name] {
			errs = append(errs, &Error{Setting: fmt.Sprintf("gateway.s3.backends[%d].name", i), Source: l.at(fmt.Sprintf("gateway.s3.backends[%d].name", i)),
				Msg: fmt.Sprintf("%q names two backends; give each its own name", b.Name)})
		}
		seen[b.Name] = true
		g.Backends = append(g.Backends, b)
	}
	if v[sS3Backend].set {
		b := S3Backend{Name: DefaultS3BackendName, Endpoint: v[sS3Backend].str, Region: v[sS3BackendRegion].str,
			AccessKeyID: v[sS3BackendAccessKeyID].str, SecretAccessKey: Secret(v[sS3BackendSecret].str),
			SecretAccessKeyFile: v[sS3BackendSecretFile].str, Buckets: []string{"*"}}
		if b.Region == "" && len(c.Regions) > 0 {
			b.Region = c.Regions[0]
		}
		if msg := checkEndpoint(b.Endpoint); msg != "" {
			fail(sS3Backend, msg)
		}
		if b.AccessKeyID == "" {
			fail(sS3Backend, "needs the backend's access key id too (--s3-backend-access-key-id, BREVET_S3_BACKEND_ACCESS_KEY_ID)")
		}
		if b.SecretAccessKey != "" && b.SecretAccessKeyFile != "" {
			fail(sS3BackendSecretFile, "is set together with BREVET_S3_BACKEND_SECRET_ACCESS_KEY; give the secret one way only")
		}
		if seen[b.Name] {
			fail(sS3Backend, `gateway.s3.backends already has a backend named "default"`)
		}
		g.Backends = append(g.Backends, b)
	} else {
		for _, s := range []settingID{sS3BackendRegion, sS3BackendAccessKeyID, sS3BackendSecret, sS3BackendSecretFile} {
			if v[s].set {
				fail(s, "is set but the backend's URL is not (--s3-backend, BREVET_S3_BACKEND)")
			}
		}
	}
	switch {
	case g.Listen == "" && len(g.Backends) > 0:
		errs = append(errs, &Error{Setting: "gateway.s3.listen", Msg: "is not set but S3 backends are; give the gateway's address (--s3-listen) or drop the backends"})
	case g.Listen != "" && len(g.Backends) == 0:
		fail(sS3Listen, "is set but no backend is; give the store behind the gateway (--s3-backend, or gateway.s3.backends)")
	}
	return Gateway{S3: g}, errs
}

// fileBackend checks one of the file's backends.
func (l *loader) fileBackend(i int, fb fileS3Backend, c *Config) (S3Backend, []string) {
	b := S3Backend{Name: fileStr(fb.Name), Endpoint: fileStr(fb.Endpoint), Region: fileStr(fb.Region), AccessKeyID: fileStr(fb.AccessKeyID),
		SecretAccessKeyFile: fileStr(fb.SecretAccessKeyFile), Buckets: []string{"*"}}
	if fb.Buckets != nil {
		b.Buckets = *fb.Buckets
	}
	if fb.VirtualHosted != nil {
		b.VirtualHosted = *fb.VirtualHosted
	}
	if b.Region == "" && len(c.Regions) > 0 {
		b.Region = c.Regions[0]
	}
	var msgs []string
	if !backendNameRE.MatchString(b.Name) {
		msgs = append(msgs, fmt.Sprintf("name %q must be lower-case letters, digits and dashes (for example minio)", b.Name))
	}
	if msg := checkEndpoint(b.Endpoint); msg != "" {
		msgs = append(msgs, "endpoint "+msg)
	}
	if b.AccessKeyID == "" {
		msgs = append(msgs, "access_key_id is missing: give the backend's own access key id")
	}
	if len(b.Buckets) == 0 {
		msgs = append(msgs, `buckets is empty: list the bucket name patterns the backend serves, or ["*"]`)
	}
	for _, p := range b.Buckets {
		if _, err := path.Match(p, ""); err != nil {
			msgs = append(msgs, fmt.Sprintf("buckets: %q is not a pattern (path.Match syntax: *, ?, [a-z])", p))
		}
	}
	return b, msgs
}

// at is where a file key was given.
func (l *loader) at(key string) string {
	if l.filePath == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", l.filePath, l.lines[key])
}

// atItem is where the file gave the list item item (such as
// "sso.identity_providers[0]"): at the first of its fields it has, else at
// fallback.
func (l *loader) atItem(item, fallback string, fields ...string) string {
	for _, f := range fields {
		if l.lines[item+"."+f] != 0 {
			return l.at(item + "." + f)
		}
	}
	return l.at(fallback)
}

// checkEndpoint checks a backend's URL. Its messages show the URL without
// any password it carries.
func checkEndpoint(s string) string {
	u, err := url.Parse(s)
	shown := strconv.Quote(s)
	switch {
	case err == nil:
		shown = strconv.Quote(u.Redacted())
	case strings.Contains(s, "@"):
		shown = "the URL" // its credentials could not be told apart
	}
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return shown + " is not an http(s) URL such as http://127.0.0.1:9000"
	case u.User != nil:
		return shown + " carries credentials; give the access key id and its secret as their own settings"
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		return shown + " has a path or query; give the store's base URL only"
	}
	return ""
}
