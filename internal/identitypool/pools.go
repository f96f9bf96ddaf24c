package identitypool

// Owned by the helper "pools": pool CRUD, tags, roles, principal tag
// maps, the pool cache. Stubs until it lands.

import (
	"context"
	"errors"

	"github.com/brevet-dev/brevet/internal/request"
	"github.com/brevet-dev/brevet/internal/restjson"
	"github.com/brevet-dev/brevet/internal/store"
)

var errTODO = errors.New("identitypool: not implemented yet")

// poolCache caches pools by id, dropped on the change feed.
type poolCache struct{}

func (c *poolCache) init() {}

// Apply drops what the service cached of the objects that changed.
func (s *Service) Apply(changes []store.Change) {}

// pool returns the pool id of account (cached); a *Error
// ResourceNotFoundException when there is none.
func (s *Service) pool(ctx context.Context, account, id string) (*Pool, error) { return nil, errTODO }

// findPool returns the pool id and its account, whatever the account (an
// unsigned GetId names no account, or names it in AccountId, which must
// then match); ResourceNotFoundException when there is none.
func (s *Service) findPool(ctx context.Context, id string) (account string, p *Pool, err error) {
	return "", nil, errTODO
}

// poolResource is the authorization target of the pool id in account:
// its ARN, with its tags as aws:ResourceTag/KEY beside extra's keys. A
// pool that does not exist is still a target (its ARN, no tags): the
// action then answers ResourceNotFoundException once allowed.
func (s *Service) poolResource(ctx context.Context, account, id string, extra map[string][]string) (request.Target, error) {
	return request.Target{Resource: s.PoolARN(account, id), Context: extra}, nil
}

// arnTarget authorizes the tag actions on the pool ARN their input names
// (it must be a pool of the caller's account), with the tags they set as
// aws:RequestTag/KEY and aws:TagKeys.
func arnTarget[In any](s *Service, f func(*In) (arn string, tags map[string]string)) func(context.Context, *restjson.Request[In]) (request.Target, error) {
	return func(ctx context.Context, r *restjson.Request[In]) (request.Target, error) {
		return request.Target{}, errTODO
	}
}

// passRoles are the iam:PassRole authorizations SetIdentityPoolRoles
// needs, one per distinct role it gives (Roles and the mapping rules'),
// with iam:PassedToService cognito-identity.amazonaws.com.
func (s *Service) passRoles(ctx context.Context, r *restjson.Request[SetIdentityPoolRolesInput]) ([]request.Target, error) {
	return nil, errTODO
}

func (s *Service) CreateIdentityPool(ctx context.Context, account string, in *CreateIdentityPoolInput) (*Pool, error) {
	return nil, errTODO
}

func (s *Service) DescribeIdentityPool(ctx context.Context, account, id string) (*Pool, error) {
	return nil, errTODO
}

func (s *Service) ListIdentityPools(ctx context.Context, account string, in *ListIdentityPoolsInput) (*ListIdentityPoolsOutput, error) {
	return nil, errTODO
}

func (s *Service) UpdateIdentityPool(ctx context.Context, account string, in *Pool) (*Pool, error) {
	return nil, errTODO
}

func (s *Service) DeleteIdentityPool(ctx context.Context, account, id string) error { return errTODO }

func (s *Service) SetIdentityPoolRoles(ctx context.Context, account string, in *SetIdentityPoolRolesInput) error {
	return errTODO
}

func (s *Service) GetIdentityPoolRoles(ctx context.Context, account, id string) (*IdentityPoolRoles, error) {
	return nil, errTODO
}

func (s *Service) SetPrincipalTagAttributeMap(ctx context.Context, account string, in *PrincipalTagAttributeMap) (*PrincipalTagAttributeMap, error) {
	return nil, errTODO
}

func (s *Service) GetPrincipalTagAttributeMap(ctx context.Context, account string, in *ProviderNameInput) (*PrincipalTagAttributeMap, error) {
	return nil, errTODO
}

func (s *Service) TagResource(ctx context.Context, account string, in *TagResourceInput) error {
	return errTODO
}

func (s *Service) UntagResource(ctx context.Context, account string, in *UntagResourceInput) error {
	return errTODO
}

func (s *Service) ListTagsForResource(ctx context.Context, account string, in *ResourceArnInput) (*TagsOutput, error) {
	return nil, errTODO
}
