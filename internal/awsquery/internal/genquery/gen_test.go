package main

import (
	"go/format"
	"os"
	"path/filepath"
	"testing"

	"github.com/brevet-dev/brevet/internal/vectortest"
)

// TestGeneratedUpToDate regenerates every generated file from the models
// and compares it with the committed one, so the tables cannot drift from
// the generator or the models.
func TestGeneratedUpToDate(t *testing.T) {
	dir := vectortest.Dir(t, "botocore-sts-iam-models")
	sts := filepath.Join(dir, "sts", "2011-06-15", "service-2.json")
	iam := filepath.Join(dir, "iam", "2010-05-08", "service-2.json")
	tests := []struct {
		committed string
		gen       func() ([]byte, error)
	}{
		{"../../stsapi/zz_generated.go", func() ([]byte, error) { return service(sts, "stsapi") }},
		{"../../iamapi/zz_generated.go", func() ([]byte, error) { return service(iam, "iamapi") }},
		{"../../errors_model.go", func() ([]byte, error) {
			var ms []*model
			for _, p := range []string{sts, iam} {
				m, err := load(p)
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			return genErrors(ms)
		}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(filepath.Dir(tt.committed))+"/"+filepath.Base(tt.committed), func(t *testing.T) {
			src, err := tt.gen()
			if err != nil {
				t.Fatal(err)
			}
			got, err := format.Source(src)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(tt.committed)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s is stale: run go generate ./internal/awsquery/...", tt.committed)
			}
		})
	}
}

func service(path, pkg string) ([]byte, error) {
	m, err := load(path)
	if err != nil {
		return nil, err
	}
	return genService(m, pkg)
}

func TestRejectsNonQueryModel(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.json")
	if err := os.WriteFile(p, []byte(`{"metadata":{"protocol":"json"},"operations":{},"shapes":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := load(p); err == nil {
		t.Error("load accepted a json-protocol model")
	}
}
