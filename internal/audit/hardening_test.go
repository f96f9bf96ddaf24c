package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/request"
)

// dirSize sums the files of dir.
func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

// events reads every event of the trail in dir.
func events(t *testing.T, dir string) []*audit.Event {
	t.Helper()
	var evs []*audit.Event
	if err := audit.WalkEvents(dir, func(_ uint64, e *audit.Event) error {
		evs = append(evs, e)
		return nil
	}); err != nil {
		t.Fatalf("WalkEvents: %v", err)
	}
	return evs
}

func verify(t *testing.T, dir string) *audit.VerifyReport {
	t.Helper()
	rep, err := audit.Verify(dir, audit.VerifyOptions{PublicKey: testKey().Public()})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

// TestOversizedFieldsAreOmitted: a principal with no permissions sending
// a 900 KB request makes the trail grow by a few KB, not 900; the
// parameters are replaced by CloudTrail's omitted marker with the size
// and SHA-256 of what was left out; a successful request keeps a full
// policy document; small events are untouched; the chain verifies.
func TestOversizedFieldsAreOmitted(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, nil)
	huge := strings.Repeat("A", 900<<10)
	policy := `{"Version":"2012-10-17","Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"},`, 1600) + `{"Effect":"Deny","Action":"*","Resource":"*"}]}`

	denied := record(1, userPrincipal(), "CreatePolicy")
	denied.ErrorCode, denied.Status = "AccessDenied", 403
	denied.ErrorMessage = "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:CreatePolicy " + huge
	denied.UserAgent = huge
	denied.RequestParameters = map[string]any{"policyName": "p", "policyDocument": huge}

	before := dirSize(t, dir)
	if err := a.Audit(context.Background(), denied); err != nil {
		t.Fatalf("Audit: %v", err)
	}
	if grew := dirSize(t, dir) - before; grew > 12<<10 {
		t.Errorf("a 900 KB denied request grew the trail by %d bytes; want under 12 KiB", grew)
	}

	ok := record(2, userPrincipal(), "CreatePolicy")
	ok.RequestParameters = map[string]any{"policyName": "big", "policyDocument": policy}
	small := record(3, userPrincipal(), "GetCallerIdentity")
	for _, rec := range []*request.Record{ok, small} {
		if err := a.Audit(context.Background(), rec); err != nil {
			t.Fatalf("Audit: %v", err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	evs := events(t, dir)
	if len(evs) != 3 {
		t.Fatalf("got %d events; want 3", len(evs))
	}
	orig, _ := json.Marshal(denied.RequestParameters)
	sum := sha256.Sum256(orig)
	want := map[string]any{"omitted": true, "originalSize": float64(len(orig)), "sha256": hex.EncodeToString(sum[:])}
	if diff := cmp.Diff(want, evs[0].RequestParameters); diff != "" {
		t.Errorf("denied requestParameters (-want +got):\n%s", diff)
	}
	if n, ok := audit.IsOmitted(evs[0].RequestParameters); !ok || n != int64(len(orig)) {
		t.Errorf("IsOmitted = %d, %v; want %d, true", n, ok, len(orig))
	}
	for name, s := range map[string]string{"userAgent": evs[0].UserAgent, "errorMessage": evs[0].ErrorMessage} {
		if len(s) > 1100 || !strings.Contains(s, "[truncated from") {
			t.Errorf("%s is %d bytes (%.40q...); want it cut to about 1 KiB and marked", name, len(s), s)
		}
	}
	if got := evs[1].RequestParameters["policyDocument"]; got != policy {
		t.Errorf("a successful request's %d-byte policy document was not recorded in full", len(policy))
	}
	if got := evs[2].RequestParameters["durationSeconds"]; got != float64(900) {
		t.Errorf("small event's parameters = %v; want them whole", evs[2].RequestParameters)
	}
	if got := a.Stats().Omitted; got != 1 {
		t.Errorf("Stats().Omitted = %d; want 1", got)
	}
	verify(t, dir)
}

// TestFieldCapsAreConfigurable: the caps follow Options, and a negative
// cap records everything.
func TestFieldCapsAreConfigurable(t *testing.T) {
	big := map[string]any{"policyDocument": strings.Repeat("x", 3000)}
	tests := []struct {
		name        string
		max, failed int
		errorCode   string
		wantOmitted bool
	}{
		{"success under its cap", 4000, 100, "", false},
		{"success over its cap", 2000, 100000, "", true},
		{"failure over its cap", 100000, 2000, "AccessDenied", true},
		{"failure under its cap", 100, 4000, "AccessDenied", false},
		{"no cap", -1, -1, "AccessDenied", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := openTest(t, dir, func(o *audit.Options) { o.MaxFieldBytes, o.MaxFailedFieldBytes = tt.max, tt.failed })
			rec := record(1, userPrincipal(), "CreatePolicy")
			rec.ErrorCode, rec.RequestParameters = tt.errorCode, big
			if err := a.Audit(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			a.Close()
			_, got := audit.IsOmitted(events(t, dir)[0].RequestParameters)
			if got != tt.wantOmitted {
				t.Errorf("omitted = %v; want %v", got, tt.wantOmitted)
			}
		})
	}
}

// unauthenticated is a request refused before a principal was known.
func unauthenticated(i int, source, code string) *request.Record {
	r := record(i, nil, "GetCallerIdentity")
	r.SourceIP, r.ErrorCode, r.Status = source, code, 403
	r.UserAgent = "attacker/1.0"
	return r
}

// TestUnauthenticatedFailuresAreAggregated: past the first few of a
// window, refusals without a principal from one source and error code
// are counted into one aggregate event per window; authenticated
// failures (AccessDenied of a known principal) are always recorded one
// by one.
func TestUnauthenticatedFailuresAreAggregated(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.Aggregate = audit.AggregateConfig{After: 3, Window: time.Hour} })
	ctx := context.Background()
	var recs []*request.Record
	for i := range 20 {
		recs = append(recs, unauthenticated(i, "198.51.100.7", "SignatureDoesNotMatch"))
	}
	for i := range 10 {
		recs = append(recs, unauthenticated(100+i, "203.0.113.9", "Throttling"))
	}
	for i := range 10 {
		r := record(200+i, userPrincipal(), "CreateRole")
		r.ErrorCode, r.Status = "AccessDenied", 403
		recs = append(recs, r)
	}
	for _, r := range recs {
		if err := a.Audit(ctx, r); err != nil {
			t.Fatalf("Audit: %v", err)
		}
	}
	if got, want := len(events(t, dir)), 3+3+10; got != want {
		t.Errorf("before the window ends: %d events; want %d (3 + 3 in full, 10 AccessDenied)", got, want)
	}
	if err := a.FlushAggregates(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.Stats().Aggregated; got != 17+7 {
		t.Errorf("Stats().Aggregated = %d; want 24", got)
	}
	a.Close()

	var aggs []audit.AggregatedFailures
	var sources []string
	for _, e := range events(t, dir) {
		if e.EventName != audit.AggregatedFailuresEvent {
			continue
		}
		if e.EventSource != audit.BrevetEventSource || e.EventType != "AwsServiceEvent" || e.UserIdentity.Type != "Unknown" {
			t.Errorf("aggregate event = %+v; want an AwsServiceEvent of %s by Unknown", e, audit.BrevetEventSource)
		}
		aggs = append(aggs, *e.AdditionalEventData.AggregatedFailures)
		sources = append(sources, e.SourceIPAddress+" "+e.ErrorCode)
	}
	wantSources := []string{"198.51.100.7 SignatureDoesNotMatch", "203.0.113.9 Throttling"}
	if diff := cmp.Diff(wantSources, sources); diff != "" {
		t.Errorf("aggregates (-want +got):\n%s", diff)
	}
	want := []audit.AggregatedFailures{
		{Count: 17, RecordedInFull: 3, FirstTime: "2026-11-22T08:00:03Z", LastTime: "2026-11-22T08:00:19Z", WindowSeconds: 3600,
			UserAgents: []string{"attacker/1.0"}, EventNames: []string{"GetCallerIdentity"}},
		{Count: 7, RecordedInFull: 3, FirstTime: "2026-11-22T08:01:43Z", LastTime: "2026-11-22T08:01:49Z", WindowSeconds: 3600,
			UserAgents: []string{"attacker/1.0"}, EventNames: []string{"GetCallerIdentity"}},
	}
	if diff := cmp.Diff(want, aggs); diff != "" {
		t.Errorf("aggregates (-want +got):\n%s", diff)
	}
	found := 0
	if err := audit.Search(dir, audit.Filter{EventName: audit.AggregatedFailuresEvent}, func(uint64, *audit.Event) error {
		found++
		return nil
	}); err != nil || found != 2 {
		t.Errorf("Search by event name found %d aggregates (%v); want 2", found, err)
	}
	verify(t, dir)
}

// TestAggregationIsBounded: past MaxSources, new sources are folded at
// once into one aggregate per error code with a sample of the sources;
// Close writes the window in progress.
func TestAggregationIsBounded(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) {
		o.Aggregate = audit.AggregateConfig{After: 1, Window: time.Hour, MaxSources: 2}
	})
	for i, src := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"} {
		if err := a.Audit(context.Background(), unauthenticated(i, src, "InvalidClientTokenId")); err != nil {
			t.Fatal(err)
		}
	}
	a.Close() // ends the window
	var got []string
	for _, e := range events(t, dir) {
		s := e.EventName + " " + e.SourceIPAddress
		if ag := e.AdditionalEventData; ag != nil && ag.AggregatedFailures != nil {
			s += " " + strings.Join(ag.AggregatedFailures.SourceIPs, ",")
		}
		got = append(got, s)
	}
	want := []string{"GetCallerIdentity 192.0.2.1", "GetCallerIdentity 192.0.2.2", "AggregatedFailures various 192.0.2.3,192.0.2.4,192.0.2.5"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestAggregationOff: After < 0 records every failure.
func TestAggregationOff(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, dir, func(o *audit.Options) { o.Aggregate.After = -1 })
	for i := range 12 {
		if err := a.Audit(context.Background(), unauthenticated(i, "192.0.2.1", "SignatureDoesNotMatch")); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	if got := len(events(t, dir)); got != 12 {
		t.Errorf("%d events; want 12", got)
	}
}

// TestDiskWatermark: under the watermark (by percentage or bytes) the
// disk check warns, with the usage in the error; above it, it does not.
func TestDiskWatermark(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		name        string
		mark        string
		free, total uint64
		wantLow     bool
	}{
		{"default, plenty free", "", 50 * gib, 100 * gib, false},
		{"default, under 10%", "", 9 * gib, 100 * gib, true},
		{"percent", "25%", 20 * gib, 100 * gib, true},
		{"bytes, above", "5GiB", 6 * gib, 100 * gib, false},
		{"bytes, below", "5GiB", 4 * gib, 100 * gib, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w audit.Watermark
			if tt.mark != "" {
				var err error
				if w, err = audit.ParseWatermark(tt.mark); err != nil {
					t.Fatal(err)
				}
			}
			dir := t.TempDir()
			a := openTest(t, dir, func(o *audit.Options) {
				o.DiskWatermark = w
				o.Statfs = func(string) (uint64, uint64, error) { return tt.free, tt.total, nil }
			})
			defer a.Close()
			fill(t, a, 3)
			u, err := a.DiskUsage()
			if err != nil {
				t.Fatal(err)
			}
			if u.TrailBytes != dirSize(t, dir) || u.FreeBytes != tt.free || u.TotalBytes != tt.total || u.Low != tt.wantLow {
				t.Errorf("DiskUsage = %+v; want trail %d bytes, free %d, total %d, low %v", u, dirSize(t, dir), tt.free, tt.total, tt.wantLow)
			}
			err = a.CheckDisk()
			var low *audit.DiskLowError
			if got := errors.As(err, &low); got != tt.wantLow {
				t.Errorf("CheckDisk = %v; want low %v", err, tt.wantLow)
			}
		})
	}
}

func TestParseWatermark(t *testing.T) {
	tests := []struct {
		in   string
		want audit.Watermark
		bad  bool
	}{
		{in: "10%", want: audit.Watermark{Percent: 10}},
		{in: "2.5 %", want: audit.Watermark{Percent: 2.5}},
		{in: "5GiB", want: audit.Watermark{Bytes: 5 << 30}},
		{in: "1048576", want: audit.Watermark{Bytes: 1 << 20}},
		{in: "100%", bad: true},
		{in: "-1%", bad: true},
		{in: "lots", bad: true},
	}
	for _, tt := range tests {
		got, err := audit.ParseWatermark(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseWatermark(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.bad)
		}
	}
}
