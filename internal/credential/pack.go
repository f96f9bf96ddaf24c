package credential

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// PackedBudget is the space, in bytes, that the packed session policies and
// session tags may take inside a session token. AWS does not publish its
// budget, only that policies and tags are "compressed into a packed binary
// format with a separate limit" and that PackedPolicySize is a percentage of
// it. Ours is 2048 bytes of our own packing (see Pack): a 2048-character
// inline policy of ordinary JSON, ten managed-policy ARNs and a handful of
// tags fit; fifty long, random tags do not. The budget keeps the base64 token
// well under common 8 KiB header limits.
const PackedBudget = 2048

// compressAbove is the raw packing size above which Pack tries DEFLATE.
// Small packings (a short policy, a few tags: the common case) stay raw so
// that opening their tokens does not pay for inflating on every request; at
// most they use a quarter of the budget.
const compressAbove = 512

// Tag is a session tag.
type Tag struct {
	Key   string
	Value string
}

// PackedPart names what overflowed the budget, so the caller can word the
// refusal as AWS does.
type PackedPart uint8

// The parts of a session that can be too large.
const (
	PackedPolicies PackedPart = iota + 1 // session policy and policy ARNs (with or without tags)
	PackedTags                           // session tags alone
	PackedToken                          // the whole serialized token
)

// PackedPolicyTooLargeError reports that the session policies and tags (or
// the token as a whole) do not fit. Its text is AWS's, so callers can pass it
// on as the message of a PackedPolicyTooLarge error.
type PackedPolicyTooLargeError struct {
	Part    PackedPart
	Percent int // of PackedBudget; 0 for PackedToken
}

func (e *PackedPolicyTooLargeError) Error() string {
	switch e.Part {
	case PackedTags:
		return fmt.Sprintf("Packed size of session tags consumes %d%% of allotted space.", e.Percent)
	case PackedToken:
		return "Serialized token too large for session"
	default:
		return fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy.", e.Percent)
	}
}

// Packed is the packed form of a session's policies and tags, as carried in
// a token.
type Packed struct {
	data       []byte
	compressed bool
	// Percent is the share of PackedBudget the packing uses, rounded up; 0
	// when there was nothing to pack.
	Percent int
}

// PackedSize returns the share of PackedBudget that the session policy,
// managed policy ARNs and tags take, as a whole percentage rounded up (what
// STS reports as PackedPolicySize), or a *PackedPolicyTooLargeError if it is
// above 100. It does not check the 2048-character plaintext limit of the
// policy (package policy does).
func PackedSize(policy string, policyARNs []string, tags []Tag) (int, error) {
	p, err := Pack(policy, policyARNs, tags)
	return p.Percent, err
}

// Pack packs the session policy, ARNs and tags: a length-prefixed binary
// list, DEFLATE-compressed when it is longer than 512 bytes and compression
// makes it smaller. The size that counts against PackedBudget is the size
// actually stored in the token.
func Pack(policy string, policyARNs []string, tags []Tag) (Packed, error) {
	if policy == "" && len(policyARNs) == 0 && len(tags) == 0 {
		return Packed{}, nil
	}
	raw := make([]byte, 0, 64+len(policy))
	raw = appendString(raw, policy)
	raw = binary.AppendUvarint(raw, uint64(len(policyARNs)))
	for _, a := range policyARNs {
		raw = appendString(raw, a)
	}
	raw = binary.AppendUvarint(raw, uint64(len(tags)))
	for _, t := range tags {
		raw = appendString(raw, t.Key)
		raw = appendString(raw, t.Value)
	}
	p := Packed{data: raw}
	if len(raw) > compressAbove {
		if z := deflate(raw); len(z) < len(raw) {
			p = Packed{data: z, compressed: true}
		}
	}
	p.Percent = (len(p.data)*100 + PackedBudget - 1) / PackedBudget
	if len(p.data) > PackedBudget {
		part := PackedPolicies
		if policy == "" && len(policyARNs) == 0 {
			part = PackedTags
		}
		return p, &PackedPolicyTooLargeError{Part: part, Percent: p.Percent}
	}
	return p, nil
}

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.DefaultCompression) // only fails for a bad level
	return w
}}

var flateReaders = sync.Pool{New: func() any {
	return flate.NewReader(bytes.NewReader(nil))
}}

// deflate returns the raw length as a uvarint followed by the DEFLATE
// stream, so inflate can allocate the output once.
func deflate(raw []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(raw))
	buf.Write(binary.AppendUvarint(nil, uint64(len(raw))))
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(&buf)
	_, _ = w.Write(raw) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	flateWriters.Put(w)
	return buf.Bytes()
}

// maxUnpacked bounds the inflated size of a packed section, so a crafted
// (but validly sealed, e.g. by a compromised key) token cannot make a
// verifier allocate without limit.
const maxUnpacked = 64 << 10

var errPackedTooLarge = errors.New("packed section inflates beyond limit")

func inflate(z []byte) ([]byte, error) {
	n, k := binary.Uvarint(z)
	if k <= 0 {
		return nil, errMalformed
	}
	if n > maxUnpacked {
		return nil, errPackedTooLarge
	}
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(z[k:]), nil); err != nil {
		return nil, err
	}
	out := make([]byte, n+1) // one more, to see that the stream ends at n
	m, err := io.ReadFull(r, out)
	if m != int(n) || err != io.ErrUnexpectedEOF {
		return nil, errMalformed
	}
	return out[:n], nil
}

// unpack decodes the raw (inflated) packing, taking substrings of s, which
// holds the raw bytes.
func unpack(s string, c *Claims) error {
	d := decoder{s: s}
	c.Policy = d.str()
	n := d.count(1)
	if n > 0 {
		c.PolicyARNs = make([]string, n)
		for i := range c.PolicyARNs {
			c.PolicyARNs[i] = d.str()
		}
	}
	n = d.count(2)
	if n > 0 {
		c.Tags = make([]Tag, n)
		for i := range c.Tags {
			c.Tags[i] = Tag{Key: d.str(), Value: d.str()}
		}
	}
	if d.err != nil || d.rest() != 0 {
		return errMalformed
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errMalformed = errors.New("malformed")

// decoder reads the length-prefixed fields of a packing or token body from a
// string, returning substrings so decoding allocates nothing per field.
type decoder struct {
	s   string
	off int
	err error
}

func (d *decoder) rest() int { return len(d.s) - d.off }

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	var x uint64
	var shift uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.s) {
			d.err = errMalformed
			return 0
		}
		b := d.s[d.off]
		d.off++
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				d.err = errMalformed
				return 0
			}
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	d.err = errMalformed
	return 0
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.s) {
		d.err = errMalformed
		return 0
	}
	b := d.s[d.off]
	d.off++
	return b
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(d.rest()) {
		d.err = errMalformed
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// count reads a list length and checks it against what is left, given that
// each element takes at least minBytes, so a forged count cannot make the
// decoder allocate more than the input justifies.
func (d *decoder) count(minBytes int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(d.rest()/minBytes) {
		d.err = errMalformed
		return 0
	}
	return int(n)
}
