package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// File is what the file sink needs of an open file. *os.File implements
// it; tests wrap a real *os.File to inject write and sync failures.
type File interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// OpenFileFunc opens a file for the sink; os.OpenFile's signature.
type OpenFileFunc func(name string, flag int, perm os.FileMode) (File, error)

func osOpenFile(name string, flag int, perm os.FileMode) (File, error) {
	return os.OpenFile(name, flag, perm)
}

// FileSinkConfig configures the durable file trail.
type FileSinkConfig struct {
	// Dir holds the event files, the digest file and (by default) the
	// signing key. It is created with mode 0700 if missing.
	Dir string
	// MaxBytes and MaxAge rotate the active file once it is this large or
	// this old (measured from when this process opened it). Defaults:
	// 64 MiB and 24 h.
	MaxBytes int64
	MaxAge   time.Duration
	// Now is the clock for rotation; time.Now when nil.
	Now func() time.Time
	// OpenFile opens the active event file and the digest file; os.OpenFile
	// when nil.
	OpenFile OpenFileFunc
	// Logger receives repairs, rotations and compression failures.
	Logger *slog.Logger
}

// ChainState is where the chain stands: the last event and the last
// signed digest. The Trail continues from it.
type ChainState struct {
	LastSeq       uint64
	Head          [32]byte
	DigestLastSeq uint64
	DigestSig     []byte
}

// FileSink is the durable trail: JSON lines appended to the active event
// file and fsynced before Write returns, rotated by size and age, rotated
// files gzip-compressed in the background.
type FileSink struct {
	cfg   FileSinkConfig
	state ChainState

	active     File
	activeName string
	size       int64 // bytes known durable in the active file
	opened     time.Time
	lastSeq    uint64 // last event written (for naming the next file)
	broken     bool   // a write failed; Repair must run before the next

	digests     File
	digestsSize int64
	digestsBad  bool

	buf []byte
	bg  sync.WaitGroup
}

