// Package eventindex keeps the audit event index (store.EventIndex) behind
// the audit trail: the rows the console's audit explorer and LookupEvents
// read instead of scanning the trail.
//
// It owns turning an event into its index rows (Rows) and, for the file
// trail, the Indexer that writes them behind the trail and catches up
// from it. It must not decide what is recorded (package audit does) nor
// answer requests (package lookup does). On PostgreSQL the audit sink
// writes the rows in the transaction that inserts the events.
package eventindex

import (
	"bytes"
	"strings"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/store"
)

// Rows are the index rows of one event at key: one per account it
// concerns (the recipient's, and the caller's when it differs), so that
// each account's pages are one range of the index.
func Rows(key uint64, raw []byte) ([]store.EventRecord, error) {
	rows, _, err := entry(key, raw)
	return rows, err
}

// entry is Rows, and for the event that records retention pruning
// (TrailFilesPruned) the last event it pruned: the index forgets every
// event up to it.
func entry(key uint64, raw []byte) (rows []store.EventRecord, prunedTo uint64, err error) {
	e, err := audit.DecodeEvent(raw)
	if err != nil {
		return nil, 0, err
	}
	if ad := e.AdditionalEventData; ad != nil && ad.TrailPruned != nil &&
		e.EventName == audit.TrailFilesPrunedEvent && e.EventSource == audit.BrevetEventSource {
		prunedTo = ad.TrailPruned.LastSeq
	}
	return rowsOf(key, raw, e), prunedTo, nil
}

// rowsOf is Rows of the decoded event e.
func rowsOf(key uint64, raw []byte, e *audit.Event) []store.EventRecord {
	u := &e.UserIdentity
	r := store.EventRecord{
		Key: key, Time: e.Time(), EventID: e.EventID, Source: e.EventSource, Name: e.EventName,
		PrincipalARN: u.ARN, Username: e.Username(), AccessKeyID: u.AccessKeyID,
		ErrorCode: e.ErrorCode, ReadOnly: e.ReadOnly,
		Management: !strings.EqualFold(e.EventCategory, audit.CategoryData),
		Event:      bytes.Clone(raw),
	}
	if sc := u.SessionContext; sc != nil && sc.SessionIssuer != nil {
		r.IssuerARN = sc.SessionIssuer.ARN
	}
	r.IssuedKeyID = IssuedKey(e)
	var rows []store.EventRecord
	for _, a := range []string{e.RecipientAccountID, u.AccountID} {
		if a == "" || (len(rows) == 1 && rows[0].Account == a) {
			continue
		}
		r.Account = a
		rows = append(rows, r)
	}
	return rows
}

// IssuedKey is the temporary credential e issued, as the index records it
// (EventRecord.IssuedKeyID): additionalEventData.issuedCredential, else
// responseElements.credentials; "" for none.
func IssuedKey(e *audit.Event) string {
	if ad := e.AdditionalEventData; ad != nil && ad.IssuedCredential != nil {
		return ad.IssuedCredential.AccessKeyID
	}
	return e.IssuedAccessKeyID()
}
