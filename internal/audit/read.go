package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/brevet-dev/brevet/internal/request"
)

// Position locates a record in the trail for error reports.
type Position struct {
	File string
	Line int
}

func (p Position) String() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// WalkRecords calls fn for every record of every event file in dir, in
// chain order, across rotated and compressed files. A malformed line
// stops it with an error naming the file, except an unterminated final
// line of the newest file: that is an append in progress (or a crash's
// torn write, which the next open repairs), and the walk ends before it.
// It is safe to run while the server appends and rotates.
func WalkRecords(dir string, fn func(rec Record, pos Position) error) error {
	return walkRecordsAfter(dir, 0, fn)
}

// walkRecordsAfter is WalkRecords for the records after seq: files that
// end at or before it are not read.
func walkRecordsAfter(dir string, after uint64, fn func(rec Record, pos Position) error) error {
	files, err := listTrailFiles(dir)
	if err != nil {
		return err
	}
	for i, f := range files {
		if i+1 < len(files) && files[i+1].FirstSeq <= after+1 {
			continue // every record of f is at or before after
		}
		rc, err := openLive(dir, f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		line := 0
		err = ReadRecords(rc, func(r Record, _ int64) error {
			line++
			if r.Seq <= after {
				return nil
			}
			return fn(r, Position{File: f.Name, Line: line})
		})
		rc.Close()
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				if i == len(files)-1 && errors.Is(pe.Err, errTorn) {
					return nil
				}
				return fmt.Errorf("%s: %w", f.Name, err)
			}
			return err
		}
	}
	return nil
}

// openLive opens an event file that the server may be compressing right
// now: if the plain file is gone, its compressed copy is complete.
func openLive(dir string, f trailFile) (io.ReadCloser, error) {
	rc, err := openTrailFile(dir, f)
	if errors.Is(err, os.ErrNotExist) && !f.Gzip {
		f.Name, f.Gzip = f.Name+".gz", true
		rc, err = openTrailFile(dir, f)
	}
	return rc, err
}

// WalkEvents decodes every event of the trail in dir, in order.
func WalkEvents(dir string, fn func(seq uint64, e *Event) error) error {
	return WalkRecords(dir, func(r Record, pos Position) error {
		e, err := decodeEvent(r.Event)
		if err != nil {
			return fmt.Errorf("%s: event %d: %w", pos, r.Seq, err)
		}
		return fn(r.Seq, e)
	})
}

// ReadDigestFile reads every signed digest in dir.
func ReadDigestFile(dir string) ([]SignedDigest, error) {
	data, err := os.ReadFile(filepath.Join(dir, DigestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ds []SignedDigest
	err = ReadDigests(bytes.NewReader(data), func(d SignedDigest, _ int64) error {
		ds = append(ds, d)
		return nil
	})
	var pe *ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, errTorn) {
		return ds, nil // a digest being written, or torn by a crash
	}
	if err != nil {
		return ds, fmt.Errorf("%s: %w", DigestFile, err)
	}
	return ds, nil
}

// ScanForSecrets reads every file of the audit directory dir (event files,
// plain or compressed, and the digest file) and returns an error naming
// each file and secret found. Empty secrets are ignored. Tests use it to
// prove that nothing they handed the server reached the trail.
func ScanForSecrets(dir string, secrets []string) error {
	files, err := listTrailFiles(dir)
	if err != nil {
		return err
	}
	names := []string{DigestFile}
	for _, f := range files {
		names = append(names, f.Name)
	}
	var found []error
	for _, n := range names {
		var data []byte
		if n == DigestFile {
			data, err = os.ReadFile(filepath.Join(dir, n))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
		} else {
			var rc io.ReadCloser
			f := trailFile{Name: n, Gzip: filepath.Ext(n) == ".gz"}
			if rc, err = openTrailFile(dir, f); err == nil {
				data, err = io.ReadAll(rc)
				rc.Close()
			}
		}
		if err != nil {
			return err
		}
		for i, s := range secrets {
			if s == "" {
				continue
			}
			esc, _ := json.Marshal(s) // the form it would take inside a JSON string
			if bytes.Contains(data, []byte(s)) || bytes.Contains(data, esc[1:len(esc)-1]) {
				found = append(found, fmt.Errorf("audit: secret #%d found in %s", i, n))
			}
		}
	}
	return errors.Join(found...)
}

// issuedMarker is in every event that issued credentials (its
// additionalEventData), and in few others: WalkIssuances decodes only the
// events that contain it.
var issuedMarker = []byte(`"issuedCredential":`)

// WalkIssuances calls fn for every temporary credential issued by the
// events of the trail in dir after seq after and up to seq upTo (0: to the
// end), in chain order, and returns the last sequence number it read
// (after, when there is nothing newer): the issuance index rebuilds what
// it had not written from it.
func WalkIssuances(dir string, after, upTo uint64, fn func(seq uint64, iss request.Issuance) error) (uint64, error) {
	last := after
	err := walkRecordsAfter(dir, after, func(r Record, pos Position) error {
		if upTo > 0 && r.Seq > upTo {
			return errWalkDone
		}
		last = r.Seq
		iss, ok, err := IssuanceOf(r.Event)
		if err != nil {
			return fmt.Errorf("%s: %w", pos, err)
		}
		if ok {
			return fn(r.Seq, iss)
		}
		return nil
	})
	if errors.Is(err, errWalkDone) {
		err = nil
	}
	return last, err
}

// errWalkDone ends a walk early.
var errWalkDone = errors.New("audit: walk done")

// IssuanceOf is what the event (as stored) issued, read from its
// additionalEventData; false for an event that issued nothing. Only events
// that mention an issued credential are decoded.
func IssuanceOf(event []byte) (request.Issuance, bool, error) {
	if !bytes.Contains(event, issuedMarker) {
		return request.Issuance{}, false, nil
	}
	e, err := decodeEvent(event)
	if err != nil {
		return request.Issuance{}, false, err
	}
	iss, ok := e.Issuance()
	return iss, ok, nil
}

// WalkRecordsAfter calls fn for the records of the trail in dir after seq
// after and up to seq upTo (0: to the end), in chain order; files that end
// at or before after are not read. Indexes written behind the trail catch
// up with it.
func WalkRecordsAfter(dir string, after, upTo uint64, fn func(rec Record, pos Position) error) error {
	err := walkRecordsAfter(dir, after, func(r Record, pos Position) error {
		if upTo > 0 && r.Seq > upTo {
			return errWalkDone
		}
		return fn(r, pos)
	})
	if errors.Is(err, errWalkDone) {
		err = nil
	}
	return err
}
