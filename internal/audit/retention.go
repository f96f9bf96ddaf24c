package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// RetentionConfig prunes rotated event files of the file trail: once
// they are older than MaxAge, or the rotated files together are larger
// than MaxBytes, the oldest are moved to ArchiveDir, or deleted when
// ArchiveDir is empty and Delete is set. Nothing is ever pruned silently:
// before a file goes, an event (eventName TrailFilesPruned, with the files,
// their sequence numbers and SHA-256, and the hash of the last pruned
// event) is made durable in the trail, and each file pruned is logged.
// `brevet audit verify` then starts at the first kept event and checks it
// against that event.
//
// A file is pruned only when it is compressed (rotated and gzipped), its
// every event is covered by a signed digest, and the follower of the
// trail (Options.Followed: the issuance index) has read past it. The
// active file is never pruned, nor is the digest file (one short line a
// minute).
type RetentionConfig struct {
	// MaxAge prunes rotated files last written longer ago than this
	// (their modification time); zero keeps them however old.
	MaxAge time.Duration
	// MaxBytes prunes the oldest rotated files while the rotated files
	// total more than this; zero sets no bound.
	MaxBytes int64
	// ArchiveDir receives pruned files (moved, or copied and fsynced then
	// removed when it is on another file system).
	ArchiveDir string
	// Delete deletes pruned files when ArchiveDir is empty. With neither,
	// retention is off.
	Delete bool
	// Interval is how often retention runs: one minute when zero.
	Interval time.Duration
}

func (r RetentionConfig) enabled() bool {
	return (r.MaxAge > 0 || r.MaxBytes > 0) && (r.ArchiveDir != "" || r.Delete)
}

// TrailFilesPrunedEvent is eventName of a pruning record.
const TrailFilesPrunedEvent = "TrailFilesPruned"

// TrailPruned is additionalEventData.trailPruned.
type TrailPruned struct {
	// Action is "archived" or "deleted".
	Action     string `json:"action"`
	ArchiveDir string `json:"archiveDir,omitempty"`
	// Reason is "maxAge" or "maxBytes" (the first file's reason).
	Reason string       `json:"reason"`
	Files  []PrunedFile `json:"files"`
	// FirstSeq..LastSeq are the events pruned; LastHash is the hash of
	// event LastSeq, which the first kept event names as prevHash.
	FirstSeq uint64 `json:"firstSeq"`
	LastSeq  uint64 `json:"lastSeq"`
	LastHash string `json:"lastHash"`
}

// PrunedFile is one pruned file.
type PrunedFile struct {
	Name     string `json:"name"`
	FirstSeq uint64 `json:"firstSeq"`
	LastSeq  uint64 `json:"lastSeq"`
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
}

// PruneResult says what one Prune pass did.
type PruneResult struct {
	Files    []PrunedFile
	LastSeq  uint64
	WaitedOn string // why older files were kept although over the limits, "" if none were
}

// Prune runs one retention pass now; the Auditor runs it every
// RetentionConfig.Interval. It does nothing without a file trail or with
// retention off.
func (a *Auditor) Prune(ctx context.Context) (PruneResult, error) {
	a.pruneMu.Lock()
	defer a.pruneMu.Unlock()
	var res PruneResult
	fs, ok := a.durable.(*FileSink)
	if !ok || !a.retention.enabled() {
		return res, nil
	}
	dir := fs.cfg.Dir
	sel, reason, err := a.pruneCandidates(ctx, dir, &res)
	if err != nil || len(sel) == 0 {
		return res, err
	}
	tp, err := describePruned(dir, sel)
	if err != nil {
		return res, err
	}
	tp.Reason = reason
	tp.Action, tp.ArchiveDir = "deleted", ""
	if a.retention.ArchiveDir != "" {
		tp.Action, tp.ArchiveDir = "archived", a.retention.ArchiveDir
	}
	// The record first: a crash after it leaves files that the event
	// says were pruned (verify accepts them still being there), while
	// a crash before it leaves everything in place.
	if _, err := a.appendEvent(ctx, a.prunedEvent(tp)); err != nil {
		return res, fmt.Errorf("audit: recording the pruning of %d trail files: %w", len(sel), err)
	}
	for i, f := range sel {
		if err := a.pruneFile(dir, f.Name); err != nil {
			a.log.Error("audit: pruning a trail file failed; retention will try again", "file", f.Name, "action", tp.Action, "err", err)
			return res, err
		}
		a.pruned.Add(1)
		res.Files = append(res.Files, tp.Files[i])
		res.LastSeq = tp.Files[i].LastSeq
		a.log.Info("audit: pruned trail file", "file", f.Name, "action", tp.Action, "archive_dir", tp.ArchiveDir,
			"first_seq", tp.Files[i].FirstSeq, "last_seq", tp.Files[i].LastSeq, "bytes", tp.Files[i].Bytes, "reason", reason)
	}
	return res, SyncDir(dir)
}

