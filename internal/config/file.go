package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileConfig is the config file as written. Pointers tell "absent" from
// "empty"; values stay text until Load converts them, so that errors can
// point at the line they came from.
type fileConfig struct {
	DataDir        *string            `yaml:"data_dir"`
	Listen         *string            `yaml:"listen"`
	TLS            *fileTLS           `yaml:"tls"`
	InsecureHTTP   *bool              `yaml:"insecure_http"`
	AccountID      *string            `yaml:"account_id"`
	Regions        *[]string          `yaml:"regions"`
	MasterKeyFile  *string            `yaml:"master_key_file"`
	Store          *string            `yaml:"store"`
	Log            *fileLog           `yaml:"log"`
	MaxRequestBody *string            `yaml:"max_request_body"`
	ShutdownGrace  *string            `yaml:"shutdown_grace"`
	Federation     *fileFederation    `yaml:"federation"`
	DebugListen    *string            `yaml:"debug_listen"`
	MetricsListen  *string            `yaml:"metrics_listen"`
	MetricsToken   *string            `yaml:"metrics_bearer_token_file"`
	MFA            *fileMFA           `yaml:"mfa"`
	CORS           *fileCORS          `yaml:"cors"`
	Audit          *fileAudit         `yaml:"audit"`
	Limits         *fileLimits        `yaml:"limits"`
	Gateway        *fileGateway       `yaml:"gateway"`
	AuthzAPI       *fileAuthzAPI      `yaml:"authz_api"`
	IoT            *fileIoT           `yaml:"iot"`
	SSO            *fileSSO           `yaml:"sso"`
	Console        *fileConsole       `yaml:"console"`
	IdentityPools  *fileIdentityPools `yaml:"identity_pools"`
}

type fileMFA struct {
	MaxFailures *string `yaml:"max_failures"`
	Lockout     *string `yaml:"lockout"`
	MaxLockout  *string `yaml:"max_lockout"`
}

type fileCORS struct {
	AllowedOrigins *[]string `yaml:"allowed_origins"`
}

type fileAudit struct {
	MaxFieldSize       *string           `yaml:"max_field_size"`
	MaxFailedFieldSize *string           `yaml:"max_failed_field_size"`
	AggregateAfter     *string           `yaml:"aggregate_after"`
	AggregateWindow    *string           `yaml:"aggregate_window"`
	Retention          *fileRetention    `yaml:"retention"`
	DiskFreeWarning    *string           `yaml:"disk_free_warning"`
	DataEvents         *[]fileDataEvents `yaml:"data_events"`
}

// fileDataEvents is one audit.data_events selector. The loader passes the
// list on as JSON, the form the environment and the flag take.
type fileDataEvents struct {
	ReadWriteType  *string   `yaml:"read_write_type" json:"read_write_type,omitempty"`
	Resources      *[]string `yaml:"resources" json:"resources,omitempty"`
	ExcludeActions *[]string `yaml:"exclude_actions" json:"exclude_actions,omitempty"`
}

type fileRetention struct {
	MaxAge     *string `yaml:"max_age"`
	MaxSize    *string `yaml:"max_size"`
	ArchiveDir *string `yaml:"archive_dir"`
	Delete     *bool   `yaml:"delete"`
}

type fileLimits struct {
	FailuresPerSource       *string `yaml:"failures_per_source"`
	FailuresPerKey          *string `yaml:"failures_per_key"`
	RequestsPerCaller       *string `yaml:"requests_per_caller"`
	TrackedKeys             *string `yaml:"tracked_keys"`
	MaxConnections          *string `yaml:"max_connections"`
	MaxInFlight             *string `yaml:"max_in_flight"`
	MaxConnectionsPerSource *string `yaml:"max_connections_per_source"`
	MaxInFlightPerSource    *string `yaml:"max_in_flight_per_source"`
	BodyMemory              *string `yaml:"body_memory"`
}

type fileFederation struct {
	IssuerURL     *string   `yaml:"issuer_url"`
	SAMLSignInURL *[]string `yaml:"saml_sign_in_url"`
	OIDCJWKS      *[]string `yaml:"oidc_jwks"`
}

type fileTLS struct {
	Cert         *string `yaml:"cert"`
	Key          *string `yaml:"key"`
	ClientCAFile *string `yaml:"client_ca_file"`
	ClientAuth   *string `yaml:"client_auth"`
	// ExtraCertificates is tls.extra_certificates (tlsextra.go).
	ExtraCertificates *[]fileCertPair `yaml:"extra_certificates"`
}

type fileLog struct {
	Level  *string `yaml:"level"`
	Format *string `yaml:"format"`
}

