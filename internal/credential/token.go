package credential

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// Session token wire form (version 4, or 3), before standard base64:
//
//	version   1 byte   (4 or 3; Open still accepts 1 and 2)
//	keyIDLen  1 byte   (1..maxKeyIDLen)
//	keyID     keyIDLen bytes, the token key that sealed it, in clear
//	nonce     12 bytes
//	sealed    AES-256-GCM(body) with its 16-byte tag
//
// The additional data is the header (version, keyIDLen, keyID) followed by
// the access key id, so neither the header nor the pairing of token and key
// id can be changed. The body is a compact binary encoding of Claims (see
// appendBody); its layout is fixed by the version byte. Version 2 added the
// lineage (Claims.Lineage); a version 1 body is decoded with an empty one,
// so sessions issued before an upgrade stay valid until they expire.
// Version 3 writes the issue times (the session's and its ancestors') in
// microseconds instead of seconds, so that a revocation by principal cuts
// exactly at its cut-off (revocation.List): a session issued in the second
// after the cut-off is not taken for one issued before it.
// Version 4 adds the session's service-set request context
// (Claims.RequestContext), a counted list of key and value strings after
// the lineage. Seal writes version 4 only for a session that has such keys
// and version 3, whose body is the same without that list, for every
// other: those tokens open on nodes that do not know version 4 yet (a
// rolling upgrade), and cost nothing more to make or open.
const (
	tokenVersion   = 4
	tokenVersionV3 = 3
	tokenVersionV2 = 2
	tokenVersionV1 = 1
	nonceLen       = 12
	gcmTagLen      = 16
	maxKeyIDLen    = 64
	// MaxTokenLen bounds the base64 wire form. Longer strings are refused
	// before decoding; Seal refuses claims that would exceed it.
	MaxTokenLen = 8192
	// MaxSessionDuration is the longest session a token may describe (36
	// hours, GetSessionToken's and GetFederationToken's maximum). Key
	// retention after rotation relies on it.
	MaxSessionDuration = 36 * time.Hour
)

// strictBase64 refuses non-zero padding bits, so each token has one encoding.
var strictBase64 = base64.StdEncoding.Strict()

// TokenInvalidReason says why a token was refused. It is for logs and
// metrics; clients see only "invalid token".
type TokenInvalidReason uint8

// Reasons a token is invalid.
const (
	TokenMalformed   TokenInvalidReason = iota + 1 // not base64, wrong version, truncated, or a body that does not decode
	TokenUnknownKey                                // no key with the token's key id in the ring
	TokenKeyRetired                                // the key is past its not-after time
	TokenForged                                    // authentication failed: tampered, or paired with another access key id
	TokenKeyMismatch                               // the sealed access key id differs from the one presented
)

func (r TokenInvalidReason) String() string {
	switch r {
	case TokenMalformed:
		return "malformed"
	case TokenUnknownKey:
		return "unknown token key"
	case TokenKeyRetired:
		return "token key retired"
	case TokenForged:
		return "authentication failed"
	case TokenKeyMismatch:
		return "access key id mismatch"
	}
	return fmt.Sprintf("TokenInvalidReason(%d)", uint8(r))
}

// TokenInvalidError reports a session token that cannot be trusted (AWS:
// InvalidClientTokenId). It names the key id but never the token's contents.
type TokenInvalidError struct {
	Reason TokenInvalidReason
	KeyID  string // the token key id named in the header, when it parsed
}

func (e *TokenInvalidError) Error() string {
	if e.KeyID != "" {
		return fmt.Sprintf("credential: invalid session token (key %q): %s", e.KeyID, e.Reason)
	}
	return "credential: invalid session token: " + e.Reason.String()
}

// TokenExpiredError reports a genuine token whose session has ended (AWS:
// ExpiredToken).
type TokenExpiredError struct {
	Expired time.Time
}

func (e *TokenExpiredError) Error() string {
	return "credential: session token expired at " + e.Expired.UTC().Format(time.RFC3339)
}

// Seal encrypts the claims under the ring's active key and returns the wire
// token and the packed size of its session policies and tags (a percentage
// of PackedBudget, 0 when there are none). The token is bound to
// c.AccessKeyID. Seal checks the claims are complete and the session no
// longer than MaxSessionDuration.
func (r *TokenKeyRing) Seal(c *Claims, rnd io.Reader) (string, int, error) {
	return r.seal(c, rnd, nil)
}

