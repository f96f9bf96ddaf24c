package config

import "testing"

func TestLoadIdentityPools(t *testing.T) {
	defaults := IdentityPools{GuestRate: Rate{PerSecond: 1, Burst: 20}, TokenIssuer: DefaultPoolTokenIssuer}
	runSectionCases(t, "IdentityPools", []sectionCase[IdentityPools]{
		{name: "defaults", want: defaults},
		{name: "file", file: "identity_pools:\n  guest_rate: 10/s:50\n  token_issuer: https://pools.example.com/tokens\n",
			want: IdentityPools{GuestRate: Rate{PerSecond: 10, Burst: 50}, TokenIssuer: "https://pools.example.com/tokens"}},
		{name: "off", env: []string{"BREVET_IDENTITY_POOLS_GUEST_RATE=off"}, want: IdentityPools{TokenIssuer: DefaultPoolTokenIssuer}},
		{name: "flag", args: []string{"--identity-pools-guest-rate=120/m:5"}, want: IdentityPools{GuestRate: Rate{PerSecond: 2, Burst: 5}, TokenIssuer: DefaultPoolTokenIssuer}},
		{name: "bad rate", env: []string{"BREVET_IDENTITY_POOLS_GUEST_RATE=60"}, wantErr: "identity_pools.guest_rate: \"60\" is not a rate"},
		{name: "http issuer", env: []string{"BREVET_IDENTITY_POOLS_TOKEN_ISSUER=http://pools.example.com"}, wantErr: "identity_pools.token_issuer"},
		{name: "trailing slash", file: "identity_pools:\n  token_issuer: https://pools.example.com/\n", wantErr: "brevet.yaml:2: identity_pools.token_issuer"},
	}, func(cfg *Config) IdentityPools { return cfg.IdentityPools })
}
