package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"
)

// Timeouts of one connection to an upstream (the call's Timeout bounds
// the whole, retries included).
const (
	dialTimeout           = 3 * time.Second
	tlsTimeout            = 3 * time.Second
	responseHeaderTimeout = 5 * time.Second
)

// defaultRegion signs requests when Endpoint.Region is empty.
const defaultRegion = "us-east-1"

// appID is in the User-Agent of every call ("app/brevet-broker"), so that
// the upstream's CloudTrail shows who called.
const appID = "brevet-broker"

func (k Key) valid() bool { return k.AccessKeyID != "" && k.SecretAccessKey != "" }

// Client calls one upstream account. It is safe for concurrent use.
type Client struct {
	ep      Endpoint
	sts     *sts.Client
	iam     *iam.Client
	limiter *rate.Limiter
}

// New builds the SDK clients for e. It refuses an endpoint that is not
// https (http is allowed on a loopback address only), one with user
// information, and a CA bundle without a certificate. An empty endpoint
// is AWS's for the region.
func New(e Endpoint) (*Client, error) {
	for _, u := range []struct{ name, url string }{{"STS", e.STSEndpoint}, {"IAM", e.IAMEndpoint}} {
		if err := CheckEndpoint(u.url); err != nil {
			return nil, fmt.Errorf("upstream %s: %s endpoint: %w", e.AccountID, u.name, err)
		}
	}
	if e.Region == "" {
		e.Region = defaultRegion
	}
	if e.Timeout <= 0 {
		e.Timeout = DefaultTimeout
	}
	if e.MaxAttempts <= 0 {
		e.MaxAttempts = DefaultMaxAttempts
	}
	if e.Rate <= 0 {
		e.Rate = DefaultRate
	}
	if e.Burst <= 0 {
		e.Burst = DefaultBurst
	}
	hc, err := httpClient(e.CABundle)
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", e.AccountID, err)
	}
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = e.MaxAttempts
		if e.MaxBackoff > 0 {
			o.MaxBackoff = e.MaxBackoff
		}
	})
	c := &Client{ep: e, limiter: rate.NewLimiter(rate.Limit(e.Rate), e.Burst)}
	c.sts = sts.New(sts.Options{
		AppID:        appID,
		Region:       e.Region,
		BaseEndpoint: optional(e.STSEndpoint),
		HTTPClient:   hc,
		Retryer:      retryer,
		Credentials:  aws.AnonymousCredentials{},
	})
	c.iam = iam.New(iam.Options{
		AppID:        appID,
		Region:       e.Region,
		BaseEndpoint: optional(e.IAMEndpoint),
		HTTPClient:   hc,
		Retryer:      retryer,
		Credentials:  aws.AnonymousCredentials{},
	})
	return c, nil
}

// CheckEndpoint reports whether raw is an acceptable upstream base URL:
// empty (AWS's own), https, or http on a loopback address (127.0.0.0/8,
// ::1, localhost); never with user information, a query or a fragment.
func CheckEndpoint(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("not an absolute URL")
	}
	if u.User != nil {
		return errors.New("must not hold user information")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not hold a query or a fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("must be https (http is allowed on a loopback address only)")
	}
	return errors.New("must be https")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

