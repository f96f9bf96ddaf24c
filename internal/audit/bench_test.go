package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/request"
)

// BenchmarkAppendDurable measures durable (fsynced) appends through group
// commit with c concurrent callers. events/s is the figure that matters:
// each caller waits for its event's fsync. "gaps" is the trail on its
// own, which keeps a batch open while events arrive close together;
// "callers" is how the server runs it, telling the trail how many
// requests are in flight (Options.Callers: here, all c).
func BenchmarkAppendDurable(b *testing.B) {
	ev, err := json.Marshal(audit.Converter{}.Convert(assumeRoleRecord(1, "ASIAEXAMPLEISSUED001"), nil))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		mode string
		c    int
	}{{"gaps", 1}, {"gaps", 8}, {"gaps", 64}, {"callers", 1}, {"callers", 8}, {"callers", 64}} {
		c := bc.c
		b.Run(fmt.Sprintf("%s/c%d", bc.mode, c), func(b *testing.B) {
			a := openTest(b, b.TempDir(), func(o *audit.Options) {
				if bc.mode == "callers" {
					o.Callers = func() int { return c }
				}
			})
			defer a.Close()
			tr := a.Trail()
			var next atomic.Int64
			b.SetBytes(int64(len(ev)))
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < c; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if _, err := tr.Append(context.Background(), ev); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			st := tr.Stats()
			b.ReportMetric(float64(st.Events)/float64(max(st.Batches, 1)), "events/fsync")
		})
	}
}

// BenchmarkConvert is the per-request work done before the append:
// converting, redacting and encoding an AssumeRole event.
func BenchmarkConvert(b *testing.B) {
	rec := assumeRoleRecord(1, "ASIAEXAMPLEISSUED001")
	rec.Principal = rolePrincipal("ASIAEXAMPLECALLER001")
	conv := audit.Converter{}
	b.ReportAllocs()
	for b.Loop() {
		e := conv.Convert(rec, nil)
		if _, err := json.Marshal(e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertEncode is what Auditor.Audit does for each request
// before the append: converting, redacting and encoding the event, into
// a buffer reused as Audit's pool reuses it. BenchmarkConvert is the same
// work through Convert's redacted copy and json.Marshal.
func BenchmarkConvertEncode(b *testing.B) {
	gci := record(1, rolePrincipal("ASIAEXAMPLECALLER001"), "GetCallerIdentity")
	gci.RequestParameters = map[string]any{}
	gci.ResponseElements = map[string]any{
		"account": "123456789012", "arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci", "userId": "AROAEXAMPLEDEPLOY:ci",
	}
	ar := assumeRoleRecord(1, "ASIAEXAMPLEISSUED001")
	ar.Principal = rolePrincipal("ASIAEXAMPLECALLER001")
	gci.Service, ar.Service = "sts", "sts" // as the dispatcher names the service (stsapi.Service.Name)
	get := s3Record(1, rolePrincipal("ASIAEXAMPLECALLER001"), "GetObject", "logs-bucket", "2026/11/22/app.log", request.ReadOnly)
	get.BytesOut = 28441 // an S3 GetObject data event, as the gateway records it
	tls := &audit.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "sts.example.test"}
	for _, bc := range []struct {
		name string
		rec  *request.Record
	}{{"GetCallerIdentity", gci}, {"AssumeRole", ar}, {"GetObject", get}} {
		b.Run(bc.name, func(b *testing.B) {
			conv := audit.Converter{Account: "123456789012"}
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = audit.ConvertEncode(conv, buf[:0], bc.rec, tls); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

// BenchmarkConvertEncodeCapped is the encoding of a request whose
// parameters are over the failed-request cap (a 131,072-character policy
// document of '<', about 786 KB of JSON): encoded once, hashed, and
// replaced by the omitted marker.
func BenchmarkConvertEncodeCapped(b *testing.B) {
	rec := record(1, userPrincipal(), "CreatePolicy")
	rec.ErrorCode = "AccessDenied"
	rec.RequestParameters = map[string]any{"policyName": "p", "policyDocument": strings.Repeat("<", 131072)}
	conv := audit.Converter{}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = audit.ConvertEncode(conv, buf[:0], rec, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkAuditFolded is Audit for an unauthenticated failure past the
// first few of its window: counted, not written.
func BenchmarkAuditFolded(b *testing.B) {
	a := openTest(b, b.TempDir(), func(o *audit.Options) { o.Aggregate = audit.AggregateConfig{After: 1, Window: time.Hour} })
	defer a.Close()
	rec := record(1, nil, "GetCallerIdentity")
	rec.ErrorCode = "SignatureDoesNotMatch"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Audit(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditDataEventSkipped is Audit for a data event the selectors
// leave out: matched and dropped, nothing written.
func BenchmarkAuditDataEventSkipped(b *testing.B) {
	sel, err := audit.NewSelector([]audit.DataSelector{{Resources: []string{"arn:aws:s3:::logs/", "arn:aws:s3:::public/"}, ExcludeActions: []string{"HeadObject"}}})
	if err != nil {
		b.Fatal(err)
	}
	a := openTest(b, b.TempDir(), func(o *audit.Options) { o.DataEvents = sel })
	defer a.Close()
	rec := s3Record(1, rolePrincipal("ASIAEXAMPLECALLER001"), "GetObject", "private", "k", request.ReadOnly)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Audit(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
}
