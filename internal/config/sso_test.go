package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadSSO(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "idp.secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defaults := SSO{SessionDuration: 8 * time.Hour, AccessTokenDuration: time.Hour, RoleSessionDuration: time.Hour, IAMUsers: true}
	with := func(f func(*SSO)) SSO { s := defaults; f(&s); return s }
	tests := []sectionCase[SSO]{
		{name: "defaults", want: defaults},
		{name: "file", file: `
sso:
  url: https://sso.example.com/
  start_urls: [https://sso.example.com/start, https://brevet.example.com/start]
  session_duration: 168h
  access_token_duration: 5m
  role_session_duration: 12h
  iam_users: false
  identity_providers:
    - name: keycloak
      display_name: Staff (Keycloak)
      issuer: https://idp.example.com/realms/staff/
      client_id: brevet
      client_secret_file: ` + secret + `
      scopes: [openid, email, groups]
      username_claim: preferred_username
      groups_claim: groups
    - name: google
      issuer: https://accounts.google.com
      client_id: 123.apps.googleusercontent.com
`, want: SSO{URL: "https://sso.example.com", StartURLs: []string{"https://sso.example.com/start", "https://brevet.example.com/start"},
			SessionDuration: 168 * time.Hour, AccessTokenDuration: 5 * time.Minute, RoleSessionDuration: 12 * time.Hour,
			IdentityProviders: []SSOIdentityProvider{
				{Name: "keycloak", DisplayName: "Staff (Keycloak)", Issuer: "https://idp.example.com/realms/staff", ClientID: "brevet",
					ClientSecretFile: secret, Scopes: []string{"openid", "email", "groups"}, UsernameClaim: "preferred_username", GroupsClaim: "groups"},
				{Name: "google", DisplayName: "google", Issuer: "https://accounts.google.com", ClientID: "123.apps.googleusercontent.com",
					Scopes: []string{"openid", "email", "profile"}, UsernameClaim: "email"},
			}}},
		{name: "env", env: []string{"BREVET_SSO_URL=http://127.0.0.1:8787", "BREVET_SSO_SESSION_DURATION=1h", "BREVET_SSO_IAM_USERS=false"},
			want: with(func(s *SSO) { s.URL, s.SessionDuration, s.IAMUsers = "http://127.0.0.1:8787", time.Hour, false })},
		{name: "flags", args: []string{"--sso-access-token-duration=30m", "--sso-start-url=https://a.example.com/start", "--sso-role-session-duration=15m"},
			want: with(func(s *SSO) {
				s.AccessTokenDuration, s.RoleSessionDuration, s.StartURLs = 30*time.Minute, 15*time.Minute, []string{"https://a.example.com/start"}
			})},
		{name: "session too long", env: []string{"BREVET_SSO_SESSION_DURATION=169h"}, wantErr: "sso.session_duration: \"169h\" is not a duration from 15m to 168h"},
		{name: "access token too long", env: []string{"BREVET_SSO_ACCESS_TOKEN_DURATION=2h"}, wantErr: "from 5m to 1h"},
		{name: "access token too short", env: []string{"BREVET_SSO_ACCESS_TOKEN_DURATION=1m"}, wantErr: "from 5m to 1h"},
		{name: "role session too long", env: []string{"BREVET_SSO_ROLE_SESSION_DURATION=13h"}, wantErr: "from 15m to 12h"},
		{name: "not a duration", file: "sso:\n  session_duration: a day\n", wantErr: "brevet.yaml:2: sso.session_duration"},
		{name: "plain http off loopback", env: []string{"BREVET_SSO_URL=http://sso.example.com"}, wantErr: "plain http off loopback"},
		{name: "url with a path", env: []string{"BREVET_SSO_URL=https://sso.example.com/brevet"}, wantErr: "has a path"},
		{name: "start url not a url", env: []string{"BREVET_SSO_START_URLS=sso.example.com/start"}, wantErr: "sso.start_urls"},
		{name: "iam_users not a boolean", file: "sso:\n  iam_users: \"yes\"\n", wantErr: "must be true or false"},
		{name: "unknown key", file: "sso:\n  identity_providers:\n    - name: a\n      secret: x\n", wantErr: "unknown key \"secret\""},
		{name: "provider without issuer or client", file: "sso:\n  identity_providers:\n    - name: a\n",
			wantErr: "client_id is missing"},
		{name: "provider issuer http", file: "sso:\n  identity_providers:\n    - {name: a, issuer: http://idp.example.com, client_id: c}\n",
			wantErr: "issuer \"http://idp.example.com\" is not an issuer URL"},
		{name: "provider bad name", file: "sso:\n  identity_providers:\n    - {name: Key_Cloak, issuer: https://idp.example.com, client_id: c}\n",
			wantErr: "lower-case letters"},
		{name: "provider twice", file: "sso:\n  identity_providers:\n    - {name: a, issuer: https://idp.example.com, client_id: c}\n    - {name: a, issuer: https://idp2.example.com, client_id: c}\n",
			wantErr: "names two identity providers"},
		{name: "provider without openid", file: "sso:\n  identity_providers:\n    - {name: a, issuer: https://idp.example.com, client_id: c, scopes: [email]}\n",
			wantErr: "must include openid"},
		{name: "secret file missing", file: "sso:\n  identity_providers:\n    - {name: a, issuer: https://idp.example.com, client_id: c, client_secret_file: /nonexistent/s}\n",
			wantErr: "client_secret_file: cannot read it"},
		{name: "no inline secret", file: "sso:\n  identity_providers:\n    - {name: a, issuer: https://idp.example.com, client_id: c, client_secret: x}\n",
			wantErr: "unknown key \"client_secret\""},
	}
	runSectionCases(t, "SSO", tests, func(cfg *Config) SSO { return cfg.SSO })
}