// httpClient is the one client both SDK clients share: the CA bundle
// when given, bounded dial, TLS handshake and response header waits.
func httpClient(bundle []byte) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(bundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(bundle) {
			return nil, errors.New("the CA bundle holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   tlsTimeout,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}, nil
}

// begin bounds a call by the Timeout and waits for the rate limit (at
// most MaxLimiterWait): beyond, the call fails as Limited, unmade. A call
// without its credentials (hasCreds false: an empty key or token) fails as
// Credentials, unmade.
func (c *Client) begin(ctx context.Context, op string, hasCreds bool) (context.Context, context.CancelFunc, error) {
	if !hasCreds {
		return nil, nil, &Error{Account: c.ep.AccountID, Op: op, Kind: Credentials, Reason: "no credentials"}
	}
	ctx, cancel := context.WithTimeout(ctx, c.ep.Timeout)
	wctx, wcancel := context.WithTimeout(ctx, MaxLimiterWait)
	err := c.limiter.Wait(wctx)
	wcancel()
	if err == nil {
		return ctx, cancel, nil
	}
	defer cancel()
	if cerr := ctx.Err(); cerr != nil { // the caller gave up, or the Timeout passed
		return nil, nil, &Error{Account: c.ep.AccountID, Op: op, Kind: Unavailable, Reason: contextReason(cerr), Err: cerr}
	}
	return nil, nil, &Error{Account: c.ep.AccountID, Op: op, Kind: Limited, Reason: "rate limit", Err: err}
}

// signed makes one call sign with k.
func signed(k Key) func(*sts.Options) {
	p := credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")
	return func(o *sts.Options) { o.Credentials = p }
}

func signedIAM(k Key) func(*iam.Options) {
	p := credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, "")
	return func(o *iam.Options) { o.Credentials = p }
}

func requestID(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}

func seconds(d time.Duration) *int32 {
	if d <= 0 {
		return nil
	}
	return aws.Int32(int32(d / time.Second))
}

func policyARNs(arns []string) []ststypes.PolicyDescriptorType {
	var out []ststypes.PolicyDescriptorType
	for _, a := range arns {
		out = append(out, ststypes.PolicyDescriptorType{Arn: aws.String(a)})
	}
	return out
}

func tags(ts []Tag) []ststypes.Tag {
	var out []ststypes.Tag
	for _, t := range ts {
		out = append(out, ststypes.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return out
}

// unreadable is the failure of an answer that lacks what op answers.
func (c *Client) unreadable(op string, md middleware.Metadata) *Error {
	return &Error{Account: c.ep.AccountID, Op: op, Kind: Unavailable, Reason: "unreadable answer", RequestID: requestID(md)}
}

// session is the Session of an answer's credentials; an answer without
// them is unreadable.
func (c *Client) session(op string, cr *ststypes.Credentials, md middleware.Metadata) (*Session, error) {
	if cr == nil || cr.AccessKeyId == nil || cr.SecretAccessKey == nil {
		return nil, c.unreadable(op, md)
	}
	return &Session{
		AccessKeyID:     aws.ToString(cr.AccessKeyId),
		SecretAccessKey: aws.ToString(cr.SecretAccessKey),
		SessionToken:    aws.ToString(cr.SessionToken),
		Expiration:      aws.ToTime(cr.Expiration),
		RequestID:       requestID(md),
	}, nil
}

// AssumeRole calls AssumeRole signed with k.
func (c *Client) AssumeRole(ctx context.Context, k Key, in AssumeRoleInput) (*Session, error) {
	const op = "AssumeRole"
	ctx, cancel, err := c.begin(ctx, op, k.valid())
	if err != nil {
		return nil, err
	}
	defer cancel()
	out, err := c.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:           aws.String(in.RoleARN),
		RoleSessionName:   aws.String(in.SessionName),
		DurationSeconds:   seconds(in.Duration),
		Policy:            optional(in.Policy),
		PolicyArns:        policyARNs(in.PolicyARNs),
		ExternalId:        optional(in.ExternalID),
		Tags:              tags(in.Tags),
		TransitiveTagKeys: in.TransitiveTagKeys,
		SourceIdentity:    optional(in.SourceIdentity),
	}, signed(k))
	if err != nil {
		return nil, c.classify(op, err, k.SecretAccessKey)
	}
	s, err := c.session(op, out.Credentials, out.ResultMetadata)
	if err != nil {
		return nil, err
	}
	if u := out.AssumedRoleUser; u != nil {
		s.AssumedRoleID, s.ARN = aws.ToString(u.AssumedRoleId), aws.ToString(u.Arn)
	}
	//lint:ignore SA1019 STS still answers PackedPolicySize, and Brevet's AssumeRole answers it as upstream gave.
	s.SourceIdentity, s.PackedPolicySize = aws.ToString(out.SourceIdentity), out.PackedPolicySize
	return s, nil
}

// AssumeRoleWithWebIdentity calls AssumeRoleWithWebIdentity (unsigned)
// with token. in's ExternalID, Tags, TransitiveTagKeys and SourceIdentity
// are ignored: they travel in the token.
func (c *Client) AssumeRoleWithWebIdentity(ctx context.Context, token string, in AssumeRoleInput) (*Session, error) {
	const op = "AssumeRoleWithWebIdentity"
	ctx, cancel, err := c.begin(ctx, op, token != "")
	if err != nil {
		return nil, err
	}
	defer cancel()
	out, err := c.sts.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(in.RoleARN),
		RoleSessionName:  aws.String(in.SessionName),
		WebIdentityToken: aws.String(token),
		DurationSeconds:  seconds(in.Duration),
		Policy:           optional(in.Policy),
		PolicyArns:       policyARNs(in.PolicyARNs),
	}, func(o *sts.Options) { o.Credentials = aws.AnonymousCredentials{} })
	if err != nil {
		return nil, c.classify(op, err, token)
	}
	s, err := c.session(op, out.Credentials, out.ResultMetadata)
	if err != nil {
		return nil, err
	}
	if u := out.AssumedRoleUser; u != nil {
		s.AssumedRoleID, s.ARN = aws.ToString(u.AssumedRoleId), aws.ToString(u.Arn)
	}
	//lint:ignore SA1019 STS still answers PackedPolicySize, and Brevet's AssumeRole answers it as upstream gave.
	s.SourceIdentity, s.PackedPolicySize = aws.ToString(out.SourceIdentity), out.PackedPolicySize
	return s, nil
}

