package audit_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/request"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// s3Record is an S3 data event as the gateway records it: action on
// bucket/key by p at t0+i seconds.
func s3Record(i int, p request.Principal, action, bucket, key string, effect request.Effect) *request.Record {
	rec := record(i, p, action)
	rec.Service, rec.Version, rec.Effect, rec.Category = "s3", "2006-03-01", effect, request.CategoryData
	rec.Host = bucket + ".s3.example.test"
	rec.RequestParameters = map[string]any{"bucketName": bucket, "key": key, "Host": rec.Host}
	rec.Resources = []request.Resource{
		{Type: audit.S3ObjectType, ARN: "arn:aws:s3:::" + bucket + "/" + key},
		{Type: audit.S3BucketType, ARN: "arn:aws:s3:::" + bucket},
	}
	rec.Details = map[string]string{"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader",
		"x-amz-id-2": "vVBhLNJe3ZrYj2qJcB5UBwCq6DCqAm1sBZGmwJVgFZw="}
	return rec
}

// TestConvertDataEvents compares the events Audit writes for S3 data
// events with golden files (go test -run TestConvertDataEvents -update
// rewrites them).
func TestConvertDataEvents(t *testing.T) {
	get := s3Record(1, rolePrincipal("ASIAEXAMPLEISSUED001"), "GetObject", "logs-bucket", "2026/11/22/app.log", request.ReadOnly)
	get.BytesOut = 28441
	get.Details["CipherSuite"] = "ECDHE-RSA-AES128-GCM-SHA256"
	get.TLS = nil

	put := s3Record(2, userPrincipal(), "PutObject", "reports", "q4.pdf", request.Writes)
	put.Status, put.ErrorCode, put.ErrorMessage = 403, "AccessDenied", "Access Denied"
	put.Details["AuthenticationMethod"] = "QueryString"
	put.BytesIn = 0 // refused before the body was read

	tls := &audit.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "reports.s3.example.test"}
	for _, tc := range []struct {
		golden string
		rec    *request.Record
		tls    *audit.TLSDetails
	}{
		{"s3_getobject.json", get, nil},
		{"s3_putobject_denied.json", put, tls},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			conv := audit.Converter{Region: "eu-west-1", Account: "123456789012", NewID: func() string { return "0b6a4b51-2f1c-4d44-9a39-5b3f0f6f9c11" }}
			b, err := audit.ConvertEncode(conv, nil, tc.rec, tc.tls)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(conv.Convert(tc.rec, tc.tls))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("the encoder and json.Marshal differ (-marshal +encoder):\n%s", cmp.Diff(string(want), string(b)))
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, b, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(golden), pretty.String()); diff != "" {
				t.Errorf("event differs from %s (-golden +got):\n%s", path, diff)
			}
		})
	}
}

