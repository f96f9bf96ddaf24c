package config

import (
	"path/filepath"
	"testing"
)

func TestLoadAuthzAPI(t *testing.T) {
	routes := writeFile(t, "routes.yaml", "services: []\n")
	tests := []sectionCase[AuthzAPI]{
		{name: "off"},
		{name: "file", file: "authz_api:\n  route_map: " + routes + "\n  grpc_listen: 127.0.0.1:9191\n",
			want: AuthzAPI{RouteMap: routes, GRPCListen: "127.0.0.1:9191"}},
		{name: "env", env: []string{"BREVET_AUTHZ_API_ROUTE_MAP=" + routes}, want: AuthzAPI{RouteMap: routes}},
		{name: "unknown key", file: "authz_api:\n  routes: x\n", wantErr: "unknown key"},
		{name: "inline services", file: "authz_api:\n  grpc_listen: 127.0.0.1:9191\n  services:\n    - name: orders\n      routes: []\n",
			want: AuthzAPI{GRPCListen: "127.0.0.1:9191", Services: []byte("services:\n    - name: orders\n      routes: []\n")}},
		{name: "inline services not a list", file: "authz_api:\n  services: {name: orders}\n", wantErr: "must be a list"},
		{name: "inline services and a route map", file: "authz_api:\n  route_map: " + routes + "\n  services: []\n", wantErr: "in one place"},
		{name: "missing route map", env: []string{"BREVET_AUTHZ_API_ROUTE_MAP=" + filepath.Join(t.TempDir(), "nope.yaml")}, wantErr: "cannot read the route map"},
		{name: "gRPC without a route map", env: []string{"BREVET_AUTHZ_API_GRPC_LISTEN=127.0.0.1:9191"}, wantErr: "route_map (or authz_api.services) is not"},
		{name: "gRPC off loopback without TLS", env: []string{"BREVET_AUTHZ_API_ROUTE_MAP=" + routes, "BREVET_AUTHZ_API_GRPC_LISTEN=0.0.0.0:9191"}, wantErr: "not a loopback address"},
		{name: "gRPC on the API's address", env: []string{"BREVET_AUTHZ_API_ROUTE_MAP=" + routes, "BREVET_AUTHZ_API_GRPC_LISTEN=" + DefaultListen}, wantErr: "the API's address"},
	}
	runSectionCases(t, "AuthzAPI", tests, func(cfg *Config) AuthzAPI { return cfg.AuthzAPI })
}
