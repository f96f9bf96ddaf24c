package identitypool

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/sts"
)

const (
	arnAuth   = "arn:aws:iam::111122223333:role/Auth"
	arnUnauth = "arn:aws:iam::111122223333:role/Unauth"
	arnAdmin  = "arn:aws:iam::111122223333:role/Admin"
	arnEditor = "arn:aws:iam::111122223333:role/Editor"
	arnReader = "arn:aws:iam::111122223333:role/Reader"
	provIdP   = "idp.example.com"
	provOther = "other.example.com"
	provSAML  = "arn:aws:iam::111122223333:saml-provider/Corp"
)

func rules(resolution string, rs ...MappingRule) RoleMapping {
	return RoleMapping{Type: MappingRules, AmbiguousRoleResolution: resolution, RulesConfiguration: &RulesConfiguration{Rules: rs}}
}

func tokenMapping(resolution string) RoleMapping {
	return RoleMapping{Type: MappingToken, AmbiguousRoleResolution: resolution}
}

func login(provider string, claims map[string]any) LoginProof {
	return LoginProof{Provider: provider, Subject: "user-1", Claims: claims}
}

func TestChooseRole(t *testing.T) {
	both := map[string]string{RoleAuthenticated: arnAuth, RoleUnauthenticated: arnUnauth}
	groupRules := rules(ResolveAuthenticatedRole,
		MappingRule{Claim: "groups", MatchType: MatchEquals, Value: "admins", RoleARN: arnAdmin},
		MappingRule{Claim: "email", MatchType: MatchContains, Value: "@editors.", RoleARN: arnEditor},
		MappingRule{Claim: "dept", MatchType: MatchStartsWith, Value: "read", RoleARN: arnReader},
	)
	tests := []struct {
		name     string
		roles    map[string]string
		mappings map[string]RoleMapping
		logins   []LoginProof
		custom   string
		want     string
		wantCode string
	}{
		{name: "guest", roles: both, want: arnUnauth},
		{name: "guest custom role ignored", roles: both, custom: arnAdmin, want: arnUnauth},
		{name: "guest without unauthenticated role", roles: map[string]string{RoleAuthenticated: arnAuth}, wantCode: CodeInvalidConfiguration},
		{name: "authenticated default", roles: both, logins: []LoginProof{login(provIdP, nil)}, want: arnAuth},
		{name: "authenticated without authenticated role", roles: map[string]string{RoleUnauthenticated: arnUnauth},
			logins: []LoginProof{login(provIdP, nil)}, wantCode: CodeInvalidConfiguration},
		{name: "no roles at all", logins: []LoginProof{login(provIdP, nil)}, wantCode: CodeInvalidConfiguration},
		{name: "mapping of another provider", roles: both, mappings: map[string]RoleMapping{provOther: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "admins"})}, want: arnAuth},

		// Rules.
		{name: "rules equals", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "admins"})}, want: arnAdmin},
		{name: "rules equals in a list", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": []any{"users", "admins"}})}, want: arnAdmin},
		{name: "rules equals is exact", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "admins2"})}, want: arnAuth},
		{name: "rules contains", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"email": "bo@editors.example"})}, want: arnEditor},
		{name: "rules starts with", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"dept": "readers-emea"})}, want: arnReader},
		{name: "rules in order", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"dept": "readers", "groups": "admins"})}, want: arnAdmin},
		{name: "rules number claim", roles: both, mappings: map[string]RoleMapping{provIdP: rules(ResolveDeny,
			MappingRule{Claim: "level", MatchType: MatchEquals, Value: "3", RoleARN: arnAdmin})},
			logins: []LoginProof{login(provIdP, map[string]any{"level": float64(3)})}, want: arnAdmin},
		{name: "rules not equal", roles: both, mappings: map[string]RoleMapping{provIdP: rules(ResolveDeny,
			MappingRule{Claim: "tenant", MatchType: MatchNotEqual, Value: "blocked", RoleARN: arnReader})},
			logins: []LoginProof{login(provIdP, map[string]any{"tenant": "acme"})}, want: arnReader},
		{name: "rules not equal any element", roles: both, mappings: map[string]RoleMapping{provIdP: rules(ResolveDeny,
			MappingRule{Claim: "tenant", MatchType: MatchNotEqual, Value: "blocked", RoleARN: arnReader})},
			logins: []LoginProof{login(provIdP, map[string]any{"tenant": []any{"blocked", "acme"}})}, want: arnReader},
		{name: "rules not equal refuses the value", roles: both, mappings: map[string]RoleMapping{provIdP: rules(ResolveDeny,
			MappingRule{Claim: "tenant", MatchType: MatchNotEqual, Value: "blocked", RoleARN: arnReader})},
			logins: []LoginProof{login(provIdP, map[string]any{"tenant": "blocked"})}, wantCode: CodeNotAuthorized},
		{name: "rules not equal needs the claim", roles: both, mappings: map[string]RoleMapping{provIdP: rules(ResolveDeny,
			MappingRule{Claim: "tenant", MatchType: MatchNotEqual, Value: "blocked", RoleARN: arnReader})},
			logins: []LoginProof{login(provIdP, map[string]any{})}, wantCode: CodeNotAuthorized},
		{name: "rules no match authenticated role", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "users"})}, want: arnAuth},
		{name: "rules no match deny", roles: both, mappings: map[string]RoleMapping{provIdP: rules(ResolveDeny,
			MappingRule{Claim: "groups", MatchType: MatchEquals, Value: "admins", RoleARN: arnAdmin})},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "users"})}, wantCode: CodeNotAuthorized},
		{name: "rules no match authenticated role missing", roles: map[string]string{RoleUnauthenticated: arnUnauth},
			mappings: map[string]RoleMapping{provIdP: groupRules},
			logins:   []LoginProof{login(provIdP, map[string]any{"groups": "users"})}, wantCode: CodeInvalidConfiguration},
		{name: "rules match without default roles", mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "admins"})}, want: arnAdmin},
		{name: "rules object claim matches nothing", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": map[string]any{"x": "admins"}})}, want: arnAuth},
		{name: "rules empty resolution denies", roles: both, mappings: map[string]RoleMapping{provIdP: rules("",
			MappingRule{Claim: "groups", MatchType: MatchEquals, Value: "admins", RoleARN: arnAdmin})},
			logins: []LoginProof{login(provIdP, nil)}, wantCode: CodeNotAuthorized},
		{name: "rules without configuration", roles: both, mappings: map[string]RoleMapping{provIdP: {Type: MappingRules, AmbiguousRoleResolution: ResolveDeny}},
			logins: []LoginProof{login(provIdP, nil)}, wantCode: CodeNotAuthorized},
		{name: "first login by provider decides", roles: both, mappings: map[string]RoleMapping{
			provIdP:   rules(ResolveDeny, MappingRule{Claim: "g", MatchType: MatchEquals, Value: "x", RoleARN: arnAdmin}),
			provOther: rules(ResolveDeny, MappingRule{Claim: "g", MatchType: MatchEquals, Value: "x", RoleARN: arnReader})},
			logins: []LoginProof{login(provOther, map[string]any{"g": "x"}), login(provIdP, map[string]any{"g": "x"})}, want: arnAdmin},
		{name: "first login with a mapping decides", roles: both, mappings: map[string]RoleMapping{
			provOther: rules(ResolveDeny, MappingRule{Claim: "g", MatchType: MatchEquals, Value: "x", RoleARN: arnReader})},
			logins: []LoginProof{login(provOther, map[string]any{"g": "x"}), login(provIdP, nil)}, want: arnReader},
		{name: "unknown mapping type", roles: both, mappings: map[string]RoleMapping{provIdP: {Type: "Magic"}},
			logins: []LoginProof{login(provIdP, nil)}, wantCode: CodeInvalidConfiguration},

		// Token.
		{name: "token preferred role", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)},
			logins: []LoginProof{login(provIdP, map[string]any{claimPreferredRole: arnEditor, claimRoles: []any{arnEditor, arnReader}})}, want: arnEditor},
		{name: "token single role", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)},
			logins: []LoginProof{login(provIdP, map[string]any{claimRoles: []any{arnReader}})}, want: arnReader},
		{name: "token custom role among roles", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)},
			logins: []LoginProof{login(provIdP, map[string]any{claimPreferredRole: arnEditor, claimRoles: []any{arnEditor, arnReader}})},
			custom: arnReader, want: arnReader},
		{name: "token custom role not among roles denies", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)},
			logins: []LoginProof{login(provIdP, map[string]any{claimPreferredRole: arnEditor, claimRoles: []any{arnEditor}})},
			custom: arnAdmin, wantCode: CodeNotAuthorized},
		{name: "token custom role not among roles authenticated role", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveAuthenticatedRole)},
			logins: []LoginProof{login(provIdP, map[string]any{claimRoles: []any{arnEditor}})},
			custom: arnAdmin, want: arnAuth},
		{name: "token ambiguous deny", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)},
			logins: []LoginProof{login(provIdP, map[string]any{claimRoles: []any{arnEditor, arnReader}})}, wantCode: CodeNotAuthorized},
		{name: "token ambiguous authenticated role", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveAuthenticatedRole)},
			logins: []LoginProof{login(provIdP, map[string]any{claimRoles: []any{arnEditor, arnReader}})}, want: arnAuth},
		{name: "token no claims deny", roles: both, mappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)},
			logins: []LoginProof{login(provIdP, nil)}, wantCode: CodeNotAuthorized},
		{name: "token custom role ignored by rules", roles: both, mappings: map[string]RoleMapping{provIdP: groupRules},
			logins: []LoginProof{login(provIdP, map[string]any{"groups": "users"})}, custom: arnAdmin, want: arnAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pool{IdentityPoolId: "us-east-1:00000000-0000-4000-8000-000000000000", Roles: tt.roles, RoleMappings: tt.mappings}
			got, err := chooseRole(p, tt.logins, tt.custom)
			if tt.wantCode != "" {
				e, ok := errors.AsType[*Error](err)
				if !ok || e.Code != tt.wantCode {
					t.Fatalf("chooseRole: got %q, %v; want %s", got, err, tt.wantCode)
				}
				if tt.wantCode == CodeInvalidConfiguration && e.Message != msgInvalidRoles {
					t.Errorf("message: got %q, want %q", e.Message, msgInvalidRoles)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("chooseRole: got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestChooseRoleDenyMessage: a Deny names the provider, never a claim or
// a token.
func TestChooseRoleDenyMessage(t *testing.T) {
	p := &Pool{Roles: map[string]string{RoleAuthenticated: arnAuth}, RoleMappings: map[string]RoleMapping{provIdP: tokenMapping(ResolveDeny)}}
	_, err := chooseRole(p, []LoginProof{login(provIdP, map[string]any{claimRoles: []any{"secret-ish-value", "x"}})}, "")
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Code != CodeNotAuthorized {
		t.Fatalf("got %v, want NotAuthorizedException", err)
	}
	if want := "Ambiguous role mapping rules for: idp.example.com denied this request."; e.Message != want {
		t.Errorf("message: got %q, want %q", e.Message, want)
	}
}

func TestPrincipalTags(t *testing.T) {
	claims := map[string]any{"sub": "user-1", "aud": []any{"client-a", "client-b"}, "email": "u@example.com", "dept": "eng", "n": float64(7)}
	tests := []struct {
		name   string
		maps   map[string]TagAttributeMap
		logins []LoginProof
		want   []credential.Tag
	}{
		{name: "no map", logins: []LoginProof{login(provIdP, claims)}},
		{name: "guest", maps: map[string]TagAttributeMap{provIdP: {UseDefaults: true}}},
		{name: "defaults oidc", maps: map[string]TagAttributeMap{provIdP: {UseDefaults: true}},
			logins: []LoginProof{login(provIdP, claims)},
			want:   []credential.Tag{{Key: "client", Value: "client-a"}, {Key: "username", Value: "user-1"}}},
		{name: "custom", maps: map[string]TagAttributeMap{provIdP: {PrincipalTags: map[string]string{"department": "dept", "mail": "email", "level": "n", "absent": "nope"}}},
			logins: []LoginProof{login(provIdP, claims)},
			want:   []credential.Tag{{Key: "department", Value: "eng"}, {Key: "level", Value: "7"}, {Key: "mail", Value: "u@example.com"}}},
		{name: "other provider's map", maps: map[string]TagAttributeMap{provOther: {UseDefaults: true}},
			logins: []LoginProof{login(provIdP, claims)}},
		{name: "first provider keeps a key", maps: map[string]TagAttributeMap{
			provIdP:   {PrincipalTags: map[string]string{"dept": "dept"}},
			provOther: {PrincipalTags: map[string]string{"dept": "team", "extra": "team"}}},
			logins: []LoginProof{login(provOther, map[string]any{"team": "ops"}), login(provIdP, claims)},
			want:   []credential.Tag{{Key: "dept", Value: "eng"}, {Key: "extra", Value: "ops"}}},
		{name: "defaults saml", maps: map[string]TagAttributeMap{provSAML: {UseDefaults: true}},
			logins: []LoginProof{{Provider: provSAML, Subject: "jdoe", Claims: map[string]any{samlClaimName: []any{"Jane Doe"}}}},
			want:   []credential.Tag{{Key: "name", Value: "Jane Doe"}, {Key: "username", Value: "jdoe"}}},
		{name: "developer token tags", logins: []LoginProof{{Provider: DeveloperLogin, Subject: "id",
			Developer: &sts.PoolToken{Tags: []credential.Tag{{Key: "plan", Value: "pro"}}}}},
			want: []credential.Tag{{Key: "plan", Value: "pro"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pool{PrincipalTags: tt.maps}
			got := principalTags(p, tt.logins)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("principalTags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaimStrings(t *testing.T) {
	tests := []struct {
		in   any
		want []string
	}{
		{nil, nil},
		{"a", []string{"a"}},
		{true, []string{"true"}},
		{float64(1.5), []string{"1.5"}},
		{[]any{"a", float64(2), nil, map[string]any{}}, []string{"a", "2"}},
		{map[string]any{"a": "b"}, nil},
	}
	for _, tt := range tests {
		if got := claimStrings(tt.in); !cmp.Equal(got, tt.want, cmpEmpty) {
			t.Errorf("claimStrings(%v): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmp.FilterValues(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 }, cmp.Comparer(func(a, b []string) bool { return true }))
