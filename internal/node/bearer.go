package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/authn"
	"github.com/brevet-dev/brevet/internal/authz"
	"github.com/brevet-dev/brevet/internal/authzapi"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/federation/issuer"
	"github.com/brevet-dev/brevet/internal/federation/oidc"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/request"
)

// bearerVerifier verifies the authorization API's bearer tokens: Brevet's
// own (GetWebIdentityToken) and registered OIDC providers' (through the
// STS service's web identity federation).
func (n *Node) bearerVerifier() authzapi.BearerVerifier { return &bearer{n: n} }

// ownKeysRefresh is how long a verifier of Brevet's own tokens keeps the
// issuer's published keys before it reads them again (keys retire and
// new ones are published on rotation).
const ownKeysRefresh = time.Minute

type bearer struct {
	n  *Node
	mu sync.Mutex
	// own are verifiers of Brevet's own tokens, by service.
	own map[string]*ownVerifier
}

type ownVerifier struct {
	iss   *issuer.Issuer
	built time.Time
	v     *oidc.Verifier
}

func invalidBearer(msg string) error {
	return &authzapi.BearerError{Code: "InvalidIdentityToken", Message: msg}
}

// VerifyBearer implements authzapi.BearerVerifier.
func (b *bearer) VerifyBearer(ctx context.Context, in *authzapi.BearerInput) (request.Principal, error) {
	if len(in.Token) > oidc.MaxTokenBytes {
		return nil, invalidBearer("The token is too large.")
	}
	iss, err := oidc.UnverifiedIssuer(in.Token)
	if err != nil {
		return nil, invalidBearer("The token is not a JWT.")
	}
	var claims *credential.Claims
	if own := b.n.fed.iss.Load(); own != nil && strings.TrimSuffix(iss, "/") == own.URL() {
		if len(in.Audiences) == 0 {
			return nil, invalidBearer("Service " + in.Service + " does not accept Brevet's own tokens.")
		}
		claims, err = b.ownToken(ctx, own, in)
	} else {
		if in.Role == "" {
			return nil, invalidBearer("Service " + in.Service + " accepts no OIDC provider's tokens.")
		}
		sessionID, sessionName := bearerSession(in.Token)
		claims, err = b.n.fed.sts.WebIdentitySession(ctx, in.Role, in.Token, sessionName,
			authz.Facts{Now: in.Now, SourceIP: in.SourceIP})
		if claims != nil {
			claims.SessionID = sessionID
		}
	}
	if err != nil {
		return nil, err
	}
	if b.n.revoked.Revoked(claims, in.Now) {
		return nil, invalidBearer("The session of this token has been revoked.")
	}
	return authn.SessionPrincipal(claims), nil
}

// bearerSession names a token's session, from one hash of the token: id
// identifies it for the authorizer's session cache (one per token), name
// is the last part of the assumed-role ARN the upstream sees.
func bearerSession(token string) (id, name string) {
	sum := sha256.Sum256([]byte(token))
	return "bearer-" + hex.EncodeToString(sum[:16]), "bearer-" + hex.EncodeToString(sum[:8])
}

// ownToken verifies a token of Brevet's own issuer for one of the
// service's audiences; its subject (a user, role or root ARN of this
// Brevet) becomes a session of that principal, with the token's
// principal tags and source identity.
func (b *bearer) ownToken(ctx context.Context, iss *issuer.Issuer, in *authzapi.BearerInput) (*credential.Claims, error) {
	v, err := b.ownVerifier(iss, in)
	if err != nil {
		return nil, err
	}
	id, err := v.Verify(ctx, in.Token, in.Now)
	if err != nil {
		return nil, err
	}
	var ns struct {
		Account        string            `json:"aws_account"`
		PrincipalTags  map[string]string `json:"principal_tags"`
		SourceIdentity string            `json:"source_identity"`
	}
	if raw, err := json.Marshal(id.Claims[issuer.ClaimNamespace]); err == nil {
		_ = json.Unmarshal(raw, &ns)
	}
	ref, err := iam.ParseEntityARN(id.Subject)
	if err != nil || ref.Account != ns.Account {
		return nil, invalidBearer("The token's subject is not a principal of its account.")
	}
	sessionID, sessionName := bearerSession(in.Token)
	c := &credential.Claims{
		AccountID: ref.Account, PrincipalARN: id.Subject, SessionID: sessionID,
		SessionName: sessionName, IssuedAt: id.IssuedAt, Expires: id.Expiry, SourceIdentity: ns.SourceIdentity,
		Subject: id.Subject,
	}
	switch ref.Type {
	case iam.ResourceRole:
		c.PrincipalType = credential.AssumedRole
		c.SessionARN = iam.AssumedRoleARN(ref.Account, ref.Name, c.SessionName)
	case iam.ResourceUser, iam.ResourceRoot:
		c.PrincipalType = credential.SessionUser
		c.SessionARN = id.Subject
	default:
		return nil, invalidBearer("The token's subject is not a user or a role.")
	}
	for k, v := range ns.PrincipalTags {
		c.Tags = append(c.Tags, credential.Tag{Key: k, Value: v})
	}
	return c, nil
}

// ownVerifier is the service's verifier of Brevet's own tokens, built
// from the issuer's published keys and rebuilt when the issuer changes
// or its keys may have.
func (b *bearer) ownVerifier(iss *issuer.Issuer, in *authzapi.BearerInput) (*oidc.Verifier, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o := b.own[in.Service]; o != nil && o.iss == iss && in.Now.Sub(o.built) < ownKeysRefresh && !in.Now.Before(o.built) {
		return o.v, nil
	}
	jwks, err := json.Marshal(iss.JWKS(in.Now))
	if err != nil {
		return nil, err
	}
	v, err := oidc.NewVerifier(oidc.Provider{URL: iss.URL(), ClientIDs: in.Audiences, JWKS: jwks}, oidc.Config{})
	if err != nil {
		return nil, err
	}
	if b.own == nil {
		b.own = map[string]*ownVerifier{}
	}
	b.own[in.Service] = &ownVerifier{iss: iss, built: in.Now, v: v}
	return v, nil
}
