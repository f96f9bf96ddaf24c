package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
)

// RecordWalker yields a trail's records in chain order, each with where
// it is stored (for messages), until fn returns an error. It is how a
// trail kept outside event files (the PostgreSQL sink) is verified and
// searched with the same checks as the files.
type RecordWalker func(fn func(r Record, where string) error) error

// VerifyStream is Verify for a trail held outside files: walk yields the
// records from the first (seq 1) in order, digests are the signed
// digests in order, and digestWhere names the i-th digest in messages.
// opts.From is ignored: a database keeps the whole chain.
func VerifyStream(walk RecordWalker, digests []SignedDigest, digestWhere func(i int) string, opts VerifyOptions) (*VerifyReport, error) {
	if len(opts.PublicKey) != ed25519.PublicKeySize {
		return nil, errors.New("audit: verify needs an Ed25519 public key")
	}
	rep := &VerifyReport{}
	heads, err := checkDigests(digests, digestWhere, opts.PublicKey, rep)
	if err != nil {
		return rep, err
	}
	v := &chainVerifier{heads: heads, rep: rep, finder: func(seq uint64) string {
		var at string
		_ = walk(func(r Record, where string) error {
			if r.Seq == seq {
				at = where
				return errStop
			}
			return nil
		})
		return at
	}}
	if err := walk(func(r Record, where string) error { return v.record(r, where, true) }); err != nil {
		return rep, err
	}
	var first *digestHead // the earliest digest that signed beyond the end
	for _, h := range heads {
		if h.d.LastSeq > rep.LastSeq && (first == nil || h.d.LastSeq < first.d.LastSeq) {
			first = &h
		}
	}
	if first != nil {
		return rep, &Inconsistency{Kind: Truncated, Where: first.where, Seq: first.d.LastSeq,
			Detail: fmt.Sprintf("a digest signed events up to seq %d but the trail ends at seq %d", first.d.LastSeq, rep.LastSeq)}
	}
	if rep.LastSeq > rep.DigestLastSeq {
		rep.Uncovered = rep.LastSeq - rep.DigestLastSeq
	}
	return rep, nil
}

// DecodeEvent parses an event's bytes as stored in a record.
func DecodeEvent(b []byte) (*Event, error) { return decodeEvent(b) }
