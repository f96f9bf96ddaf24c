package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// DigestFile is the digest file's name in the audit directory. Digests
// live apart from the events so that cutting events off the end of the
// trail is caught by a digest that signed them.
const DigestFile = "digests.jsonl"

// Digest is the signed statement "events FirstSeq..LastSeq exist and the
// chain's hash at LastSeq is Head", in the spirit of CloudTrail's digest
// files. Digests chain too: PrevSignature is the previous digest's
// signature, so a deleted or replaced digest breaks the next one.
type Digest struct {
	Version       int    `json:"version"`
	KeyID         string `json:"keyId"`
	FirstSeq      uint64 `json:"firstSeq"`
	LastSeq       uint64 `json:"lastSeq"`
	Head          string `json:"head"`
	PrevSignature string `json:"prevSignature"`
	Time          string `json:"time"`
}

// SignedDigest is one line of the digest file. The signature covers Body
// exactly as stored.
type SignedDigest struct {
	Body      []byte
	Signature []byte
}

// Decode parses the body.
func (s *SignedDigest) Decode() (Digest, error) {
	var d Digest
	dec := json.NewDecoder(bytes.NewReader(s.Body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&d)
	return d, err
}

// signDigest makes the signed digest for d.
func signDigest(sg *Signer, d Digest) (SignedDigest, error) {
	d.Version = 1
	d.KeyID = sg.ID()
	body, err := json.Marshal(d)
	if err != nil {
		return SignedDigest{}, err
	}
	return SignedDigest{Body: body, Signature: sg.Sign(body)}, nil
}

func (s *SignedDigest) appendLine(b []byte) []byte {
	b = append(b, `{"digest":`...)
	b = append(b, s.Body...)
	b = append(b, `,"signature":"`...)
	b = base64.StdEncoding.AppendEncode(b, s.Signature)
	return append(b, "\"}\n"...)
}

// Verify checks the signature with pub.
func (s *SignedDigest) Verify(pub ed25519.PublicKey) bool {
	return len(s.Signature) == ed25519.SignatureSize && ed25519.Verify(pub, s.Body, s.Signature)
}

type wireDigest struct {
	Digest    json.RawMessage `json:"digest"`
	Signature string          `json:"signature"`
}

// ReadDigests calls fn for each line of a digest file, with the offset
// just past it. Malformed lines stop it with a *ParseError.
func ReadDigests(r io.Reader, fn func(d SignedDigest, end int64) error) error {
	return readLines(r, func(line []byte, lineNo int, off int64) error {
		var w wireDigest
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		err := dec.Decode(&w)
		if err == nil && (len(w.Digest) == 0 || w.Signature == "") {
			err = errors.New("missing digest or signature")
		}
		var sig []byte
		if err == nil {
			sig, err = base64.StdEncoding.DecodeString(w.Signature)
		}
		if err != nil {
			return &ParseError{Line: lineNo, Offset: off, Err: err}
		}
		return fn(SignedDigest{Body: w.Digest, Signature: sig}, off+int64(len(line))+1)
	})
}

// newDigest describes events first..last ending in head.
func newDigest(first, last uint64, head [32]byte, prevSig []byte, now time.Time) Digest {
	return Digest{
		FirstSeq:      first,
		LastSeq:       last,
		Head:          hex.EncodeToString(head[:]),
		PrevSignature: base64.StdEncoding.EncodeToString(prevSig),
		Time:          now.UTC().Format(time.RFC3339Nano),
	}
}

func (d Digest) String() string {
	return fmt.Sprintf("digest %d..%d (key %s, %s)", d.FirstSeq, d.LastSeq, d.KeyID, d.Time)
}
