package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Kind names what an Inconsistency found.
type Kind string

// The kinds of inconsistency Verify reports.
const (
	Malformed       Kind = "malformed"        // a line is not a record
	Edited          Kind = "edited"           // an event's bytes do not match its hash
	Deleted         Kind = "deleted"          // sequence numbers are missing
	Reordered       Kind = "reordered"        // a missing sequence number appears later
	Inserted        Kind = "inserted"         // a sequence number repeats or goes back
	BrokenLink      Kind = "broken-link"      // prevHash is not the previous event's hash
	Truncated       Kind = "truncated"        // the trail ends before what a digest signed
	DigestSignature Kind = "digest-signature" // a digest's signature does not verify
	DigestKey       Kind = "digest-key"       // a digest names another key
	DigestChain     Kind = "digest-chain"     // a digest does not follow the previous one
	DigestHead      Kind = "digest-head"      // the chain at a digest's last event is not what it signed
)

// Inconsistency is the first thing Verify found wrong, located precisely.
type Inconsistency struct {
	Kind   Kind
	Where  string // file:line
	Seq    uint64 // the event concerned, when there is one
	Detail string
}

func (e *Inconsistency) Error() string {
	if e.Seq != 0 {
		return fmt.Sprintf("%s at %s (seq %d): %s", e.Kind, e.Where, e.Seq, e.Detail)
	}
	return fmt.Sprintf("%s at %s: %s", e.Kind, e.Where, e.Detail)
}

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// PublicKey verifies the digests. Required: verification must not
	// need the private key.
	PublicKey ed25519.PublicKey
	// From, when set, starts the check at the event file holding the
	// first event at or after From; earlier files (perhaps archived away)
	// are not read, and the chain is anchored at that file's first event.
	From time.Time
}

// VerifyReport summarises a successful verification.
type VerifyReport struct {
	Events        int
	FirstSeq      uint64
	LastSeq       uint64
	Digests       int
	DigestLastSeq uint64
	// Uncovered is the number of events after the last digest: intact as
	// far as the chain shows, but not yet signed (a digest is signed every
	// minute and at shutdown).
	Uncovered uint64
	// TornTail is set when the newest file ends in an unterminated record:
	// an append in progress, or a crash's torn write not yet repaired.
	TornTail bool
	// PrunedThrough is set when the trail starts after seq 1 because
	// retention pruned events 1..PrunedThrough: the kept trail's first
	// event names as prevHash the hash that PrunedBy (the pruning event,
	// file:line, itself in the verified chain) recorded. Verification
	// starts at PrunedThrough+1.
	PrunedThrough uint64
	PrunedBy      string
}

// Verify checks the trail in dir: each event's hash, the links and
// sequence numbers across every file, the digests' signatures and chain,
// and that each digest's head matches the trail. It returns the first
// *Inconsistency found, or another error when the trail cannot be read.
func Verify(dir string, opts VerifyOptions) (*VerifyReport, error) {
	if len(opts.PublicKey) != ed25519.PublicKeySize {
		return nil, errors.New("audit: verify needs an Ed25519 public key")
	}
	rep := &VerifyReport{}
	heads, err := verifyDigests(dir, opts.PublicKey, rep)
	if err != nil {
		return rep, err
	}
	files, err := listTrailFiles(dir)
	if err != nil {
		return rep, err
	}
	if !opts.From.IsZero() {
		files = filesFrom(dir, files, opts.From)
	}
	v := &chainVerifier{dir: dir, heads: heads, rep: rep, prunes: map[uint64]prune{}}
	for i, f := range files {
		if err := v.file(f, i == 0 && opts.From.IsZero(), i == len(files)-1); err != nil {
			return rep, err
		}
	}
	if err := v.checkPrunedStart(); err != nil {
		return rep, err
	}
	for _, h := range heads {
		if h.d.LastSeq > rep.LastSeq && (rep.Events > 0 || opts.From.IsZero()) {
			return rep, &Inconsistency{Kind: Truncated, Where: h.where, Seq: h.d.LastSeq,
				Detail: fmt.Sprintf("a digest signed events up to seq %d but the trail ends at seq %d", h.d.LastSeq, rep.LastSeq)}
		}
	}
	if rep.LastSeq > rep.DigestLastSeq {
		rep.Uncovered = rep.LastSeq - rep.DigestLastSeq
	}
	return rep, nil
}

type digestHead struct {
	d     Digest
	where string
}

