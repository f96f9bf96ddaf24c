package loadgen

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
)

// fakePool is a minimal app-facing identity pool: GetId finds the
// identity of the Logins' token (its "sub" is taken from the token text
// here), GetCredentialsForIdentity wants the Logins that identity was
// made with. It checks the wire: method, X-Amz-Target, Content-Type.
type fakePool struct {
	t      *testing.T
	pool   string
	mu     sync.Mutex
	byTok  map[string]string // token → identity id
	guests map[string]bool
	calls  map[string]int
}

func (f *fakePool) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code string) {
		w.Header().Set("x-amzn-ErrorType", code)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"__type":"`+code+`","message":"no"}`)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || r.Header.Get("Authorization") != "" {
		fail("BadRequest")
		return
	}
	var in struct {
		IdentityPoolId, IdentityId string
		Logins                     map[string]string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail("InvalidParameterException")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	action := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityService.")
	f.calls[action]++
	switch action {
	case "GetId":
		if in.IdentityPoolId != f.pool || len(in.Logins) != 1 {
			fail("ResourceNotFoundException")
			return
		}
		id, ok := f.byTok[in.Logins["idp"]]
		if !ok {
			fail("NotAuthorizedException")
			return
		}
		io.WriteString(w, `{"IdentityId":"`+id+`"}`)
	case "GetCredentialsForIdentity":
		if f.guests[in.IdentityId] && len(in.Logins) == 0 || len(in.Logins) == 1 && f.byTok[in.Logins["idp"]] == in.IdentityId {
			io.WriteString(w, `{"IdentityId":"`+in.IdentityId+`","Credentials":{"SessionToken":"x"}}`)
			return
		}
		fail("NotAuthorizedException")
	default:
		fail("UnknownOperationException")
	}
}

// TestPoolWorkloads runs both workloads against a fake pool that answers
// only consistent requests (the second request of a pair carries the
// Logins of the identity the first named), and against the trivial
// handler, without an error; and every identity is used.
func TestPoolWorkloads(t *testing.T) {
	f := &fakePool{t: t, pool: "us-east-1:pool", byTok: map[string]string{}, guests: map[string]bool{}, calls: map[string]int{}}
	var signedIn, guests []PoolIdentity
	for i := range 5 {
		id, tok := "us-east-1:id-"+string(rune('a'+i)), "token-"+string(rune('a'+i))
		f.byTok[tok] = id
		signedIn = append(signedIn, PoolIdentity{ID: id, Logins: map[string]string{"idp": tok}})
		g := "us-east-1:guest-" + string(rune('a'+i))
		f.guests[g] = true
		guests = append(guests, PoolIdentity{ID: g})
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	trivial := httptest.NewServer(TrivialHandler())
	defer trivial.Close()
	for _, w := range []Workload{PoolSignedInWorkload(f.pool, signedIn), PoolGuestWorkload(guests)} {
		for _, url := range []string{srv.URL + "/", trivial.URL} {
			res, err := Run(context.Background(), Config{URL: url, Concurrency: 3, Duration: time.Hour, MaxRequests: 40}, w)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Ops == 0 {
				t.Errorf("%s at %s: %d ops, errors %v; want ops and no errors", w.Action, url, res.Ops, res.ErrorsBy)
			}
		}
	}
	if got, want := f.calls["GetId"], 40; got != want {
		t.Errorf("GetId calls = %d, want %d (one per pair)", got, want)
	}
	if got, want := f.calls["GetCredentialsForIdentity"], 80; got != want {
		t.Errorf("GetCredentialsForIdentity calls = %d, want %d (40 pairs, 40 guests)", got, want)
	}
}

// TestPoolPairFailures: a pair is one op, counted as an error when
// either request fails, with the failing request's code.
func TestPoolPairFailures(t *testing.T) {
	f := &fakePool{t: t, pool: "us-east-1:pool", byTok: map[string]string{"good": "us-east-1:a"}, guests: map[string]bool{}, calls: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	for _, tc := range []struct {
		name string
		ids  []PoolIdentity
		want string
	}{
		{"unknown login", []PoolIdentity{{ID: "us-east-1:a", Logins: map[string]string{"idp": "bad"}}}, "400 NotAuthorizedException"},
		{"no identities", nil, "request: no signed-in identity"},
	} {
		res, err := Run(context.Background(), Config{URL: srv.URL, Concurrency: 1, Duration: time.Hour, MaxRequests: 3}, PoolSignedInWorkload(f.pool, tc.ids))
		if tc.ids == nil {
			if err == nil {
				t.Errorf("%s: Run accepted a workload that cannot build a request", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]uint64{tc.want: 3}, res.ErrorsBy); diff != "" || res.Ops != 0 {
			t.Errorf("%s: %d ops, errors (-want +got):\n%s", tc.name, res.Ops, diff)
		}
	}
}

func TestPick(t *testing.T) {
	seen := map[int]bool{}
	for seq := range uint64(7) {
		i := pick(7, 3, seq)
		if i < 0 || i >= 7 {
			t.Fatalf("pick(7, 3, %d) = %d, out of range", seq, i)
		}
		seen[i] = true
	}
	if len(seen) != 7 {
		t.Errorf("a worker's 7 ops used %d of 7 identities, want all", len(seen))
	}
	if pick(7, 0, 0) == pick(7, 1, 0) {
		t.Errorf("workers 0 and 1 start on the same identity")
	}
}

func TestCredentialsBody(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(credentialsBody(`us-east-1:a"b`, []byte(`{"idp":"tok"}`)), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"IdentityId": `us-east-1:a"b`, "Logins": map[string]any{"idp": "tok"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

// TestPoolIdP: the provider serves discovery and its JWKS over HTTPS
// under the certificate its thumbprint names, and its tokens verify
// with that JWKS and carry the claims asked for.
func TestPoolIdP(t *testing.T) {
	idp, err := StartPoolIdP()
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	if !strings.HasPrefix(idp.URL, "https://127.0.0.1:") || idp.Name() != strings.TrimPrefix(idp.URL, "https://") {
		t.Fatalf("URL %q, name %q", idp.URL, idp.Name())
	}
	var leaf *x509.Certificate
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error { leaf = cs.PeerCertificates[0]; return nil }}}}
	get := func(path string) []byte {
		resp, err := hc.Get(idp.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return b
	}
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(get("/.well-known/openid-configuration"), &disc); err != nil || disc.Issuer != idp.URL || disc.JWKSURI != idp.URL+"/jwks.json" {
		t.Fatalf("discovery %+v, %v", disc, err)
	}
	sum := sha1.Sum(leaf.Raw)
	if got := hex.EncodeToString(sum[:]); got != idp.Thumbprint {
		t.Errorf("served certificate's thumbprint %s, want %s", got, idp.Thumbprint)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(get("/jwks.json"), &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %d keys, %v", len(set.Keys), err)
	}
	now := time.Unix(1_800_000_000, 0)
	tok, err := idp.Token("bench-user-00001", PoolClientID, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if jws.Signatures[0].Header.KeyID != set.Keys[0].KeyID {
		t.Errorf("token kid %q, JWKS kid %q", jws.Signatures[0].Header.KeyID, set.Keys[0].KeyID)
	}
	payload, err := jws.Verify(set.Keys[0])
	if err != nil {
		t.Fatalf("token does not verify with the JWKS: %v", err)
	}
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	want := map[string]any{"iss": idp.URL, "sub": "bench-user-00001", "aud": PoolClientID, "iat": float64(now.Unix()), "exp": float64(now.Unix() + 3600)}
	if diff := cmp.Diff(want, claims); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
}

func TestPoolTrustPolicy(t *testing.T) {
	var doc struct {
		Statement []struct {
			Effect    string
			Principal map[string]string
			Action    []string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(PoolTrustPolicy("us-east-1:p", "unauthenticated")), &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("policy: %v", err)
	}
	s := doc.Statement[0]
	if s.Effect != "Allow" || s.Principal["Federated"] != "cognito-identity.amazonaws.com" || s.Action[0] != "sts:AssumeRoleWithWebIdentity" {
		t.Errorf("statement %+v", s)
	}
	want := map[string]map[string]string{
		"StringEquals":           {"cognito-identity.amazonaws.com:aud": "us-east-1:p"},
		"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"},
	}
	if diff := cmp.Diff(want, s.Condition); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
}

// TestCallPool: signed calls carry a SigV4 Authorization for
// cognito-identity, unsigned ones none; error answers become APIErrors
// with the code from x-amzn-ErrorType or, failing that, __type.
func TestCallPool(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		switch r.Header.Get("X-Amz-Target") {
		case "AWSCognitoIdentityService.CreateIdentityPool":
			io.WriteString(w, `{"IdentityPoolId":"us-east-1:p"}`)
		case "AWSCognitoIdentityService.GetId":
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"com.amazonaws#TooManyRequestsException","message":"slow down"}`)
		default:
			w.Header().Set("x-amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(400)
			io.WriteString(w, `{"message":"IdentityPool 'x' not found."}`)
		}
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL, Region: "us-east-1", Credentials: testCreds}
	var out struct{ IdentityPoolId string }
	if err := c.CallPool(context.Background(), "CreateIdentityPool", false, map[string]any{}, &out); err != nil || out.IdentityPoolId != "us-east-1:p" {
		t.Fatalf("CreateIdentityPool: %+v, %v", out, err)
	}
	if !strings.Contains(auth, "/us-east-1/cognito-identity/aws4_request") {
		t.Errorf("signed call's Authorization %q", auth)
	}
	for action, want := range map[string]APIError{
		"GetId":            {Status: 400, Code: "TooManyRequestsException", Message: "slow down"},
		"DescribeIdentity": {Status: 400, Code: "ResourceNotFoundException", Message: "IdentityPool 'x' not found."},
	} {
		err := c.CallPool(context.Background(), action, true, map[string]any{}, nil)
		var e *APIError
		if !errors.As(err, &e) || *e != want {
			t.Errorf("%s: %v, want %+v", action, err, want)
		}
		if auth != "" {
			t.Errorf("%s: unsigned call has Authorization %q", action, auth)
		}
	}
}

