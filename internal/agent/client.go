package agent

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/brevetapi"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// Client calls Brevet: its own API (service "brevet"), STS and Roles
// Anywhere, at one endpoint.
type Client struct {
	// Endpoint is Brevet's base URL, e.g. https://brevet.example:8443.
	Endpoint string
	// HTTP sends the requests; nil uses a client with a 30 s timeout.
	HTTP *http.Client
}

// maxResponse bounds a response body read.
const maxResponse = 1 << 20

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: time.Minute} // longer than WaitHostChange's wait
}

// signFunc signs a request about to be sent.
type signFunc func(r *sigv4.Request) error

// post sends body to path and returns the response body, or an
// *APIError parsed from an error response.
func (c *Client) post(ctx context.Context, path, contentType string, body []byte, sign signFunc) ([]byte, error) {
	u, err := url.Parse(strings.TrimSuffix(c.Endpoint, "/") + path)
	if err != nil {
		return nil, fmt.Errorf("agent: endpoint: %w", err)
	}
	sr := sigv4.Request{Method: http.MethodPost, Path: u.EscapedPath(), Host: u.Host, Body: body,
		Header: http.Header{"Content-Type": {contentType}}}
	if sign != nil {
		if err := sign(&sr); err != nil {
			return nil, fmt.Errorf("agent: signing: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range sr.Header {
		req.Header[k] = v
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("agent: calling Brevet: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("agent: reading Brevet's response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, parseError(resp.StatusCode, out)
	}
	return out, nil
}

// parseError reads an XML (Query) or JSON (REST-JSON) error response.
func parseError(status int, body []byte) *APIError {
	e := &APIError{Status: status, Code: http.StatusText(status)}
	var x struct {
		Error struct{ Code, Message string }
	}
	var j struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Type    string `json:"__type"`
	}
	switch {
	case xml.Unmarshal(body, &x) == nil && x.Error.Code != "":
		e.Code, e.Message = x.Error.Code, x.Error.Message
	case json.Unmarshal(body, &j) == nil && (j.Code != "" || j.Type != ""):
		e.Code, e.Message = j.Code, j.Message
		if e.Code == "" {
			e.Code = j.Type
		}
	}
	if status == http.StatusForbidden && e.Code == http.StatusText(status) {
		e.Code = "AccessDenied"
	}
	return e
}

// query calls a Query API action with form and decodes the XML into out.
func (c *Client) query(ctx context.Context, form url.Values, sign signFunc, out any) error {
	body, err := c.post(ctx, "/", "application/x-www-form-urlencoded; charset=utf-8", []byte(form.Encode()), sign)
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return &APIError{Status: http.StatusOK, Code: "InvalidResponse", Message: "the response is not the XML expected"}
	}
	return nil
}

// xmlCredentials are Credentials as STS and Brevet encode them.
type xmlCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

func (x xmlCredentials) creds() Credentials {
	return Credentials{AccessKeyID: x.AccessKeyId, SecretAccessKey: x.SecretAccessKey, SessionToken: x.SessionToken, Expiration: x.Expiration}
}

// KeySigner signs with temporary credentials (SigV4, HMAC).
func KeySigner(c Credentials, region, service string, now func() time.Time) signFunc {
	return func(r *sigv4.Request) error {
		s := sigv4.Signer{Credentials: sigv4.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}}
		return s.Sign(r, sigv4.SignOptions{Algorithm: sigv4.AlgorithmHMAC, Region: region, Service: service, Time: now()})
	}
}

// EnrollInput is EnrollHost's request.
type EnrollInput struct {
	// HostCertificate is the PEM of the host's self-signed certificate.
	HostCertificate string
	Hostname        string
	// JoinToken enrolls unsigned; otherwise InstanceProfileName names the
	// profile and the request is signed.
	JoinToken           string
	InstanceProfileName string
}

// EnrollHost enrolls the host; sign is nil with a join token.
func (c *Client) EnrollHost(ctx context.Context, in EnrollInput, sign signFunc, now time.Time) (HostInfo, error) {
	form := url.Values{"Action": {"EnrollHost"}, "Version": {brevetapi.Version},
		"HostCertificate": {in.HostCertificate}, "Hostname": {in.Hostname}}
	if in.JoinToken != "" {
		form.Set("JoinToken", in.JoinToken)
	}
	if in.InstanceProfileName != "" {
		form.Set("InstanceProfileName", in.InstanceProfileName)
	}
	var out struct {
		Result struct {
			HostId, InstanceProfileArn, InstanceProfileId, RoleArn, AccountId, Region string
		} `xml:"EnrollHostResult"`
	}
	if err := c.query(ctx, form, sign, &out); err != nil {
		return HostInfo{}, err
	}
	r := out.Result
	if r.HostId == "" {
		return HostInfo{}, &APIError{Status: http.StatusOK, Code: "InvalidResponse", Message: "EnrollHost returned no HostId"}
	}
	return HostInfo{HostID: r.HostId, AccountID: r.AccountId, Region: r.Region, InstanceProfileArn: r.InstanceProfileArn,
		InstanceProfileID: r.InstanceProfileId, RoleArn: r.RoleArn, Enrolled: now.UTC()}, nil
}