// verifyDigests checks every digest's signature, key and chain and
// returns them keyed by last sequence number.
func verifyDigests(dir string, pub ed25519.PublicKey, rep *VerifyReport) (map[uint64]digestHead, error) {
	ds, err := ReadDigestFile(dir)
	if err != nil {
		return nil, &Inconsistency{Kind: Malformed, Where: DigestFile, Detail: err.Error()}
	}
	return checkDigests(ds, func(i int) string { return fmt.Sprintf("%s:%d", DigestFile, i+1) }, pub, rep)
}

// checkDigests checks digests in order; where names the i-th in messages.
func checkDigests(ds []SignedDigest, whereOf func(i int) string, pub ed25519.PublicKey, rep *VerifyReport) (map[uint64]digestHead, error) {
	heads := make(map[uint64]digestHead, len(ds))
	kid := KeyID(pub)
	var prev *Digest
	var prevSig []byte
	for i := range ds {
		where := whereOf(i)
		d, err := ds[i].Decode()
		if err != nil {
			return nil, &Inconsistency{Kind: Malformed, Where: where, Detail: err.Error()}
		}
		if d.KeyID != kid {
			return nil, &Inconsistency{Kind: DigestKey, Where: where,
				Detail: fmt.Sprintf("signed by key %s; the public key given is %s", d.KeyID, kid)}
		}
		if !ds[i].Verify(pub) {
			return nil, &Inconsistency{Kind: DigestSignature, Where: where, Detail: "signature does not verify: the digest was altered"}
		}
		wantFirst := uint64(1)
		if prev != nil {
			wantFirst = prev.LastSeq + 1
		}
		if d.PrevSignature != base64.StdEncoding.EncodeToString(prevSig) {
			return nil, &Inconsistency{Kind: DigestChain, Where: where, Detail: "prevSignature is not the previous digest's signature: a digest was removed, inserted or reordered"}
		}
		if d.FirstSeq != wantFirst || d.LastSeq < d.FirstSeq {
			return nil, &Inconsistency{Kind: DigestChain, Where: where,
				Detail: fmt.Sprintf("covers seq %d..%d; want it to start at %d", d.FirstSeq, d.LastSeq, wantFirst)}
		}
		heads[d.LastSeq] = digestHead{d: d, where: where}
		prev, prevSig = &d, ds[i].Signature
		rep.Digests++
		rep.DigestLastSeq = d.LastSeq
	}
	return heads, nil
}

// filesFrom drops the files wholly before t: it keeps the last file whose
// first event is at or before t, and every file after it.
func filesFrom(dir string, files []trailFile, t time.Time) []trailFile {
	start := 0
	for i, f := range files {
		first, ok := firstEventTime(dir, f)
		if ok && !first.After(t) {
			start = i
		}
	}
	return files[start:]
}

var errStop = errors.New("stop")

func firstEventTime(dir string, f trailFile) (time.Time, bool) {
	rc, err := openTrailFile(dir, f)
	if err != nil {
		return time.Time{}, false
	}
	defer rc.Close()
	var t time.Time
	_ = ReadRecords(rc, func(r Record, _ int64) error {
		if e, err := decodeEvent(r.Event); err == nil {
			t = e.Time()
		}
		return errStop
	})
	return t, !t.IsZero()
}

type chainVerifier struct {
	dir string
	// prunes are the pruning events seen, by the last seq they pruned;
	// pending is a start after seq 1, which one of them must explain.
	prunes  map[uint64]prune
	pending *Inconsistency
	startAt [32]byte // the first event's prevHash
	// finder locates seq when the trail is not in dir (VerifyStream).
	finder  func(seq uint64) string
	heads   map[uint64]digestHead
	rep     *VerifyReport
	started bool
	prev    [32]byte
	prevAt  string
}

func (v *chainVerifier) file(f trailFile, fromGenesis, last bool) error {
	rc, err := openLive(v.dir, f)
	if err != nil {
		return err
	}
	defer rc.Close()
	line := 0
	err = ReadRecords(rc, func(r Record, _ int64) error {
		line++
		return v.record(r, fmt.Sprintf("%s:%d", f.Name, line), fromGenesis)
	})
	var pe *ParseError
	if errors.As(err, &pe) {
		kind := Malformed
		if errors.Is(pe.Err, errTorn) {
			if last {
				// An append in progress, or a crash's torn write that the
				// next open repairs. Whatever a digest signed beyond it is
				// still reported as truncated below.
				v.rep.TornTail = true
				return nil
			}
			kind = Truncated
		}
		return &Inconsistency{Kind: kind, Where: fmt.Sprintf("%s:%d", f.Name, pe.Line), Detail: pe.Err.Error()}
	}
	return err
}

