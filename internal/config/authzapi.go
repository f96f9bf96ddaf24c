package config

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// AuthzAPI configures the authorization API other services ask through
// Envoy's ext_authz, nginx's auth_request or the verify endpoint
// (docs/authorization-api.md).
type AuthzAPI struct {
	// RouteMap is the YAML file describing the services' routes; "" turns
	// the API off. Load checks that it can be read; the node parses and
	// validates it (package authzapi owns its form).
	RouteMap string
	// Services is the route map given in the config file itself
	// (authz_api.services), as a YAML document with one key, services;
	// nil when the file gives none. Exactly one of RouteMap and
	// Services is set when the API is on.
	Services []byte
	// GRPCListen is the host:port of Envoy's gRPC ext_authz listener,
	// with the API's TLS settings; "" serves none.
	GRPCListen string
}

// Enabled reports whether the authorization API is served.
func (a AuthzAPI) Enabled() bool { return a.RouteMap != "" || a.Services != nil }

type fileAuthzAPI struct {
	RouteMap   *string   `yaml:"route_map"`
	Services   yaml.Node `yaml:"services"` // raw: authzapi checks it
	GRPCListen *string   `yaml:"grpc_listen"`
}

// authzServicesInline takes the file's authz_api.services: the route map
// written in the config file instead of a file of its own. The gRPC
// listener needs routes from one or the other.
func (l *loader) authzServicesInline(c *Config, errs []error) []error {
	if l.authzServices == nil {
		if c.AuthzAPI.GRPCListen != "" && c.AuthzAPI.RouteMap == "" {
			errs = append(errs, newError(sAuthzAPIGRPCListen, l.vals[sAuthzAPIGRPCListen].from,
				"is set but authz_api.route_map (or authz_api.services) is not; the gRPC listener answers for the routes of a route map"))
		}
		return errs
	}
	at := origin{layer: layerFile, name: l.filePath, line: l.lines["authz_api.services"]}
	if c.AuthzAPI.RouteMap != "" {
		return append(errs, &Error{Setting: "authz_api.services", Source: at.String(),
			Msg: "is set together with authz_api.route_map; give the routes in one place"})
	}
	b, err := yaml.Marshal(map[string]*yaml.Node{"services": l.authzServices})
	if err != nil {
		return append(errs, &Error{Setting: "authz_api.services", Source: at.String(), Msg: err.Error()})
	}
	c.AuthzAPI.Services = b
	return errs
}

// convertAuthzAPI checks the authorization API's settings. The gRPC
// listener follows the API's rules: off loopback it needs TLS, or
// insecure_http behind a proxy that terminates it.
func convertAuthzAPI(v *[numSettings]value, c *Config, errs []error) (AuthzAPI, []error) {
	fail := func(s settingID, msg string) { errs = append(errs, newError(s, v[s].from, msg)) }
	a := AuthzAPI{RouteMap: strings.TrimSpace(v[sAuthzAPIRouteMap].str), GRPCListen: strings.TrimSpace(v[sAuthzAPIGRPCListen].str)}
	if a.RouteMap != "" {
		if _, err := os.Stat(a.RouteMap); err != nil {
			fail(sAuthzAPIRouteMap, fmt.Sprintf("cannot read the route map: %v", err))
		}
	}
	if a.GRPCListen == "" {
		return a, errs
	}
	if msg := checkSideListen(a.GRPCListen, "gRPC", "give the gRPC listener a port of its own", c); msg != "" {
		fail(sAuthzAPIGRPCListen, msg)
	}
	return a, errs
}
