package audit

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// nasty is a string with every byte class the string encoder treats
// apart: HTML characters, every control character, DEL, U+2028, U+2029,
// other multi-byte runes, and invalid UTF-8 (a lone continuation byte, a
// truncated sequence, an encoded surrogate, an overlong form, 0xff).
func nasty() string {
	var sb strings.Builder
	sb.WriteString(`<script>alert("x&y")</script> \ / `)
	for c := range 0x20 {
		sb.WriteByte(byte(c))
	}
	sb.WriteString("\x7f \u2028 \u2029 \u2027 \u202a é 日本 😀 \x80 \xe2\x80 \xed\xa0\x80 \xc0\xaf \xff end\xe2")
	return sb.String()
}

// encodeCases are events covering every field, every identity shape and
// the value types that occur in parameters and response elements.
func encodeCases() map[string]*Event {
	full := func() *Event {
		return &Event{
			EventVersion: EventVersion,
			UserIdentity: UserIdentity{
				Type: "AssumedRole", PrincipalID: "AROAEXAMPLE:ci", ARN: "arn:aws:sts::123456789012:assumed-role/deploy/ci",
				AccountID: "123456789012", AccessKeyID: "ASIAEXAMPLE", UserName: "ci", IdentityProvider: "accounts.example",
				SessionContext: &SessionContext{
					SessionIssuer: &SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLE", ARN: "arn:aws:iam::123456789012:role/deploy",
						AccountID: "123456789012", UserName: "deploy"},
					Attributes:     SessionAttributes{CreationDate: "2026-11-22T08:00:00Z", MFAAuthenticated: "true"},
					SourceIdentity: "alice",
				},
			},
			EventTime: "2026-11-22T08:00:01Z", EventSource: "sts.amazonaws.com", EventName: "AssumeRole",
			AWSRegion: "eu-west-1", SourceIPAddress: "192.0.2.10", UserAgent: "aws-cli/2.0",
			ErrorCode: "AccessDenied", ErrorMessage: "User: arn:aws:iam::123456789012:user/a<b> is not authorized & denied",
			RequestParameters: map[string]any{"roleArn": "arn:aws:iam::123456789012:role/deploy", "durationSeconds": int64(900)},
			ResponseElements:  map[string]any{"credentials": map[string]any{"accessKeyId": "ASIAISSUED"}},
			RequestID:         "req-1", EventID: "0b6a4b51-2f1c-4d44-9a39-5b3f0f6f9c11", ReadOnly: true,
			Resources: []Resource{
				{ARN: "arn:aws:iam::123456789012:role/deploy", AccountID: "123456789012", Type: "AWS::IAM::Role"},
				{ARN: "ASIAISSUED", Type: "AWS::IAM::AccessKey"},
			},
			EventType: "AwsApiCall", ManagementEvent: true, RecipientAccountID: "123456789012", EventCategory: "Management",
			TLSDetails: &TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "sts.example.test"},
		}
	}
	cases := map[string]*Event{
		"zero":             {},
		"full":             full(),
		"unknown caller":   {EventVersion: EventVersion, UserIdentity: UserIdentity{Type: "Unknown"}, RequestParameters: map[string]any{}},
		"root":             {UserIdentity: UserIdentity{Type: "Root", ARN: "arn:aws:iam::123456789012:root", AccountID: "123456789012"}},
		"empty maps":       {RequestParameters: map[string]any{}, ResponseElements: map[string]any{}},
		"empty resources":  {Resources: []Resource{}},
		"tls without host": {TLSDetails: &TLSDetails{TLSVersion: "TLSv1.2", CipherSuite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}},
		"empty tls":        {TLSDetails: &TLSDetails{}},
		"issued":           {AdditionalEventData: &AdditionalEventData{IssuedCredential: &IssuedCredential{Kind: "AssumeRole", AccessKeyID: "ASIAEXAMPLE", AccountID: "123456789012", PrincipalARN: "arn:aws:iam::123456789012:role/r", SessionARN: "arn:aws:sts::123456789012:assumed-role/r/s", SessionName: "s", ParentAccessKeyID: "AKIAPARENT", RootAccessKeyID: "AKIAPARENT", IssuedAt: "2026-11-22T08:00:00.123456Z", Expiration: "2026-11-22T09:00:00.000000Z"}}},
		"issued, sparse":   {AdditionalEventData: &AdditionalEventData{IssuedCredential: &IssuedCredential{}}},
		"upstream": {AdditionalEventData: &AdditionalEventData{Upstream: &Upstream{AccountID: "999988887777", Action: "AssumeRole",
			RequestID: "c6104cbe-af31-11e0-8154-cbc7ccf896c7", RoleARN: "arn:aws:iam::999988887777:role/Deploy",
			SessionARN: "arn:aws:sts::999988887777:assumed-role/Deploy/ci", SourceIdentity: "alice@123456789012",
			AccessKeyID: "ASIAUPSTREAM", Expiration: "2026-11-22T09:00:00.000000Z", Cached: true}}},
		"upstream, sparse":     {AdditionalEventData: &AdditionalEventData{Upstream: &Upstream{}}},
		"empty additional":     {AdditionalEventData: &AdditionalEventData{}},
		"session, no issuer":   {UserIdentity: UserIdentity{Type: "IAMUser", SessionContext: &SessionContext{Attributes: SessionAttributes{CreationDate: "x", MFAAuthenticated: "false"}}}},
		"empty session":        {UserIdentity: UserIdentity{SessionContext: &SessionContext{}}},
		"empty issuer":         {UserIdentity: UserIdentity{SessionContext: &SessionContext{SessionIssuer: &SessionIssuer{}}}},
		"nasty strings in all": nil, // filled below
		"nested": {RequestParameters: map[string]any{
			"policyArns": []any{map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, map[string]any{}},
			"tags":       []any{map[string]any{"key": "team", "value": "<infra> & co"}, nil, []any{}, []any{[]any{"deep"}}},
			"empty":      []any{}, "nilList": []any(nil), "nilMap": map[string]any(nil), "nil": nil,
			"t": true, "f": false,
			// Keys sort byte-wise: upper case, then "_", then lower case,
			// then non-ASCII; prefixes first.
			"B": 1, "_": 2, "a": 3, "ab": 4, "aB": 5, "é": 6, "日": 7, "": 8, "<k>": 9, "\u2028": 10, "\xff": 11,
		}},
		"numbers": {ResponseElements: map[string]any{
			"i64max": int64(math.MaxInt64), "i64min": int64(math.MinInt64), "int": -42, "i32": int32(-7), "i16": int16(300), "i8": int8(-8),
			"u64max": uint64(math.MaxUint64), "uint": uint(7), "u32": uint32(4000000000), "u16": uint16(65535), "u8": uint8(200),
			"f0": 0.0, "fneg0": math.Copysign(0, -1), "f1": 1.0, "f1e20": 1e20, "f1e21": 1e21, "f123e19": 123e19, "f1e-6": 1e-6,
			"f1e-7": 1e-7, "f-1e-7": -1e-7, "fpi": math.Pi, "fsmall": 5e-324, "fmax": math.MaxFloat64, "f1e-10": 1e-10, "f1e100": 1e100,
			"f32": float32(0.1), "f32small": float32(1e-7), "f32big": float32(1e21), "f32max": float32(math.MaxFloat32),
			"f32edge": float32(9.9999994e-7), "f32at1e-6": float32(1e-6), "f64edge": 9.999999999999999e-7, "f32neg0": float32(math.Copysign(0, -1)),
		}},
		"other types": {RequestParameters: map[string]any{
			"time": time.Date(2026, 11, 22, 8, 0, 0, 123, time.UTC), "number": json.Number("12.5"), "strings": []string{"a", "<b>"},
			"stringMap": map[string]string{"z": "1", "a": "&"}, "bytes": []byte("hi"), "named": identity.AssumedRole,
			"struct": struct{ A string }{"<"}, "ptr": new(int), "nilPtr": (*int)(nil), "anyMap": map[string]map[string]any{"x": {"y": 1}},
			"rawMessage": json.RawMessage(`{"b": 1, "a": "<"}`),
		}},
	}
	n := nasty()
	e := full()
	e.EventVersion, e.EventTime, e.EventSource, e.EventName, e.AWSRegion, e.SourceIPAddress, e.UserAgent = n, n, n, n, n, n, n
	e.ErrorCode, e.ErrorMessage, e.RequestID, e.EventID, e.EventType, e.RecipientAccountID, e.EventCategory = n, n, n, n, n, n, n
	u := &e.UserIdentity
	u.Type, u.PrincipalID, u.ARN, u.AccountID, u.AccessKeyID, u.UserName, u.IdentityProvider = n, n, n, n, n, n, n
	sc := u.SessionContext
	sc.SourceIdentity, sc.Attributes.CreationDate, sc.Attributes.MFAAuthenticated = n, n, n
	si := sc.SessionIssuer
	si.Type, si.PrincipalID, si.ARN, si.AccountID, si.UserName = n, n, n, n, n
	e.Resources = []Resource{{ARN: n, AccountID: n, Type: n}}
	e.TLSDetails = &TLSDetails{TLSVersion: n, CipherSuite: n, ClientProvidedHostHeader: n}
	e.AdditionalEventData = &AdditionalEventData{IssuedCredential: &IssuedCredential{Kind: n, AccessKeyID: n, AccountID: n, PrincipalARN: n,
		SessionARN: n, SessionName: n, ParentAccessKeyID: n, RootAccessKeyID: n, IssuedAt: n, Expiration: n}}
	e.RequestParameters = map[string]any{n: n, "list": []any{n, map[string]any{n: []any{n}}}}
	cases["nasty strings in all"] = e

	deep := map[string]any{"leaf": "x"}
	for range maxDepth + 10 {
		deep = map[string]any{"d": []any{deep}}
	}
	cases["deeper than json's cycle check"] = &Event{RequestParameters: deep}

	in, out, neg, big := int64(0), int64(28441), int64(-1), int64(math.MaxInt64)
	cases["data event"] = &Event{EventVersion: EventVersion, EventName: "GetObject", ReadOnly: true,
		Resources: []Resource{{ARN: "arn:aws:s3:::b/k", Type: "AWS::S3::Object"}, {ARN: "arn:aws:s3:::b", AccountID: "123456789012", Type: "AWS::S3::Bucket"}},
		EventType: "AwsApiCall", EventCategory: "Data", RecipientAccountID: "123456789012",
		AdditionalEventData: &AdditionalEventData{SignatureVersion: "SigV4", CipherSuite: "TLS_AES_128_GCM_SHA256", BytesTransferredIn: &in,
			AuthenticationMethod: "AuthHeader", XAmzID2: "abc+/=", BytesTransferredOut: &out}}
	cases["data event, byte counts only"] = &Event{AdditionalEventData: &AdditionalEventData{BytesTransferredIn: &neg, BytesTransferredOut: &big}}
	cases["data event, out only"] = &Event{AdditionalEventData: &AdditionalEventData{BytesTransferredOut: &out}}
	cases["data event, strings only"] = &Event{AdditionalEventData: &AdditionalEventData{CipherSuite: "c", XAmzID2: "x"}}
	cases["authorization API data event"] = &Event{AdditionalEventData: &AdditionalEventData{CheckProtocol: "ext_authz", IssuedCredential: &IssuedCredential{}}}
	cases["check protocol only"] = &Event{AdditionalEventData: &AdditionalEventData{CheckProtocol: "auth_request"}}
	cases["data event and issued"] = &Event{AdditionalEventData: &AdditionalEventData{AuthenticationMethod: "QueryString",
		IssuedCredential: &IssuedCredential{Kind: "k"}}}
	nd := full()
	nd.AdditionalEventData = &AdditionalEventData{SignatureVersion: n, CipherSuite: n, BytesTransferredIn: &in,
		AuthenticationMethod: n, XAmzID2: n, BytesTransferredOut: &out, CheckProtocol: n, IssuedCredential: &IssuedCredential{Kind: n}}
	cases["nasty data event"] = nd
	nu := full()
	nu.AdditionalEventData = &AdditionalEventData{AuthenticationMethod: n, Upstream: &Upstream{AccountID: n, Action: n, RequestID: n,
		RoleARN: n, SessionARN: n, SourceIdentity: n, AccessKeyID: n, Expiration: n}}
	cases["nasty upstream"] = nu
	return cases
}

