package audit

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/brevet-dev/brevet/internal/request"
)

// Record is one line of an event file: an event with its place in the
// hash chain. Event is kept as the exact bytes written, because the chain
// hashes those bytes; re-encoding a decoded event could differ.
type Record struct {
	Seq      uint64
	PrevHash [32]byte
	Hash     [32]byte
	Event    []byte
	// Issued is what the event's request issued, when it issued temporary
	// credentials: the same facts as the event's additionalEventData,
	// typed, for a sink or a Committed hook that indexes them without
	// parsing the event. Only on the write path; nil in records read back.
	Issued *request.Issuance
}

// MaxRecordSize bounds one line of an event or digest file, so that a
// corrupt file cannot make a reader allocate without limit.
const MaxRecordSize = 4 << 20

// ChainHash is an event's hash: SHA-256 over the previous event's hash,
// the sequence number (8 bytes, big endian) and the event's bytes as
// stored. The first event's previous hash is 32 zero bytes.
func ChainHash(prev [32]byte, seq uint64, event []byte) [32]byte {
	h := sha256.New()
	h.Write(prev[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	h.Write(b[:])
	h.Write(event)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// appendLine appends the record's line, newline included. It is written
// by hand (not json.Marshal) so that Event's bytes are embedded verbatim.
func (r *Record) appendLine(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"prevHash":"`...)
	b = hex.AppendEncode(b, r.PrevHash[:])
	b = append(b, `","hash":"`...)
	b = hex.AppendEncode(b, r.Hash[:])
	b = append(b, `","event":`...)
	b = append(b, r.Event...)
	return append(b, "}\n"...)
}

type wireRecord struct {
	Seq      *uint64         `json:"seq"`
	PrevHash string          `json:"prevHash"`
	Hash     string          `json:"hash"`
	Event    json.RawMessage `json:"event"`
}

// ParseError locates a line that is not a well-formed record.
type ParseError struct {
	Line   int   // 1-based
	Offset int64 // byte offset of the line's start
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d (offset %d): %v", e.Line, e.Offset, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// errTorn marks a final line without its newline: a write cut short.
var errTorn = errors.New("record not terminated by a newline (torn write)")

// parseRecord decodes one line (without its newline).
func parseRecord(line []byte) (Record, error) {
	var w wireRecord
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Record{}, err
	}
	if dec.More() {
		return Record{}, errors.New("trailing data after record")
	}
	if w.Seq == nil || *w.Seq == 0 {
		return Record{}, errors.New("missing or zero seq")
	}
	if len(w.Event) == 0 || w.Event[0] != '{' {
		return Record{}, errors.New("event is not a JSON object")
	}
	r := Record{Seq: *w.Seq, Event: w.Event}
	if err := decodeHash(&r.PrevHash, w.PrevHash); err != nil {
		return Record{}, fmt.Errorf("prevHash: %w", err)
	}
	if err := decodeHash(&r.Hash, w.Hash); err != nil {
		return Record{}, fmt.Errorf("hash: %w", err)
	}
	return r, nil
}

func decodeHash(dst *[32]byte, s string) error {
	if len(s) != 64 {
		return fmt.Errorf("want 64 hex digits, got %d characters", len(s))
	}
	_, err := hex.Decode(dst[:], []byte(s))
	return err
}

// ReadRecords calls fn for each record of an event file, in order, with
// the byte offset just past the record's line. It stops at the first
// malformed line with a *ParseError (errTorn inside for an unterminated
// final line) or at fn's first error.
func ReadRecords(r io.Reader, fn func(rec Record, end int64) error) error {
	return readLines(r, func(line []byte, lineNo int, off int64) error {
		rec, err := parseRecord(line)
		if err != nil {
			return &ParseError{Line: lineNo, Offset: off, Err: err}
		}
		return fn(rec, off+int64(len(line))+1)
	})
}

// readLines splits r into newline-terminated lines of at most
// MaxRecordSize bytes.
func readLines(r io.Reader, fn func(line []byte, lineNo int, off int64) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var off int64
	var buf []byte
	for lineNo := 1; ; lineNo++ {
		buf = buf[:0]
		for {
			chunk, err := br.ReadSlice('\n')
			buf = append(buf, chunk...)
			if len(buf) > MaxRecordSize {
				return &ParseError{Line: lineNo, Offset: off, Err: fmt.Errorf("line longer than %d bytes", MaxRecordSize)}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if len(buf) == 0 {
					return nil
				}
				return &ParseError{Line: lineNo, Offset: off, Err: errTorn}
			}
			if err != nil {
				return err
			}
			break
		}
		if err := fn(buf[:len(buf)-1], lineNo, off); err != nil {
			return err
		}
		off += int64(len(buf))
	}
}
