package lookup_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/audit/eventindex"
	"github.com/brevet-dev/brevet/internal/audit/lookup"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/store"
	"github.com/brevet-dev/brevet/internal/store/teststores"
)

// mixedTrail writes n events of two users of the trail's account and one
// of another account, with failures, issuances and data events.
func mixedTrail(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	a, err := audit.Open(audit.Options{Dir: dir, DigestInterval: -1, Account: "123456789012",
		Signer: audit.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))})
	if err != nil {
		t.Fatal(err)
	}
	users := []*identity.Principal{
		{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/alice",
			PrincipalID: "AIDAALICE", AccessKeyID: "AKIAALICE00000000001", UserName: "alice"},
		{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/bob",
			PrincipalID: "AIDABOB", AccessKeyID: "AKIABOB0000000000001", UserName: "bob"},
		{Type: identity.IAMUser, Account: "210987654321", CallerARN: "arn:aws:iam::210987654321:user/carol",
			PrincipalID: "AIDACAROL", AccessKeyID: "AKIACAROL00000000001", UserName: "carol"},
	}
	for i := 0; i < n; i++ {
		rec := &request.Record{RequestID: fmt.Sprint("req-", i), Service: "STS", Action: "GetCallerIdentity",
			Effect: request.ReadOnly, Principal: users[i%len(users)], SourceIP: "192.0.2.1", UserAgent: "test",
			Start: t0.Add(time.Duration(i/2) * time.Second), Status: 200}
		switch {
		case i%4 == 0:
			rec.Action, rec.Effect = "AssumeRole", request.IssuesCredentials
			rec.ResponseElements = map[string]any{"credentials": map[string]any{"accessKeyId": fmt.Sprintf("ASIAISSUED%010d", i), "expiration": "2026-11-22T09:00:00Z"}}
		case i%5 == 0:
			rec.ErrorCode, rec.ErrorMessage, rec.Status = "AccessDenied", "no", 403
		case i%7 == 0:
			rec.Service, rec.Action, rec.Category = "s3", "GetObject", request.CategoryData
			rec.Resources = []request.Resource{{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::b"}}
		case i%11 == 0:
			rec.ErrorCode, rec.ErrorMessage, rec.Status = "ExpiredToken", "old", 400
		}
		if err := a.Audit(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// indexTrail indexes the trail in dir into st, as the node does at start.
func indexTrail(t *testing.T, st store.EventIndex, dir string) {
	t.Helper()
	ix := eventindex.New(st, func(after, upTo uint64, fn func(audit.Record) error) error {
		return audit.WalkRecordsAfter(dir, after, upTo, func(r audit.Record, _ audit.Position) error { return fn(r) })
	}, nil)
	if _, err := ix.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestLookupFromTheIndexMatchesTheScan: every query the index can answer
// gets the same pages, byte for byte (events, order, tokens), from the
// index as from a scan of the trail, for each account.
func TestLookupFromTheIndexMatchesTheScan(t *testing.T) {
	dir := mixedTrail(t, 90)
	from, to := t0.Add(10*time.Second).Unix(), t0.Add(30*time.Second).Unix()
	bodies := []string{
		`{}`,
		fmt.Sprintf(`{"StartTime":%d,"EndTime":%d}`, from, to),
		fmt.Sprintf(`{"StartTime":%d.5}`, from),
		`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"AssumeRole"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"bob"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"AKIAALICE00000000001"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"false"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"EventSource","AttributeValue":"s3.amazonaws.com"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"EventId","AttributeValue":"nope"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"ErrorCode","AttributeValue":"*"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"ErrorCode","AttributeValue":"AccessDenied"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"IssuedAccessKeyId","AttributeValue":"ASIAISSUED0000000008"}]}`,
		`{"IncludeDataEvents":true}`,
		`{"IncludeDataEvents":true,"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"AKIABOB0000000000001"}]}`,
		fmt.Sprintf(`{"StartTime":%d,"LookupAttributes":[{"AttributeKey":"Username","AttributeValue":"alice"},{"AttributeKey":"ErrorCode","AttributeValue":"*"}]}`, from),
	}
	callers := []request.Principal{
		&identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/auditor"},
		&identity.Principal{Type: identity.IAMUser, Account: "210987654321", CallerARN: "arn:aws:iam::210987654321:user/auditor"},
		&identity.Principal{Type: identity.IAMUser, Account: "555555555555", CallerARN: "arn:aws:iam::555555555555:user/auditor"},
	}
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) {
		ix := st.(store.EventIndex)
		indexTrail(t, ix, dir)
		for _, p := range callers {
			auth := func(*http.Request, []byte) (request.Principal, error) { return p, nil }
			scan, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(auth, &recorder{})})
			if err != nil {
				t.Fatal(err)
			}
			indexed, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(auth, &recorder{}),
				Index: &lookup.Index{Store: ix}})
			if err != nil {
				t.Fatal(err)
			}
			acct := p.(*identity.Principal).Account
			total := 0
			for _, body := range bodies {
				want := pages(t, scan, body)
				got := pages(t, indexed, body)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s %s: pages from the index differ from the scan's (-scan +index):\n%s", acct, body, diff)
				}
				for _, pg := range got {
					total += len(pg.Events)
					for _, e := range pg.Events {
						var ev audit.Event
						if err := json.Unmarshal([]byte(e.CloudTrailEvent), &ev); err != nil {
							t.Fatal(err)
						}
						if ev.RecipientAccountID != acct && ev.UserIdentity.AccountID != acct {
							t.Errorf("%s got event %s of another account", acct, e.EventId)
						}
					}
				}
			}
			if got := total > 0; got != (acct != "555555555555") {
				t.Errorf("account %s got %d events", acct, total)
			}
		}
	})
}

