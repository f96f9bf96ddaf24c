package authzapi

import (
	"strings"
	"testing"
)

var defaults = Defaults{Account: "111122223333", Region: "eu-west-1"}

func TestTemplateMatch(t *testing.T) {
	tests := []struct {
		template, path string
		want           bool
		captures       []string
	}{
		{"/orders", "/orders", true, nil},
		{"/orders", "/orders/", false, nil},
		{"/orders/", "/orders/", true, nil},
		{"/orders/{id}", "/orders/42", true, []string{"42"}},
		{"/orders/{id}", "/orders/a%20b", true, []string{"a b"}},
		{"/orders/{id}", "/orders/", false, nil},
		{"/orders/{id}", "/orders/42/items", false, nil},
		{"/orders/{id}", "/orders/a%2Fb", false, nil},
		{"/orders/{id}", "/orders/..", false, nil},
		{"/orders/{id}", "/orders/.", false, nil},
		{"/orders/{id}", "/orders/%2e%2E", false, nil},
		{"/orders/{id}", "/orders/.%2e", false, nil},
		{"/orders/{id}", "/orders/...", true, []string{"..."}},
		{"/orders/{id}/items/{item}", "/orders/1/items/2", true, []string{"1", "2"}},
		{"/orders/{id}/items/{item}", "/orders/1/items", false, nil},
		{"/files/{key+}", "/files/a/b/c.txt", true, []string{"a/b/c.txt"}},
		{"/files/{key+}", "/files/", false, nil},
		{"/files/{key+}", "/files", false, nil},
		{"/files/{key+}", "/files/a/../b", false, nil},
		{"/files/{key+}", "/files/a/%2e%2e/b", false, nil},
		{"/admin/x", "/orders/../admin/x", false, nil},
		{"/orders/{id}", "orders/1", false, nil},
		{"/orders/{id}", "", false, nil},
		{"/", "/", true, nil},
		{"/", "/x", false, nil},
	}
	for _, tt := range tests {
		tp, err := compileTemplate(tt.template)
		if err != nil {
			t.Fatalf("compileTemplate(%q): %v", tt.template, err)
		}
		var c captures
		got := tp.match(tt.path, &c)
		if got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.template, tt.path, got, tt.want)
			continue
		}
		if !got {
			continue
		}
		if c.n != len(tt.captures) {
			t.Errorf("%q on %q: %d captures, want %d", tt.template, tt.path, c.n, len(tt.captures))
			continue
		}
		for i, want := range tt.captures {
			if v, ok := c.value(tt.path, i); !ok || v != want {
				t.Errorf("%q on %q: capture %d = %q, %v; want %q", tt.template, tt.path, i, v, ok, want)
			}
		}
	}
}

func TestTemplateMatchAllocatesNothing(t *testing.T) {
	tp, _ := compileTemplate("/orders/{id}/items/{item+}")
	var c captures
	if n := testing.AllocsPerRun(100, func() { tp.match("/orders/42/items/a/b", &c) }); n != 0 {
		t.Errorf("match allocates %v times, want 0", n)
	}
}

func TestCompileTemplateErrors(t *testing.T) {
	for _, tt := range []string{
		"orders", "/orders/{id", "/orders/id}", "/orders/x{id}", "/orders/{}", "/orders/{1d}",
		"/orders/{id}/{id}", "/files/{key+}/x", "/orders/{region}", "/orders/..", "/orders?x=1", "/a%20b",
	} {
		if _, err := compileTemplate(tt); err == nil {
			t.Errorf("compileTemplate(%q) succeeded, want an error", tt)
		}
	}
}

func TestParseRouteMap(t *testing.T) {
	m, err := ParseRouteMap([]byte(`
services:
  - name: orders
    signing_name: orders-api
    hosts: [Orders.Example]
    bearer_audiences: [orders]
    routes:
      - method: GET
        path: /orders/{id}
        action: orders:GetOrder
        resource: arn:aws:orders:{region}:{account}:order/{id}
        conditions:
          orders:Tenant: header:x-tenant
          orders:Status: query:status
          orders:Id: path:id
      - method: "*"
        path: /health
        action: orders:Health
        resource: "*"
`), defaults)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Services()[0]
	if got, want := s.SigningName, "orders-api"; got != want {
		t.Errorf("SigningName = %q, want %q", got, want)
	}
	if got, want := m.SigningNames(), []string{"orders-api"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("SigningNames = %v, want %v", got, want)
	}
	if got, want := s.Account, "111122223333"; got != want {
		t.Errorf("Account = %q, want %q", got, want)
	}
	var c captures
	if r := m.match("GET", "orders.example", "/orders/7", &c); r == nil || r.Action != "orders:GetOrder" {
		t.Errorf("match GET /orders/7 = %v, want orders:GetOrder", r)
	}
	if r := m.match("GET", "other.example", "/orders/7", &c); r != nil {
		t.Errorf("match on another host = %v, want none", r.Action)
	}
	if r := m.match("PATCH", "orders.example", "/health", &c); r == nil || r.Action != "orders:Health" {
		t.Errorf("match PATCH /health = %v, want orders:Health", r)
	}
	r := s.routes[0]
	if got := r.conditions[0].name; got != "X-Tenant" && r.conditions[1].name != "X-Tenant" && r.conditions[2].name != "X-Tenant" {
		t.Errorf("header condition names are not canonical: %+v", r.conditions)
	}
}