func TestWritePoolTargets(t *testing.T) {
	rows := []Row{
		{Target: "brevet", Action: "AssumeRole", Concurrency: 64, OpsPerSecond: 4000},
		{Target: "brevet", Action: ActionPoolSignedIn, Concurrency: 64, OpsPerSecond: 3200},
		{Target: "brevet", Action: ActionPoolGuest, Concurrency: 64, OpsPerSecond: 6000},
		{Target: TrivialName, Action: ActionPoolSignedIn, Concurrency: 64, OpsPerSecond: 9000},
		{Target: "brevet", Action: ActionPoolSignedIn, Concurrency: 8, OpsPerSecond: 100},
	}
	var b bytes.Buffer
	if err := WritePoolTargets(&b, rows, 3); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"identity pool targets at c64 (medians of 3 rounds):",
		"brevet PoolSignedIn  3200 pairs/s (want ≥ 3000): met, 0.80× AssumeRole (4000 ops/s)",
		"brevet PoolGuest     6000 ops/s (no target), 1.50× AssumeRole (4000 ops/s)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("targets lack %q:\n%s", want, b.String())
		}
	}
	if strings.Count(b.String(), "PoolSignedIn") != 1 {
		t.Errorf("targets show references or other concurrencies:\n%s", b.String())
	}
	b.Reset()
	if err := WritePoolTargets(&b, []Row{{Target: "brevet", Action: ActionPoolSignedIn, Concurrency: 64, OpsPerSecond: 2000}}, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "2000 pairs/s (want ≥ 3000): NOT met, no AssumeRole phase") {
		t.Errorf("targets without AssumeRole:\n%s", b.String())
	}
	b.Reset()
	if err := WritePoolTargets(&b, rows[:1], 1); err != nil || b.Len() != 0 {
		t.Errorf("no pool rows: wrote %q, %v; want nothing", b.String(), err)
	}
}

// TestPoolDurableTrivial: the durable trivial server answers both pool
// requests as the trivial one does, appending AssumeRole's record for
// GetCredentialsForIdentity (it issues credentials) and the other record
// for GetId.
func TestPoolDurableTrivial(t *testing.T) {
	d := NewDurableTrivial(DurableRecords{AssumeRole: []byte("ar"), Other: []byte("other")})
	log := &recordingLog{d: d}
	d.Log = log
	for _, tc := range []struct{ action, want string }{{"GetId", `"IdentityId"`}, {"GetCredentialsForIdentity", `"SessionToken"`}} {
		req, err := poolRequest(context.Background(), "http://x/", tc.action, []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %q %q", tc.action, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
	if diff := cmp.Diff([]string{"other", "ar"}, log.got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}