// pages follows the tokens from body to the last page, 4 events a page.
func pages(t *testing.T, h http.Handler, body string) []lookupResponse {
	t.Helper()
	var req map[string]any
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	req["MaxResults"] = 4
	var out []lookupResponse
	for range 100 {
		b, _ := json.Marshal(req)
		code, rb := call(t, h, string(b))
		if code != 200 {
			t.Fatalf("%s: %d %s", b, code, rb)
		}
		var resp lookupResponse
		if err := json.Unmarshal(rb, &resp); err != nil {
			t.Fatal(err)
		}
		out = append(out, resp)
		if resp.NextToken == "" {
			return out
		}
		req["NextToken"] = resp.NextToken
	}
	t.Fatalf("%s: more than 100 pages", body)
	return nil
}

// TestLookupWaitsForTheIndexBriefly: an event acknowledged before a
// LookupEvents call is in its answer although the index is written behind
// the trail (the file trail's Index.Flush), and a flush that does not end
// delays the answer by FlushWait at most: the index's events then.
func TestLookupWaitsForTheIndexBriefly(t *testing.T) {
	dir := mixedTrail(t, 8)
	p := &identity.Principal{Type: identity.IAMUser, Account: "123456789012", CallerARN: "arn:aws:iam::123456789012:user/auditor"}
	auth := func(*http.Request, []byte) (request.Principal, error) { return p, nil }
	teststores.Each(t, time.Now, func(t *testing.T, st store.Store) {
		ix := st.(store.EventIndex)
		flushed := 0
		h, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(auth, &recorder{}),
			Index: &lookup.Index{Store: ix, Flush: func(context.Context) error {
				flushed++
				indexTrail(t, ix, dir) // the batches the trail acknowledged
				return nil
			}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := pages(t, h, `{}`); flushed == 0 || len(got) == 0 || len(got[0].Events) == 0 {
			t.Fatalf("after %d flushes: %+v; want the trail's events", flushed, got)
		}

		stuck, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(auth, &recorder{}),
			Index: &lookup.Index{Store: ix, Flush: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		code, body := call(t, stuck, `{"MaxResults":1}`)
		if code != 200 || !bytes.Contains(body, []byte(`"EventId"`)) {
			t.Errorf("with a stuck flush: %d %s; want the index's events", code, body)
		}
		if d := time.Since(start); d > lookup.FlushWait+time.Second {
			t.Errorf("with a stuck flush the answer took %v; want at most FlushWait (%v)", d, lookup.FlushWait)
		}
	})
}

// TestNextTokenIsBoundToTheAccount: a NextToken is valid only for the
// parameters and the account it was issued to; another account's caller
// presenting it (the same parameters) is refused, as CloudTrail refuses a
// token it did not issue for the call.
func TestNextTokenIsBoundToTheAccount(t *testing.T) {
	dir := mixedTrail(t, 30)
	handler := func(acct string) http.Handler {
		p := &identity.Principal{Type: identity.IAMUser, Account: acct, CallerARN: "arn:aws:iam::" + acct + ":user/auditor"}
		h, err := lookup.NewHandler(lookup.Config{Dir: dir, Pipeline: pipeline(func(*http.Request, []byte) (request.Principal, error) { return p, nil }, &recorder{})})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, b := handler("123456789012"), handler("210987654321")
	code, body := call(t, a, `{"MaxResults":2}`)
	var resp lookupResponse
	if err := json.Unmarshal(body, &resp); code != 200 || err != nil || resp.NextToken == "" {
		t.Fatalf("first page: %d %s", code, body)
	}
	next := fmt.Sprintf(`{"MaxResults":2,"NextToken":%q}`, resp.NextToken)
	if code, body := call(t, a, next); code != 200 {
		t.Errorf("the token with its own account: %d %s", code, body)
	}
	if code, body := call(t, b, next); code != 400 || !bytes.Contains(body, []byte("InvalidNextTokenException")) {
		t.Errorf("another account's token: %d %s; want 400 InvalidNextTokenException", code, body)
	}
}