// TestConvertDataEventFields checks the data-event fields one by one,
// against CloudTrail's S3 data events.
func TestConvertDataEventFields(t *testing.T) {
	rec := s3Record(1, rolePrincipal("ASIAEXAMPLEISSUED001"), "GetObject", "b", "k", request.ReadOnly)
	rec.BytesIn, rec.BytesOut = 3, 7
	tls := &audit.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"}
	for _, tc := range []struct {
		name  string
		conv  audit.Converter
		mod   func(*request.Record)
		check func(*audit.Event) string
	}{
		{"category", audit.Converter{}, nil, func(e *audit.Event) string {
			if e.EventCategory != "Data" || e.ManagementEvent || e.EventType != "AwsApiCall" || !e.ReadOnly || e.EventSource != "s3.amazonaws.com" {
				return "not a read-only S3 data event"
			}
			return ""
		}},
		{"writes", audit.Converter{}, func(r *request.Record) { r.Effect = request.Writes }, func(e *audit.Event) string {
			if e.ReadOnly {
				return "readOnly for a write"
			}
			return ""
		}},
		{"bytes", audit.Converter{}, nil, func(e *audit.Event) string {
			a := e.AdditionalEventData
			if a == nil || a.BytesTransferredIn == nil || *a.BytesTransferredIn != 3 || *a.BytesTransferredOut != 7 {
				return "byte counts missing"
			}
			return ""
		}},
		{"cipher suite from the connection", audit.Converter{}, nil, func(e *audit.Event) string {
			if e.AdditionalEventData.CipherSuite != "TLS_AES_128_GCM_SHA256" {
				return "CipherSuite not taken from tlsDetails"
			}
			return ""
		}},
		{"owner account", audit.Converter{Account: "999999999999"}, nil, func(e *audit.Event) string {
			want := []audit.Resource{{ARN: "arn:aws:s3:::b/k", Type: "AWS::S3::Object"}, {ARN: "arn:aws:s3:::b", AccountID: "999999999999", Type: "AWS::S3::Bucket"}}
			if e.RecipientAccountID != "999999999999" || !cmp.Equal(want, e.Resources) {
				return "resources or recipient not the owner's"
			}
			return ""
		}},
		{"caller's account without an owner", audit.Converter{}, nil, func(e *audit.Event) string {
			if e.RecipientAccountID != "123456789012" || e.Resources[1].AccountID != "123456789012" {
				return "recipient not the caller's account"
			}
			return ""
		}},
		{"other services' resources", audit.Converter{Account: "111111111111"}, func(r *request.Record) {
			r.Service = "orders"
			r.Details = map[string]string{"CheckProtocol": "ext_authz", "SignatureVersion": "SigV4"}
			r.Resources = []request.Resource{{Type: "Orders::Order", ARN: "arn:aws:orders:eu-west-1:222222222222:order/1"}, {Type: "Orders::Queue", ARN: "arn:brevet:orders:::q"}}
		}, func(e *audit.Event) string {
			if a := e.AdditionalEventData; a.CheckProtocol != "ext_authz" || a.SignatureVersion != "SigV4" {
				return "authorization API details missing"
			}
			if e.EventSource != "orders.amazonaws.com" || e.Resources[0].AccountID != "222222222222" || e.Resources[1].AccountID != "111111111111" {
				return "accounts of other resources wrong"
			}
			return ""
		}},
		{"no roleArn resources", audit.Converter{}, func(r *request.Record) {
			r.RequestParameters["roleArn"] = "arn:aws:iam::123456789012:role/x"
		}, func(e *audit.Event) string {
			if len(e.Resources) != 2 {
				return "resources not only the record's"
			}
			return ""
		}},
		{"long details capped", audit.Converter{}, func(r *request.Record) {
			r.Details = map[string]string{"x-amz-id-2": strings.Repeat("x", 5000), "unknown": "dropped"}
		}, func(e *audit.Event) string {
			if len(e.AdditionalEventData.XAmzID2) > 1100 {
				return "x-amz-id-2 not capped"
			}
			return ""
		}},
		{"keys refused one by one", audit.Converter{}, func(r *request.Record) {
			r.Action, r.Refused = "DeleteObjects", 2
		}, func(e *audit.Event) string {
			got, err := e.AppendJSON(nil)
			want, _ := json.Marshal(e)
			if e.AdditionalEventData.RefusedParts != 2 || err != nil || string(got) != string(want) || !strings.Contains(string(got), `"refusedParts":2`) {
				return "refusedParts missing, or encoded unlike json.Marshal: " + string(got)
			}
			return ""
		}},
		{"many resources capped", audit.Converter{}, func(r *request.Record) {
			r.Resources = make([]request.Resource, 100)
		}, func(e *audit.Event) string {
			if len(e.Resources) != 16 {
				return "resources not capped at 16"
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := *rec
			r.RequestParameters = map[string]any{"bucketName": "b", "key": "k"}
			if tc.mod != nil {
				tc.mod(&r)
			}
			if msg := tc.check(tc.conv.Convert(&r, tls)); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestSelectorMatching: which data events the selectors record.
func TestSelectorMatching(t *testing.T) {
	get := func(bucket, key string) *request.Record {
		return s3Record(1, userPrincipal(), "GetObject", bucket, key, request.ReadOnly)
	}
	put := func(bucket, key string) *request.Record {
		return s3Record(1, userPrincipal(), "PutObject", bucket, key, request.Writes)
	}
	list := func(bucket string) *request.Record {
		r := s3Record(1, userPrincipal(), "ListObjectsV2", bucket, "", request.ReadOnly)
		r.Resources = r.Resources[1:]
		return r
	}
	denied := func(r *request.Record) *request.Record { r.ErrorCode, r.Status = "AccessDenied", 403; return r }
	failed := func(r *request.Record) *request.Record { r.Status = 500; return r }
	refused := func(r *request.Record) *request.Record { r.Action, r.Refused = "DeleteObjects", 2; return r }
	authz := func(arn string) *request.Record {
		r := record(1, userPrincipal(), "GetOrder")
		r.Service, r.Category, r.Effect = "orders", request.CategoryData, request.ReadOnly
		r.Resources = []request.Resource{{Type: "Orders::Order", ARN: arn}}
		return r
	}
	mgmt := record(1, userPrincipal(), "GetCallerIdentity")

	logs := audit.DataSelector{Resources: []string{"arn:aws:s3:::logs-bucket/", "arn:aws:s3:::public/"}}
	tests := []struct {
		name string
		sels []audit.DataSelector // nil: no selector at all
		rec  *request.Record
		want bool
	}{
		{"default records all", nil, get("any", "k"), true},
		{"empty list records none", []audit.DataSelector{}, get("any", "k"), false},
		{"empty list still records failures", []audit.DataSelector{}, denied(get("any", "k")), true},
		{"empty list still records 5xx", []audit.DataSelector{}, failed(put("any", "k")), true},
		{"empty list still records keys refused one by one", []audit.DataSelector{}, refused(put("any", "k")), true},
		{"management never filtered", []audit.DataSelector{}, mgmt, true},
		{"no resources: all", []audit.DataSelector{{}}, get("any", "k"), true},
		{"star: all", []audit.DataSelector{{Resources: []string{"*"}}}, authz("arn:aws:orders:::o/1"), true},
		{"all S3", []audit.DataSelector{{Resources: []string{"arn:aws:s3"}}}, get("any", "k"), true},
		{"all S3 is not other services", []audit.DataSelector{{Resources: []string{"arn:aws:s3"}}}, authz("arn:aws:orders:::o/1"), false},
		{"bucket prefix", []audit.DataSelector{logs}, get("logs-bucket", "a/b"), true},
		{"second bucket", []audit.DataSelector{logs}, put("public", "x"), true},
		{"other bucket", []audit.DataSelector{logs}, get("private", "x"), false},
		{"bucket name prefix is not the bucket", []audit.DataSelector{logs}, get("logs-bucket-2", "x"), false},
		{"bucket-level request", []audit.DataSelector{logs}, list("logs-bucket"), true},
		{"bucket ARN without slash", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::logs"}}}, get("logs", "k"), true},
		{"bucket ARN without slash is not a prefix", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::logs"}}}, get("logs-bucket", "k"), false},
		{"object prefix", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::b/secret/"}}}, get("b", "secret/x"), true},
		{"outside object prefix", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::b/secret/"}}}, get("b", "public/x"), false},
		{"object prefix is not the bucket", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::b/secret/"}}}, list("b"), false},
		{"object prefix, refused", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::b/secret/"}}}, denied(get("b", "public/x")), true},
		{"read only: read", []audit.DataSelector{{ReadWriteType: audit.SelectReadOnly}}, get("b", "k"), true},
		{"read only: write", []audit.DataSelector{{ReadWriteType: audit.SelectReadOnly}}, put("b", "k"), false},
		{"write only: write", []audit.DataSelector{{ReadWriteType: audit.SelectWriteOnly}}, put("b", "k"), true},
		{"write only: read", []audit.DataSelector{{ReadWriteType: audit.SelectWriteOnly}}, get("b", "k"), false},
		{"write only: denied read", []audit.DataSelector{{ReadWriteType: audit.SelectWriteOnly}}, denied(get("b", "k")), true},
		{"exclude action", []audit.DataSelector{{ExcludeActions: []string{"GetObject"}}}, get("b", "k"), false},
		{"exclude action, other action", []audit.DataSelector{{ExcludeActions: []string{"GetObject"}}}, put("b", "k"), true},
		{"exclude service:action", []audit.DataSelector{{ExcludeActions: []string{"s3:getobject"}}}, get("b", "k"), false},
		{"exclude other service's action", []audit.DataSelector{{ExcludeActions: []string{"orders:GetObject"}}}, get("b", "k"), true},
		{"exclude action, denied", []audit.DataSelector{{ExcludeActions: []string{"GetObject"}}}, denied(get("b", "k")), true},
		{"union of selectors", []audit.DataSelector{{ReadWriteType: audit.SelectWriteOnly}, logs}, get("logs-bucket", "k"), true},
		{"union, neither", []audit.DataSelector{{ReadWriteType: audit.SelectWriteOnly}, logs}, get("other", "k"), false},
		{"authz API prefix", []audit.DataSelector{{Resources: []string{"arn:aws:orders:eu-west-1:123456789012:order/"}}}, authz("arn:aws:orders:eu-west-1:123456789012:order/9"), true},
		{"authz API other prefix", []audit.DataSelector{{Resources: []string{"arn:aws:orders:eu-west-1:123456789012:order/"}}}, authz("arn:aws:orders:eu-west-1:123456789012:queue/9"), false},
		{"data event with no resources", []audit.DataSelector{logs}, authz(""), false},
		{"copy: either object", []audit.DataSelector{{Resources: []string{"arn:aws:s3:::src/"}}}, func() *request.Record {
			r := put("dst", "k")
			r.Resources = append(r.Resources, request.Resource{Type: audit.S3ObjectType, ARN: "arn:aws:s3:::src/k"})
			return r
		}(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sel *audit.Selector
			if tt.sels != nil {
				var err error
				if sel, err = audit.NewSelector(tt.sels); err != nil {
					t.Fatal(err)
				}
			}
			if got := sel.Records(tt.rec); got != tt.want {
				t.Errorf("Records = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelectorRejects(t *testing.T) {
	for _, tt := range []struct {
		sel  audit.DataSelector
		want string
	}{
		{audit.DataSelector{ReadWriteType: "Reads"}, "read/write type"},
		{audit.DataSelector{Resources: []string{"logs-bucket"}}, "want an ARN"},
		{audit.DataSelector{Resources: []string{""}}, "want an ARN"},
		{audit.DataSelector{Resources: []string{"arn:aws:s3:::"}}, ""},
		{audit.DataSelector{Resources: []string{"arn:aws:s3:::/x"}}, "names no bucket"},
		{audit.DataSelector{ExcludeActions: []string{"s3:*"}}, "excluded action"},
		{audit.DataSelector{ExcludeActions: []string{""}}, "excluded action"},
	} {
		_, err := audit.NewSelector([]audit.DataSelector{tt.sel})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("NewSelector(%+v) = %v, want it accepted", tt.sel, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("NewSelector(%+v) = %v, want an error about %q", tt.sel, err, tt.want)
		}
	}
}

// TestAuditorAppliesSelectors: an event the selectors leave out is not
// written; a refusal is, and both verify.
func TestAuditorAppliesSelectors(t *testing.T) {
	dir := t.TempDir()
	sel, err := audit.NewSelector([]audit.DataSelector{{Resources: []string{"arn:aws:s3:::logs/"}, ExcludeActions: []string{"HeadObject"}}})
	if err != nil {
		t.Fatal(err)
	}
	a := openTest(t, dir, func(o *audit.Options) { o.DataEvents = sel; o.Account = "123456789012" })
	ctx := t.Context()
	recs := []*request.Record{
		s3Record(1, userPrincipal(), "GetObject", "logs", "a", request.ReadOnly),    // recorded
		s3Record(2, userPrincipal(), "GetObject", "other", "a", request.ReadOnly),   // left out
		s3Record(3, userPrincipal(), "HeadObject", "logs", "a", request.ReadOnly),   // left out
		s3Record(4, userPrincipal(), "PutObject", "other", "a", request.Writes),     // refused: recorded
		record(5, userPrincipal(), "GetCallerIdentity"),                             // management: recorded
		s3Record(6, userPrincipal(), "DeleteObject", "logs", "z/a", request.Writes), // recorded
	}
	recs[3].ErrorCode, recs[3].Status = "AccessDenied", 403
	for _, r := range recs {
		if err := a.Audit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if got := a.Stats().DataEventsSkipped; got != 2 {
		t.Errorf("DataEventsSkipped = %d, want 2", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := audit.Search(dir, audit.Filter{}, func(_ uint64, e *audit.Event) error {
		got = append(got, e.EventCategory+":"+e.EventName)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Data:GetObject", "Data:PutObject", "Management:GetCallerIdentity", "Data:DeleteObject"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded events (-want +got):\n%s", diff)
	}
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	if err != nil {
		t.Fatalf("Verify of a trail with data events: %v", err)
	}
	if rep.Events != 4 {
		t.Errorf("Verify checked %d events, want 4", rep.Events)
	}
}

// TestSearchFollowsIssuanceToDataEvents: --issued-by leads from one
// AssumeRole to every object its credentials touched, through a chained
// role, and --category tells data events from management events.
func TestSearchFollowsIssuanceToDataEvents(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	ctx := t.Context()
	chained := assumeRoleRecord(4, "ASIAEXAMPLECHAINED01")
	chained.Principal = rolePrincipal("ASIAEXAMPLEISSUED001")
	denied := s3Record(3, rolePrincipal("ASIAEXAMPLEISSUED001"), "PutObject", "b", "x", request.Writes)
	denied.ErrorCode, denied.Status = "AccessDenied", 403
	for _, r := range []*request.Record{
		assumeRoleRecord(1, "ASIAEXAMPLEISSUED001"),                                                  // seq 1: the issuance
		s3Record(2, rolePrincipal("ASIAEXAMPLEISSUED001"), "GetObject", "b", "k1", request.ReadOnly), // 2
		denied,  // 3
		chained, // 4: issues a key with the first
		s3Record(5, rolePrincipal("ASIAEXAMPLECHAINED01"), "GetObject", "b", "k2", request.ReadOnly), // 5
		s3Record(6, rolePrincipal("ASIAOTHERSESSION0001"), "GetObject", "b", "k3", request.ReadOnly), // 6: not theirs
		s3Record(7, nil, "GetObject", "b", "k4", request.ReadOnly),                                   // 7: anonymous
	} {
		if err := a.Audit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var issuer string
	if err := audit.Search(dir, audit.Filter{EventName: "AssumeRole", AccessKeyID: "ASIAEXAMPLEISSUED001"}, func(seq uint64, e *audit.Event) error {
		if seq == 1 {
			issuer = e.EventID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    audit.Filter
		want []uint64
	}{
		{"issued by", audit.Filter{IssuedBy: issuer}, []uint64{2, 3, 4, 5}},
		{"issued by, data only", audit.Filter{IssuedBy: issuer, Category: "Data"}, []uint64{2, 3, 5}},
		{"management only", audit.Filter{Category: "management"}, []uint64{1, 4}},
		{"data only", audit.Filter{Category: audit.CategoryData}, []uint64{2, 3, 5, 6, 7}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint64
			if err := audit.Search(dir, tt.f, func(seq uint64, _ *audit.Event) error { got = append(got, seq); return nil }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Search (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDataEventFieldCaps: the field caps and the omitted marker apply to
// data events as to any: a denied request's huge parameters are replaced
// by the marker.
func TestDataEventFieldCaps(t *testing.T) {
	rec := s3Record(1, userPrincipal(), "PutObject", "b", strings.Repeat("k", 1024), request.Writes)
	rec.ErrorCode, rec.Status = "AccessDenied", 403
	rec.RequestParameters["x-amz-meta"] = strings.Repeat("<", 16<<10)
	b, err := audit.ConvertEncode(audit.Converter{}, nil, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	var e audit.Event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	if _, ok := audit.IsOmitted(e.RequestParameters); !ok || e.EventCategory != "Data" || len(e.Resources) != 2 {
		t.Errorf("requestParameters %v not omitted (category %q, %d resources)", e.RequestParameters, e.EventCategory, len(e.Resources))
	}
}
