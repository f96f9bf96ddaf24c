package loadgen

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// Identity is who a Client's credentials belong to.
type Identity struct {
	Account string `xml:"GetCallerIdentityResult>Account"`
	Arn     string `xml:"GetCallerIdentityResult>Arn"`
	UserID  string `xml:"GetCallerIdentityResult>UserId"`
}

// CallerIdentity calls sts:GetCallerIdentity.
func (c *Client) CallerIdentity(ctx context.Context) (Identity, error) {
	out, err := c.Call(ctx, "sts", "GetCallerIdentity", nil)
	if err != nil {
		return Identity{}, err
	}
	var id Identity
	if err := xml.Unmarshal(out, &id); err != nil || id.Account == "" {
		return Identity{}, fmt.Errorf("loadgen: GetCallerIdentity: unexpected response %.200q", out)
	}
	return id, nil
}

// TrustAccountPolicy is a role trust policy that lets every principal of
// account (with permission to call sts:AssumeRole) assume the role.
func TrustAccountPolicy(account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
		`"Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`
}

// EnsureRole creates role name with trustPolicy, or finds it if it
// exists already (a second run against the same server), and returns
// its ARN.
func (c *Client) EnsureRole(ctx context.Context, name, trustPolicy string) (string, error) {
	var r struct {
		Create string `xml:"CreateRoleResult>Role>Arn"`
		Get    string `xml:"GetRoleResult>Role>Arn"`
	}
	out, err := c.Call(ctx, "iam", "CreateRole", url.Values{"RoleName": {name}, "AssumeRolePolicyDocument": {trustPolicy}})
	if exists(err) {
		out, err = c.Call(ctx, "iam", "GetRole", url.Values{"RoleName": {name}})
	}
	if err != nil {
		return "", err
	}
	if err := xml.Unmarshal(out, &r); err != nil || r.Create+r.Get == "" {
		return "", fmt.Errorf("loadgen: role %s: unexpected response %.200q", name, out)
	}
	return r.Create + r.Get, nil
}

// AssumeRole calls sts:AssumeRole once and returns the temporary
// credentials.
func (c *Client) AssumeRole(ctx context.Context, roleARN, sessionName string) (sigv4.Credentials, error) {
	out, err := c.Call(ctx, "sts", "AssumeRole", url.Values{"RoleArn": {roleARN}, "RoleSessionName": {sessionName}})
	if err != nil {
		return sigv4.Credentials{}, err
	}
	var r struct {
		AccessKeyID     string `xml:"AssumeRoleResult>Credentials>AccessKeyId"`
		SecretAccessKey string `xml:"AssumeRoleResult>Credentials>SecretAccessKey"`
		SessionToken    string `xml:"AssumeRoleResult>Credentials>SessionToken"`
	}
	if err := xml.Unmarshal(out, &r); err != nil || r.AccessKeyID == "" || r.SecretAccessKey == "" || r.SessionToken == "" {
		return sigv4.Credentials{}, fmt.Errorf("loadgen: AssumeRole: unexpected response %.200q", out)
	}
	return sigv4.Credentials{AccessKeyID: r.AccessKeyID, SecretAccessKey: r.SecretAccessKey, SessionToken: r.SessionToken}, nil
}

func exists(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == "EntityAlreadyExists"
}

// Populate creates n roles and n users named PREFIX-role-NNNNN and
// PREFIX-user-NNNNN (existing ones are kept), with up to parallel calls
// in flight, so that a benchmark can show that cost does not depend on
// how many principals the store holds. progress, if not nil, is called
// with the number of entities created so far.
func (c *Client) Populate(ctx context.Context, prefix string, roles, users int, trustPolicy string, parallel int, progress func(int)) error {
	type job struct{ action, nameKey, name string }
	jobs := make(chan job)
	var (
		wg    sync.WaitGroup
		done  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range max(parallel, 1) {
		wg.Go(func() {
			for j := range jobs {
				params := url.Values{j.nameKey: {j.name}}
				if j.action == "CreateRole" {
					params.Set("AssumeRolePolicyDocument", trustPolicy)
				}
				if _, err := c.Call(ctx, "iam", j.action, params); err != nil && !exists(err) {
					mu.Lock()
					first = cmpOr(first, fmt.Errorf("loadgen: %s %s: %w", j.action, j.name, err))
					mu.Unlock()
					continue
				}
				if n := done.Add(1); progress != nil && n%100 == 0 {
					progress(int(n))
				}
			}
		})
	}
	send := func(action, key, kind string, n int) bool {
		for i := range n {
			select {
			case jobs <- job{action, key, fmt.Sprintf("%s-%s-%05d", prefix, kind, i)}:
			case <-ctx.Done():
				return false
			}
			mu.Lock()
			failed := first != nil
			mu.Unlock()
			if failed {
				return false
			}
		}
		return true
	}
	_ = send("CreateRole", "RoleName", "role", roles) && send("CreateUser", "UserName", "user", users)
	close(jobs)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