// seal is Seal with the nonce given (Mint reads all its randomness at
// once), or read from rnd when nonce is nil.
//
// The token is built in one buffer: header, nonce and body, which is
// encrypted in place (so the secret it holds is overwritten by the
// ciphertext), then the additional data and the base64 form in the room
// after it. The returned string is the only other allocation.
func (r *TokenKeyRing) seal(c *Claims, rnd io.Reader, nonce []byte) (string, int, error) {
	if err := c.validate(); err != nil {
		return "", 0, err
	}
	packed, err := Pack(c.Policy, c.PolicyARNs, c.Tags)
	if err != nil {
		return "", 0, err
	}
	k := r.load().active
	if k == nil {
		return "", 0, fmt.Errorf("credential: token key ring has no active key")
	}
	hdrLen := 2 + len(k.id)
	maxSealed := hdrLen + nonceLen + bodyBound(c, packed) + gcmTagLen
	tail := max(hdrLen+len(c.AccessKeyID), base64.StdEncoding.EncodedLen(maxSealed))
	buf := make([]byte, 0, maxSealed+tail)
	version := byte(tokenVersionV3)
	if len(c.RequestContext) > 0 {
		version = tokenVersion
	}
	buf = append(buf, version, byte(len(k.id)))
	buf = append(buf, k.id...)
	if nonce != nil {
		buf = append(buf, nonce...)
	} else {
		buf = buf[:hdrLen+nonceLen]
		if _, err := io.ReadFull(rnd, buf[hdrLen:]); err != nil {
			return "", 0, fmt.Errorf("credential: reading randomness: %w", err)
		}
	}
	start := len(buf)
	buf = appendBody(buf, version, c, packed)
	// bodyBound is meant to leave room for the tag and the additional
	// data; should it ever fall short (a field added to appendBody but
	// not to it), grow rather than slice past the capacity.
	buf = slices.Grow(buf, gcmTagLen+hdrLen+len(c.AccessKeyID))
	body := buf[start:]
	sealedLen := len(buf) + gcmTagLen
	ad := append(buf[sealedLen:sealedLen], buf[:hdrLen]...)
	ad = append(ad, c.AccessKeyID...)
	sealed := k.aead.Seal(buf[:start], buf[hdrLen:start], body, ad)
	if base64.StdEncoding.EncodedLen(len(sealed)) > MaxTokenLen {
		return "", packed.Percent, &PackedPolicyTooLargeError{Part: PackedToken}
	}
	enc := base64.StdEncoding.AppendEncode(buf[sealedLen:sealedLen], sealed)
	return string(enc), packed.Percent, nil
}

// bodyBound is at least the length appendBody will write for c and p.
func bodyBound(c *Claims, p Packed) int {
	n := 3 + 4*binary.MaxVarintLen64 + len(p.data) // flags, type, depth; three times; packed length
	n += lineageBound(c.Lineage)
	for _, s := range [...]string{
		c.SessionID, c.AccountID, c.AccessKeyID, c.SecretAccessKey.s,
		c.PrincipalARN, c.PrincipalID, c.SessionARN, c.SessionName,
		c.SourceIdentity, c.Provider, c.Subject,
		c.ParentAccessKeyID, c.RootAccessKeyID,
	} {
		n += binary.MaxVarintLen64 + len(s)
	}
	n += binary.MaxVarintLen64
	for _, k := range c.TransitiveTagKeys {
		n += binary.MaxVarintLen64 + len(k)
	}
	if len(c.RequestContext) > 0 {
		n += binary.MaxVarintLen64
		for _, k := range c.RequestContext {
			n += 2*binary.MaxVarintLen64 + len(k.Key) + len(k.Value)
		}
	}
	return n
}

func (c *Claims) validate() error {
	switch {
	case c.SessionID == "":
		return fmt.Errorf("credential: claims lack a session id")
	case c.AccessKeyID == "" || c.SecretAccessKey.IsZero():
		return fmt.Errorf("credential: claims lack the temporary access key")
	case c.AccountID == "":
		return fmt.Errorf("credential: claims lack an account id")
	case !c.PrincipalType.valid():
		return fmt.Errorf("credential: claims have invalid principal type %d", c.PrincipalType)
	case !c.Expires.After(c.IssuedAt):
		return fmt.Errorf("credential: session expires before it is issued")
	case c.Expires.Unix()-c.IssuedAt.Unix() > int64(MaxSessionDuration/time.Second):
		// In whole seconds, as the token carries the expiry: a session of
		// exactly MaxSessionDuration asked for at now + 36 h is not too
		// long because the issue time is cut to microseconds.
		return fmt.Errorf("credential: session longer than %s", MaxSessionDuration)
	case len(c.Lineage) > MaxChainDepth:
		return &ChainTooLongError{Depth: len(c.Lineage)}
	}
	if len(c.RequestContext) > 0 {
		return checkRequestContext(c.RequestContext)
	}
	return nil
}