// pruneCandidates picks the oldest rotated files over the limits that
// may go.
func (a *Auditor) pruneCandidates(ctx context.Context, dir string, res *PruneResult) ([]trailFile, string, error) {
	files, err := listTrailFiles(dir)
	if err != nil || len(files) < 2 {
		return nil, "", err
	}
	rotated := files[:len(files)-1] // the newest is the active file
	type info struct {
		size int64
		mod  time.Time
	}
	infos := make([]info, len(rotated))
	var total int64
	for i, f := range rotated {
		st, err := os.Stat(filepath.Join(dir, f.Name))
		if err != nil {
			return nil, "", err // compressed meanwhile: next pass
		}
		infos[i] = info{st.Size(), st.ModTime()}
		total += st.Size()
	}
	safe := a.trail.digested()
	if a.followed != nil {
		pos, err := a.followed(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("audit: retention: where the issuance index stands: %w", err)
		}
		safe = min(safe, pos)
	}
	now := a.now()
	var sel []trailFile
	reason := ""
	for i, f := range rotated {
		r := ""
		switch {
		case a.retention.MaxAge > 0 && now.Sub(infos[i].mod) > a.retention.MaxAge:
			r = "maxAge"
		case a.retention.MaxBytes > 0 && total > a.retention.MaxBytes:
			r = "maxBytes"
		}
		if r == "" {
			break
		}
		last := files[i+1].FirstSeq - 1
		switch {
		case !f.Gzip:
			res.WaitedOn = "compression of " + f.Name
		case last > safe:
			res.WaitedOn = fmt.Sprintf("%s ends at seq %d, past what is signed and indexed (seq %d)", f.Name, last, safe)
		}
		if res.WaitedOn != "" {
			break
		}
		if reason == "" {
			reason = r
		}
		sel = append(sel, f)
		total -= infos[i].size
	}
	if res.WaitedOn != "" {
		a.log.Warn("audit: retention keeps trail files over its limits until they may go", "waiting_on", res.WaitedOn)
	}
	return sel, reason, nil
}

// describePruned reads the files about to go: sizes, hashes, sequence
// numbers, and the hash of their last event.
func describePruned(dir string, sel []trailFile) (*TrailPruned, error) {
	tp := &TrailPruned{}
	for _, f := range sel {
		pf := PrunedFile{Name: f.Name, FirstSeq: f.FirstSeq}
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		pf.Bytes, pf.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
		rc, err := openTrailFile(dir, f)
		if err != nil {
			return nil, err
		}
		err = ReadRecords(rc, func(r Record, _ int64) error {
			pf.LastSeq = r.Seq
			tp.LastHash = hex.EncodeToString(r.Hash[:])
			return nil
		})
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if tp.FirstSeq == 0 && pf.LastSeq != 0 {
			tp.FirstSeq = f.FirstSeq
		}
		tp.LastSeq = max(tp.LastSeq, pf.LastSeq)
		tp.Files = append(tp.Files, pf)
	}
	if tp.LastSeq == 0 {
		return nil, errors.New("audit: retention: the files to prune hold no events")
	}
	return tp, nil
}

func (a *Auditor) prunedEvent(tp *TrailPruned) *Event {
	t := formatTime(a.now())
	return &Event{
		EventVersion: EventVersion, UserIdentity: UserIdentity{Type: "AWSService"}, EventTime: t,
		EventSource: BrevetEventSource, EventName: TrailFilesPrunedEvent, AWSRegion: a.conv.region(),
		SourceIPAddress: BrevetEventSource, UserAgent: BrevetEventSource, EventID: a.conv.newID(),
		EventType: "AwsServiceEvent", ManagementEvent: true, EventCategory: "Management",
		AdditionalEventData: &AdditionalEventData{TrailPruned: tp},
	}
}

// pruneFile archives or deletes dir/name.
func (a *Auditor) pruneFile(dir, name string) error {
	src := filepath.Join(dir, name)
	if a.retention.ArchiveDir == "" {
		return os.Remove(src)
	}
	if err := os.MkdirAll(a.retention.ArchiveDir, 0o700); err != nil {
		return err
	}
	dst := filepath.Join(a.retention.ArchiveDir, name)
	err := os.Rename(src, dst)
	if errors.Is(err, syscall.EXDEV) {
		err = copyFile(src, dst)
		if err == nil {
			err = os.Remove(src)
		}
	}
	if err != nil {
		return err
	}
	return SyncDir(a.retention.ArchiveDir)
}

// copyFile copies src to dst (new) and fsyncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(dst)
	}
	return err
}
