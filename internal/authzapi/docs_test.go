package authzapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	extauthzv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/ext_authz/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"gopkg.in/yaml.v3"
)

// TestDocsEnvoyConfigurations: the Envoy configurations of
// docs/authorization-api.md are valid Envoy v3 configuration, checked
// with go-control-plane's types and their validation rules: the gRPC
// one as a whole bootstrap, the HTTP one as its ext_authz filter.
func TestDocsEnvoyConfigurations(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "authorization-api.md"))
	if err != nil {
		t.Fatal(err)
	}
	envoy := string(doc)[strings.Index(string(doc), "## Envoy"):strings.Index(string(doc), "## nginx")]
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(envoy, -1)
	if len(blocks) != 2 {
		t.Fatalf("the Envoy section holds %d yaml blocks, want 2 (gRPC, HTTP)", len(blocks))
	}

	var boot bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(yamlToJSON(t, blocks[0][1]), &boot); err != nil {
		t.Fatalf("the gRPC configuration is not an Envoy bootstrap: %v", err)
	}
	if err := boot.ValidateAll(); err != nil {
		t.Errorf("the gRPC configuration: %v", err)
	}

	var filters []map[string]any
	if err := yaml.Unmarshal([]byte(blocks[1][1]), &filters); err != nil || len(filters) != 1 {
		t.Fatalf("the HTTP configuration is not one http_filters item: %v", err)
	}
	raw, err := json.Marshal(filters[0]["typed_config"])
	if err != nil {
		t.Fatal(err)
	}
	var typed struct {
		Type string `json:"@type"`
	}
	_ = json.Unmarshal(raw, &typed)
	if typed.Type != "type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz" {
		t.Fatalf("the HTTP filter's type is %q", typed.Type)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	delete(m, "@type")
	raw, _ = json.Marshal(m)
	var ea extauthzv3.ExtAuthz
	if err := protojson.Unmarshal(raw, &ea); err != nil {
		t.Fatalf("the HTTP configuration's filter: %v", err)
	}
	if err := ea.ValidateAll(); err != nil {
		t.Errorf("the HTTP configuration's filter: %v", err)
	}
	if got := ea.GetHttpService().GetPathPrefix(); got != EnvoyPrefix {
		t.Errorf("path_prefix = %q, want %q", got, EnvoyPrefix)
	}
	if ea.GetFailureModeAllow() {
		t.Error("the documented filter lets requests through when Brevet fails")
	}
}

// yamlToJSON converts a YAML document to JSON for protojson.
func yamlToJSON(t *testing.T, doc string) []byte {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
