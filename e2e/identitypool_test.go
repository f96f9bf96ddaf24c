package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/brevet-dev/brevet/internal/federation/fedtest"
)

// The identity pools' tests through the AWS SDK for JavaScript v3 (issue
// 20): fromCognitoIdentityPool of @aws-sdk/credential-providers as a
// guest and signed in with an in-test OpenID provider, then STS and the
// S3 gateway (moto behind it) with the credentials it got: in Node
// (js/identitypool.mjs) and in a page in headless Chromium
// (js/identitypool_browser.mjs). A guest may read public/; a signed-in
// user may also write under private/ its own identity id, through the
// role policy's ${cognito-identity.amazonaws.com:sub}, and not under
// another's.

// jsCognito and jsEsbuild are what the identity pools' scripts add to
// js/node_modules: the Cognito Identity client, and the bundler that
// builds the page's script.
const (
	jsCognito = "js/node_modules/@aws-sdk/client-cognito-identity/package.json"
	jsEsbuild = "js/node_modules/esbuild/package.json"
)

// poolApp is a gateway server of the test's own with an in-test OpenID
// provider (its key set given as a file: the server fetches nothing), a
// bucket holding public/hello.txt, and the pool and roles
// js/identitypool.mjs setup made. cfg is what the app flow is told.
type poolApp struct {
	b      *brevet
	bucket string
	cfg    map[string]string
}

const poolHello = "hello from public/"

func startPoolApp(t *testing.T, extra ...string) *poolApp {
	t.Helper()
	need(t, "node with e2e/js/node_modules (npm ci --prefix e2e/js)", have("node") && fileExists(jsSSO) && fileExists(jsCognito))
	idp := fedtest.NewOIDCProvider(t)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, idp.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startGateway(t, append([]string{"--oidc-jwks", idp.Issuer() + "=" + jwks}, extra...)...)
	bucket := createBucket(t, b, "pool")
	if _, err := b.s3Via(b.goAdmin(t)).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket),
		Key: aws.String("public/hello.txt"), Body: strings.NewReader(poolHello)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	expired := idp.Claims("alice", "web-app", now.Add(-2*time.Hour))
	token, token2, old := idp.Token(t, idp.Claims("alice", "web-app", now)), idp.Token(t, idp.Claims("bob", "web-app", now)), idp.Token(t, expired)
	suiteSecrets.add(token, token2, old) // no login token may reach a log or the trail
	a := &poolApp{b: b, bucket: bucket, cfg: map[string]string{
		"region": "us-east-1", "api": b.URL, "s3": b.S3URL, "bucket": bucket, "issuer": idp.Issuer(),
		"provider": strings.TrimPrefix(idp.Issuer(), "https://"), "token": token, "token2": token2, "expired": old,
	}}
	a.cfg["pool"] = a.node(t, newClient(t, b), "identitypool.mjs", "setup")["pool"]
	if !strings.HasPrefix(a.cfg["pool"], "us-east-1:") {
		t.Fatalf("identitypool.mjs setup made the pool %q", a.cfg["pool"])
	}
	return a
}

// node runs a script of js/ in c's environment with the app's
// configuration, and returns its RESULT.
func (a *poolApp) node(t *testing.T, c *client, script string, args ...string) map[string]string {
	t.Helper()
	cfg, err := json.Marshal(a.cfg)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	out, err := c.with("E2E_CONFIG="+string(cfg)).exec("node", append([]string{filepath.Join(wd, "js", script)}, args...)...)
	if err != nil {
		t.Fatalf("node %s %s: %v\n%s", script, strings.Join(args, " "), err, redactResult([]byte(out)))
	}
	return jsResult(t, out)
}

