package sigv4_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// A server parses the request's authentication, looks the secret up by
// access key id, and verifies.
func ExampleVerifier_Verify() {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")

	// A client signs (here with this package's Signer).
	req := sigv4.Request{Method: "POST", Path: "/", Host: "sts.example.com", Body: body,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
	signer := &sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}}
	if err := signer.Sign(&req, sigv4.SignOptions{Region: "us-east-1", Service: "sts", Time: now}); err != nil {
		panic(err)
	}

	// The server verifies (with req built by sigv4.FromHTTP).
	v, err := sigv4.NewVerifier(sigv4.Config{Regions: []string{"us-east-1"}, Services: []string{"sts"}})
	if err != nil {
		panic(err)
	}
	auth, err := sigv4.Parse(&req)
	if err != nil {
		panic(err)
	}
	secret := map[string]string{"AKIDEXAMPLE": "secret"}[auth.AccessKeyID] // the store's lookup
	fmt.Println(v.Verify(&req, auth, secret, now))

	// Ten minutes later someone changes the body.
	req.Body = []byte("Action=GetSessionToken&Version=2011-06-15")
	err = v.Verify(&req, auth, secret, now.Add(10*time.Minute))
	var e *sigv4.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind)
	}
	// Output:
	// <nil>
	// SignatureDoesNotMatch
}