// HostCredentials is GetHostCredentials's result.
type HostCredentials struct {
	Credentials
	RoleArn, HostID, InstanceProfileArn string
}

// GetHostCredentials asks for the host role's credentials, signed with
// the host key (SigV4-X509).
func (c *Client) GetHostCredentials(ctx context.Context, key crypto.Signer, cert *x509.Certificate, region string, now time.Time) (HostCredentials, error) {
	form := url.Values{"Action": {"GetHostCredentials"}, "Version": {brevetapi.Version}}
	var out struct {
		Result struct {
			Credentials                         xmlCredentials
			RoleArn, HostId, InstanceProfileArn string
		} `xml:"GetHostCredentialsResult"`
	}
	sign := func(r *sigv4.Request) error { return signHost(r, key, cert, region, now) }
	if err := c.query(ctx, form, sign, &out); err != nil {
		return HostCredentials{}, err
	}
	r := out.Result
	return HostCredentials{Credentials: r.Credentials.creds(), RoleArn: r.RoleArn, HostID: r.HostId, InstanceProfileArn: r.InstanceProfileArn}, nil
}

// AssumeRole is sts:AssumeRole with credentials signed by sign.
func (c *Client) AssumeRole(ctx context.Context, roleArn, sessionName string, sign signFunc) (Credentials, error) {
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {roleArn}, "RoleSessionName": {sessionName}}
	var out struct {
		Result struct{ Credentials xmlCredentials } `xml:"AssumeRoleResult"`
	}
	if err := c.query(ctx, form, sign, &out); err != nil {
		return Credentials{}, err
	}
	return out.Result.Credentials.creds(), nil
}

// AssumeRoleWithWebIdentity is sts:AssumeRoleWithWebIdentity (unsigned).
func (c *Client) AssumeRoleWithWebIdentity(ctx context.Context, roleArn, sessionName, token string) (Credentials, error) {
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {roleArn},
		"RoleSessionName": {sessionName}, "WebIdentityToken": {token}}
	var out struct {
		Result struct{ Credentials xmlCredentials } `xml:"AssumeRoleWithWebIdentityResult"`
	}
	if err := c.query(ctx, form, nil, &out); err != nil {
		return Credentials{}, err
	}
	return out.Result.Credentials.creds(), nil
}

// RolesAnywhereInput is Roles Anywhere CreateSession's request.
type RolesAnywhereInput struct {
	Key                                 crypto.Signer
	Leaf                                *x509.Certificate
	Chain                               []*x509.Certificate
	Region                              string
	TrustAnchorArn, ProfileArn, RoleArn string
}

// CreateSession is Roles Anywhere's CreateSession, signed with
// SigV4-X509 by the certificate's key.
func (c *Client) CreateSession(ctx context.Context, in RolesAnywhereInput, now time.Time) (Credentials, error) {
	body, _ := json.Marshal(map[string]any{"trustAnchorArn": in.TrustAnchorArn, "profileArn": in.ProfileArn,
		"roleArn": in.RoleArn, "durationSeconds": 3600})
	sign := func(r *sigv4.Request) error {
		return sigv4.SignX509(r, in.Key, in.Leaf, in.Chain, in.Region, now)
	}
	resp, err := c.post(ctx, "/sessions", "application/json", body, sign)
	if err != nil {
		return Credentials{}, err
	}
	var out struct {
		CredentialSet []struct {
			Credentials struct {
				AccessKeyID     string    `json:"accessKeyId"`
				SecretAccessKey string    `json:"secretAccessKey"`
				SessionToken    string    `json:"sessionToken"`
				Expiration      time.Time `json:"expiration"`
			} `json:"credentials"`
		} `json:"credentialSet"`
	}
	if err := json.Unmarshal(resp, &out); err != nil || len(out.CredentialSet) != 1 {
		return Credentials{}, &APIError{Status: http.StatusCreated, Code: "InvalidResponse", Message: "CreateSession returned no credentials"}
	}
	cr := out.CredentialSet[0].Credentials
	return Credentials{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: cr.SessionToken, Expiration: cr.Expiration}, nil
}

// HostState is WaitHostChange's result.
type HostState struct {
	Generation int64
	// Status is "active", "deregistered" or "no-role".
	Status string
}

// WaitHostChange long-polls (up to about 25 s on the server) for the
// host's state to differ from generation gen.
func (c *Client) WaitHostChange(ctx context.Context, key crypto.Signer, cert *x509.Certificate, region string, gen int64, now time.Time) (HostState, error) {
	form := url.Values{"Action": {"WaitHostChange"}, "Version": {brevetapi.Version}, "Generation": {strconv.FormatInt(gen, 10)}}
	var out struct {
		Result HostState `xml:"WaitHostChangeResult"`
	}
	sign := func(r *sigv4.Request) error { return signHost(r, key, cert, region, now) }
	if err := c.query(ctx, form, sign, &out); err != nil {
		return HostState{}, err
	}
	if out.Result.Status == "" {
		return HostState{}, &APIError{Status: http.StatusOK, Code: "InvalidResponse", Message: "WaitHostChange returned no Status"}
	}
	return out.Result, nil
}
