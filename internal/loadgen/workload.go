package loadgen

import (
	"net/url"
	"strconv"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// STS and IAM Query API versions.
const (
	stsVersion = "2011-06-15"
	iamVersion = "2010-05-08"
)

// GetCallerIdentity is the cheapest authenticated STS call: verify the
// signature, resolve the key, answer. It measures the request pipeline.
func GetCallerIdentity() Workload {
	const body = "Action=GetCallerIdentity&Version=" + stsVersion
	return Workload{
		Action:     "GetCallerIdentity",
		Service:    "sts",
		AppendBody: func(b []byte, _ int, _ uint64) []byte { return append(b, body...) },
		Expect:     []byte("<GetCallerIdentityResult>"),
	}
}

// GetCallerIdentityAs is GetCallerIdentity signed with creds, typically
// temporary credentials from AssumeRole: it measures authentication by
// session token, which must cost the same however many sessions exist.
func GetCallerIdentityAs(action string, creds sigv4.Credentials) Workload {
	w := GetCallerIdentity()
	w.Action, w.Credentials = action, &creds
	return w
}

// AssumeRole assumes roleARN with a new session name on every request
// ("bench-WORKER-SEQ"), so that every request mints a new session as a
// fleet of clients would, and no cache of issued credentials can help.
func AssumeRole(roleARN string) Workload {
	prefix := "Action=AssumeRole&Version=" + stsVersion + "&RoleArn=" + url.QueryEscape(roleARN) + "&RoleSessionName=bench-"
	return Workload{
		Action:  "AssumeRole",
		Service: "sts",
		AppendBody: func(b []byte, worker int, seq uint64) []byte {
			b = append(b, prefix...)
			b = strconv.AppendInt(b, int64(worker), 10)
			b = append(b, '-')
			return strconv.AppendUint(b, seq, 10)
		},
		Expect: []byte("<SessionToken>"),
	}
}
