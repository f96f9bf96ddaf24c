package broker

import (
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
)

// TestTokensNotAudited: the upstream session's secret, which the
// brokered GetUpstreamSessionToken and GetUpstreamFederationToken answer,
// is not in their audit records (the session token is, as CloudTrail and
// Brevet's own STS record it: useless without the secret).
func TestTokensNotAudited(t *testing.T) {
	base := moto.URL(t)
	f := newAPIFixture(t)
	user := uniqueName("brevet-audit-")
	k := motoUser(t, base, user)
	if w := f.call("CreateUpstreamAccount", url.Values{"UpstreamAccountId": {motoAccount}, "Mode": {"KEY"}, "StsEndpoint": {base},
		"IamEndpoint": {base}, "AccessKeyId": {k.AccessKeyID}, "SecretAccessKey": {k.SecretAccessKey}, "UserName": {user}}); w.Code != 200 {
		t.Fatalf("CreateUpstreamAccount = %d %s", w.Code, w.Body)
	}
	for _, c := range []struct {
		action string
		params url.Values
	}{
		{"GetUpstreamSessionToken", url.Values{"UpstreamAccountId": {motoAccount}}},
		{"GetUpstreamFederationToken", url.Values{"UpstreamAccountId": {motoAccount}, "Name": {"bob"}}},
	} {
		w := f.call(c.action, c.params)
		var out struct {
			Secret string `xml:"Result>Credentials>SecretAccessKey"`
			Token  string `xml:"Result>Credentials>SessionToken"`
		}
		body := strings.Replace(w.Body.String(), c.action+"Result", "Result", 2)
		if err := xml.Unmarshal([]byte(body), &out); err != nil || w.Code != 200 || out.Secret == "" || out.Token == "" {
			t.Fatalf("%s = %d %s (%v)", c.action, w.Code, w.Body, err)
		}
		rec := f.lastRecord(t)
		b, err := json.Marshal(struct {
			Req, Resp map[string]any
			Msg       string
		}{rec.RequestParameters, rec.ResponseElements, rec.ErrorMessage})
		must(t, err)
		if strings.Contains(string(b), out.Secret) {
			t.Fatalf("the audit record of %s shows the session's secret: %s", c.action, b)
		}
	}
}
