package config

import (
	"testing"
)

func TestLoadExtraCertificates(t *testing.T) {
	const tlsMain = "tls:\n  cert: /c.pem\n  key: /k.pem\n"
	tests := []sectionCase[[]CertPair]{
		{name: "none", file: tlsMain},
		{name: "two", file: tlsMain + "  extra_certificates:\n    - {cert_file: /oidc.pem, key_file: /oidc.key}\n    - cert_file: /portal.pem\n      key_file: /portal.key\n",
			want: []CertPair{{"/oidc.pem", "/oidc.key"}, {"/portal.pem", "/portal.key"}}},
		{name: "main pair from flags", file: "tls:\n  extra_certificates: [{cert_file: /o.pem, key_file: /o.key}]\n",
			args: []string{"--tls-cert=/c.pem", "--tls-key=/k.pem"}, want: []CertPair{{"/o.pem", "/o.key"}}},
		{name: "without the main pair", file: "tls:\n  extra_certificates: [{cert_file: /o.pem, key_file: /o.key}]\n",
			wantErr: "brevet.yaml:2: tls.extra_certificates[0]: is set but TLS is not"},
		{name: "no key", file: tlsMain + "  extra_certificates: [{cert_file: /o.pem}]\n", wantErr: "key_file is missing"},
		{name: "no certificate", file: tlsMain + "  extra_certificates:\n    - key_file: /o.key\n", wantErr: "brevet.yaml:5: tls.extra_certificates[0]: cert_file is missing"},
		{name: "empty item", file: tlsMain + "  extra_certificates: [{}]\n", wantErr: "cert_file is missing"},
		{name: "twice", file: tlsMain + "  extra_certificates: [{cert_file: /o.pem, key_file: /o.key}, {cert_file: /o.pem, key_file: /o.key}]\n",
			wantErr: "tls.extra_certificates[1]: /o.pem is listed twice"},
		{name: "unknown key", file: tlsMain + "  extra_certificates: [{cert: /o.pem, key_file: /o.key}]\n", wantErr: `unknown key "cert"`},
		{name: "not a list", file: tlsMain + "  extra_certificates: /o.pem\n", wantErr: "must be a list"},
		{name: "items not mappings", file: tlsMain + "  extra_certificates: [/o.pem]\n", wantErr: "every list item must be a mapping of keys (cert_file, key_file)"},
	}
	runSectionCases(t, "tls.extra_certificates", tests, func(cfg *Config) []CertPair { return cfg.TLS.ExtraCertificates })
}