func TestParseRouteMapErrors(t *testing.T) {
	route := func(s string) string {
		return "services:\n  - name: orders\n    routes:\n      - " + strings.ReplaceAll(s, "\n", "\n        ") + "\n"
	}
	ok := "method: GET\npath: /orders/{id}\naction: orders:GetOrder\nresource: arn:aws:orders:{region}:{account}:order/{id}"
	if _, err := ParseRouteMap([]byte(route(ok)), defaults); err != nil {
		t.Fatalf("the valid map does not parse: %v", err)
	}
	tests := []struct{ name, doc, want string }{
		{"empty", "", "no service"},
		{"unknown key", route(ok + "\nextra: 1"), "field extra not found"},
		{"unknown service key", "services:\n  - name: orders\n    colour: red\n", "field colour not found"},
		{"no routes", "services:\n  - name: orders\n", "no route"},
		{"bad name", "services:\n  - name: Orders\n    routes: []\n", "lower-case"},
		{"reserved signing name", "services:\n  - name: orders\n    signing_name: sts\n    routes: []\n", "Brevet answers as itself"},
		{"duplicate service", route(ok) + "  - name: orders\n    routes: []\n", "described twice"},
		{"bad account", "services:\n  - name: orders\n    account: '12'\n    routes: []\n", "12-digit"},
		{"bad bearer role", "services:\n  - name: orders\n    bearer_role: arn:aws:iam::111122223333:user/x\n    routes: []\n", "not a role ARN"},
		{"bad method", route(strings.Replace(ok, "GET", "get", 1)), "upper-case"},
		{"bad path", route(strings.Replace(ok, "/orders/{id}", "orders/{id}", 1)), "must start with /"},
		{"action of another service", route(strings.Replace(ok, "orders:GetOrder", "s3:GetObject", 1)), "must be orders:ActionName"},
		{"wildcard action", route(strings.Replace(ok, "orders:GetOrder", "orders:Get*", 1)), "no wildcard"},
		{"no resource", route("method: GET\npath: /x\naction: orders:X"), "resource is required"},
		{"resource not an ARN", route(strings.Replace(ok, "arn:aws:orders:{region}", "orders:{region}", 1)), "ARN template"},
		{"unknown placeholder", route(strings.Replace(ok, "order/{id}", "order/{oid}", 1)), "{oid}"},
		{"unbalanced", route(strings.Replace(ok, "order/{id}", "order/{id", 1)), "unbalanced"},
		{"condition source", route(ok + "\nconditions:\n  orders:X: cookie:x"), "query:NAME"},
		{"condition path", route(ok + "\nconditions:\n  orders:X: path:nope"), "no capture"},
		{"aws condition", route(ok + "\nconditions:\n  aws:SourceIp: header:X-Forwarded-For"), "aws: keys"},
		{"condition key", route(ok + "\nconditions:\n  Tenant: header:X"), "PREFIX:Name"},
	}
	for _, tt := range tests {
		_, err := ParseRouteMap([]byte(tt.doc), defaults)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestHeaderEncoding(t *testing.T) {
	tests := []struct{ in, token, value string }{
		{"team", "Team", "team"},
		{"cost-center", "Cost-Center", "cost-center"},
		{"a:b/c=d", "A%3ab%2fc%3dd", "a:b/c=d"},
		{"é", "%C3%A9", "%C3%A9"},
		{"50%", "50%25", "50%25"},
	}
	for _, tt := range tests {
		if got := headerToken(tt.in); !strings.EqualFold(got, tt.token) {
			t.Errorf("headerToken(%q) = %q, want %q", tt.in, got, tt.token)
		}
		if got := headerValue(tt.in); got != tt.value {
			t.Errorf("headerValue(%q) = %q, want %q", tt.in, got, tt.value)
		}
	}
}