// failCases are events json.Marshal rejects.
func failCases() map[string]*Event {
	return map[string]*Event{
		"NaN":            {RequestParameters: map[string]any{"x": math.NaN()}},
		"+Inf":           {ResponseElements: map[string]any{"x": []any{math.Inf(1)}}},
		"float32 -Inf":   {RequestParameters: map[string]any{"a": map[string]any{"b": float32(math.Inf(-1))}}},
		"channel":        {RequestParameters: map[string]any{"c": make(chan int)}},
		"func":           {ResponseElements: map[string]any{"f": func() {}}},
		"bad json.Numer": {RequestParameters: map[string]any{"n": json.Number("1x")}},
		"late failure":   {RequestParameters: map[string]any{"a": "fine"}, ResponseElements: map[string]any{"z": math.NaN()}},
	}
}

// TestAppendJSONCycle: json.Marshal reports a cycle once it is 1000
// levels deep; the encoder must not recurse until the stack runs out.
// (Redact, and so the redacting mode, never handled cycles: awsquery
// builds trees.)
func TestAppendJSONCycle(t *testing.T) {
	m := map[string]any{}
	m["self"] = []any{m}
	e := &Event{RequestParameters: m}
	_, want := json.Marshal(e)
	if _, err := e.AppendJSON(nil); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("AppendJSON of a cyclic map: error %v, json.Marshal's %v", err, want)
	}
}