// OpenFileSink opens (or creates) the trail in cfg.Dir. It repairs a torn
// final record, one cut short by a crash, in the active event file and in
// the digest file, logging what it dropped; a malformed record anywhere
// else is an error, for `brevet audit verify` to explain.
func OpenFileSink(cfg FileSinkConfig) (*FileSink, error) {
	if cfg.Dir == "" {
		return nil, errors.New("audit: FileSinkConfig.Dir is required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 64 << 20
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OpenFile == nil {
		cfg.OpenFile = osOpenFile
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	s := &FileSink{cfg: cfg}
	if err := s.open(); err != nil {
		return nil, fmt.Errorf("audit: open trail in %s: %w", cfg.Dir, err)
	}
	return s, nil
}

func (s *FileSink) open() error {
	dir := s.cfg.Dir
	if tmps, _ := filepath.Glob(filepath.Join(dir, filePrefix+"*.gz.tmp")); len(tmps) > 0 {
		for _, t := range tmps {
			_ = os.Remove(t)
		}
	}
	files, err := listTrailFiles(dir)
	if err != nil {
		return err
	}
	// Plain files left beside their compressed copy, from a crash between
	// compressing and removing, go now.
	for _, f := range files {
		if f.Gzip {
			_ = os.Remove(filepath.Join(dir, strings.TrimSuffix(f.Name, ".gz")))
		}
	}
	if len(files) == 0 || files[len(files)-1].Gzip {
		next := uint64(1)
		if len(files) > 0 {
			st, err := chainTail(dir, files)
			if err != nil {
				return err
			}
			next = st.LastSeq + 1
		}
		files = append(files, trailFile{Name: trailFileName(next), FirstSeq: next})
	}
	activeF := files[len(files)-1]
	size, err := repairTail(filepath.Join(dir, activeF.Name), s.cfg.Logger, func(r io.Reader) error {
		return ReadRecords(r, func(Record, int64) error { return nil })
	})
	if err != nil {
		return err
	}
	st, err := chainTail(dir, files)
	if err != nil {
		return err
	}
	for _, f := range files[:len(files)-1] {
		if !f.Gzip {
			s.compressLater(f.Name)
		}
	}
	dsize, err := repairTail(filepath.Join(dir, DigestFile), s.cfg.Logger, func(r io.Reader) error {
		return ReadDigests(r, func(d SignedDigest, _ int64) error {
			body, err := d.Decode()
			if err != nil {
				return err
			}
			st.DigestLastSeq, st.DigestSig = body.LastSeq, d.Signature
			return nil
		})
	})
	if err != nil {
		return err
	}
	s.state, s.lastSeq = st, st.LastSeq
	s.activeName, s.size, s.opened = activeF.Name, size, s.cfg.Now()
	if s.active, err = s.cfg.OpenFile(filepath.Join(dir, activeF.Name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		return err
	}
	if s.digests, err = s.cfg.OpenFile(filepath.Join(dir, DigestFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		s.active.Close()
		return err
	}
	s.digestsSize = dsize
	return SyncDir(dir)
}

// repairTail reads the file at path with read and, if its final line is
// torn or malformed, truncates it away. It returns the file's size
// afterwards; a missing file has size 0.
func repairTail(path string, log *slog.Logger, read func(io.Reader) error) (int64, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	err = read(bytes.NewReader(data))
	var pe *ParseError
	if err == nil {
		return int64(len(data)), nil
	}
	if !errors.As(err, &pe) {
		return 0, err
	}
	rest := data[pe.Offset:]
	if i := bytes.IndexByte(rest, '\n'); i >= 0 && i < len(rest)-1 {
		return 0, fmt.Errorf("%s: malformed record before the end of the file (run `brevet audit verify`): %w", filepath.Base(path), err)
	}
	if err := os.Truncate(path, pe.Offset); err != nil {
		return 0, err
	}
	log.Warn("audit: repaired a torn final record left by a crash",
		"file", filepath.Base(path), "offset", pe.Offset, "dropped_bytes", len(rest), "reason", pe.Err.Error())
	return pe.Offset, nil
}

// chainTail finds the last event of the trail, reading files from the
// newest back until one holds an event.
func chainTail(dir string, files []trailFile) (ChainState, error) {
	var st ChainState
	for i := len(files) - 1; i >= 0; i-- {
		rc, err := openTrailFile(dir, files[i])
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return st, err
		}
		found := false
		err = ReadRecords(rc, func(r Record, _ int64) error {
			st.LastSeq, st.Head, found = r.Seq, r.Hash, true
			return nil
		})
		rc.Close()
		if err != nil {
			return st, fmt.Errorf("%s: %w", files[i].Name, err)
		}
		if found {
			return st, nil
		}
	}
	return st, nil
}

// State is the chain's state as found at open.
func (s *FileSink) State() ChainState { return s.state }

// Write appends the batch in one write and fsyncs it. On failure the sink
// is broken until Repair cuts what the failed write may have left.
func (s *FileSink) Write(batch []Record) error {
	if s.broken {
		if err := s.Repair(); err != nil {
			return err
		}
	}
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = batch[i].appendLine(s.buf)
	}
	if _, err := s.active.Write(s.buf); err != nil {
		s.broken = true
		return fmt.Errorf("audit: write %s: %w", s.activeName, err)
	}
	if err := s.active.Sync(); err != nil {
		s.broken = true
		return fmt.Errorf("audit: fsync %s: %w", s.activeName, err)
	}
	s.size += int64(len(s.buf))
	if len(batch) > 0 {
		s.lastSeq = batch[len(batch)-1].Seq
	}
	if s.size >= s.cfg.MaxBytes || s.cfg.Now().Sub(s.opened) >= s.cfg.MaxAge {
		s.rotate()
	}
	return nil
}

// Repair truncates the active files to what is known durable, dropping
// whatever a failed write left, and fsyncs. If the open handle cannot do
// it, the file is reopened.
func (s *FileSink) Repair() error {
	if s.broken {
		if err := repairFile(&s.active, filepath.Join(s.cfg.Dir, s.activeName), s.size, s.cfg.OpenFile); err != nil {
			return err
		}
		s.broken = false
	}
	if s.digestsBad {
		if err := repairFile(&s.digests, filepath.Join(s.cfg.Dir, DigestFile), s.digestsSize, s.cfg.OpenFile); err != nil {
			return err
		}
		s.digestsBad = false
	}
	return nil
}

func repairFile(f *File, path string, size int64, open OpenFileFunc) error {
	if err := (*f).Truncate(size); err == nil {
		if err := (*f).Sync(); err == nil {
			return nil
		}
	}
	_ = (*f).Close()
	nf, err := open(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit: reopen %s: %w", filepath.Base(path), err)
	}
	*f = nf
	if err := nf.Truncate(size); err != nil {
		return fmt.Errorf("audit: truncate %s: %w", filepath.Base(path), err)
	}
	if err := nf.Sync(); err != nil {
		return fmt.Errorf("audit: fsync %s: %w", filepath.Base(path), err)
	}
	return nil
}

// rotate starts a new active file after a successful write. If it cannot,
// it logs and keeps appending to the current file, trying again after the
// next write: rotation is housekeeping, not durability.
func (s *FileSink) rotate() {
	name := trailFileName(s.lastSeq + 1)
	f, err := s.cfg.OpenFile(filepath.Join(s.cfg.Dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err == nil {
		err = SyncDir(s.cfg.Dir)
	}
	if err != nil {
		if f != nil {
			f.Close()
			// Not yet written to: remove it, or O_EXCL fails every retry.
			_ = os.Remove(filepath.Join(s.cfg.Dir, name))
		}
		s.cfg.Logger.Error("audit: rotation failed; still appending to the current file", "file", s.activeName, "err", err)
		return
	}
	old := s.activeName
	_ = s.active.Close()
	s.active, s.activeName, s.size, s.opened = f, name, 0, s.cfg.Now()
	s.cfg.Logger.Info("audit: rotated event file", "closed", old, "active", name)
	s.compressLater(old)
}

func (s *FileSink) compressLater(name string) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := compressFile(s.cfg.Dir, name); err != nil {
			s.cfg.Logger.Error("audit: compressing a rotated event file failed; it stays uncompressed", "file", name, "err", err)
		}
	}()
}

// WriteDigest appends a signed digest to the digest file and fsyncs it.
func (s *FileSink) WriteDigest(d SignedDigest) error {
	if s.digestsBad {
		if err := s.Repair(); err != nil {
			return err
		}
	}
	line := d.appendLine(nil)
	if _, err := s.digests.Write(line); err != nil {
		s.digestsBad = true
		return fmt.Errorf("audit: write %s: %w", DigestFile, err)
	}
	if err := s.digests.Sync(); err != nil {
		s.digestsBad = true
		return fmt.Errorf("audit: fsync %s: %w", DigestFile, err)
	}
	s.digestsSize += int64(len(line))
	return nil
}

// Close closes the files and waits for background compression.
func (s *FileSink) Close() error {
	err := s.active.Close()
	if derr := s.digests.Close(); err == nil {
		err = derr
	}
	s.bg.Wait()
	return err
}
