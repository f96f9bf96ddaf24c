package identitypool

// Owned by the helper "credentials": role resolution, the enhanced flow
// (GetCredentialsForIdentity) and the basic flow's token
// (GetOpenIdToken). Stubs until it lands.

import (
	"context"

	"github.com/brevet-dev/brevet/internal/request"
)

func (s *Service) GetCredentialsForIdentity(ctx context.Context, in *GetCredentialsForIdentityInput, x *request.Exchange) (*GetCredentialsForIdentityOutput, error) {
	return nil, errTODO
}

func (s *Service) GetOpenIdToken(ctx context.Context, in *GetOpenIdTokenInput, x *request.Exchange) (*OpenIdTokenOutput, error) {
	return nil, errTODO
}