// Body flags.
const (
	flagMFA        = 1 << 0
	flagCompressed = 1 << 1
	// flagParentDerived (version 2): the parent access key id is not
	// written, being the nearest ancestor's, or the root key when the
	// lineage is empty (what every minting action makes).
	flagParentDerived = 1 << 2

	flagsV1 = flagMFA | flagCompressed
	flagsV2 = flagsV1 | flagParentDerived
)

// parentDerived reports whether c's parent key is the one its lineage (or
// root) implies, so the body can leave it out.
func parentDerived(c *Claims) bool {
	if len(c.Lineage) > 0 {
		return c.ParentAccessKeyID == c.Lineage[0].AccessKeyID
	}
	return c.ParentAccessKeyID == c.RootAccessKeyID
}

// appendBody encodes the claims (version 3 or 4): a flags byte, the
// principal type, the chain depth (the number of lineage entries), three
// zig-zag varint times (the issue time in Unix microseconds, the expiry and
// the MFA time in Unix seconds, MFA time 0 when absent), then
// length-prefixed strings in a fixed order (the parent key only when it is
// not derived), the transitive tag keys as a counted list, the lineage
// (appendLineage), in version 4 the request context as a counted list of
// key and value pairs, and the packed policies and tags last.
func appendBody(b []byte, version byte, c *Claims, p Packed) []byte {
	var flags byte
	if c.MFAAuthenticated {
		flags |= flagMFA
	}
	if p.compressed {
		flags |= flagCompressed
	}
	derived := parentDerived(c)
	if derived {
		flags |= flagParentDerived
	}
	b = append(b, flags, byte(c.PrincipalType), byte(len(c.Lineage)))
	b = binary.AppendVarint(b, c.IssuedAt.UnixMicro())
	b = binary.AppendVarint(b, c.Expires.Unix())
	var mfa int64
	if !c.MFAAuthTime.IsZero() {
		mfa = c.MFAAuthTime.Unix()
	}
	b = binary.AppendVarint(b, mfa)
	for _, s := range [...]string{
		c.SessionID, c.AccountID, c.AccessKeyID, c.SecretAccessKey.s,
		c.PrincipalARN, c.PrincipalID, c.SessionARN, c.SessionName,
		c.SourceIdentity, c.Provider, c.Subject,
	} {
		b = appendString(b, s)
	}
	if !derived {
		b = appendString(b, c.ParentAccessKeyID)
	}
	b = appendString(b, c.RootAccessKeyID)
	b = binary.AppendUvarint(b, uint64(len(c.TransitiveTagKeys)))
	for _, k := range c.TransitiveTagKeys {
		b = appendString(b, k)
	}
	b = appendLineage(b, c)
	if version >= tokenVersion {
		b = binary.AppendUvarint(b, uint64(len(c.RequestContext)))
		for _, k := range c.RequestContext {
			b = appendString(b, k.Key)
			b = appendString(b, k.Value)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(p.data)))
	return append(b, p.data...)
}

// decodeBody is appendBody's inverse, for a body of the given token
// version: version 1 has no lineage and always writes the parent key;
// versions 1 and 2 write issue times in seconds; versions before 4 have no
// request context. All
// strings are substrings of s, but for ancestors' ARNs written in short
// form (decodeLineage).
func decodeBody(version byte, s string, c *Claims) error {
	d := decoder{s: s}
	flags := d.byte()
	c.PrincipalType = PrincipalType(d.byte())
	depth := int(d.byte())
	allowed := byte(flagsV2)
	if version == tokenVersionV1 {
		depth, allowed = 0, flagsV1 // its depth byte counted nothing the token carried
	}
	if depth > MaxChainDepth || flags&^allowed != 0 {
		return errMalformed
	}
	if issued := d.varint(); version >= tokenVersionV3 {
		c.IssuedAt = time.UnixMicro(issued).UTC()
	} else {
		c.IssuedAt = time.Unix(issued, 0).UTC()
	}
	c.Expires = time.Unix(d.varint(), 0).UTC()
	if mfa := d.varint(); mfa != 0 {
		c.MFAAuthTime = time.Unix(mfa, 0).UTC()
	}
	c.MFAAuthenticated = flags&flagMFA != 0
	c.SessionID = d.str()
	c.AccountID = d.str()
	c.AccessKeyID = d.str()
	c.SecretAccessKey = Secret{s: d.str()}
	c.PrincipalARN = d.str()
	c.PrincipalID = d.str()
	c.SessionARN = d.str()
	c.SessionName = d.str()
	c.SourceIdentity = d.str()
	c.Provider = d.str()
	c.Subject = d.str()
	if flags&flagParentDerived == 0 {
		c.ParentAccessKeyID = d.str()
	}
	c.RootAccessKeyID = d.str()
	if n := d.count(1); n > 0 {
		c.TransitiveTagKeys = make([]string, n)
		for i := range c.TransitiveTagKeys {
			c.TransitiveTagKeys[i] = d.str()
		}
	}
	if depth > 0 {
		decodeLineage(&d, c, depth, version >= tokenVersionV3)
	}
	if version >= tokenVersion {
		if err := decodeRequestContext(&d, c); err != nil {
			return err
		}
	}
	if flags&flagParentDerived != 0 {
		c.ParentAccessKeyID = c.RootAccessKeyID
		if len(c.Lineage) > 0 {
			c.ParentAccessKeyID = c.Lineage[0].AccessKeyID
		}
	}
	packed := d.str()
	if d.err != nil || d.rest() != 0 || !c.PrincipalType.valid() {
		return errMalformed
	}
	if packed == "" {
		return nil
	}
	if flags&flagCompressed != 0 {
		raw, err := inflate([]byte(packed))
		if err != nil {
			return errMalformed
		}
		packed = string(raw)
	}
	return unpack(packed, c)
}

