package request_test

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/request"
)

func TestAccessDeniedSentence(t *testing.T) {
	const user = "arn:aws:iam::123456789012:user/alice"
	for _, tc := range []struct {
		name string
		e    request.AccessDeniedError
		want string
	}{
		{"bare", request.AccessDeniedError{Principal: user, Action: "iam:ListUsers", Resource: "arn:aws:iam::123456789012:user/"},
			"User: " + user + " is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/"},
		{"implicit deny", request.AccessDeniedError{Principal: user, Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/r",
			Decision: request.Decision{Reason: "no identity-based policy allows the sts:AssumeRole action"}},
			"User: " + user + " is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r because no identity-based policy allows the sts:AssumeRole action"},
		{"explicit deny", request.AccessDeniedError{Principal: user, Action: "iam:DeleteUser", Resource: "arn:aws:iam::123456789012:user/bob",
			Decision: request.Decision{Reason: "an explicit deny in an identity-based policy", ExplicitDeny: true}},
			"User: " + user + " is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/bob with an explicit deny in an identity-based policy"},
		{"no resource named (CloudTrail)", request.AccessDeniedError{Principal: user, Action: "cloudtrail:LookupEvents",
			Decision: request.Decision{Reason: "no identity-based policy allows the cloudtrail:LookupEvents action"}},
			"User: " + user + " is not authorized to perform: cloudtrail:LookupEvents because no identity-based policy allows the cloudtrail:LookupEvents action"},
		{"encoded message", request.AccessDeniedError{Principal: "anonymous", Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/r",
			Decision: request.Decision{EncodedMessage: "AbC123"}},
			"User: anonymous is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r. Encoded authorization failure message: AbC123"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

func TestEffect(t *testing.T) {
	for _, tc := range []struct {
		e             request.Effect
		valid, writes bool
		name          string
	}{
		{0, false, false, "NoEffect"},
		{request.ReadOnly, true, false, "ReadOnly"},
		{request.Writes, true, true, "Writes"},
		{request.IssuesCredentials, true, true, "IssuesCredentials"},
		{request.IssuesCredentials + 1, false, false, "NoEffect"},
	} {
		if tc.e.Valid() != tc.valid || tc.e.Writes() != tc.writes || tc.e.String() != tc.name {
			t.Errorf("%d: valid %v writes %v %q; want %v %v %q", tc.e, tc.e.Valid(), tc.e.Writes(), tc.e, tc.valid, tc.writes, tc.name)
		}
	}
}

func TestNewIDFormat(t *testing.T) {
	id := request.NewID()
	if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[14] != '4' || id[18] != '-' || id[23] != '-' {
		t.Errorf("request id %q is not a v4 UUID", id)
	}
	if id == request.NewID() {
		t.Error("two request ids are equal")
	}
}

// TestExchangeUnchanged: Wrote is the declared effect until the action
// says it wrote nothing.
func TestExchangeUnchanged(t *testing.T) {
	x := &request.Exchange{Op: &request.Operation{Effect: request.Writes}}
	if !x.Wrote() {
		t.Fatal("a Writes action did not write")
	}
	x.Unchanged()
	if x.Wrote() {
		t.Fatal("an action that called Unchanged wrote")
	}
	for _, e := range []request.Effect{request.ReadOnly, request.IssuesCredentials} {
		if got := (&request.Exchange{Op: &request.Operation{Effect: e}}).Wrote(); got != e.Writes() {
			t.Errorf("%v: Wrote %v", e, got)
		}
	}
	if (&request.Exchange{}).Wrote() {
		t.Error("no action wrote")
	}
}