func (v *chainVerifier) record(r Record, where string, fromGenesis bool) error {
	rep := v.rep
	if got := ChainHash(r.PrevHash, r.Seq, r.Event); got != r.Hash {
		return &Inconsistency{Kind: Edited, Where: where, Seq: r.Seq, Detail: "the event's bytes do not match its hash: the event was edited"}
	}
	if !v.started {
		v.started = true
		if fromGenesis && (r.Seq != 1 || r.PrevHash != [32]byte{}) {
			inc := &Inconsistency{Kind: Deleted, Where: where, Seq: r.Seq,
				Detail: fmt.Sprintf("the trail starts at seq %d; events 1..%d are missing", r.Seq, r.Seq-1)}
			if r.Seq == 1 || v.prunes == nil {
				return inc
			}
			// Perhaps pruned by retention: a pruning event later in
			// the chain must say so (checkPrunedStart).
			v.pending, v.startAt = inc, r.PrevHash
		}
		rep.FirstSeq = r.Seq
	} else {
		want := rep.LastSeq + 1
		switch {
		case r.Seq > want:
			if at := v.find(want); at != "" {
				return &Inconsistency{Kind: Reordered, Where: where, Seq: r.Seq,
					Detail: fmt.Sprintf("found seq %d where seq %d belongs; seq %d is later, at %s", r.Seq, want, want, at)}
			}
			return &Inconsistency{Kind: Deleted, Where: where, Seq: r.Seq,
				Detail: fmt.Sprintf("events %d..%d are missing (previous event at %s)", want, r.Seq-1, v.prevAt)}
		case r.Seq < want:
			return &Inconsistency{Kind: Inserted, Where: where, Seq: r.Seq,
				Detail: fmt.Sprintf("seq %d follows seq %d (at %s): an event was inserted or moved", r.Seq, rep.LastSeq, v.prevAt)}
		}
		if r.PrevHash != v.prev {
			return &Inconsistency{Kind: BrokenLink, Where: where, Seq: r.Seq,
				Detail: fmt.Sprintf("prevHash is not the hash of seq %d (at %s): that event was replaced, or this one inserted", rep.LastSeq, v.prevAt)}
		}
	}
	if h, ok := v.heads[r.Seq]; ok && hex.EncodeToString(r.Hash[:]) != h.d.Head {
		return &Inconsistency{Kind: DigestHead, Where: where, Seq: r.Seq,
			Detail: fmt.Sprintf("%s signed head %s at seq %d, the trail has %x: events up to here were rewritten", h.where, h.d.Head, r.Seq, r.Hash)}
	}
	v.prev, v.prevAt = r.Hash, where
	rep.LastSeq = r.Seq
	rep.Events++
	if v.prunes != nil && bytes.Contains(r.Event, prunedMarker) {
		if e, err := decodeEvent(r.Event); err == nil && e.AdditionalEventData != nil && e.AdditionalEventData.TrailPruned != nil {
			tp := e.AdditionalEventData.TrailPruned
			v.prunes[tp.LastSeq] = prune{hash: tp.LastHash, where: where, seq: r.Seq}
		}
	}
	return nil
}

// prunedMarker is in every pruning event.
var prunedMarker = []byte(`"trailPruned":`)

type prune struct {
	hash  string
	where string
	seq   uint64
}

// checkPrunedStart accepts a trail that starts after seq 1 only when a
// pruning event in the verified chain recorded pruning exactly the events
// before its start, ending in the hash its first event links to.
func (v *chainVerifier) checkPrunedStart() error {
	if v.pending == nil {
		return nil
	}
	first := v.rep.FirstSeq
	p, ok := v.prunes[first-1]
	if !ok || p.hash != hex.EncodeToString(v.startAt[:]) {
		v.pending.Detail += "; no pruning event in the trail accounts for them"
		return v.pending
	}
	v.rep.PrunedThrough, v.rep.PrunedBy = first-1, fmt.Sprintf("%s (seq %d)", p.where, p.seq)
	return nil
}

// find looks for seq anywhere in the trail, for telling a reordered event
// from a deleted one. It only runs once something is already wrong.
func (v *chainVerifier) find(seq uint64) string {
	if v.finder != nil {
		return v.finder(seq)
	}
	var at string
	_ = WalkRecords(v.dir, func(r Record, pos Position) error {
		if r.Seq == seq && at == "" {
			at = pos.String()
			return errStop
		}
		return nil
	})
	return at
}