// jsResult decodes a script's "RESULT {json}" line; values that are not
// strings are kept as their JSON.
func jsResult(t *testing.T, out string) map[string]string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "RESULT ")
		if !ok {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("RESULT %q: %v", line, err)
		}
		res := map[string]string{}
		for k, v := range raw {
			if s, ok := v.(string); ok {
				res[k] = s
			} else {
				j, _ := json.Marshal(v)
				res[k] = string(j)
			}
		}
		return res
	}
	t.Fatalf("no RESULT line in:\n%s", redactResult([]byte(out)))
	return nil
}

// checkAppFlow judges what identitypool_app.mjs saw.
func (a *poolApp) checkAppFlow(t *testing.T, got map[string]string) {
	t.Helper()
	guest, user := got["guestIdentity"], got["userIdentity"]
	role := "arn:aws:sts::" + testAccount + ":assumed-role/"
	want := map[string]string{
		"guestIdentity": guest, "guestArn": role + "js_guest/CognitoIdentityCredentials", "guestKey": "ASIA",
		"guestExpires": "true", "guestRead": poolHello, "guestWrite": "AccessDenied", "guestPrivate": "AccessDenied", "guestAgain": guest,
		"userIdentity": user, "userArn": role + "js_user/CognitoIdentityCredentials", "userRead": poolHello,
		"ownWrite": "succeeded", "ownRead": "mine", "otherWrite": "AccessDenied", "otherRead": "AccessDenied",
		"again": user, "expired": "NotAuthorizedException",
		"signInKeeps": "true", "signInArn": role + "js_user/CognitoIdentityCredentials", "signInFinds": "true",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the app flow (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(guest, "us-east-1:") || !strings.HasPrefix(user, "us-east-1:") || guest == user {
		t.Errorf("identities: guest %q, signed in %q; want two us-east-1: ids", guest, user)
	}
	if got := string(backendObject(t, a.bucket, "private/"+user+"/note.txt")); got != "mine" {
		t.Errorf("private/%s/note.txt in the store: %q, want what the user wrote", user, got)
	}
}

// TestIdentityPoolJS: fromCognitoIdentityPool in Node, as a guest and
// signed in with the in-test provider's ID token, without credentials of
// its own; then STS and the S3 gateway with what it got.
func TestIdentityPoolJS(t *testing.T) {
	t.Parallel()
	a := startPoolApp(t)
	none := filepath.Join(t.TempDir(), "none")
	app := newClient(t, a.b).with("AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_CONFIG_FILE="+none)
	a.checkAppFlow(t, a.node(t, app, "identitypool.mjs", "app"))
}

// poolPage is the page the browser test serves: it loads the bundle,
// whose script puts the app flow on window and marks the body ready.
const poolPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Identity pool app</title></head>
<body><script type="module" src="/app.js"></script></body></html>
`

// TestIdentityPoolBrowser: the same app flow in a page in headless
// Chromium, with the AWS SDK bundled for the browser by esbuild from
// js/node_modules at test time. The page's origin is allowed on the API
// and the S3 gateway (cors.allowed_origins), which the page calls
// cross-origin: Cognito Identity and STS on the API, the objects on the
// gateway, each after the browser's preflight.
func TestIdentityPoolBrowser(t *testing.T) {
	t.Parallel()
	need(t, "Chromium (/usr/bin/chromium) and playwright-core (npm ci --prefix e2e/js)", haveChromium())
	need(t, "esbuild (npm ci --prefix e2e/js)", fileExists(jsEsbuild))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + l.Addr().String()
	a := startPoolApp(t, "--cors-allowed-origins", origin)

	bundle := filepath.Join(t.TempDir(), "app.js")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "node", "identitypool_bundle.mjs", bundle)
	build.Dir = "js"
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("bundling the page's script: %v\n%s", err, out)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(poolPage))
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, bundle)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	c := newClient(t, a.b).with("E2E_PAGE=" + origin + "/")
	start := time.Now()
	got := a.node(t, c, "identitypool_browser.mjs")
	t.Logf("the app flow in Chromium took %s", time.Since(start).Round(time.Millisecond))
	a.checkAppFlow(t, got)
}
