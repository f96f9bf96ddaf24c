package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/loadgen"
)

// The durable trivial server is the trivial server plus Brevet's
// durability promise: each request's answer waits until a record the
// size of Brevet's audit event for it is written and fsynced, through
// the audit package's own group commit (audit.Trail, with its defaults:
// a batch waits at most 1 ms for the requests in flight, counted as
// Brevet counts them). Only the sink is the benchmark's: it appends the
// trail's lines and fsyncs, as audit.FileSink does, but neither keeps
// nor compresses full files (it deletes them), since that is Brevet's
// own work, not the disk's price for durability.

// benchDurableRecords are the audit events Brevet writes for the
// benchmark's requests, built with the audit package's encoder: an
// AssumeRole of the bench role by the admin user, with a session name
// of the length the workload's reach (bench-WORKER-SEQ), and a
// GetCallerIdentity. Their sizes are those of real events: a trail
// written by `brevet bench` at commit 6ad6af8 held AssumeRole events of
// 1,300–1,307 bytes (lines of 1,474–1,481 with the chain fields) and
// GetCallerIdentity events of 787 (961).
func benchDurableRecords() (loadgen.DurableRecords, error) {
	const (
		account  = "179801263876"
		user     = "arn:aws:iam::" + account + ":user/admin"
		role     = "arn:aws:iam::" + account + ":role/brevet-bench"
		session  = "bench-31-4999"
		tempKey  = "ASIASTXH5R4COM52DD46"
		roleID   = "AROASTXH5R4CNQDJITLQ4"
		evTime   = "2026-12-06T02:57:03Z"
		reqID    = "64f6afd0-a845-47fc-90d3-2ef052779049"
		eventID  = "cc22f513-d13e-4070-8e8e-5683e09d4a2a"
		agent    = "Go-http-client/1.1"
		sourceIP = "127.0.0.1"
	)
	who := audit.UserIdentity{Type: "IAMUser", PrincipalID: "AIDAS8RG589APVPATY8QH", ARN: user, AccountID: account,
		AccessKeyID: "AKIASTXH5R4CMTTLYON7", UserName: "admin"}
	base := audit.Event{
		EventVersion: audit.EventVersion, UserIdentity: who, EventTime: evTime, EventSource: "sts.amazonaws.com",
		AWSRegion: "us-east-1", SourceIPAddress: sourceIP, UserAgent: agent, RequestID: reqID, EventID: eventID,
		EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: account, EventCategory: "Management",
	}
	ar := base
	ar.EventName = "AssumeRole"
	ar.RequestParameters = map[string]any{"roleArn": role, "roleSessionName": session}
	ar.ResponseElements = audit.Redact(map[string]any{
		"assumedRoleUser": map[string]any{
			"arn":           "arn:aws:sts::" + account + ":assumed-role/brevet-bench/" + session,
			"assumedRoleId": roleID + ":" + session,
		},
		"credentials": map[string]any{
			"accessKeyId": tempKey, "expiration": "2026-12-06T03:57:03.949Z",
			"secretAccessKey": "secret", "sessionToken": "token",
		},
	})
	ar.Resources = []audit.Resource{
		{ARN: role, AccountID: account, Type: "AWS::IAM::Role"},
		{ARN: tempKey, AccountID: account, Type: "AWS::IAM::AccessKey"},
	}
	gci := base
	gci.EventName, gci.ReadOnly = "GetCallerIdentity", true
	gci.RequestParameters = map[string]any{}
	gci.ResponseElements = map[string]any{"account": account, "arn": user, "userId": who.PrincipalID}
	var recs loadgen.DurableRecords
	var err1, err2 error
	recs.AssumeRole, err1 = ar.AppendJSON(nil)
	recs.Other, err2 = gci.AppendJSON(nil)
	return recs, errors.Join(err1, err2)
}

// benchDurableSink is the durable trivial server's audit.Sink: each batch
// is appended to the active file in one write, as the trail's lines, and
// fsynced before Write returns. A file that reaches maxBytes is replaced
// by a new one (whose directory entry is fsynced, as the trail does) and
// deleted.
type benchDurableSink struct {
	dir      string
	open     audit.OpenFileFunc
	maxBytes int64

	f     audit.File
	name  string
	size  int64
	files int
	buf   []byte
}

