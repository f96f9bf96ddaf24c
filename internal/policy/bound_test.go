package policy

import (
	"fmt"
	"testing"
)

// TestBoundPrincipals checks that a principal bound to a unique id when
// its policy was saved matches only the user or role with that id: a
// principal deleted and made again under its name (same ARN, new id) is
// refused, in Principal and NotPrincipal alike.
func TestBoundPrincipals(t *testing.T) {
	const (
		acct       = "111122223333"
		userARN    = "arn:aws:iam::" + acct + ":user/ghost"
		roleARN    = "arn:aws:iam::" + acct + ":role/dev"
		sessionARN = "arn:aws:sts::" + acct + ":assumed-role/dev/sess"
	)
	oldUser := Caller{Kind: IAMUser, ARN: userARN, Account: acct, UserName: "ghost", UserID: "AIDAOLDGHOST0000000001"}
	newUser := oldUser
	newUser.UserID = "AIDANEWGHOST0000000002"
	renamed := oldUser // UpdateUser renamed it: the id, and so the trust, follow
	renamed.ARN, renamed.UserName = "arn:aws:iam::"+acct+":user/spectre", "spectre"
	oldSession := Caller{Kind: AssumedRole, ARN: sessionARN, Account: acct, SessionIssuer: roleARN,
		SessionIssuerID: "AROAOLDDEV00000000001", UserID: "AROAOLDDEV00000000001:sess"}
	newSession := oldSession
	newSession.SessionIssuerID, newSession.UserID = "AROANEWDEV00000000002", "AROANEWDEV00000000002:sess"
	orphan := oldUser // a caller whose entity is gone carries no id
	orphan.UserID = ""

	bound := []Binding{{ARN: userARN, ID: oldUser.UserID}, {ARN: roleARN, ID: oldSession.SessionIssuerID},
		{ARN: sessionARN, ID: oldSession.SessionIssuerID}}
	trust := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + principal + `},"Action":"sts:AssumeRole"}]}`
	}
	tests := []struct {
		name   string
		doc    string
		bound  []Binding
		caller Caller
		want   Outcome
	}{
		{"bound user, same id", trust(`"` + userARN + `"`), bound, oldUser, Allowed},
		{"bound user, new user of the name", trust(`"` + userARN + `"`), bound, newUser, ImplicitlyDenied},
		{"bound user, renamed", trust(`"` + userARN + `"`), bound, renamed, Allowed},
		{"bound user, caller without id", trust(`"` + userARN + `"`), bound, orphan, ImplicitlyDenied},
		{"unbound user matches by ARN", trust(`"` + userARN + `"`), nil, newUser, Allowed},
		{"deleted principal's id, same id", trust(`"` + oldUser.UserID + `"`), nil, oldUser, Allowed},
		{"deleted principal's id, new user", trust(`"` + oldUser.UserID + `"`), nil, newUser, ImplicitlyDenied},
		{"bound role, its session", trust(`"` + roleARN + `"`), bound, oldSession, Allowed},
		{"bound role, session of the new role", trust(`"` + roleARN + `"`), bound, newSession, ImplicitlyDenied},
		{"bound session, same role", trust(`"` + sessionARN + `"`), bound, oldSession, Allowed},
		{"bound session, new role", trust(`"` + sessionARN + `"`), bound, newSession, ImplicitlyDenied},
		{"binding of another value does not apply", trust(`"` + userARN + `"`), []Binding{{ARN: roleARN, ID: "AROAX"}}, newUser, Allowed},
		{"bound to no one", trust(`"` + userARN + `"`), []Binding{{ARN: userARN}}, newUser, ImplicitlyDenied},
		{"account is never bound", trust(`"` + acct + `"`), bound, newUser, ImplicitlyDenied}, // needs an identity policy
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			cp, err := CompileBound(doc, TypeTrust, "trust", tt.bound)
			if err != nil {
				t.Fatal(err)
			}
			set, _ := NewSet()
			req := &Request{Caller: tt.caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::" + acct + ":role/target", ResourceAccount: acct}
			if got := set.Evaluate(req, cp).Outcome; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// NotPrincipal: a Deny spares only the bound principal itself.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},` +
		`{"Effect":"Deny","NotPrincipal":{"AWS":["` + userARN + `","` + acct + `"]},"Action":"sts:AssumeRole"}]}`
	for _, tc := range []struct {
		caller Caller
		want   Outcome
	}{{oldUser, Allowed}, {newUser, ExplicitlyDenied}} {
		doc, err := Parse([]byte(deny))
		if err != nil {
			t.Fatal(err)
		}
		cp, err := CompileBound(doc, TypeTrust, "trust", bound)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := NewSet()
		req := &Request{Caller: tc.caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::" + acct + ":role/target", ResourceAccount: acct}
		if got := set.Evaluate(req, cp).Outcome; got != tc.want {
			t.Errorf("NotPrincipal Deny, caller id %s: got %v, want %v", tc.caller.UserID, got, tc.want)
		}
	}
}

func ExampleCompileBound() {
	doc, _ := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::111122223333:user/ghost"},"Action":"sts:AssumeRole"}]}`))
	trust, _ := CompileBound(doc, TypeTrust, "trust", []Binding{{ARN: "arn:aws:iam::111122223333:user/ghost", ID: "AIDAOLDGHOST0000000001"}})
	set, _ := NewSet()
	for _, id := range []string{"AIDAOLDGHOST0000000001", "AIDANEWGHOST0000000002"} {
		req := &Request{Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/r", ResourceAccount: "111122223333",
			Caller: Caller{Kind: IAMUser, ARN: "arn:aws:iam::111122223333:user/ghost", Account: "111122223333", UserID: id}}
		fmt.Println(id, set.Evaluate(req, trust).Outcome)
	}
	// Output:
	// AIDAOLDGHOST0000000001 Allowed
	// AIDANEWGHOST0000000002 ImplicitlyDenied
}

func TestRewriteAWSPrincipals(t *testing.T) {
	gone := func(v string) (string, bool) {
		if v == "arn:aws:iam::111122223333:user/ghost" {
			return "AIDAOLDGHOST0000000001", true
		}
		return "", false
	}
	tests := []struct {
		name, doc, want string
	}{
		{"string, spacing kept",
			"{\"Version\": \"2012-10-17\",\n \"Statement\": [ {\"Effect\":\"Allow\", \"Principal\" : { \"AWS\" : \"arn:aws:iam::111122223333:user/ghost\" }, \"Action\":\"sts:AssumeRole\"}]}",
			"{\"Version\": \"2012-10-17\",\n \"Statement\": [ {\"Effect\":\"Allow\", \"Principal\" : { \"AWS\" : \"AIDAOLDGHOST0000000001\" }, \"Action\":\"sts:AssumeRole\"}]}"},
		{"array, statement object, NotPrincipal",
			`{"Statement":{"Effect":"Deny","NotPrincipal":{"Service":"arn:aws:iam::111122223333:user/ghost","AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/ghost"]},"Action":"*"},"Version":"2012-10-17"}`,
			`{"Statement":{"Effect":"Deny","NotPrincipal":{"Service":"arn:aws:iam::111122223333:user/ghost","AWS":["arn:aws:iam::111122223333:root","AIDAOLDGHOST0000000001"]},"Action":"*"},"Version":"2012-10-17"}`},
		{"escaped slash is the same value",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user\/ghost"},"Action":"sts:AssumeRole"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"AIDAOLDGHOST0000000001"},"Action":"sts:AssumeRole"}]}`},
		{"other values and conditions untouched",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/ghost"}}}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/ghost"}}}]}`},
		{"not JSON", `{"Statement":[`, `{"Statement":[`},
	}
	for _, tt := range tests {
		if got := RewriteAWSPrincipals(tt.doc, gone); got != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestAWSPrincipals(t *testing.T) {
	doc, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["a","111122223333"],"Service":"s.amazonaws.com"},"Action":"sts:AssumeRole"},` +
		`{"Effect":"Deny","NotPrincipal":{"AWS":["b","a"]},"Action":"sts:AssumeRole"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(doc.AWSPrincipals()), "[a 111122223333 b]"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