// fileStr is a file's text setting, trimmed; "" when absent.
func fileStr(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// parseFile reads the config file strictly. It returns the settings it
// found with the line of each. Problems with the file's shape (unknown
// keys, wrong types) are returned as *Error, all of them at once.
func parseFile(path string, data []byte) (*fileConfig, map[string]int, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &fileConfig{}, nil, nil // an empty file sets nothing
		}
		return nil, nil, fmt.Errorf("config file %s is not valid YAML: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, nil, &Error{Setting: "(file)", Source: fmt.Sprintf("%s:%d", path, extra.Line),
			Msg: "the file holds more than one YAML document; keep all settings in one"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return &fileConfig{}, nil, nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return &fileConfig{}, nil, nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, &Error{Setting: "(file)", Source: fmt.Sprintf("%s:%d", path, root.Line),
			Msg: "the file must be a mapping of settings (key: value), see docs/configuration.md"}
	}
	lines := map[string]int{}
	if errs := checkNode(path, "", root, reflect.TypeFor[fileConfig](), lines); len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	// checkNode has vetted every key and type; decoding with KnownFields
	// is the backstop that keeps the struct and the check in step.
	var fc fileConfig
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(&fc); err != nil {
		return nil, nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return &fc, lines, nil
}

// checkNode checks one mapping of the file against the struct t that will
// receive it: every key must be a field, every value the field's shape. It
// records the line of each setting under its dotted key.
func checkNode(path, prefix string, m *yaml.Node, t reflect.Type, lines map[string]int) []error {
	fields := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		ft := f.Type
		if ft.Kind() == reflect.Pointer { // all fields are pointers, but raw YAML (rawYAML)
			ft = ft.Elem()
		}
		fields[strings.Split(f.Tag.Get("yaml"), ",")[0]] = ft
	}
	var errs []error
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		key := prefix + k.Value
		at := fmt.Sprintf("%s:%d", path, k.Line)
		ft, ok := fields[k.Value]
		if !ok {
			errs = append(errs, &Error{Setting: key, Source: at, Msg: unknownKeyMsg(k.Value, fields)})
			continue
		}
		if first, dup := lines[key]; dup {
			errs = append(errs, &Error{Setting: key, Source: at,
				Msg: fmt.Sprintf("is already set on line %d; keep one", first)})
			continue
		}
		lines[key] = k.Line
		if ft == rawYAML {
			// A document another package owns and checks strictly
			// (authz_api.services: package authzapi's route map).
			if v.Kind != yaml.SequenceNode {
				errs = append(errs, &Error{Setting: key, Source: at, Msg: "must be a list"})
			}
			continue
		}
		if msg := shapeMsg(v, ft); msg != "" {
			errs = append(errs, &Error{Setting: key, Source: at, Msg: msg})
			continue
		}
		switch {
		case ft.Kind() == reflect.Struct:
			errs = append(errs, checkNode(path, key+".", v, ft, lines)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			// A list of mappings (gateway.s3.backends): each item is
			// checked as its own mapping, its keys recorded as
			// key[i].name.
			for j, item := range v.Content {
				errs = append(errs, checkNode(path, fmt.Sprintf("%s[%d].", key, j), item, ft.Elem(), lines)...)
			}
		}
	}
	return errs
}

// rawYAML is the type of a file field kept as YAML for the package that
// owns its form.
var rawYAML = reflect.TypeFor[yaml.Node]()

// shapeMsg says what is wrong when node n cannot fill a field of type t,
// or returns "".
func shapeMsg(n *yaml.Node, t reflect.Type) string {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return "has no value; give one or remove the key"
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return "must be a mapping of keys (" + strings.Join(fieldNames(t), ", ") + ")"
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return "must be true or false (unquoted)"
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return "must be a list, for example [us-east-1, eu-west-1]"
		}
		if t.Elem().Kind() == reflect.Struct {
			for _, item := range n.Content {
				if item.Kind != yaml.MappingNode {
					return fmt.Sprintf("line %d: every list item must be a mapping of keys (%s)", item.Line, strings.Join(fieldNames(t.Elem()), ", "))
				}
			}
			return ""
		}
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				return fmt.Sprintf("line %d: every list item must be a plain value", item.Line)
			}
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return "must be a single value, not a list or mapping"
		}
	}
	return ""
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		names = append(names, strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0])
	}
	sort.Strings(names)
	return names
}

// unknownKeyMsg rejects key and suggests the key that was probably meant:
// the flag spelling (data-dir for data_dir) or a near miss.
func unknownKeyMsg(key string, fields map[string]reflect.Type) string {
	known := make([]string, 0, len(fields))
	for f := range fields {
		known = append(known, f)
	}
	sort.Strings(known)
	best, bestDist := "", 3
	for _, f := range known {
		if d := editDistance(strings.ReplaceAll(strings.ToLower(key), "-", "_"), f); d < bestDist {
			best, bestDist = f, d
		}
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if best != "" {
		msg += fmt.Sprintf("; did you mean %q?", best)
	} else {
		msg += "."
	}
	return msg + " Known keys here: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance between a and b; keys are
// short, so the quadratic cost does not matter.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