func openBenchDurableSink(dir string, open audit.OpenFileFunc, maxBytes int64) (*benchDurableSink, error) {
	if open == nil {
		open = func(name string, flag int, perm os.FileMode) (audit.File, error) {
			return os.OpenFile(name, flag, perm)
		}
	}
	s := &benchDurableSink{dir: dir, open: open, maxBytes: maxBytes}
	return s, s.next()
}

// next opens a new active file and deletes the previous one.
func (s *benchDurableSink) next() error {
	s.files++
	name := filepath.Join(s.dir, "durable-"+strconv.Itoa(s.files)+".jsonl")
	f, err := s.open(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("bench: durable trivial server: %w", err)
	}
	if err := audit.SyncDir(s.dir); err != nil {
		f.Close()
		return fmt.Errorf("bench: durable trivial server: %w", err)
	}
	if s.f != nil {
		s.f.Close()
		os.Remove(s.name)
	}
	s.f, s.name, s.size = f, name, 0
	return nil
}

// Write appends the batch's lines, {"seq":…,"prevHash":…,"hash":…,
// "event":…}, as audit.FileSink writes them, and fsyncs.
func (s *benchDurableSink) Write(batch []audit.Record) error {
	s.buf = s.buf[:0]
	for i := range batch {
		r := &batch[i]
		s.buf = append(s.buf, `{"seq":`...)
		s.buf = strconv.AppendUint(s.buf, r.Seq, 10)
		s.buf = append(s.buf, `,"prevHash":"`...)
		s.buf = hex.AppendEncode(s.buf, r.PrevHash[:])
		s.buf = append(s.buf, `","hash":"`...)
		s.buf = hex.AppendEncode(s.buf, r.Hash[:])
		s.buf = append(s.buf, `","event":`...)
		s.buf = append(s.buf, r.Event...)
		s.buf = append(s.buf, "}\n"...)
	}
	if _, err := s.f.Write(s.buf); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.size += int64(len(s.buf))
	if s.size >= s.maxBytes {
		return s.next()
	}
	return nil
}

// WriteDigest does nothing: signed digests are Brevet's, not the disk's.
func (s *benchDurableSink) WriteDigest(audit.SignedDigest) error { return nil }

// Close closes and deletes the active file.
func (s *benchDurableSink) Close() error {
	err := s.f.Close()
	os.Remove(s.name)
	return err
}

// benchDurableMaxBytes is when the sink starts a new file; the trail's
// default size.
const benchDurableMaxBytes = 64 << 20

// newBenchDurable returns the durable trivial handler, with its trail
// appending to a sink in a new temporary directory under dir; close
// stops the trail and removes the directory.
func newBenchDurable(dir string) (h *loadgen.DurableTrivial, trail *audit.Trail, close func() error, err error) {
	recs, err := benchDurableRecords()
	if err != nil {
		return nil, nil, nil, err
	}
	tmp, err := os.MkdirTemp(dir, "brevet-bench-durable-")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bench: durable trivial server: %w", err)
	}
	sink, err := openBenchDurableSink(tmp, nil, benchDurableMaxBytes)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, nil, err
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, nil, err
	}
	h = loadgen.NewDurableTrivial(recs)
	trail, err = audit.NewTrail(audit.TrailConfig{Sink: sink, Signer: audit.NewSigner(key), DigestInterval: -1, Callers: h.InFlight})
	if err != nil {
		sink.Close()
		os.RemoveAll(tmp)
		return nil, nil, nil, err
	}
	h.Log = trail
	return h, trail, func() error {
		err := trail.Close()
		return errors.Join(err, os.RemoveAll(tmp))
	}, nil
}

// benchDurableStatsPath is where the durable trivial server answers a GET
// with its trail's counters (benchDurableStats), so that the benchmark can
// show how many records each fsync carried, as Brevet's /metrics does.
const benchDurableStatsPath = "/stats"

// benchDurableStats is the JSON at benchDurableStatsPath.
type benchDurableStats struct {
	Records uint64 `json:"records"`
	Fsyncs  uint64 `json:"fsyncs"`
}

// withBenchDurableStats serves the trail's counters at
// benchDurableStatsPath and everything else with next.
func withBenchDurableStats(trail *audit.Trail, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != benchDurableStatsPath {
			next.ServeHTTP(w, r)
			return
		}
		st := trail.Stats()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(benchDurableStats{Records: st.Events, Fsyncs: st.Batches})
	})
}
