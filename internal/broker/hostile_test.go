package broker

import (
	"net/url"
	"strings"
	"testing"
)

// TestHostileInput: every admin action answers hostile input with an
// AWS-style 4xx error (or an empty answer), never a 500, and never echoes the secret.
func TestHostileInput(t *testing.T) {
	f := newAPIFixture(t)
	long := strings.Repeat("x", 300)
	key := func(extra ...string) url.Values {
		v := url.Values{"UpstreamAccountId": {upB}, "Mode": {"KEY"}, "AccessKeyId": {"AKIAUPSTREAMKEY00001"}, "SecretAccessKey": {secret}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	for _, c := range []struct {
		action string
		params url.Values
	}{
		{"CreateUpstreamAccount", url.Values{"UpstreamAccountId": {"12345678901a"}, "Mode": {"OIDC"}}},
		{"CreateUpstreamAccount", url.Values{"UpstreamAccountId": {"١٢٣٤٥٦٧٨٩٠١٢"}, "Mode": {"OIDC"}}},
		{"CreateUpstreamAccount", url.Values{"UpstreamAccountId": {upB}, "Mode": {"oidc"}}},
		{"CreateUpstreamAccount", key("SecretAccessKey", secret+long)},
		{"CreateUpstreamAccount", key("StsEndpoint", "http://169.254.169.254/")},
		{"CreateUpstreamAccount", key("StsEndpoint", "http://user:pass@127.0.0.1/")},
		{"CreateUpstreamAccount", key("StsEndpoint", "http://[::1%25eth0]:80/")},
		{"CreateUpstreamAccount", key("StsEndpoint", "file:///etc/passwd")},
		{"CreateUpstreamAccount", key("StsEndpoint", "https://")},
		{"CreateUpstreamAccount", key("IamEndpoint", "gopher://127.0.0.1/")},
		{"CreateUpstreamAccount", key("CaBundle", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")},
		{"CreateUpstreamAccount", key("CaBundle", strings.Repeat("A", 70000))},
		{"CreateUpstreamAccount", key("Region", "US-EAST-1")},
		{"CreateUpstreamAccount", key("UserName", "a b")},
		{"CreateUpstreamAccount", key("RotateEveryDays", "-1")},
		{"CreateUpstreamAccount", key("RotateEveryDays", "99999999999")},
		{"CreateUpstreamAccount", key("Rate", "0")},
		{"CreateUpstreamAccount", key("Description", strings.Repeat("é", 1001))},
		{"CreateUpstreamAccount", url.Values{"UpstreamAccountId": {upB}, "Mode": {"KEY"}, "SecretAccessKey": {secret}}},
		{"CreateUpstreamAccount", url.Values{"UpstreamAccountId": {upB}, "Mode": {"OIDC"}, "AccessKeyId": {"AKIAUPSTREAMKEY00001"}, "SecretAccessKey": {secret}}},
		{"UpdateUpstreamAccount", key()},
		{"GetUpstreamAccount", url.Values{"UpstreamAccountId": {upB}}},
		{"RotateUpstreamKey", url.Values{"UpstreamAccountId": {upB}}},
		{"DeleteUpstreamAccount", url.Values{"UpstreamAccountId": {upB}}},
		{"ListUpstreamAccounts", url.Values{"MaxItems": {"0"}}},
		{"ListUpstreamAccounts", url.Values{"MaxItems": {"-5"}}},
		{"ListUpstreamAccounts", url.Values{"MaxItems": {"100000"}, "Marker": {"\x00\xff"}}},
		{"CreateBrokeredRole", url.Values{"RoleArn": {"arn:aws:iam::" + upB + ":user/x"}, "AssumeRolePolicyDocument": {"{}"}}},
		{"CreateBrokeredRole", url.Values{"RoleArn": {"not an arn"}, "AssumeRolePolicyDocument": {"{}"}}},
		{"CreateBrokeredRole", url.Values{"RoleArn": {"arn:aws:iam::" + upB + ":role/x"}, "AssumeRolePolicyDocument": {strings.Repeat("{", 131072)}}},
		{"UpdateBrokeredRole", url.Values{"RoleArn": {"arn:aws:iam::" + upB + ":role/x"}}},
		{"GetBrokeredRole", url.Values{"RoleArn": {"arn:aws:iam::" + upB + ":role/" + long}}},
		{"DeleteBrokeredRole", url.Values{"RoleArn": {"arn:aws:iam::" + upB + ":role/x"}}},
		{"ListBrokeredRoles", url.Values{"UpstreamAccountId": {"1"}, "MaxItems": {"1"}}},
		{"ListBrokeredRoles", url.Values{"Marker": {"\U0010ffff"}}},
		{"GetUpstreamSessionToken", url.Values{"UpstreamAccountId": {upB}, "DurationSeconds": {"1"}}},
		{"GetUpstreamSessionToken", url.Values{"UpstreamAccountId": {upB}}},
		{"GetUpstreamFederationToken", url.Values{"UpstreamAccountId": {upB}, "Name": {"é"}}},
		{"GetUpstreamFederationToken", url.Values{"UpstreamAccountId": {upB}, "Name": {"bob"}, "Policy": {long}}},
	} {
		w := f.call(c.action, c.params)
		if w.Code >= 500 || w.Code >= 400 && !strings.Contains(w.Body.String(), "<Code>") {
			t.Errorf("%s %v = %d %s, want an answer or an AWS-style 4xx error", c.action, c.params, w.Code, w.Body)
		}
		checkNoSecret(t, f, w, secret)
	}
}
