package store

import (
	"context"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// SessionRecord is the issuance record of one temporary credential: who
// holds what, since when, until when and from where. Verification never
// reads it (tokens are self-contained); listing sessions and revoking a
// chain of derived credentials do.
type SessionRecord struct {
	AccessKeyID string // the ASIA… id; not unique (see Sessions)
	SessionID   string
	Account     string
	// PrincipalARN is the underlying principal (role, user, federated
	// user); SessionARN what the session acts as.
	PrincipalARN string
	SessionARN   string
	Kind         string // the issuing action: AssumeRole, GetSessionToken, …
	SessionName  string
	SourceIP     string
	// ParentAccessKeyID signed the issuing request; RootAccessKeyID is the
	// long-term key at the root of the chain ("" for federation).
	ParentAccessKeyID string
	RootAccessKeyID   string
	Issued            time.Time
	Expires           time.Time
}

// SessionFilter selects issuance records. Zero fields select everything.
type SessionFilter struct {
	Account      string
	AccessKeyID  string
	PrincipalARN string // matches PrincipalARN or SessionARN
	// ActiveAt keeps records that expire after it.
	ActiveAt time.Time
	// IssuedBefore keeps records issued strictly before it.
	IssuedBefore time.Time
	// Limit caps the result (0 = no cap).
	Limit int
}

// Sessions stores issuance records. Recording does not write the change
// feed: no cache depends on it.
//
// Records are not unique by access key id. An id has only 39 random bits
// (credential's layout), so two live sessions may share one, rarely; the
// records then list both. Revoking the id already covers every credential
// bearing it (revocation.List matches the key ids in the claims), so
// nothing needs the id to be unique. Not enforcing it spares the embedded
// store a B-tree keyed by random ids, which was most of an insert's cost:
// each insert dirtied a page of its own, written out at commit.
type Sessions interface {
	// Record adds r.
	Record(ctx context.Context, r SessionRecord) error
	// RecordMany adds rs in one transaction, so that concurrent issuances
	// share one commit (group commit): all are added, or none and the
	// error says why.
	RecordMany(ctx context.Context, rs []SessionRecord) error
	// List returns the matching records ordered by Issued, then access key
	// id, then session id.
	List(ctx context.Context, f SessionFilter) ([]SessionRecord, error)
	// Prune deletes records that expired before t and returns how many.
	Prune(ctx context.Context, t time.Time) (int64, error)
}

// Revocation kinds.
const (
	// RevokeKey revokes one access key id: the temporary credential with
	// that id and every credential whose parent or root key it is.
	RevokeKey = "key"
	// RevokePrincipal revokes every session of the principal ARN (as
	// PrincipalARN or SessionARN) issued before NotBefore.
	RevokePrincipal = "principal"
)

// Revocation is one entry of the exception list.
type Revocation struct {
	ID        int64 // assigned by Add
	Kind      string
	Account   string
	Target    string // an access key id or a principal ARN
	NotBefore time.Time
	// ExpiresAt is when the last credential the entry covers expires;
	// after it the entry is pointless and may be pruned.
	ExpiresAt time.Time
	Created   time.Time
	CreatedBy string // the caller's ARN, for the record
}

// Revocations stores the exception list. Every Add is announced on the
// change feed (ChangeRevocation) in the same transaction.
type Revocations interface {
	// Add records rev and returns it with its ID.
	Add(ctx context.Context, rev Revocation) (Revocation, error)
	// Active returns the entries with ExpiresAt after t, ordered by ID.
	Active(ctx context.Context, t time.Time) ([]Revocation, error)
	// Prune deletes entries that expired before t and returns how many.
	Prune(ctx context.Context, t time.Time) (int64, error)
}

// SessionRecordOf is the record of an issuance.
func SessionRecordOf(i *request.Issuance) SessionRecord {
	return SessionRecord{
		AccessKeyID: i.AccessKeyID, Kind: i.Kind, Account: i.Account,
		PrincipalARN: i.PrincipalARN, SessionARN: i.SessionARN, SessionName: i.SessionName,
		ParentAccessKeyID: i.ParentAccessKeyID, RootAccessKeyID: i.RootAccessKeyID, SourceIP: i.SourceIP,
		Issued: i.Issued.UTC().Truncate(time.Microsecond), Expires: i.Expires,
	}
}