// decodeRequestContext reads a version 4 body's request context, held to
// the bounds Seal enforces: a token sealed with more (by a compromised
// key, or a bug) is malformed, not trusted.
func decodeRequestContext(d *decoder, c *Claims) error {
	n := d.count(2)
	if n == 0 {
		return nil
	}
	if n > MaxRequestContextKeys {
		return errMalformed
	}
	c.RequestContext = make([]ContextKey, n)
	for i := range c.RequestContext {
		c.RequestContext[i] = ContextKey{Key: d.str(), Value: d.str()}
	}
	if d.err == nil && checkRequestContext(c.RequestContext) != nil {
		return errMalformed
	}
	return nil
}

var tokenBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Open verifies a session token presented with accessKeyID at time now and
// returns its claims. A token that is not genuine, not sealed by a key in
// the ring, or not bound to accessKeyID yields a *TokenInvalidError; a
// genuine token whose session has ended yields a *TokenExpiredError. Open
// reads no shared state but an atomic snapshot of the ring.
func (r *TokenKeyRing) Open(token, accessKeyID string, now time.Time) (Claims, error) {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return Claims{}, &TokenInvalidError{Reason: TokenMalformed}
	}
	bp := tokenBufs.Get().(*[]byte)
	defer tokenBufs.Put(bp)
	buf := (*bp)[:0]
	buf, err := strictBase64.AppendDecode(buf, []byte(token))
	*bp = buf
	if err != nil || len(buf) < 2 || buf[0] < tokenVersionV1 || buf[0] > tokenVersion {
		return Claims{}, &TokenInvalidError{Reason: TokenMalformed}
	}
	version := buf[0]
	idLen := int(buf[1])
	hdrLen := 2 + idLen
	if idLen == 0 || idLen > maxKeyIDLen || len(buf) < hdrLen+nonceLen+gcmTagLen {
		return Claims{}, &TokenInvalidError{Reason: TokenMalformed}
	}
	k := r.load().keys[string(buf[2:hdrLen])]
	if k == nil {
		return Claims{}, &TokenInvalidError{Reason: TokenUnknownKey, KeyID: string(buf[2:hdrLen])}
	}
	if !k.notAfter.IsZero() && now.After(k.notAfter) {
		return Claims{}, &TokenInvalidError{Reason: TokenKeyRetired, KeyID: k.id}
	}
	// The additional data (header + access key id) is built in the spare
	// capacity after the ciphertext, so it costs no allocation when the
	// pooled buffer is large enough.
	end := len(buf)
	withAD := append(buf, buf[:hdrLen]...)
	withAD = append(withAD, accessKeyID...)
	*bp = withAD
	ad := withAD[end:]
	ct := withAD[hdrLen+nonceLen : end]
	plain, err := k.aead.Open(ct[:0], withAD[hdrLen:hdrLen+nonceLen], ct, ad)
	if err != nil {
		return Claims{}, &TokenInvalidError{Reason: TokenForged, KeyID: k.id}
	}
	var c Claims
	body := string(plain)
	clear(plain) // the pooled buffer must not keep the secret
	if err := decodeBody(version, body, &c); err != nil {
		return Claims{}, &TokenInvalidError{Reason: TokenMalformed, KeyID: k.id}
	}
	if c.AccessKeyID != accessKeyID {
		return Claims{}, &TokenInvalidError{Reason: TokenKeyMismatch, KeyID: k.id}
	}
	if !now.Before(c.Expires) {
		return Claims{}, &TokenExpiredError{Expired: c.Expires}
	}
	return c, nil
}
