package node

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/audit/pgsink"
	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/config"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/revocation"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/postgres"
)

// auditDir is where the node keeps its trail (or, on PostgreSQL, its
// signing key, node id and outage spool).
func (n *Node) auditDir() string { return filepath.Join(n.cfg.DataDir, "audit") }

// openTrail opens the audit trail and the issuance index that follows
// it. The trail is the one durable write of every request, issuances
// included: on SQLite the index is written behind it (revocation.Indexer,
// caught up from the trail before the node serves); on PostgreSQL the
// audit sink writes it in the transaction that inserts the events.
func (n *Node) openTrail(ctx context.Context) error {
	if st, ok := n.st.(revocation.IndexStore); ok && !n.opts.SkipIssuanceRecords {
		dir := n.auditDir()
		n.indexer = revocation.NewIndexer(st, func(after, upTo uint64, fn func(uint64, request.Issuance) error) (uint64, error) {
			return audit.WalkIssuances(dir, after, upTo, fn)
		}, func() uint64 { seq, _ := n.auditor.Trail().Head(); return seq }, n.log)
	}
	n.newEventIndexer()
	var err error
	if n.auditor, err = n.openAuditor(ctx); err != nil {
		return err
	}
	n.startEventIndexer(ctx)
	n.backfillEventIndex(ctx)
	if n.indexer == nil {
		return nil
	}
	// A failure here does not keep the node from serving: the index is
	// not on any request's path, and its writer tries again.
	if k, err := n.indexer.CatchUp(ctx); err != nil {
		n.log.WarnContext(ctx, "indexing issuances from the audit trail; the index will try again", "err", err)
		n.indexer.Degrade()
	} else if k > 0 {
		n.log.InfoContext(ctx, "issuance index caught up from the audit trail", "records", k)
	}
	n.indexer.Start()
	return nil
}

// indexIssued is the trail's Committed hook: it hands each durable batch's
// issuances to the index.
func (n *Node) indexIssued(batch []audit.Record) {
	var recs []store.SessionRecord
	for i := range batch {
		if iss := batch[i].Issued; iss != nil {
			recs = append(recs, store.SessionRecordOf(iss))
		}
	}
	last := batch[len(batch)-1].Seq
	if len(recs) == 0 {
		n.indexer.Advance(last)
		return
	}
	n.indexer.Add(recs, last)
}

