package servicereference

import (
	"os"
	"sort"
	"testing"
	"testing/fstest"

	"github.com/brevet-dev/brevet/internal/vectortest"
	"github.com/google/go-cmp/cmp"
)

// miniFS is a hand-written reference in the iam-data layout.
var miniFS = fstest.MapFS{
	"services.json":               {Data: []byte(`["s3","sts","ssm"]`)},
	"unassociatedConditions.json": {Data: []byte(`{"token.actions.githubusercontent.com":["sts"],"agent.${Domain}.example.dev":["sts"]}`)},
	"actions/s3.json": {Data: []byte(`{
		"getobject":{"name":"GetObject","resourceTypes":[{"name":"object","required":true}],"conditionKeys":["s3:max-keys"]},
		"getobjectacl":{"name":"GetObjectAcl","resourceTypes":[{"name":"object","required":true}]},
		"listbucket":{"name":"ListBucket","resourceTypes":[{"name":"bucket","required":true}]}}`)},
	"resourceTypes/s3.json": {Data: []byte(`{"object":{"key":"object","arn":"arn:${Partition}:s3:::${BucketName}/${ObjectName}"}}`)},
	"conditionKeys/s3.json": {Data: []byte(`{
		"s3:max-keys":{"key":"s3:max-keys","type":"Numeric"},
		"aws:requesttag/${tagkey}":{"key":"aws:RequestTag/${TagKey}","type":"String"}}`)},
	"actions/sts.json": {Data: []byte(`{"assumerole":{"name":"AssumeRole","resourceTypes":[{"name":"role","required":true}]}}`)},
	"conditionKeys/sts.json": {Data: []byte(`{
		"token.actions.githubusercontent.com:sub":{"key":"token.actions.githubusercontent.com:sub","type":"String"},
		"agent.${domain}.example.dev:team":{"key":"agent.${Domain}.example.dev:team","type":"ArrayOfString"}}`)},
}

func TestMatchActions(t *testing.T) {
	ref, err := Load(miniFS)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		service, pattern string
		want             []string
	}{
		{"s3", "GetObject", []string{"GetObject"}},
		{"S3", "getobject", []string{"GetObject"}},
		{"s3", "Get*", []string{"GetObject", "GetObjectAcl"}},
		{"s3", "*Object?cl", []string{"GetObjectAcl"}},
		{"s3", "Put*", nil},
		{"s3", "GetObjectz", nil},
	}
	for _, tt := range tests {
		acts, err := ref.MatchActions(tt.service, tt.pattern)
		if err != nil {
			t.Fatalf("MatchActions(%s, %s): %v", tt.service, tt.pattern, err)
		}
		var got []string
		for _, a := range acts {
			got = append(got, a.Name)
		}
		sort.Strings(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("MatchActions(%s, %s) (-want +got):\n%s", tt.service, tt.pattern, diff)
		}
	}
	if _, err := ref.MatchActions("nosuch", "*"); err == nil {
		t.Error("MatchActions on an unknown service succeeded")
	}
}

func TestConditionKey(t *testing.T) {
	ref, err := Load(miniFS)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, wantType string
		wantOK        bool
	}{
		{"s3:max-keys", "Numeric", true},
		{"S3:Max-Keys", "Numeric", true},
		{"s3:RequestTag/x", "", false},
		{"aws:RequestTag/x", "", false}, // aws is not a service file here
		{"s3:nosuch", "", false},
		{"token.actions.githubusercontent.com:sub", "String", true},
		{"agent.acme.example.dev:team", "ArrayOfString", true},
		{"agent..example.dev:team", "", false},
		{"nokey", "", false},
	}
	for _, tt := range tests {
		ck, ok := ref.ConditionKey(tt.key)
		if ok != tt.wantOK || ck.Type != tt.wantType {
			t.Errorf("ConditionKey(%q) = %q, %v; want %q, %v", tt.key, ck.Type, ok, tt.wantType, tt.wantOK)
		}
	}
	if !ref.KnownKeyPrefix("token.actions.githubusercontent.com") || ref.KnownKeyPrefix("example.com") {
		t.Error("KnownKeyPrefix gives wrong answers")
	}
}

func TestTemplate(t *testing.T) {
	tests := []struct {
		tmpl, s string
		want    bool
	}{
		{"aws:RequestTag/${TagKey}", "aws:requesttag/team", true},
		{"aws:RequestTag/${TagKey}", "aws:RequestTag/", false},
		{"a${X}b${Y}c", "a1b2c", true},
		{"a${X}b${Y}c", "abc", false},
		{"a${X}b${Y}c", "a1bc", false},
		{"a${X}b${Y}c", "a1b", false},
		{"plain", "PLAIN", true},
		{"s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/team", true},
		{"s3:ExistingObjectTag/<key>", "s3:ExistingObjectTag/", false},
	}
	for _, tt := range tests {
		if got := compileTemplate(tt.tmpl).match(tt.s); got != tt.want {
			t.Errorf("template %q match %q = %v, want %v", tt.tmpl, tt.s, got, tt.want)
		}
	}
}

func TestRealReference(t *testing.T) {
	dir := vectortest.Dir(t, "iam-service-reference-iam-data/data")
	ref, err := Load(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	acts, err := ref.MatchActions("s3", "GetObject")
	if err != nil || len(acts) != 1 {
		t.Fatalf("s3:GetObject: %v, %v", acts, err)
	}
	s3, _ := ref.Service("s3")
	var services []string
	for _, rt := range acts[0].ResourceTypes {
		services = append(services, s3.ResourceTypes[rt.Name].ARNService())
	}
	if len(services) == 0 || services[0] != "s3" {
		t.Errorf("s3:GetObject resource ARN services = %v, want s3", services)
	}
	for key, want := range map[string]string{
		"s3:max-keys":          "Numeric",
		"ec2:ResourceTag/Team": "String",
		"token.actions.githubusercontent.com:actor": "String",
		"saml:aud":                        "String",
		"s3:ExistingObjectTag/team":       "String",
		"secretsmanager:ResourceTag/team": "String",
	} {
		if ck, ok := ref.ConditionKey(key); !ok || ck.Type != want {
			t.Errorf("ConditionKey(%q) = %q, %v; want %q", key, ck.Type, ok, want)
		}
	}
}