// redacted is e with both maps redacted, as the encoder's redacting mode
// must write it.
func redacted(e *Event) *Event {
	r := *e
	r.RequestParameters = Redact(e.RequestParameters)
	r.ResponseElements = Redact(e.ResponseElements)
	return &r
}

// checkEncoding compares e's encodings with json.Marshal's, plain and
// redacting, appending to a non-empty buffer.
func checkEncoding(t *testing.T, e *Event) {
	t.Helper()
	prefix := []byte("prefix:")
	for _, redact := range []bool{false, true} {
		want, wantErr := json.Marshal(e)
		if redact {
			want, wantErr = json.Marshal(redacted(e))
		}
		got, _, err := e.appendJSON(append([]byte(nil), prefix...), redact, 0)
		if !strings.HasPrefix(string(got), string(prefix)) {
			t.Fatalf("redact=%v: the encoder overwrote the buffer's contents: %q", redact, got)
		}
		got = got[len(prefix):]
		if (err != nil) != (wantErr != nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("redact=%v: error %v, json.Marshal's %v", redact, err, wantErr)
		}
		if string(got) != string(want) {
			t.Fatalf("redact=%v: encoding differs from json.Marshal (-want +got):\n%s", redact, cmp.Diff(string(want), string(got)))
		}
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	for name, e := range encodeCases() {
		t.Run(name, func(t *testing.T) { checkEncoding(t, e) })
	}
	for name, e := range failCases() {
		t.Run(name, func(t *testing.T) {
			checkEncoding(t, e)
			if _, err := e.AppendJSON(nil); err == nil {
				t.Error("AppendJSON succeeded where json.Marshal fails")
			}
		})
	}
}

// secretsEverywhere is a record with secrets, assertions and values that
// only look like them at every depth and in every container.
func secretsEverywhere() *request.Record {
	secrets := func(depth int) map[string]any {
		m := map[string]any{
			"SecretAccessKey": "s3cr3t", "sessionToken": "tok", "tokenCode": "123456", "authenticationCode1": "1",
			"AuthenticationCode2": "2", "password": "p", "NewPassword": "p", "oldPassword": "p", "PrivateKey": "k",
			"clientSecret": "c", "myPasswordHint": "p", "xSECRETy": map[string]any{"inner": "gone"}, "passwordList": []any{"a"},
			"passwordNil": nil, "secretTypedNil": map[string]any(nil),
			"SAMLAssertion": "PHNhbWw+", "webIdentityToken": "eyJ.payload.sig", "samlassertion": request.HiddenValue,
			"WebIdentityToken": HashOf("already"), "webidentitytoken": map[string]any{"not": "a string"}, "SAMLASSERTION": nil,
			"to\u212Aencode": "kelvin sign: lower-cases to tokencode", "pr\u0130vatekey": "dotted I: lower-cases to privatekey",
			"aVeryLongParameterNameThatHidesAPasswordInside": "p", "aVeryLongParameterNameWithoutAnythingToHide": "kept",
			"roleArn": "arn:aws:iam::123456789012:role/r", "nilList": []any(nil), "emptyMap": map[string]any{},
			"typed": map[string]string{"password": "typed maps are not redacted, as before"}, "n": int64(depth),
			// strings.ToLower turns the invalid byte into U+FFFD, so
			// this is not a secret's name; Redact has always kept it.
			"se\xffcret": "kept",
		}
		return m
	}
	inner := secrets(3)
	mid := secrets(2)
	mid["list"] = []any{inner, []any{secrets(4)}, "x", nil}
	top := secrets(1)
	top["nested"] = mid
	resp := secrets(1)
	resp["credentials"] = map[string]any{"accessKeyId": "ASIAISSUED", "secretAccessKey": "real", "sessionToken": "real"}
	return &request.Record{
		RequestID: "req-1", Service: "STS", Action: "AssumeRole", Principal: &identity.Principal{
			Type: identity.AssumedRole, Account: "123456789012", CallerARN: "arn:aws:sts::123456789012:assumed-role/r/s",
			AccessKeyID: "ASIACALLER", Session: &credential.Claims{PrincipalType: credential.AssumedRole, IssuedAt: time.Unix(1e9, 5).In(time.FixedZone("x", 3600))},
		},
		Start: time.Date(2026, 11, 22, 8, 0, 0, 999999999, time.FixedZone("y", -7200)), Duration: time.Millisecond,
		RequestParameters: top, ResponseElements: resp,
	}
}

// TestConvertEncodeMatchesConvertMarshal checks the fused path Audit
// takes against what it replaced: json.Marshal of Convert's redacted
// copy.
func TestConvertEncodeMatchesConvertMarshal(t *testing.T) {
	conv := Converter{Region: "eu-west-1", NewID: func() string { return "evt-1" }}
	recs := map[string]*request.Record{
		"secrets everywhere": secretsEverywhere(),
		"no principal":       {Action: "GetCallerIdentity"},
		"nil maps":           {Service: "IAM", Action: "ListUsers", Principal: &identity.Principal{Type: identity.IAMUser, UserName: "u", Account: "1"}},
		"non-ASCII service":  {Service: "Straße", Action: "X"},
		"year 10000":         {Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"negative year":      {Start: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)},
		"data event":         dataRecord(),
		"bare data event":    {Category: request.CategoryData},
	}
	for name, rec := range recs {
		t.Run(name, func(t *testing.T) {
			before, _ := json.Marshal(rec.RequestParameters)
			want, err := json.Marshal(conv.Convert(rec, &TLSDetails{TLSVersion: "TLSv1.3"}))
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := conv.appendJSON(nil, rec, &TLSDetails{TLSVersion: "TLSv1.3"})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("fused redaction differs from Convert (-want +got):\n%s", cmp.Diff(string(want), string(got)))
			}
			if after, _ := json.Marshal(rec.RequestParameters); string(after) != string(before) {
				t.Errorf("encoding modified the record: %s, was %s", after, before)
			}
		})
	}
	b, _, _ := conv.appendJSON(nil, secretsEverywhere(), nil)
	for _, s := range []string{"s3cr3t", `"tok"`, `"123456"`, "gone", "PHNhbWw+", "eyJ.payload", `"real"`, "kelvin", "dotted", `"p"`} {
		if strings.Contains(string(b), s) {
			t.Errorf("encoded event contains %q", s)
		}
	}
}

