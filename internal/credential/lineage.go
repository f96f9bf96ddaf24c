package credential

import (
	"encoding/binary"
	"strings"
	"time"
)

// The lineage in a token body (versions 2 and 3): for each ancestor,
// nearest first, a form byte, its access key id, its principal ARN, its
// session ARN (absent when it equals the principal ARN) and its age at this
// session's issue (zig-zag varint microseconds; seconds in version 2). Tokens go in every request header, so
// the ARNs are written short where the form byte lets the decoder rebuild
// them exactly:
//
//   - ancPrincipalInAccount: the principal ARN is arn:aws:iam::ACCOUNT:REST
//     with this session's account; only REST is written.
//   - ancSessionIsPrincipal: the session ARN equals the principal ARN
//     (GetSessionToken sessions); nothing is written.
//   - ancSessionAssumedRole: the principal is a role and the session ARN is
//     its assumed-role ARN, arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION;
//     only SESSION is written.
//
// The encoder uses a short form only when it reproduces the string, so any
// ARN round-trips.
const (
	ancPrincipalInAccount = 1 << 0
	ancSessionIsPrincipal = 1 << 1
	ancSessionAssumedRole = 1 << 2
	ancForms              = ancPrincipalInAccount | ancSessionIsPrincipal | ancSessionAssumedRole
)

const iamARNPrefix = "arn:aws:iam::"

// lineageBound is at least the length appendLineage writes for l.
func lineageBound(l []Ancestor) int {
	n := 0
	for i := range l {
		a := &l[i]
		n += 1 + 4*binary.MaxVarintLen64 + len(a.AccessKeyID) + len(a.PrincipalARN) + len(a.SessionARN)
	}
	return n
}

// appendLineage writes c's lineage (its length is the body's depth byte).
func appendLineage(b []byte, c *Claims) []byte {
	issued := c.IssuedAt.UnixMicro()
	for i := range c.Lineage {
		a := &c.Lineage[i]
		var form byte
		principal, session := a.PrincipalARN, a.SessionARN
		if rest, ok := cutPieces(a.PrincipalARN, iamARNPrefix, c.AccountID, ":"); ok && strings.IndexByte(c.AccountID, ':') < 0 {
			form |= ancPrincipalInAccount
			principal = rest
		}
		if a.SessionARN == a.PrincipalARN {
			form |= ancSessionIsPrincipal
		} else if part, acct, role, ok := roleARNParts(a.PrincipalARN); ok {
			if name, ok := cutPieces(a.SessionARN, "arn:", part, ":sts::", acct, ":assumed-role/", role, "/"); ok {
				form |= ancSessionAssumedRole
				session = name
			}
		}
		b = append(b, form)
		b = appendString(b, a.AccessKeyID)
		b = appendString(b, principal)
		if form&ancSessionIsPrincipal == 0 {
			b = appendString(b, session)
		}
		b = binary.AppendVarint(b, issued-a.IssuedAt.UnixMicro())
	}
	return b
}

// decodeLineage reads n ancestors into c.Lineage. Strings written whole are
// substrings of the body; those written short are rebuilt in one string
// shared by the lineage, so a lineage costs at most two allocations. micro
// says the ages are in microseconds (version 3), not seconds.
func decodeLineage(d *decoder, c *Claims, n int, micro bool) {
	var forms [MaxChainDepth]byte
	l := make([]Ancestor, n)
	issued, unit := c.IssuedAt.Unix(), time.Second
	if micro {
		issued, unit = c.IssuedAt.UnixMicro(), time.Microsecond
	}
	size := 0
	for i := range l {
		f := d.byte()
		a := &l[i]
		a.AccessKeyID = d.str()
		a.PrincipalARN = d.str()
		if f&ancSessionIsPrincipal == 0 {
			a.SessionARN = d.str()
		}
		a.IssuedAt = time.Unix(0, 0).Add(time.Duration(issued-d.varint()) * unit).UTC()
		if d.err != nil {
			return
		}
		if f&^ancForms != 0 || f&(ancSessionIsPrincipal|ancSessionAssumedRole) == ancSessionIsPrincipal|ancSessionAssumedRole {
			d.err = errMalformed
			return
		}
		forms[i] = f
		if f&ancPrincipalInAccount != 0 {
			size += len(iamARNPrefix) + len(c.AccountID) + 1 + len(a.PrincipalARN)
		}
		if f&ancSessionAssumedRole != 0 {
			part, acct, role, ok := principalParts(f, a.PrincipalARN, c.AccountID)
			if !ok {
				d.err = errMalformed
				return
			}
			size += len("arn:") + len(part) + len(":sts::") + len(acct) + len(":assumed-role/") + len(role) + 1 + len(a.SessionARN)
		}
	}
	if size > 0 {
		expandLineage(l, forms[:n], c.AccountID, size)
	}
	for i := range l {
		if forms[i]&ancSessionIsPrincipal != 0 {
			l[i].SessionARN = l[i].PrincipalARN
		}
	}
	c.Lineage = l
}

