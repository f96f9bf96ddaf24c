package sso

import (
	"context"
	"time"
)

// CreateToken redeems a grant for tokens: the device code, refresh token
// or authorization code grant, for an authenticated client. A client or
// source failing too often is slowed down.
func (s *Service) CreateToken(ctx context.Context, in *CreateTokenInput, source string, now time.Time) (*CreateTokenOutput, error) {
	keys := failureKeys("", source)
	if err := s.overFailures(keys, now); err != nil {
		return nil, err
	}
	c, err := s.authClient(in.ClientID, in.ClientSecret, now)
	if err != nil {
		s.countFailure(keys, err, now)
		return nil, err
	}
	keys = failureKeys(c.Key, source)
	if err := s.overFailures(keys[1:], now); err != nil {
		return nil, err
	}
	out, err := s.grant(ctx, c, in, now)
	if err != nil {
		s.countFailure(keys, err, now)
	}
	return out, err
}

func (s *Service) grant(ctx context.Context, c *client, in *CreateTokenInput, now time.Time) (*CreateTokenOutput, error) {
	if len(in.Scope) > 0 && in.GrantType != GrantRefreshToken {
		if _, err := checkScopes(in.Scope); err != nil {
			return nil, err
		}
	}
	switch in.GrantType {
	case GrantDeviceCode:
		if in.DeviceCode == "" {
			return nil, oauthErr(InvalidRequest, "deviceCode is required", "")
		}
		return s.deviceGrant(ctx, c, in, now)
	case GrantRefreshToken:
		if in.RefreshToken == "" {
			return nil, oauthErr(InvalidRequest, "refreshToken is required", "")
		}
		return s.refreshGrant(ctx, c, in, now)
	case GrantAuthorizationCode:
		if in.Code == "" || in.RedirectURI == "" || in.CodeVerifier == "" {
			return nil, oauthErr(InvalidRequest, "code, redirectUri and codeVerifier are required", "")
		}
		return s.codeGrant(ctx, c, in, now)
	case "":
		return nil, oauthErr(InvalidRequest, "grantType is required", "")
	}
	return nil, oauthErr(UnsupportedGrantType, "Unsupported grant type", "")
}