// TestEncodeAllocs guards the point of the encoder: writing a typical
// event into a buffer large enough allocates nothing.
func TestEncodeAllocs(t *testing.T) {
	rec := secretsEverywhere()
	rec.RequestParameters = map[string]any{"roleArn": "arn:aws:iam::123456789012:role/deploy", "roleSessionName": "ci", "durationSeconds": int64(900)}
	rec.ResponseElements = map[string]any{
		"credentials":      map[string]any{"accessKeyId": "ASIAISSUED", "secretAccessKey": request.HiddenValue, "sessionToken": request.HiddenValue, "expiration": "2026-11-22T09:00:00Z"},
		"assumedRoleUser":  map[string]any{"arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci", "assumedRoleId": "AROAEXAMPLE:ci"},
		"packedPolicySize": int64(6), "sourceIdentity": "alice",
	}
	e := new(Event)
	Converter{NewID: func() string { return "evt" }}.fill(e, rec, nil)
	buf := make([]byte, 0, 8192)
	if n := testing.AllocsPerRun(100, func() {
		if _, _, err := e.appendJSON(buf, true, 0); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("encoding an AssumeRole event allocates %v times, want 0", n)
	}
}

// dataRecord is an S3 GetObject as the gateway records it.
func dataRecord() *request.Record {
	return &request.Record{
		RequestID: "req-2", Service: "s3", Action: "GetObject", Effect: request.ReadOnly, Category: request.CategoryData,
		Principal: &identity.Principal{Type: identity.AssumedRole, Account: "123456789012",
			CallerARN: "arn:aws:sts::123456789012:assumed-role/r/s", AccessKeyID: "ASIACALLER"},
		Start:             time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
		RequestParameters: map[string]any{"bucketName": "b", "key": "k<1>", "Host": "b.s3.example.test"},
		Resources:         []request.Resource{{Type: S3ObjectType, ARN: "arn:aws:s3:::b/k<1>"}, {Type: S3BucketType, ARN: "arn:aws:s3:::b"}},
		BytesOut:          28441,
		Details:           map[string]string{"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader", "x-amz-id-2": "id2"},
		Status:            200,
	}
}

// TestEncodeDataEventAllocs: encoding a data event allocates nothing
// either.
func TestEncodeDataEventAllocs(t *testing.T) {
	e := new(Event)
	Converter{NewID: func() string { return "evt" }}.fill(e, dataRecord(), nil)
	buf := make([]byte, 0, 8192)
	if n := testing.AllocsPerRun(100, func() {
		if _, _, err := e.appendJSON(buf, true, 0); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("encoding a GetObject data event allocates %v times, want 0", n)
	}
}

// TestClassify checks the stack lower-casing against strings.ToLower.
func TestClassify(t *testing.T) {
	for k, want := range map[string]keyClass{
		"SecretAccessKey": keySecret, "tokenCode": keySecret, "AUTHENTICATIONCODE1": keySecret, "ClientSecret": keySecret,
		"myPasswordHint": keySecret, "SAMLAssertion": keyAssertion, "webIdentityToken": keyAssertion, "roleArn": keyPlain,
		"to\u212Aencode": keySecret, "pr\u0130vatekey": keySecret, "x\xffPASSWORD": keySecret, "": keyPlain,
		"aVeryLongParameterNameThatHidesAPasswordInside": keySecret, "aVeryLongParameterNameWithoutAnythingToHide": keyPlain,
		"webIdentityTokens": keyPlain, "samlAssertion\u212A": keyPlain,
		"refreshToken": keySecret, "deviceCode": keySecret, "codeVerifier": keySecret, "accessToken": keySecret, "code": keyPlain,
	} {
		if got := classify(k); got != want {
			t.Errorf("classify(%q) = %v, want %v", k, got, want)
		}
		if got, want := classify(k), classifyLower(strings.ToLower(k)); got != want {
			t.Errorf("classify(%q) = %v, strings.ToLower says %v", k, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { classify("authenticationCode1") }); n != 0 {
		t.Errorf("classify allocates %v times, want 0", n)
	}
}

func TestFormatTime(t *testing.T) {
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Date(2026, 11, 22, 8, 0, 0, 999999999, time.FixedZone("z", -3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(math.MaxInt64/4, 0),
	} {
		if got, want := formatTime(tm), tm.UTC().Format(TimeFormat); got != want {
			t.Errorf("formatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

// FuzzEventJSON builds events from fuzzed strings and numbers and checks
// the encoder, plain and redacting, against json.Marshal, and the
// encoder's helpers (key classification, time formatting) against the
// standard library's.
func FuzzEventJSON(f *testing.F) {
	f.Add("roleArn", "arn:aws:iam::123456789012:role/deploy", "<&>\u2028\xff", int64(900), 1.5, uint64(7))
	f.Add("SecretAccessKey", "webIdentityToken", "sha256:abc", int64(-1), 1e21, uint64(math.MaxUint64))
	f.Add("", "\x00\b\f\n\r\t\x1f\x7f", "to\u212Aencode", int64(math.MinInt64), 1e-7, uint64(0))
	f.Fuzz(func(t *testing.T, k, s1, s2 string, i int64, fl float64, u uint64) {
		if got, want := classify(k), classifyLower(strings.ToLower(k)); got != want {
			t.Fatalf("classify(%q) = %v, strings.ToLower says %v", k, got, want)
		}
		tm := time.Unix(i%(1<<40), int64(u%1e9))
		if got, want := formatTime(tm), tm.UTC().Format(TimeFormat); got != want {
			t.Fatalf("formatTime(%v) = %q, want %q", tm, got, want)
		}
		e := &Event{
			EventVersion: s1, EventTime: s2, EventName: k, ErrorCode: s1, ErrorMessage: s2, RequestID: k,
			UserIdentity: UserIdentity{Type: k, ARN: s1, UserName: s2, SessionContext: &SessionContext{
				SessionIssuer: &SessionIssuer{ARN: s2}, SourceIdentity: s1, Attributes: SessionAttributes{CreationDate: k}}},
			RequestParameters: map[string]any{
				k: s1, s1: []any{s2, i, fl, float32(fl), map[string]any{s2: k, k: []any{u, int(i), int32(i)}}},
				s2: map[string]any{k: map[string]any{s1: nil}, "n": []any(nil)}, "b": i%2 == 0,
			},
			Resources:  []Resource{{ARN: s1, AccountID: s2, Type: k}},
			TLSDetails: &TLSDetails{ClientProvidedHostHeader: s2},
		}
		if u%3 == 0 {
			e.ResponseElements = map[string]any{}
		} else if u%3 == 1 {
			e.ResponseElements = map[string]any{"credentials": map[string]any{k: s2, "accessKeyId": s1}}
		}
		if u%5 == 0 {
			e.AdditionalEventData = &AdditionalEventData{SignatureVersion: s1, XAmzID2: s2, BytesTransferredOut: &i, AuthenticationMethod: k}
		}
		checkEncoding(t, e)
	})
}