// GetSessionToken calls GetSessionToken signed with k.
func (c *Client) GetSessionToken(ctx context.Context, k Key, d time.Duration) (*Session, error) {
	const op = "GetSessionToken"
	ctx, cancel, err := c.begin(ctx, op, k.valid())
	if err != nil {
		return nil, err
	}
	defer cancel()
	out, err := c.sts.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: seconds(d)}, signed(k))
	if err != nil {
		return nil, c.classify(op, err, k.SecretAccessKey)
	}
	return c.session(op, out.Credentials, out.ResultMetadata)
}

// GetFederationToken calls GetFederationToken signed with k.
func (c *Client) GetFederationToken(ctx context.Context, k Key, in FederationInput) (*Session, error) {
	const op = "GetFederationToken"
	ctx, cancel, err := c.begin(ctx, op, k.valid())
	if err != nil {
		return nil, err
	}
	defer cancel()
	out, err := c.sts.GetFederationToken(ctx, &sts.GetFederationTokenInput{
		Name:            aws.String(in.Name),
		DurationSeconds: seconds(in.Duration),
		Policy:          optional(in.Policy),
		PolicyArns:      policyARNs(in.PolicyARNs),
		Tags:            tags(in.Tags),
	}, signed(k))
	if err != nil {
		return nil, c.classify(op, err, k.SecretAccessKey)
	}
	s, err := c.session(op, out.Credentials, out.ResultMetadata)
	if err != nil {
		return nil, err
	}
	if u := out.FederatedUser; u != nil {
		s.AssumedRoleID, s.ARN = aws.ToString(u.FederatedUserId), aws.ToString(u.Arn)
	}
	//lint:ignore SA1019 STS still answers PackedPolicySize, and Brevet's answer carries it as upstream gave.
	s.PackedPolicySize = out.PackedPolicySize
	return s, nil
}

// CallerIdentity calls GetCallerIdentity signed with k and returns the
// caller's ARN.
func (c *Client) CallerIdentity(ctx context.Context, k Key) (string, error) {
	const op = "GetCallerIdentity"
	ctx, cancel, err := c.begin(ctx, op, k.valid())
	if err != nil {
		return "", err
	}
	defer cancel()
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, signed(k))
	if err != nil {
		return "", c.classify(op, err, k.SecretAccessKey)
	}
	if out.Arn == nil {
		return "", c.unreadable(op, out.ResultMetadata)
	}
	return aws.ToString(out.Arn), nil
}

// CreateAccessKey creates a key for user ("" = the key's own user),
// signed with k.
func (c *Client) CreateAccessKey(ctx context.Context, k Key, user string) (Key, error) {
	const op = "CreateAccessKey"
	ctx, cancel, err := c.begin(ctx, op, k.valid())
	if err != nil {
		return Key{}, err
	}
	defer cancel()
	out, err := c.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: optional(user)}, signedIAM(k))
	if err != nil {
		return Key{}, c.classify(op, err, k.SecretAccessKey)
	}
	if out.AccessKey == nil || aws.ToString(out.AccessKey.AccessKeyId) == "" || aws.ToString(out.AccessKey.SecretAccessKey) == "" {
		return Key{}, c.unreadable(op, out.ResultMetadata)
	}
	return Key{AccessKeyID: aws.ToString(out.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(out.AccessKey.SecretAccessKey)}, nil
}

// DeleteAccessKey deletes user's key keyID, signed with k. A key that
// is already gone fails as Invalid with Code "NoSuchEntity".
func (c *Client) DeleteAccessKey(ctx context.Context, k Key, user, keyID string) error {
	const op = "DeleteAccessKey"
	ctx, cancel, err := c.begin(ctx, op, k.valid())
	if err != nil {
		return err
	}
	defer cancel()
	if _, err := c.iam.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: optional(user), AccessKeyId: aws.String(keyID)}, signedIAM(k)); err != nil {
		return c.classify(op, err, k.SecretAccessKey)
	}
	return nil
}