// flushIndex makes the session actions see every issuance acknowledged
// before them: it waits for the index written behind the trail.
func (n *Node) flushIndex(ctx context.Context) error {
	if n.indexer == nil {
		return nil
	}
	if err := n.indexer.Flush(ctx); err != nil {
		return fmt.Errorf("the issuance index: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// openAuditor opens the audit trail every request is recorded in: the
// file trail in DATA_DIR/audit, or, when the store is PostgreSQL (a
// cluster), the PostgreSQL sink, with this node's id and signing key kept
// in DATA_DIR/audit. The group commit waits for the requests in flight.
func (n *Node) openAuditor(ctx context.Context) (*audit.Auditor, error) {
	cfg := n.cfg
	opts := audit.Options{
		Dir: n.auditDir(), Region: cfg.Regions[0], Logger: n.log, Callers: func() int { return int(n.inFlight.Load()) },
		TLSDetails: tlsDetails, OpenFile: n.opts.AuditOpenFile, Account: n.boot.AccountID,
	}
	n.auditSettings(&opts)
	var err error
	if opts.DataEvents, err = dataEventSelector(cfg.Audit); err != nil {
		return nil, err
	}
	if n.indexer != nil {
		opts.Committed = n.indexIssued
		ist := n.st.(revocation.IndexStore)
		opts.Followed = func(ctx context.Context) (uint64, error) {
			pos, known, err := ist.IndexPosition(ctx)
			if !known {
				pos = 0
			}
			return pos, err
		}
	}
	n.followEvents(&opts)
	if cfg.Store.Driver != config.StorePostgres {
		return audit.Open(opts)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	signer, err := audit.LoadOrCreateKey(filepath.Join(opts.Dir, audit.KeyFile))
	if err != nil {
		return nil, err
	}
	node, err := pgsink.LoadOrCreateNodeID(opts.Dir)
	if err != nil {
		return nil, err
	}
	pc := pgsink.Config{DSN: cfg.Store.DSN, Node: node, PublicKey: signer.Public(), SpoolDir: opts.Dir, Logger: n.log}
	if !n.opts.SkipIssuanceRecords {
		pc.IndexIssued = postgres.RecordSessionsTx
	}
	pc.IndexEvents = indexEventsTx
	sink, err := pgsink.Open(ctx, pc)
	if err != nil {
		return nil, err
	}
	opts.Signer, opts.Durable = signer, sink
	n.log.InfoContext(ctx, "audit trail in PostgreSQL", "node", node, "key_id", signer.ID())
	return audit.Open(opts)
}

// auditSettings applies the audit settings of the config: caps,
// aggregation, retention and the disk watermark.
func (n *Node) auditSettings(opts *audit.Options) {
	a := n.cfg.Audit
	opts.MaxFieldBytes, opts.MaxFailedFieldBytes = capBytes(a.MaxFieldBytes), capBytes(a.MaxFailedFieldBytes)
	opts.Aggregate = audit.AggregateConfig{After: a.AggregateAfter, Window: a.AggregateWindow}
	if a.AggregateAfter == 0 {
		opts.Aggregate.After = -1
	}
	r := a.Retention
	opts.Retention = audit.RetentionConfig{MaxAge: r.MaxAge, MaxBytes: r.MaxBytes, ArchiveDir: r.ArchiveDir, Delete: r.Delete}
	opts.DiskWatermark = audit.Watermark{Percent: a.DiskFreeWarning.Percent, Bytes: uint64(a.DiskFreeWarning.Bytes)}
	if opts.DiskWatermark == (audit.Watermark{}) {
		opts.DiskWatermark.Percent = -1 // off
	}
	opts.Statfs = n.opts.AuditStatfs
}

// dataEventSelector is audit.data_events as the trail applies it; nil
// (every data event) without the setting.
func dataEventSelector(a config.Audit) (*audit.Selector, error) {
	if !a.DataEventsSelected {
		return nil, nil
	}
	sels := make([]audit.DataSelector, 0, len(a.DataEvents))
	for _, s := range a.DataEvents {
		sels = append(sels, audit.DataSelector{ReadWriteType: audit.ReadWriteType(s.ReadWriteType), Resources: s.Resources, ExcludeActions: s.ExcludeActions})
	}
	return audit.NewSelector(sels)
}

// capBytes maps a configured cap (0: none) to audit.Options' (negative:
// none).
func capBytes(n int64) int {
	if n <= 0 {
		return -1
	}
	return int(min(n, 1<<40))
}

// tlsDetails gives audit events the connection's TLS parameters, which
// the record carries; none for plain HTTP.
func tlsDetails(_ context.Context, rec *request.Record) *audit.TLSDetails {
	return audit.TLSDetailsFromState(rec.TLS, rec.Host)
}

// withLookup routes CloudTrail's LookupEvents (JSON 1.1, told apart by its
// X-Amz-Target header) to its codec, and everything else to the Query
// dispatcher. Both drive the same pipeline p.
func (n *Node) withLookup(next http.Handler, p *request.Pipeline) (http.Handler, error) {
	h, err := lookup.NewHandler(lookup.Config{
		Dir: n.auditDir(), Events: lookupSource(n.auditor), Pipeline: p, WireError: lookupError, Logger: n.log,
		Index: n.eventIndex(), Status: n.newTrailVerifier().Status,
		Operator: n.boot.AccountID,
	})
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "com.amazonaws.cloudtrail.") {
			h.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// lookupError words the pipeline's errors (an authentication failure, the
// store down) as CloudTrail does: the Query protocol's code and message.
func lookupError(err error) *lookup.Error {
	wire, unmapped := awsquery.ToWire(err, errorMappers()...)
	if unmapped {
		return nil
	}
	return &lookup.Error{Code: wire.Code.Name, Message: wire.Message, Status: wire.Code.Status}
}

// lookupSource is where LookupEvents reads: every node's events when the
// trail is in PostgreSQL; nil (the files in DATA_DIR/audit) otherwise.
func lookupSource(a *audit.Auditor) func(fn func(uint64, []byte) error) error {
	if s, ok := a.Durable().(*pgsink.Sink); ok {
		return s.Reader().WalkAll(context.Background())
	}
	return nil
}

// collectors are the metrics of the audit trail's group commit (what
// each commit carries shows how well it batches under load), of the
// issuance index written behind it (SQLite), and of the PostgreSQL sink's
// outage spool (spooling, events pending, spooled, shipped).
func (n *Node) collectors() []prometheus.Collector {
	tr := n.auditor.Trail()
	cs := []prometheus.Collector{
		counterFunc("brevet_audit_events_total", "Audit events made durable.",
			func() uint64 { return tr.Stats().Events }),
		counterFunc("brevet_audit_commits_total", "Writes (one fsync each for the file trail, one transaction for "+
			"PostgreSQL) that made the audit events durable; events divided by commits is what group commit saves.",
			func() uint64 { return tr.Stats().Batches }),
	}
	cs = append(cs, auditDiskCollector{n.auditor},
		counterFunc("brevet_audit_events_aggregated_total", "Unauthenticated failed requests counted into an AggregatedFailures event instead of recorded one event each.",
			func() uint64 { return n.auditor.Stats().Aggregated }),
		counterFunc("brevet_audit_parameters_omitted_total", "requestParameters or responseElements over the audit field cap, recorded as an omitted marker with their size and SHA-256.",
			func() uint64 { return n.auditor.Stats().Omitted }),
		counterFunc("brevet_audit_files_pruned_total", "Rotated audit event files archived or deleted by retention (each recorded in the trail).",
			func() uint64 { return n.auditor.Stats().Pruned }),
		counterFunc("brevet_audit_data_events_skipped_total", "Data events (S3 gateway, authorization API) that audit.data_events left out of the trail; refusals and failures are never left out.",
			func() uint64 { return n.auditor.Stats().DataEventsSkipped }))
	if ix := n.indexer; ix != nil {
		cs = append(cs,
			counterFunc("brevet_issuance_records_total", "Issuance records of temporary credentials written to the index behind the audit trail.",
				func() uint64 { return ix.Stats().Records }),
			counterFunc("brevet_issuance_commits_total", "Store transactions that carried the issuance index's records.",
				func() uint64 { return ix.Stats().Commits }))
	}
	if s, ok := n.auditor.Durable().(*pgsink.Sink); ok {
		cs = append(cs, s.Collector())
	}
	return cs
}

// counterFunc is a counter read from f when scraped.
func counterFunc(name, help string, f func() uint64) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
}

// auditDiskCollector reports the audit directory's disk usage, measured
// once per scrape.
type auditDiskCollector struct{ a *audit.Auditor }

var (
	auditTrailBytesDesc = prometheus.NewDesc("brevet_audit_trail_bytes",
		"Bytes of the files in the audit directory (event files, digests; on PostgreSQL the outage spool).", nil, nil)
	auditDiskFreeDesc = prometheus.NewDesc("brevet_audit_disk_free_bytes",
		"Bytes free on the audit directory's file system.", nil, nil)
	auditDiskSizeDesc = prometheus.NewDesc("brevet_audit_disk_size_bytes",
		"Size of the audit directory's file system.", nil, nil)
	auditDiskLowDesc = prometheus.NewDesc("brevet_audit_disk_low",
		"1 while free space on the audit directory's file system is under audit.disk_free_warning (writes failing would refuse every request).", nil, nil)
)

func (c auditDiskCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- auditTrailBytesDesc
	ch <- auditDiskFreeDesc
	ch <- auditDiskSizeDesc
	ch <- auditDiskLowDesc
}

func (c auditDiskCollector) Collect(ch chan<- prometheus.Metric) {
	u, err := c.a.DiskUsage()
	ch <- prometheus.MustNewConstMetric(auditTrailBytesDesc, prometheus.GaugeValue, float64(u.TrailBytes))
	if err != nil {
		return // the platform cannot tell free space
	}
	low := 0.0
	if u.Low {
		low = 1
	}
	ch <- prometheus.MustNewConstMetric(auditDiskFreeDesc, prometheus.GaugeValue, float64(u.FreeBytes))
	ch <- prometheus.MustNewConstMetric(auditDiskSizeDesc, prometheus.GaugeValue, float64(u.TotalBytes))
	ch <- prometheus.MustNewConstMetric(auditDiskLowDesc, prometheus.GaugeValue, low)
}
