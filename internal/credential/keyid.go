package credential

import (
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
)

// Prefix is the four-character type prefix of an access key id or an IAM
// unique id, as listed in the IAM User Guide ("Understanding unique ID
// prefixes").
type Prefix string

// The prefixes Brevet issues. Access key ids (AKIA, ASIA) are 20 characters;
// unique ids of entities are 21.
const (
	PrefixAccessKey          Prefix = "AKIA" // long-term access key id
	PrefixTemporaryAccessKey Prefix = "ASIA" // temporary (STS) access key id
	PrefixUser               Prefix = "AIDA" // IAM user
	PrefixRole               Prefix = "AROA" // role
	PrefixGroup              Prefix = "AGPA" // user group
	PrefixManagedPolicy      Prefix = "ANPA" // managed policy
	PrefixPolicyVersion      Prefix = "ANVA" // version in a managed policy
	PrefixInstanceProfile    Prefix = "AIPA" // EC2 instance profile
	PrefixPublicKey          Prefix = "APKA" // public key
	PrefixCertificate        Prefix = "ASCA" // certificate
	PrefixBearerToken        Prefix = "ABIA" // STS service bearer token
	PrefixContextCredential  Prefix = "ACCA" // context-specific credential
)

var knownPrefixes = map[Prefix]bool{
	PrefixAccessKey: true, PrefixTemporaryAccessKey: true, PrefixUser: true,
	PrefixRole: true, PrefixGroup: true, PrefixManagedPolicy: true,
	PrefixPolicyVersion: true, PrefixInstanceProfile: true, PrefixPublicKey: true,
	PrefixCertificate: true, PrefixBearerToken: true, PrefixContextCredential: true,
}

// isAccessKey reports whether ids with this prefix are access key ids (20
// characters) rather than unique ids of entities (21 characters).
func (p Prefix) isAccessKey() bool {
	return p == PrefixAccessKey || p == PrefixTemporaryAccessKey
}

// Lengths of the identifiers.
const (
	AccessKeyIDLen = 20 // prefix + 16
	UniqueIDLen    = 21 // prefix + 17
	AccountIDLen   = 12
)

// The layout AWS uses and that public tools (and GetAccessKeyInfo) decode:
// the 16 characters after the prefix are unpadded base32 (RFC 4648 alphabet)
// of 10 bytes. The first 6 bytes, read big-endian as a 48-bit number, hold
// the account id in bits 46..7 (mask 0x7fffffffff80, shift 7). We set bit 47,
// as current AWS ids do (their fifth character is Q-Z or 2-7), and fill bits
// 6..0 and the last 4 bytes from the random source.
const (
	accountMask  = 0x7fffffffff80
	accountShift = 7
	highBit      = 1 << 47
	maxAccountID = 999_999_999_999
	payloadBytes = 10
	payloadChars = 16
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// AccessKeyIDError says why a string is not a well-formed access key id or
// unique id. It never carries a secret: ids are not secret.
type AccessKeyIDError struct {
	ID     string
	Reason string
}

func (e *AccessKeyIDError) Error() string {
	return fmt.Sprintf("credential: malformed id %q: %s", e.ID, e.Reason)
}

// NewAccessKeyID returns a new access key id (AKIA… or ASIA…) that encodes
// accountID (12 decimal digits) the way AWS does, with 39 random bits read
// from r.
func NewAccessKeyID(p Prefix, accountID string, r io.Reader) (string, error) {
	if !p.isAccessKey() {
		return "", fmt.Errorf("credential: prefix %q is not an access key prefix", p)
	}
	return newID(p, accountID, 0, r)
}

// NewUniqueID returns a new 21-character unique id for an entity (AIDA user,
// AROA role, ANPA policy, AGPA group, …). Its first 16 characters after the
// prefix use the access key layout, so the owning account is recoverable with
// AccountIDFromID; the 17th character is random.
func NewUniqueID(p Prefix, accountID string, r io.Reader) (string, error) {
	if !knownPrefixes[p] || p.isAccessKey() {
		return "", fmt.Errorf("credential: prefix %q is not a unique-id prefix", p)
	}
	return newID(p, accountID, 1, r)
}

func newID(p Prefix, accountID string, extraChars int, r io.Reader) (string, error) {
	acct, err := parseAccountID(accountID)
	if err != nil {
		return "", err
	}
	var rnd [idRandLen]byte
	if _, err := io.ReadFull(r, rnd[:]); err != nil {
		return "", fmt.Errorf("credential: reading randomness: %w", err)
	}
	return formatID(p, acct, extraChars, &rnd), nil
}

// idRandLen is how many random bytes an id takes (not all of them are
// used by access key ids).
const idRandLen = payloadBytes + 1

// formatID lays out an id from its account and random bytes.
func formatID(p Prefix, acct uint64, extraChars int, rnd *[idRandLen]byte) string {
	var payload [payloadBytes]byte
	head := highBit | acct<<accountShift | uint64(rnd[0]&0x7f)
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], head)
	copy(payload[:6], h[2:])
	copy(payload[6:], rnd[1:5])
	buf := make([]byte, 0, UniqueIDLen)
	buf = append(buf, p...)
	buf = b32.AppendEncode(buf, payload[:])
	for i := range extraChars {
		buf = append(buf, b32Alphabet[rnd[5+i]&31])
	}
	return string(buf)
}

