package loadgen

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// CallPool sends Cognito Identity's action with in as its JSON body, signed
// with the client's credentials (unsigned when unsigned is set, as the
// app-facing actions are sent), and decodes a 2xx answer into out (when
// not nil); an error answer is an *APIError with its __type.
func (c *Client) CallPool(ctx context.Context, action string, unsigned bool, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := poolRequest(ctx, c.URL, action, body)
	if err != nil {
		return fmt.Errorf("loadgen: %s: %w", action, err)
	}
	if !unsigned {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		s := sigv4.Signer{Credentials: c.Credentials}
		if err := s.SignHTTP(req, body, sigv4.SignOptions{Region: c.Region, Service: "cognito-identity", Time: now()}); err != nil {
			return fmt.Errorf("loadgen: %s: %w", action, err)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("loadgen: %s: %w", action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("loadgen: %s: read response: %w", action, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		code := errorCode(resp.Header, data)
		if code == "-" && e.Type != "" {
			code = e.Type[strings.LastIndex(e.Type, "#")+1:]
		}
		return &APIError{Status: resp.StatusCode, Code: code, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("loadgen: %s: %w", action, err)
	}
	return nil
}

// PoolClientID is the client id (token audience) the benchmark's OIDC
// provider is registered with.
const PoolClientID = "brevet-bench"

// PoolTrustPolicy is the trust policy of a role an identity pool hands
// out: the federated principal cognito-identity.amazonaws.com, for the
// pool (aud) and the kind of identity (amr: "authenticated" or
// "unauthenticated"), as AWS's console writes it.
func PoolTrustPolicy(pool, amr string) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]string{"Federated": "cognito-identity.amazonaws.com"},
		"Action": []string{"sts:AssumeRoleWithWebIdentity", "sts:TagSession"},
		"Condition": map[string]any{
			"StringEquals":           map[string]string{"cognito-identity.amazonaws.com:aud": pool},
			"ForAnyValue:StringLike": map[string]string{"cognito-identity.amazonaws.com:amr": amr},
		}}}})
	return string(b)
}

// PoolSetup is what the identity pool workloads run against.
type PoolSetup struct {
	// Pool is the identity pool's id.
	Pool string
	// Guests and SignedIn are the identities made for the workloads.
	Guests, SignedIn []PoolIdentity
}

// SetUpPool makes, through the APIs as a user would, an identity pool
// allowing guests and sign-in with idp: idp registered with
// CreateOpenIDConnectProvider (its thumbprint, client PoolClientID), the
// roles PREFIX-authenticated and PREFIX-guest trusting the pool (created,
// or their trust policy replaced), the pool PREFIX naming idp, its roles
// set. Then, as apps do on their first start, it calls GetId: up to
// guests times without Logins (it stops early, keeping what it has,
// when the pool's guest rate answers TooManyRequestsException) and
// signedIn times with a new subject's token each (tokens valid for
// tokenTTL), up to parallel calls at once.
func (c *Client) SetUpPool(ctx context.Context, idp *PoolIdP, prefix string, guests, signedIn, parallel int, tokenTTL time.Duration) (*PoolSetup, error) {
	out, err := c.Call(ctx, "iam", "CreateOpenIDConnectProvider", url.Values{"Url": {idp.URL},
		"ClientIDList.member.1": {PoolClientID}, "ThumbprintList.member.1": {idp.Thumbprint}})
	if err != nil {
		return nil, fmt.Errorf("loadgen: CreateOpenIDConnectProvider: %w", err)
	}
	var oidc struct {
		ARN string `xml:"CreateOpenIDConnectProviderResult>OpenIDConnectProviderArn"`
	}
	if err := xml.Unmarshal(out, &oidc); err != nil || oidc.ARN == "" {
		return nil, fmt.Errorf("loadgen: CreateOpenIDConnectProvider: unexpected response %.200q", out)
	}
	var pool struct{ IdentityPoolId string }
	if err := c.CallPool(ctx, "CreateIdentityPool", false, map[string]any{"IdentityPoolName": prefix,
		"AllowUnauthenticatedIdentities": true, "OpenIdConnectProviderARNs": []string{oidc.ARN}}, &pool); err != nil {
		return nil, fmt.Errorf("loadgen: CreateIdentityPool: %w", err)
	}
	roles := map[string]string{}
	for _, r := range []struct{ kind, name string }{{"authenticated", "authenticated"}, {"unauthenticated", "guest"}} {
		name, kind := prefix+"-"+r.name, r.kind
		trust := PoolTrustPolicy(pool.IdentityPoolId, kind) // the amr value is the kind's name
		arn, err := c.EnsureRole(ctx, name, trust)
		if err != nil {
			return nil, fmt.Errorf("loadgen: role %s: %w", name, err)
		}
		// A role of an earlier run trusts an earlier pool.
		if _, err := c.Call(ctx, "iam", "UpdateAssumeRolePolicy", url.Values{"RoleName": {name}, "PolicyDocument": {trust}}); err != nil {
			return nil, fmt.Errorf("loadgen: role %s: %w", name, err)
		}
		roles[kind] = arn
	}
	if err := c.CallPool(ctx, "SetIdentityPoolRoles", false, map[string]any{"IdentityPoolId": pool.IdentityPoolId, "Roles": roles}, nil); err != nil {
		return nil, fmt.Errorf("loadgen: SetIdentityPoolRoles: %w", err)
	}
	s := &PoolSetup{Pool: pool.IdentityPoolId}
	if s.Guests, err = c.poolGuests(ctx, s.Pool, guests); err != nil {
		return nil, err
	}
	if s.SignedIn, err = c.poolSignIns(ctx, idp, s.Pool, signedIn, parallel, tokenTTL); err != nil {
		return nil, err
	}
	return s, nil
}

// poolGuests makes up to n guest identities of pool, one GetId each,
// stopping at the pool's guest rate limit; at least one when n > 0.
func (c *Client) poolGuests(ctx context.Context, pool string, n int) ([]PoolIdentity, error) {
	var out []PoolIdentity
	for range n {
		var id struct{ IdentityId string }
		err := c.CallPool(ctx, "GetId", true, map[string]string{"IdentityPoolId": pool}, &id)
		var e *APIError
		if errors.As(err, &e) && e.Code == "TooManyRequestsException" && len(out) > 0 {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("loadgen: GetId (guest): %w", err)
		}
		out = append(out, PoolIdentity{ID: id.IdentityId})
	}
	return out, nil
}

// poolSignIns makes n signed-in identities of pool, subjects
// bench-user-00000 and on, each by a GetId with its own token.
func (c *Client) poolSignIns(ctx context.Context, idp *PoolIdP, pool string, n, parallel int, ttl time.Duration) ([]PoolIdentity, error) {
	out := make([]PoolIdentity, n)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range max(parallel, 1) {
		wg.Go(func() {
			for i := range next {
				tok, err := idp.Token(fmt.Sprintf("bench-user-%05d", i), PoolClientID, time.Now(), ttl)
				logins := map[string]string{idp.Name(): tok}
				var id struct{ IdentityId string }
				if err == nil {
					err = c.CallPool(ctx, "GetId", true, map[string]any{"IdentityPoolId": pool, "Logins": logins}, &id)
				}
				if err != nil {
					mu.Lock()
					first = cmpOr(first, fmt.Errorf("loadgen: GetId (signed in): %w", err))
					mu.Unlock()
					continue
				}
				out[i] = PoolIdentity{ID: id.IdentityId, Logins: logins}
			}
		})
	}
	for i := range n {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	return out, nil
}
