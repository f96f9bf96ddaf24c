package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDataEventSelectors: audit.data_events from the file (a list of
// mappings), the environment and the flag (JSON), and the difference
// between no setting (every data event) and an empty list (none).
func TestDataEventSelectors(t *testing.T) {
	logs := []DataEventSelector{
		{ReadWriteType: "WriteOnly"},
		{ReadWriteType: "All", Resources: []string{"arn:aws:s3:::logs-bucket/", "arn:aws:s3:::public/"}, ExcludeActions: []string{"HeadObject"}},
	}
	tests := []struct {
		name         string
		file         string
		env, args    []string
		wantSelected bool
		want         []DataEventSelector
	}{
		{name: "no setting: all"},
		{name: "file", file: "audit:\n  data_events:\n    - read_write_type: WriteOnly\n    - resources: [\"arn:aws:s3:::logs-bucket/\", \"arn:aws:s3:::public/\"]\n      exclude_actions: [HeadObject]\n",
			wantSelected: true, want: logs},
		{name: "file, empty list: none", file: "audit:\n  data_events: []\n", wantSelected: true, want: []DataEventSelector{}},
		{name: "file, one empty selector: all", file: "audit:\n  data_events:\n    - {}\n", wantSelected: true, want: []DataEventSelector{{ReadWriteType: "All"}}},
		{name: "env outranks the file", file: "audit:\n  data_events: []\n",
			env:          []string{`BREVET_AUDIT_DATA_EVENTS=[{"read_write_type":"writeonly"},{"resources":[" arn:aws:s3:::logs-bucket/","arn:aws:s3:::public/"],"exclude_actions":["HeadObject"]}]`},
			wantSelected: true, want: logs},
		{name: "flag", args: []string{`--audit-data-events=[]`}, wantSelected: true, want: []DataEventSelector{}},
		{name: "flag, every S3 read", args: []string{`--audit-data-events=[{"read_write_type":"ReadOnly","resources":["arn:aws:s3"]}]`},
			wantSelected: true, want: []DataEventSelector{{ReadWriteType: "ReadOnly", Resources: []string{"arn:aws:s3"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := load(t, tt.file, append([]string{keyEnv}, tt.env...), tt.args...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := cfg.Audit.DataEventsSelected; got != tt.wantSelected {
				t.Errorf("DataEventsSelected = %v, want %v", got, tt.wantSelected)
			}
			if diff := cmp.Diff(tt.want, cfg.Audit.DataEvents); diff != "" {
				t.Errorf("DataEvents (-want +got):\n%s", diff)
			}
			if tt.want != nil && cfg.Audit.DataEvents == nil {
				t.Error("an empty list loaded as nil")
			}
		})
	}
}

func TestDataEventSelectorErrors(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		env, args  []string
		want       string
	}{
		{name: "unknown key in the file", file: "audit:\n  data_events:\n    - read_write_typ: All\n",
			want: `brevet.yaml:3: audit.data_events[0].read_write_typ: unknown key "read_write_typ"; did you mean "read_write_type"?`},
		{name: "item not a mapping", file: "audit:\n  data_events: [arn:aws:s3]\n", want: "every list item must be a mapping"},
		{name: "not a list", file: "audit:\n  data_events: all\n", want: "audit.data_events: must be a list"},
		{name: "resources not a list", file: "audit:\n  data_events:\n    - resources: arn:aws:s3\n", want: "audit.data_events[0].resources: must be a list"},
		{name: "bad read/write type in the file", file: "audit:\n  data_events:\n    - read_write_type: Reads\n",
			want: `brevet.yaml:2: audit.data_events: selector 1: read_write_type "Reads" is not All, ReadOnly or WriteOnly`},
		{name: "unknown key in the environment", env: []string{`BREVET_AUDIT_DATA_EVENTS=[{"resource":["*"]}]`},
			want: `BREVET_AUDIT_DATA_EVENTS: audit.data_events: is not a list of selectors (json: unknown field "resource")`},
		{name: "not JSON", args: []string{"--audit-data-events=all"}, want: "--audit-data-events: audit.data_events: is not a list of selectors"},
		{name: "null", args: []string{"--audit-data-events=null"}, want: "audit.data_events: is null"},
		{name: "two values", args: []string{"--audit-data-events=[] []"}, want: "more than one JSON value"},
		{name: "bucket name, not an ARN", args: []string{`--audit-data-events=[{"resources":["logs-bucket"]}]`}, want: `resource "logs-bucket" is not an ARN prefix`},
		{name: "no bucket", args: []string{`--audit-data-events=[{"resources":["arn:aws:s3:::/k"]}]`}, want: "is not an ARN prefix"},
		{name: "wildcard action", args: []string{`--audit-data-events=[{"exclude_actions":["s3:Get*"]}]`}, want: `exclude_actions item "s3:Get*"`},
		{name: "empty action", args: []string{`--audit-data-events=[{"exclude_actions":[""]}]`}, want: "exclude_actions item"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, append([]string{keyEnv}, tt.env...), tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
