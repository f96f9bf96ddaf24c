package config

import (
	"testing"
)

func TestLoadIoT(t *testing.T) {
	tests := []sectionCase[IoT]{
		{name: "off"},
		{name: "file", file: "iot:\n  credentials:\n    listen: 0.0.0.0:8443\n    tls_cert_file: /c.pem\n    tls_key_file: /k.pem\n    endpoint: creds.example.com:8443\n",
			want: IoT{Credentials: IoTCredentials{Listen: "0.0.0.0:8443", CertFile: "/c.pem", KeyFile: "/k.pem", Endpoint: "creds.example.com:8443"}}},
		{name: "env", env: []string{"BREVET_IOT_CREDENTIALS_LISTEN=127.0.0.1:8443", "BREVET_IOT_CREDENTIALS_TLS_CERT=/c.pem", "BREVET_IOT_CREDENTIALS_TLS_KEY=/k.pem"},
			want: IoT{Credentials: IoTCredentials{Listen: "127.0.0.1:8443", CertFile: "/c.pem", KeyFile: "/k.pem"}}},
		{name: "unknown key", file: "iot:\n  credentials:\n    port: 1\n", wantErr: "unknown key"},
		{name: "no certificate at all", env: []string{"BREVET_IOT_CREDENTIALS_LISTEN=127.0.0.1:8443"}, wantErr: "no TLS certificate is"},
		{name: "certificate without key", env: []string{"BREVET_IOT_CREDENTIALS_LISTEN=127.0.0.1:8443", "BREVET_IOT_CREDENTIALS_TLS_CERT=/c.pem"}, wantErr: "tls_key_file is not"},
		{name: "not host:port", env: []string{"BREVET_IOT_CREDENTIALS_LISTEN=8443", "BREVET_IOT_CREDENTIALS_TLS_CERT=/c.pem", "BREVET_IOT_CREDENTIALS_TLS_KEY=/k.pem"}, wantErr: "not host:port"},
		{name: "the API's address", env: []string{"BREVET_IOT_CREDENTIALS_LISTEN=" + DefaultListen, "BREVET_IOT_CREDENTIALS_TLS_CERT=/c.pem", "BREVET_IOT_CREDENTIALS_TLS_KEY=/k.pem"}, wantErr: "the API's address"},
		{name: "settings without a listener", env: []string{"BREVET_IOT_CREDENTIALS_TLS_CERT=/c.pem", "BREVET_IOT_CREDENTIALS_TLS_KEY=/k.pem"}, wantErr: "is not set but other"},
	}
	runSectionCases(t, "IoT", tests, func(cfg *Config) IoT { return cfg.IoT })
}