// expandLineage rebuilds the ARNs written short, in one string of size
// bytes. Session ARNs are rebuilt first: they read the principal as
// written.
func expandLineage(l []Ancestor, forms []byte, account string, size int) {
	type span struct{ principal, session [2]int }
	var spans [MaxChainDepth]span
	var sb strings.Builder
	sb.Grow(size)
	write := func(pieces ...string) [2]int {
		start := sb.Len()
		for _, p := range pieces {
			sb.WriteString(p)
		}
		return [2]int{start, sb.Len()}
	}
	for i, f := range forms {
		a := &l[i]
		if f&ancSessionAssumedRole != 0 {
			part, acct, role, _ := principalParts(f, a.PrincipalARN, account)
			spans[i].session = write("arn:", part, ":sts::", acct, ":assumed-role/", role, "/", a.SessionARN)
		}
		if f&ancPrincipalInAccount != 0 {
			spans[i].principal = write(iamARNPrefix, account, ":", a.PrincipalARN)
		}
	}
	s := sb.String()
	for i, f := range forms {
		if f&ancSessionAssumedRole != 0 {
			l[i].SessionARN = s[spans[i].session[0]:spans[i].session[1]]
		}
		if f&ancPrincipalInAccount != 0 {
			l[i].PrincipalARN = s[spans[i].principal[0]:spans[i].principal[1]]
		}
	}
}

// principalParts is roleARNParts of an ancestor's principal ARN as written
// (whole, or the rest after arn:aws:iam::ACCOUNT: in the short form).
func principalParts(form byte, written, account string) (part, acct, role string, ok bool) {
	if form&ancPrincipalInAccount == 0 {
		return roleARNParts(written)
	}
	rest, found := strings.CutPrefix(written, "role/")
	if !found || strings.IndexByte(account, ':') >= 0 {
		return "", "", "", false
	}
	role = rest[strings.LastIndexByte(rest, '/')+1:]
	return "aws", account, role, role != ""
}

// roleARNParts splits a role ARN, arn:PARTITION:iam::ACCOUNT:role/PATH/NAME,
// into the parts of its sessions' ARNs (the path is not one of them).
func roleARNParts(arn string) (part, acct, role string, ok bool) {
	rest, found := strings.CutPrefix(arn, "arn:")
	if !found {
		return "", "", "", false
	}
	if part, rest, found = strings.Cut(rest, ":"); !found {
		return "", "", "", false
	}
	if rest, found = strings.CutPrefix(rest, "iam::"); !found {
		return "", "", "", false
	}
	if acct, rest, found = strings.Cut(rest, ":"); !found {
		return "", "", "", false
	}
	if rest, found = strings.CutPrefix(rest, "role/"); !found {
		return "", "", "", false
	}
	role = rest[strings.LastIndexByte(rest, '/')+1:]
	return part, acct, role, role != ""
}

// cutPieces returns s without the prefix made of pieces, and whether s had
// it.
func cutPieces(s string, pieces ...string) (string, bool) {
	for _, p := range pieces {
		var ok bool
		if s, ok = strings.CutPrefix(s, p); !ok {
			return "", false
		}
	}
	return s, true
}
