package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadS3Gateway(t *testing.T) {
	const file = `
regions: [eu-west-1]
gateway:
  s3:
    listen: 127.0.0.1:9000
    domains: [s3.example.com]
    backends:
      - name: minio
        endpoint: http://127.0.0.1:9100
        access_key_id: gw
        secret_access_key_file: /etc/brevet/minio.secret
        buckets: ["logs-*"]
      - name: aws
        endpoint: https://s3.eu-west-1.amazonaws.com
        region: eu-west-1
        access_key_id: AKIAEXAMPLE
        virtual_hosted: true
`
	cfg, err := load(t, file, []string{keyEnv, "BREVET_S3_BACKEND=http://127.0.0.1:5000", "BREVET_S3_BACKEND_ACCESS_KEY_ID=moto",
		"BREVET_S3_BACKEND_SECRET_ACCESS_KEY=hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	want := S3Gateway{Listen: "127.0.0.1:9000", Domains: []string{"s3.example.com"}, Backends: []S3Backend{
		{Name: "minio", Endpoint: "http://127.0.0.1:9100", Region: "eu-west-1", AccessKeyID: "gw",
			SecretAccessKeyFile: "/etc/brevet/minio.secret", Buckets: []string{"logs-*"}},
		{Name: "aws", Endpoint: "https://s3.eu-west-1.amazonaws.com", Region: "eu-west-1", AccessKeyID: "AKIAEXAMPLE",
			Buckets: []string{"*"}, VirtualHosted: true},
		{Name: "default", Endpoint: "http://127.0.0.1:5000", Region: "eu-west-1", AccessKeyID: "moto",
			SecretAccessKey: "hunter2", Buckets: []string{"*"}},
	}}
	if diff := cmp.Diff(want, cfg.Gateway.S3); diff != "" {
		t.Errorf("gateway (-want +got):\n%s", diff)
	}
	for name, out := range map[string]string{"String": cfg.String(), "%+v": fmt.Sprintf("%+v", *cfg), "%#v": fmt.Sprintf("%#v", *cfg)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s shows the backend's secret:\n%s", name, out)
		}
	}
	if cfg.Gateway.S3.Backends[2].SecretAccessKey.Reveal() != "hunter2" {
		t.Error("Reveal does not return the secret")
	}
}

func TestLoadS3GatewayRefuses(t *testing.T) {
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{name: "listen without backend", env: []string{"BREVET_S3_LISTEN=127.0.0.1:9000"}, want: "no backend is"},
		{name: "off loopback in the clear", env: []string{"BREVET_S3_LISTEN=0.0.0.0:9000", "BREVET_S3_BACKEND=http://h", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "the S3 gateway listener uses the API's TLS settings"},
		{name: "the API's address", env: []string{"BREVET_S3_LISTEN=127.0.0.1:8787", "BREVET_S3_BACKEND=http://h", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "give the gateway a port of its own"},
		{name: "backend without listen", env: []string{"BREVET_S3_BACKEND=http://127.0.0.1:5000", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "gateway.s3.listen: is not set"},
		{name: "not a URL", env: []string{"BREVET_S3_LISTEN=127.0.0.1:9000", "BREVET_S3_BACKEND=127.0.0.1:5000", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "is not an http(s) URL"},
		{name: "credentials in the URL", env: []string{"BREVET_S3_LISTEN=127.0.0.1:9000", "BREVET_S3_BACKEND=http://a:hunter2@h", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "carries credentials"},
		{name: "credentials in a URL that is not http", env: []string{"BREVET_S3_LISTEN=127.0.0.1:9000", "BREVET_S3_BACKEND=ftp://a:hunter2@h", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "is not an http(s) URL"},
		{name: "credentials in a URL that does not parse", env: []string{"BREVET_S3_LISTEN=127.0.0.1:9000", "BREVET_S3_BACKEND=http://a:hunter2@h:port", "BREVET_S3_BACKEND_ACCESS_KEY_ID=x"},
			want: "is not an http(s) URL"},
		{name: "no access key id", env: []string{"BREVET_S3_LISTEN=127.0.0.1:9000", "BREVET_S3_BACKEND=http://h"}, want: "access key id"},
		{name: "secret without backend", env: []string{"BREVET_S3_BACKEND_SECRET_ACCESS_KEY=hunter2"}, want: "backend's URL is not"},
		{name: "unknown key in a backend", file: "gateway:\n  s3:\n    listen: 127.0.0.1:9000\n    backends:\n      - name: a\n        endpoint: http://h\n        access_key_id: x\n        secret: hunter2\n",
			want: `unknown key "secret"`},
		{name: "backend not a mapping", file: "gateway:\n  s3:\n    listen: 127.0.0.1:9000\n    backends: [http://h]\n", want: "must be a mapping"},
		{name: "bad name and pattern", file: "gateway:\n  s3:\n    listen: 127.0.0.1:9000\n    backends:\n      - name: Minio\n        endpoint: http://h\n        access_key_id: x\n        buckets: ['[']\n",
			want: "lower-case letters"},
		{name: "two backends, one name", file: "gateway:\n  s3:\n    listen: 127.0.0.1:9000\n    backends:\n      - {name: a, endpoint: 'http://h', access_key_id: x}\n      - {name: a, endpoint: 'http://g', access_key_id: y}\n",
			want: "names two backends"},
	}
	for _, tt := range tests {
		_, err := load(t, tt.file, append([]string{keyEnv}, tt.env...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to say %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the secret: %v", tt.name, err)
		}
	}
}