const b32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func parseAccountID(s string) (uint64, error) {
	if len(s) != AccountIDLen {
		return 0, fmt.Errorf("credential: account id %q is not %d digits", s, AccountIDLen)
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("credential: account id %q is not %d digits", s, AccountIDLen)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("credential: account id %q: %w", s, err)
	}
	return n, nil
}

// ID is a decoded access key id or unique id.
type ID struct {
	Prefix    Prefix
	AccountID string // 12 digits, zero-padded
}

// ParseID decodes an access key id (20 characters) or a unique id (21
// characters) with a known prefix and returns its prefix and account id. It
// needs no lookup: this is what GetAccessKeyInfo answers from.
func ParseID(id string) (ID, error) {
	if len(id) != AccessKeyIDLen && len(id) != UniqueIDLen {
		return ID{}, &AccessKeyIDError{ID: id, Reason: "wrong length"}
	}
	p := Prefix(id[:4])
	if !knownPrefixes[p] {
		return ID{}, &AccessKeyIDError{ID: id, Reason: "unknown prefix"}
	}
	if p.isAccessKey() != (len(id) == AccessKeyIDLen) {
		return ID{}, &AccessKeyIDError{ID: id, Reason: "wrong length for prefix"}
	}
	acct, err := AccountIDFromID(id)
	if err != nil {
		return ID{}, err
	}
	return ID{Prefix: p, AccountID: acct}, nil
}

// AccountIDFromID returns the account id encoded in an access key id or
// unique id, zero-padded to 12 digits. Like AWS's GetAccessKeyInfo it does
// not check the prefix; ParseID does.
func AccountIDFromID(id string) (string, error) {
	if len(id) < 4+payloadChars {
		return "", &AccessKeyIDError{ID: id, Reason: "too short"}
	}
	for i := range len(id) {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return "", &AccessKeyIDError{ID: id, Reason: "character outside A-Z2-7"}
		}
	}
	var payload [payloadBytes]byte
	if _, err := b32.Decode(payload[:], []byte(id[4:4+payloadChars])); err != nil {
		return "", &AccessKeyIDError{ID: id, Reason: "not base32"}
	}
	var h [8]byte
	copy(h[2:], payload[:6])
	acct := (binary.BigEndian.Uint64(h[:]) & accountMask) >> accountShift
	if acct > maxAccountID {
		return "", &AccessKeyIDError{ID: id, Reason: "account id out of range"}
	}
	return fmt.Sprintf("%012d", acct), nil
}
